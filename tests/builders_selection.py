"""The checkout incident of the selection tests (issues #10 and #11), as a bundle in each tool's
wire format, and what those tests check of its timeline.

PagerDuty incident ``Q1INC47`` (#4711, service ``checkout``) triggered at ``T0`` (09:42); Slack
``conversations.history`` pages per channel; per GitHub repository ``GET /repos/{owner}/{repo}``
(``full_name``, ``url``), ``GET /search/issues?q=is:pr+is:merged`` results, ``GET
/repos/{owner}/{repo}/deployments`` and each deployment's ``/statuses``; Grafana ``GET
/api/annotations`` records. ``tests/test_selection_wire.py`` and ``tests/test_window_changes.py``
build their bundles here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.config import Config
from reconstruct.model import Event, Timeline, Window
from reconstruct.pipeline import build_timeline

T0 = datetime(2026, 3, 14, 9, 42, tzinfo=UTC)
WINDOW = Window(T0 - timedelta(hours=1), T0 + timedelta(hours=2), T0 - timedelta(days=14))
INC, DEPLOYS = "C0INC4711", "C0DEPLOYS"
API = "https://api.github.com/repos"

Deployment = tuple[dict[str, Any], list[dict[str, Any]] | None]
"""A deployment record and its statuses (None: not read, as a live run skips old ones)."""


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def ts(when: datetime, n: int = 0) -> str:
    return f"{int(when.timestamp())}.{n:06d}"


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def message(when: datetime, text: str, *, bot: bool = False, n: int = 0) -> dict[str, Any]:
    """A conversations.history message: a person's (``user``) or an app's (``bot_message``)."""
    if bot:
        return {
            "type": "message",
            "subtype": "bot_message",
            "ts": ts(when, n),
            "bot_id": "B0BOT1",
            "username": "deploybot",
            "text": text,
        }
    return {"type": "message", "ts": ts(when, n), "user": "U0PRIYA", "text": text}


def pr_item(
    number: int,
    title: str,
    merged: datetime,
    labels: tuple[str, ...] = (),
    *,
    repo: str = "acme/checkout",
    body: str | None = None,
) -> dict[str, Any]:
    """One result of GET /search/issues?q=is:pr+is:merged (a PR is an issue with pull_request)."""
    return {
        "number": number,
        "title": title,
        "html_url": f"https://github.com/{repo}/pull/{number}",
        "closed_at": iso(merged),
        "labels": [{"name": name} for name in labels],
        "user": {"login": "marco"},
        "body": body,
        "pull_request": {
            "url": f"{API}/{repo}/pulls/{number}",
            "html_url": f"https://github.com/{repo}/pull/{number}",
            "merged_at": iso(merged),
        },
    }


ALERT = {
    "id": 900,
    "alertId": 12,
    "alertName": "CheckoutErrorRate",
    "dashboardUID": "chk",
    "panelId": 4,
    "newState": "Alerting",
    "prevState": "Normal",
    "time": ms(T0 - timedelta(minutes=1)),
    "timeEnd": ms(T0 - timedelta(minutes=1)),
    "text": "CheckoutErrorRate {alertname=CheckoutErrorRate} - B=0.91",
}
"""Grafana's alert annotation: the incident's first alert, at 09:41."""


def timeline(
    tmp_path: Path,
    *,
    resolved: timedelta,
    channels: Mapping[str, str],
    slack: Mapping[str, list[dict[str, Any]]],
    repos: Mapping[str, tuple[Sequence[Any], Sequence[Deployment]]],
    annotations: Sequence[dict[str, Any]] = (),
    notes: Sequence[dict[str, Any]] = (),
    log_entries: Sequence[Any] = (),
    service: str = "checkout",
    config: Config | None = None,
) -> Timeline:
    """The timeline of the incident (resolved ``resolved`` after ``T0``): ``channels`` names the
    Slack channels (id -> name), ``slack`` holds the history of each channel read, ``repos``
    each repository's merged PRs (search items) and deployments."""
    writer = BundleWriter(tmp_path / "bundle", "Q1INC47")
    incident = {
        "id": "Q1INC47",
        "incident_number": 4711,
        "title": "Checkout returning 5xx",
        "status": "resolved",
        "created_at": iso(T0),
        "resolved_at": iso(T0 + resolved),
        "html_url": "https://acme.pagerduty.com/incidents/Q1INC47",
        "service": {"id": "PSVC", "type": "service_reference", "summary": service},
    }
    writer.add("pagerduty/incident.json", [{"incident": incident}])
    writer.add("pagerduty/log_entries.json", [{"log_entries": list(log_entries)}])
    writer.add("pagerduty/alerts.json", [{"alerts": []}])
    writer.add("pagerduty/notes.json", [{"notes": list(notes)}])
    writer.set_source("pagerduty", "ok")
    for channel, messages in slack.items():
        writer.add(f"slack/{channel}/conversations.history.json", [{"messages": messages}])
    writer.set_source(
        "slack",
        "ok",
        meta={
            "workspace_url": "https://acme.slack.com/",
            "incident_channel": INC,
            "channels": dict(channels),
        },
    )
    for repo, (prs, deployments) in repos.items():
        base = f"github/{repo}/"
        writer.add(base + "repo.json", [{"full_name": repo, "url": f"{API}/{repo}"}])
        writer.add(base + "merged_prs.json", [{"items": list(prs)}])
        writer.add(base + "deployments.json", [[d for d, _ in deployments]])
        for record, statuses in deployments:
            if statuses is not None:
                writer.add(f"{base}statuses/{record['id']}.json", [statuses])
    writer.set_source("github", "ok", meta={"repos": list(repos)})
    writer.add("grafana/annotations.json", [list(annotations)])
    writer.set_source("grafana", "ok", meta={"url": "https://grafana.acme.example"})
    path = writer.finish(WINDOW, T0 + timedelta(days=1))
    return build_timeline(Bundle.open(path), config or Config())


def rows_with(tl: Timeline, text: str) -> list[Event]:
    return [e for e in tl.events if text in e.summary]


def row(tl: Timeline, text: str) -> Event:
    """The one row whose text holds ``text``."""
    found = rows_with(tl, text)
    assert len(found) == 1, [e.summary for e in tl.events]
    return found[0]


def absent(tl: Timeline, text: str) -> bool:
    return not rows_with(tl, text)


def check_accounts(tl: Timeline) -> None:
    """Per source, what is shown and what is counted add up to what was collected."""
    for account in tl.accounts.values():
        assert account.shown + sum(account.omitted.values()) == account.collected
