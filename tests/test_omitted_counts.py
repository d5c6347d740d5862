"""The JSON's two views of what is not shown agree: ``omitted`` (per scope, and per scope and
reason) and ``records.<source>.omitted`` (per reason naming the scope) count the same records,
from one ledger. A row of several records left out (a deploy bot's start and finish posts of
another service, one row) counts all of them in both. Slack messages as
``conversations.history`` returns them (``bot_id``/``bot_profile``, ``subtype: channel_join``)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.config import Config
from reconstruct.model import Window
from reconstruct.pipeline import build_timeline
from reconstruct.render import RenderOptions, render
from tests.test_figures_wire import KIM, PD_ID, at, log_entry, pd_incident, slack_ts

INC = "C0INC4711"
DEPLOYS = "C0DEPLOYS1"


def bot(when: Any, text: str, seq: int = 0) -> dict[str, Any]:
    profile = {"id": "B07DPLY3MNR", "name": "deploybot", "app_id": "A07DPLY4ZTW"}
    return {
        "type": "message",
        "user": "U07DPLYBOT3",
        "bot_id": "B07DPLY3MNR",
        "app_id": "A07DPLY4ZTW",
        "text": text,
        "ts": slack_ts(when, seq),
        "bot_profile": profile,
    }


def said(when: Any, text: str, seq: int = 0) -> dict[str, Any]:
    return {"type": "message", "user": KIM, "text": text, "ts": slack_ts(when, seq)}


def history(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"ok": True, "messages": messages[::-1], "has_more": False}]


def bundle(tmp_path: Path) -> Bundle:
    start, resolved = at(14, 0), at(15, 0)
    writer = BundleWriter(tmp_path / "bundle", PD_ID)
    writer.add("pagerduty/incident.json", [{"incident": pd_incident(start, resolved)}])
    entries = [log_entry("RTRIG", "trigger", start), log_entry("RRES", "resolve", resolved)]
    writer.add("pagerduty/log_entries.json", [{"log_entries": entries, "more": False}])
    writer.add("pagerduty/alerts.json", [{"alerts": [], "more": False}])
    writer.add("pagerduty/notes.json", [{"notes": []}])
    writer.set_source("pagerduty", "ok")
    join = {**said(at(14, 1), f"<@{KIM}> has joined the channel"), "subtype": "channel_join"}
    chatter = [said(at(14, 5 + k), f"looking at dashboards, part {k}") for k in range(3)]
    writer.add(f"slack/{INC}/conversations.history.json", history([join, *chatter]))
    # Another service's deploy in #deploys: the bot's start post and its finish post.
    other = [
        bot(at(14, 10), "Deploying billing-api 3be91f0 to production"),
        bot(at(14, 17), "Deployed billing-api 3be91f0 (invoice pdf fonts) to production"),
        bot(at(14, 30), "Deploying search-api 77aa012 to staging"),
    ]
    writer.add(f"slack/{DEPLOYS}/conversations.history.json", history(other))
    channels = {INC: "inc-4711", DEPLOYS: "deploys"}
    meta = {
        "incident_channel": INC,
        "channels": channels,
        "workspace_url": "https://acme.slack.com/",
    }
    writer.set_source("slack", "ok", meta=meta)
    end = resolved + timedelta(minutes=30)
    window = Window(start - timedelta(hours=1), end, start - timedelta(days=14))
    return Bundle.open(writer.finish(window, end))


def test_the_per_scope_and_per_reason_counts_agree(tmp_path: Path) -> None:
    doc = json.loads(
        render(build_timeline(bundle(tmp_path), Config()), RenderOptions("json"), Config())
    )
    omitted, records = doc["omitted"], doc["records"]
    slack = records["slack"]["omitted"]
    # several reasons in one scope, and a row of two records left out
    assert len([r for r in slack if r.endswith("in slack:#inc-4711")]) >= 2, slack
    assert slack["bot posts about other services in slack:#deploys"] == 3, slack
    assert omitted["slack:#deploys"] == 3, omitted
    for scope in ("slack:#deploys", "slack:#inc-4711"):
        per_reason = sum(n for r, n in slack.items() if r.endswith(f" in {scope}"))
        per_scope = sum(n for key, n in omitted.items() if key.split(" (")[0] == scope)
        assert per_scope == per_reason, (scope, omitted, slack)
    everything = sum(sum(a["omitted"].values()) for a in records.values())
    assert sum(omitted.values()) == everything
    for source, account in records.items():
        assert account["shown"] + sum(account["omitted"].values()) == account["collected"], source
