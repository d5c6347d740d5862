"""A bot post in a shared channel naming the affected host is about this incident: a support
desk's "New ticket #88120: \\"SSL error calling api.acme.example\\"" while PagerDuty's incident is
"BlackboxProbeFailed: https://api.acme.example probe failing" is this incident's, shown (one
row for the bot's posts of one shape), never counted as "bot posts about other services"; a
ticket about something else still is. Slack messages as ``conversations.history`` returns them
(``bot_id``, ``bot_profile``), the PagerDuty incident as ``GET /incidents/{id}`` does."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.config import Config
from reconstruct.model import Window
from reconstruct.normalize.concern import hosts
from reconstruct.pipeline import build_timeline
from reconstruct.render import RenderOptions, render
from tests.test_figures_wire import PD_ID, at, log_entry, pd_incident, slack_ts

INC = "C0INC4711"
SUPPORT = "C0SUPESC01"


def ticket(minute: int, number: int, subject: str) -> dict[str, Any]:
    profile = {"id": "B0ZENDESK01", "name": "Zendesk", "app_id": "A0ZENDESK01"}
    return {
        "type": "message",
        "user": "U0ZENDESK01",
        "bot_id": "B0ZENDESK01",
        "text": f'New ticket #{number}: "{subject}" (priority: high)',
        "ts": slack_ts(at(14, minute), 0),
        "bot_profile": profile,
    }


def shared_channel_bundle(
    tmp_path: Path,
    incident: dict[str, Any],
    said: list[dict[str, Any]],
    channel: tuple[str, str],
    posts: list[dict[str, Any]],
) -> Bundle:
    """A bundle of ``incident`` (14:00-15:00, triggered and resolved), the incident channel's
    messages ``said`` and ``posts`` in the shared ``channel`` (id, name)."""
    start, resolved = at(14, 0), at(15, 0)
    writer = BundleWriter(tmp_path / "bundle", PD_ID)
    writer.add("pagerduty/incident.json", [{"incident": incident}])
    entries = [log_entry("RTRIG", "trigger", start), log_entry("RRES", "resolve", resolved)]
    writer.add("pagerduty/log_entries.json", [{"log_entries": entries, "more": False}])
    writer.add("pagerduty/alerts.json", [{"alerts": [], "more": False}])
    writer.add("pagerduty/notes.json", [{"notes": []}])
    writer.set_source("pagerduty", "ok")
    writer.add(f"slack/{INC}/conversations.history.json", [{"ok": True, "messages": said}])
    shared, name = channel
    writer.add(f"slack/{shared}/conversations.history.json", [{"ok": True, "messages": posts}])
    meta = {
        "incident_channel": INC,
        "channels": {INC: "inc-4711", shared: name},
        "workspace_url": "https://acme.slack.com/",
    }
    writer.set_source("slack", "ok", meta=meta)
    end = resolved + timedelta(minutes=30)
    window = Window(start - timedelta(hours=1), end, start - timedelta(days=14))
    return Bundle.open(writer.finish(window, end))


def bundle(tmp_path: Path) -> Bundle:
    incident = pd_incident(at(14, 0), at(15, 0))
    incident["title"] = "BlackboxProbeFailed: https://api.acme.example probe failing"
    posts = [ticket(5 + k, 88120 + k, "SSL error calling api.acme.example") for k in range(3)]
    posts.append(ticket(9, 88199, "Invoice PDF missing"))
    return shared_channel_bundle(tmp_path, incident, [], (SUPPORT, "support-escalations"), posts)


def test_tickets_naming_the_affected_host_are_this_incidents(tmp_path: Path) -> None:
    doc = json.loads(
        render(build_timeline(bundle(tmp_path), Config()), RenderOptions("json"), Config())
    )
    shown = [e["summary"] for e in doc["events"]]
    assert any("SSL error calling api.acme.example" in s for s in shown), shown
    assert not any("Invoice PDF" in s for s in shown), shown
    reasons = doc["records"]["slack"]["omitted"]
    assert reasons == {"bot posts about other services in slack:#support-escalations": 1}, reasons


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("BlackboxProbeFailed: https://api.acme.example probe failing", {"api.acme.example"}),
        ("TLS on edge.eu-west-1.acme.io expired", {"edge.eu-west-1.acme.io"}),
        # negatives: a file name, an e-mail address's domain, a tool's own host, a version
        ("bad values.yaml in chart v2.3.0", set()),
        ("mail oncall@acme.example", set()),
        ("see https://grafana.acme.example/d/x", set()),
    ],
)
def test_hosts_are_dns_names_not_files_addresses_or_tools(text: str, found: set[str]) -> None:
    assert hosts([text], ["grafana.acme.example"]) == found
