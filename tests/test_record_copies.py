"""A record served twice with the same id is collected twice and counted once as a copy.

Small inputs in each tool's wire format: a PagerDuty log entry on two pages of
``GET /incidents/{id}/log_entries``, a Grafana annotation in two pages of ``GET /api/annotations``,
a GitHub deployment and a merged PR on two pages, and a Slack export day file listing one message
twice (same ``ts``: in a channel a ts names one message). Per source the count says
``copies of a record already read``; nothing vanishes from ``collected``.
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors.skips import counting
from reconstruct.collectors.slack.parse import parse
from reconstruct.config import Config
from reconstruct.model import Window
from reconstruct.pipeline import build_timeline
from tests.test_slack_export import INC, collect, msg

T0 = datetime(2026, 3, 14, 9, 42, tzinfo=UTC)
WINDOW = Window(T0 - timedelta(hours=1), T0 + timedelta(hours=2), T0 - timedelta(days=14))
COPIES = "copies of a record already read"


def iso(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def bundle_of(tmp_path: Path, files: dict[str, list[Any]], sources: dict[str, Any]) -> Bundle:
    with BundleWriter(tmp_path / "bundle", "Q1INC47") as writer:
        writer.add(
            "pagerduty/incident.json",
            [
                {
                    "incident": {
                        "id": "Q1INC47",
                        "incident_number": 4711,
                        "title": "Checkout errors",
                        "status": "resolved",
                        "created_at": iso(0),
                        "resolved_at": iso(50),
                    }
                }
            ],
        )
        for rel, pages in files.items():
            writer.add(rel, pages)
        writer.set_source("pagerduty", "ok")
        for name, meta in sources.items():
            writer.set_source(name, "ok", meta=meta)
        writer.finish(WINDOW, T0 + timedelta(days=1))
    return Bundle.open(tmp_path / "bundle")


def test_a_pagerduty_log_entry_on_two_pages_is_counted_as_a_copy(tmp_path: Path) -> None:
    ack = {
        "id": "R2ACK0001",
        "type": "acknowledge_log_entry",
        "created_at": iso(4),
        "agent": {"id": "PU1", "type": "user_reference", "summary": "Priya Raman"},
        "html_url": "https://acme.pagerduty.com/incidents/Q1INC47/log_entries/R2ACK0001",
    }
    trigger = {**ack, "id": "R1TRG0001", "type": "trigger_log_entry", "created_at": iso(0)}
    pages = [
        {"log_entries": [trigger, ack], "limit": 2, "offset": 0, "more": True},
        {"log_entries": [ack], "limit": 2, "offset": 2, "more": False},  # served again
    ]
    bundle = bundle_of(tmp_path, {"pagerduty/log_entries.json": pages}, {})
    account = build_timeline(bundle, Config()).accounts["pagerduty"]
    assert account.collected == 3
    assert account.omitted.get(COPIES) == 1
    assert account.shown + sum(account.omitted.values()) == 3


def test_a_grafana_annotation_served_twice_is_counted_as_a_copy(tmp_path: Path) -> None:
    ms = int((T0 + timedelta(minutes=3)).timestamp() * 1000)
    region = {
        "id": 4021,
        "time": ms,
        "timeEnd": ms,
        "text": "Deployed checkout 4f2c9e1",
        "tags": ["deploy"],
        "dashboardUID": "",
        "panelId": 0,
    }
    bundle = bundle_of(
        tmp_path,
        {"grafana/annotations.json": [[region], [dict(region)]]},
        {"grafana": {"url": "https://grafana.acme.example"}},
    )
    account = build_timeline(bundle, Config()).accounts["grafana"]
    assert (account.collected, account.shown, account.omitted) == (2, 1, {COPIES: 1})


def test_a_github_deployment_and_a_pr_on_two_pages_are_counted_as_copies(
    tmp_path: Path,
) -> None:
    base = "github/acme/checkout/"
    deployment = {
        "id": 9101,
        "sha": "4f2c9e1a83b07d5562e9c4f1a0d7b3e8c26f9a12",
        "ref": "main",
        "environment": "production",
        "created_at": iso(-10),
    }
    status = {"id": 77, "state": "success", "created_at": iso(-9)}
    pr = {
        "number": 1194,
        "title": "Upgrade redis client to 5.x",
        "closed_at": iso(-60),
        "pull_request": {"merged_at": iso(-60)},
        "html_url": "https://github.com/acme/checkout/pull/1194",
    }
    files = {
        base + "repo.json": [{"full_name": "acme/checkout"}],
        base + "deployments.json": [[deployment], [dict(deployment)]],
        f"{base}statuses/9101.json": [[status]],
        base + "merged_prs.json": [{"total_count": 1, "items": [pr]}, {"items": [dict(pr)]}],
    }
    bundle = bundle_of(tmp_path, files, {"github": {"repos": ["acme/checkout"]}})
    account = build_timeline(bundle, Config()).accounts["github"]
    copies = sum(n for reason, n in account.omitted.items() if reason.startswith(COPIES))
    assert copies == 2
    assert account.collected == 4  # the deployment's success, its copy, the PR, its copy
    assert account.shown + sum(account.omitted.values()) == account.collected


def test_a_slack_export_listing_one_ts_twice_counts_the_copy(tmp_path: Path) -> None:
    post = msg(5, "U1", "fyi https://github.com/acme/checkout/pull/1194")
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr("channels.json", json.dumps([{"id": INC, "name": "inc-1234"}]))
        zf.writestr("users.json", json.dumps([{"id": "U1", "name": "ana"}]))
        zf.writestr("inc-1234/2024-03-14.json", json.dumps([post, dict(post)]))
    _, bundle, _ = collect(tmp_path, export, slack={"channels": []})
    with counting() as left:
        events = list(parse(bundle))
    assert len(events) == 1  # one row; the second record is the copy, counted
    assert left == {f"slack:#inc-1234 ({COPIES})": 1}
