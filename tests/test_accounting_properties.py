"""The accounting invariant, as a property over generated bundles in each tool's wire format.

Every record a bundle holds is shown in a row (alone or merged) or counted under a named reason:
per source, ``shown + sum(omitted) == collected``, ``collected`` is the number of records the
generator wrote (a thread parent read from history and from its replies is one record; a record
served again with the same id, in overlapping pages or twice in one file, is collected and
counted under ``copies of a record already read``), and ``not understood`` counts exactly the
malformed records it wrote. Through every parser, the
normalizer and the JSON renderer.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.config import Config
from reconstruct.model import Event, Window
from reconstruct.normalize import normalize
from reconstruct.normalize.ledger import NO_ROW
from reconstruct.pipeline import build_timeline
from reconstruct.render import RenderOptions, render
from tests.test_normalize_properties import INCIDENT as NORMALIZE_INCIDENT
from tests.test_normalize_properties import WINDOW as NORMALIZE_WINDOW
from tests.test_normalize_properties import clustered

T0 = datetime(2026, 3, 14, 9, 42, tzinfo=UTC)
WINDOW = Window(T0 - timedelta(hours=1), T0 + timedelta(hours=2), T0 - timedelta(days=14))
NOT_UNDERSTOOD = "not understood"
COPIES = "copies of a record already read"

# Times as each tool writes them, and ones a parser cannot read (no offset, not a time).
OFFSETS = (-20 * 86400, -3 * 86400, -30 * 60, 0, 95, 600, 3000, 5 * 3600)


def iso(seconds: int) -> str:
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_ms(seconds: int) -> int:
    return int((T0 + timedelta(seconds=seconds)).timestamp() * 1000)


def slack_ts(seconds: int, n: int) -> str:
    return f"{int((T0 + timedelta(seconds=seconds)).timestamp())}.{n:06d}"


@dataclass
class Expect:
    collected: Counter[str] = field(default_factory=Counter)
    not_understood: Counter[str] = field(default_factory=Counter)
    copies: Counter[str] = field(default_factory=Counter)

    def add(self, source: str, *, malformed: bool = False) -> None:
        self.collected[source] += 1
        if malformed:
            self.not_understood[source] += 1

    def copy(self, source: str) -> None:
        """A record served again with an id already read: collected, counted as a copy."""
        self.collected[source] += 1
        self.copies[source] += 1


@st.composite
def bundles(draw: st.DrawFn) -> tuple[dict[str, list[Any]], Expect]:
    files: dict[str, list[Any]] = {}
    expect = Expect()

    # -- PagerDuty: log entries, alerts, notes (pages of the REST API's list responses) ------
    incident = {
        "id": "Q1INC47",
        "incident_number": 4711,
        "title": "Checkout errors",
        "status": "resolved",
        "created_at": iso(0),
        "resolved_at": iso(3000),
        "html_url": "https://acme.pagerduty.com/incidents/Q1INC47",
        "service": {"id": "PSVC", "type": "service_reference", "summary": "checkout"},
    }
    files["pagerduty/incident.json"] = [{"incident": incident}]
    types = st.sampled_from(
        [
            "trigger_log_entry",
            "notify_log_entry",
            "acknowledge_log_entry",
            "annotate_log_entry",
            "escalate_log_entry",
            "resolve_log_entry",
            "snooze_log_entry",
            "urgency_change_log_entry",
            "brand_new_log_entry",
            "",
        ]
    )
    entries: list[Any] = []
    trigger_ids: list[str] = []
    for n in range(draw(st.integers(0, 8))):
        kind = draw(types)
        when = draw(st.sampled_from(OFFSETS))
        entry: dict[str, Any] = {
            "id": f"LE{n}",
            "type": kind,
            "created_at": iso(when),
            "html_url": f"https://acme.pagerduty.com/incidents/Q1INC47/log_entries/LE{n}",
            "agent": {"id": "PU1", "type": "user_reference", "summary": "Priya Raman"},
        }
        if kind == "annotate_log_entry":
            entry["channel"] = {"type": "web_ui", "summary": f"note {n % 3}"}
        flaw = draw(st.sampled_from(["", "", "", "no id", "naive time", "no time"]))
        if flaw == "no id":
            del entry["id"]
        elif flaw == "naive time":
            entry["created_at"] = iso(when).removesuffix("Z")
        elif flaw == "no time":
            del entry["created_at"]
        if kind == "trigger_log_entry" and not flaw:
            trigger_ids.append(entry["id"])
        entries.append(entry)
        if flaw == "no id" or flaw == "no time" or (not kind and flaw != "naive time"):
            expect.add("pagerduty", malformed=True)
        else:
            expect.add("pagerduty")
        if draw(st.booleans()) and "id" in entry:
            entries.append(dict(entry))  # the next page repeats it: a copy, counted
            expect.copy("pagerduty")
    if draw(st.booleans()):
        entries.append("not an entry")
        expect.add("pagerduty", malformed=True)
    files["pagerduty/log_entries.json"] = [{"log_entries": entries}]
    alerts = []
    for n in range(draw(st.integers(0, 4))):
        alert: dict[str, Any] = {
            "id": f"AL{n}",
            "created_at": iso(draw(st.sampled_from(OFFSETS))),
            "summary": "Checkout 5xx above 5%",
            "alert_key": f"checkout-5xx-{n}",
            "html_url": f"https://acme.pagerduty.com/alerts/AL{n}",
        }
        if trigger_ids and draw(st.booleans()):
            alert["first_trigger_log_entry"] = {"id": draw(st.sampled_from(trigger_ids))}
        alerts.append(alert)
        expect.add("pagerduty")
        if draw(st.integers(0, 3)) == 0:
            alerts.append(dict(alert))  # served twice (overlapping pages)
            expect.copy("pagerduty")
    files["pagerduty/alerts.json"] = [{"alerts": alerts}]
    notes = []
    for n in range(draw(st.integers(0, 3))):
        notes.append(
            {
                "id": f"NO{n}",
                "created_at": iso(draw(st.sampled_from(OFFSETS))),
                "content": f"note {n % 3}",
                "user": {"id": "PU1", "type": "user_reference", "summary": "Priya Raman"},
            }
        )
        expect.add("pagerduty")
    files["pagerduty/notes.json"] = [{"notes": notes}]

    # -- Slack: conversations.history and conversations.replies pages -------------------------
    subtypes = st.sampled_from(
        [None, None, "bot_message", "channel_join", "message_deleted", "thread_broadcast", "me"]
    )
    texts = st.sampled_from(
        [
            "looking into it",
            "root cause is the redis client, see <https://github.com/acme/checkout/pull/1201|#1201>",
            "bridge: <https://meet.acme.example/inc|bridge>",
            "Deployed checkout 4f2c9e1 to production",
            "Deployed search-api 7d3e0b2 to production",
            "[FIRING:1] CheckoutErrorRate",
            "",
        ]
    )
    for channel in ("C0INC4711", "C0DEPLOYS"):
        history: list[Any] = []
        replies: list[Any] = []
        for n in range(draw(st.integers(0, 8))):
            subtype = draw(subtypes)
            text = draw(texts)
            message: dict[str, Any] = {
                "type": "message",
                "ts": slack_ts(draw(st.sampled_from(OFFSETS)), n),
                "text": text,
                "user": "U0PRIYA",
            }
            if subtype:
                message["subtype"] = subtype
            if subtype == "bot_message" or draw(st.booleans()):
                message["bot_id"] = "B0DEPLOY"
            flaw = draw(st.sampled_from(["", "", "", "bad ts", "not a message"]))
            if flaw == "bad ts":
                message["ts"] = f"later-{n}"
            elif flaw == "not a message":
                message["type"] = "desktop_notification"
            in_replies = draw(st.booleans())
            (replies if in_replies else history).append(message)
            if not in_replies and draw(st.booleans()):
                replies.append(dict(message))  # a thread parent read twice: one record
            if flaw != "bad ts" and draw(st.integers(0, 3)) == 0:
                # the same ts twice in one file (an export listing a message twice): a copy
                (replies if in_replies else history).append(dict(message))
                expect.copy("slack")
            malformed = flaw == "not a message" or (
                not text and subtype not in ("channel_join", "message_deleted") and not flaw
            )
            expect.add("slack", malformed=malformed)
        files[f"slack/{channel}/conversations.history.json"] = [{"ok": True, "messages": history}]
        files[f"slack/{channel}/replies/1.json"] = [{"ok": True, "messages": replies}]

    # -- GitHub: deployments with their statuses, merged PRs (search items and pulls) ---------
    base = "github/acme/checkout/"
    files[base + "repo.json"] = [{"full_name": "acme/checkout"}]
    deployments: list[Any] = []
    for n in range(draw(st.integers(0, 4))):
        deployment: dict[str, Any] = {
            "id": 100 + n,
            "sha": f"4f2c9e1{n}a83b07d5562e9c4f1a0d7b3e8c26f9a1",
            "ref": "main",
            "environment": "production",
            "created_at": iso(-600),
        }
        states = draw(
            st.lists(st.sampled_from(["success", "failure", "error", "pending", "inactive"]))
        )
        statuses = [
            {"id": 9000 + i, "state": state, "created_at": iso(draw(st.sampled_from(OFFSETS)))}
            for i, state in enumerate(states)
        ]
        outcomes = bool({"success"} & set(states)) + bool({"failure", "error"} & set(states))
        if draw(st.integers(0, 5)) == 0:
            del deployment["id"]
            expect.add("github", malformed=True)
        else:
            files[f"{base}statuses/{100 + n}.json"] = [statuses]
            for _ in range(max(outcomes, 1)):
                expect.add("github")
        deployments.append(deployment)
        if "id" in deployment and draw(st.integers(0, 3)) == 0:
            deployments.append(dict(deployment))  # pages overlap: a copy, counted
            expect.copy("github")
    files[base + "deployments.json"] = [deployments]
    items: list[Any] = []
    for n in range(draw(st.integers(0, 5))):
        number = 1200 + n
        item: dict[str, Any] = {
            "number": number,
            "title": draw(st.sampled_from(["Upgrade redis client to 5.x", "Fix README typo"])),
            "closed_at": iso(draw(st.sampled_from(OFFSETS))),
            "pull_request": {"merged_at": iso(draw(st.sampled_from(OFFSETS)))},
        }
        shape = draw(st.sampled_from(["pr", "pr", "issue", "no number"]))
        if shape == "issue":
            del item["pull_request"]
        elif shape == "no number":
            del item["number"]
        items.append(item)
        expect.add("github", malformed=shape != "pr")
        if shape == "pr" and draw(st.integers(0, 3)) == 0:
            items.append(dict(item))  # the same PR on two search pages: a copy, counted
            expect.copy("github")
    files[base + "merged_prs.json"] = [{"total_count": len(items), "items": items}]

    # -- Grafana: GET /api/annotations pages ------------------------------------------------
    annotations: list[Any] = []
    for n in range(draw(st.integers(0, 6))):
        record: dict[str, Any] = {
            "id": 500 + n,
            "time": epoch_ms(draw(st.sampled_from(OFFSETS))),
            "text": "Deployed checkout 4f2c9e1",
            "tags": ["deploy"],
        }
        if draw(st.booleans()):
            record.update(alertId=7, alertName="CheckoutErrorRate", newState="Alerting")
            record["prevState"] = "Normal"
        elif draw(st.booleans()):  # a region, possibly begun long before the window
            record["timeEnd"] = epoch_ms(draw(st.sampled_from(OFFSETS)))
        flaw = draw(st.sampled_from(["", "", "no time", "bad time"]))
        if flaw == "no time":
            del record["time"]
        elif flaw == "bad time":
            record["time"] = "yesterday"
        annotations.append(record)
        if draw(st.booleans()):
            annotations.append(dict(record))  # pages overlap: a copy, counted
            expect.copy("grafana")
        expect.add("grafana", malformed=flaw == "no time")
    files["grafana/annotations.json"] = [annotations]
    return files, expect


def write(dest: Path, files: dict[str, list[Any]]) -> Bundle:
    with BundleWriter(dest, "Q1INC47") as writer:
        for rel, pages in sorted(files.items()):
            writer.add(rel, pages)
        writer.set_source("pagerduty", "ok")
        writer.set_source(
            "slack",
            "ok",
            meta={
                "workspace_url": "https://acme.slack.com/",
                "incident_channel": "C0INC4711",
                "channels": {"C0INC4711": "inc-4711", "C0DEPLOYS": "deploys"},
            },
        )
        writer.set_source("github", "ok", meta={"repos": ["acme/checkout"]})
        writer.set_source("grafana", "ok", meta={"url": "https://grafana.acme.example"})
        writer.finish(WINDOW, T0 + timedelta(days=1))
    return Bundle.open(dest)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(bundles())
def test_every_record_is_shown_or_counted_under_a_reason(
    generated: tuple[dict[str, list[Any]], Expect],
) -> None:
    files, expect = generated
    with tempfile.TemporaryDirectory() as tmp:
        bundle = write(Path(tmp) / "bundle", files)
        timeline = build_timeline(bundle, Config())
    accounts = timeline.accounts
    for source in ("pagerduty", "slack", "github", "grafana"):
        account = accounts.get(source)
        collected = account.collected if account else 0
        assert collected == expect.collected[source], (source, account)
        if account is None:
            continue
        assert account.shown + sum(account.omitted.values()) == account.collected, source
        not_understood = sum(
            n for reason, n in account.omitted.items() if reason.startswith(NOT_UNDERSTOOD)
        )
        assert not_understood == expect.not_understood[source], (source, account.omitted)
        copies = sum(n for reason, n in account.omitted.items() if reason.startswith(COPIES))
        assert copies == expect.copies[source], (source, account.omitted)
        assert all(n > 0 and reason for reason, n in account.omitted.items())
        assert NO_ROW not in account.omitted, account.omitted
    # Every row holds at least one shown record of each of its sources.
    for event in timeline.events:
        for source in event.sources:
            assert accounts[source].shown > 0
    assert sum(a.shown for a in accounts.values()) >= len(timeline.events)
    # The JSON document carries the same accounting.
    doc = json.loads(render(timeline, RenderOptions(fmt="json"), Config()))
    for source, account in accounts.items():
        assert doc["records"][source] == {
            "collected": account.collected,
            "shown": account.shown,
            "omitted": {r: n for r, n in account.omitted.items() if n},
        }
    # ... and its per-scope ``omitted`` counts the same records (one ledger, two views).
    left = sum(sum(a.omitted.values()) for a in accounts.values())
    assert sum(doc["omitted"].values()) == left, (doc["omitted"], doc["records"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clustered())
def test_the_normalizer_shows_or_counts_every_event_it_is_given(stream: list[Event]) -> None:
    """Straight through ``normalize`` (merges, duplicates, the lead-up, chat set aside): per
    source, the records in rows plus those left out under a reason are the events given."""
    result = normalize(stream, NORMALIZE_INCIDENT, NORMALIZE_WINDOW, Config())
    given_per_source = Counter(event.sources[0] for event in stream)
    for source, n in given_per_source.items():
        left = sum(result.left_out.get(source, {}).values())
        assert result.shown.get(source, 0) + left == n, (source, result.shown, result.left_out)
    assert sum(result.shown.values()) >= len(result.events)
    assert not any(NO_ROW in reasons for reasons in result.left_out.values())
    left = sum(sum(reasons.values()) for reasons in result.left_out.values())
    assert sum(result.omitted.values()) == left, (result.omitted, result.left_out)
