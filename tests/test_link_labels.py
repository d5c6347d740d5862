"""Links a reader can tell apart and open (issue #11): each label says what the link opens, no
row shows two links with the same label, no link opens an API endpoint, and links written in
message text stay links (http and https only)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors.pagerduty.parse import parse as parse_pagerduty
from reconstruct.collectors.slack.parse import parse as parse_slack
from reconstruct.collectors.textlinks import url_label
from reconstruct.config import Config
from reconstruct.model import Event, Incident, Kind, Link, Timeline, Window
from reconstruct.pipeline import build_timeline, demo_bundle_path
from reconstruct.render import RenderOptions, render
from reconstruct.render.prepare import distinct_labels

T0 = datetime(2026, 3, 14, 9, 42, tzinfo=UTC)
WINDOW = Window(T0 - timedelta(hours=1), T0 + timedelta(hours=2), T0 - timedelta(days=14))
LABELS = re.compile(
    r"^(PD (alert|log entry|note|incident)|#[\w-]+|PR #\d+|deploy run|deployments"
    r"|PD (push|SMS|phone|email) notification|PD alert [\w.:-]+( [\w.:-]+)?"
    r"|PD (trigger|assignment|reassignment|escalation|acknowledgement|resolution)"
    r"|commit [0-9a-f]{7}|Grafana (panel|dashboard|annotations|alert rules?|silence)"
    r"|[a-z0-9.-]+\.[a-z]+)( \(start\))?( \(\d+\))?$"
)


def test_demo_links_have_distinct_labels_that_say_what_they_open() -> None:
    timeline = build_timeline(Bundle.open(demo_bundle_path()), Config())
    doc = json.loads(render(timeline, RenderOptions(fmt="json"), Config()))
    for event in doc["events"]:
        labels = [link["label"] for link in event["links"]]
        assert len(labels) == len(set(labels)), event
        for link in event["links"]:
            assert LABELS.match(link["label"]), link
            assert "/api/" not in link["url"] and "api." not in link["url"], link
            assert link["url"].startswith("https://")
    trigger = next(e for e in doc["events"] if "triggered" in e["summary"])
    assert [ln["label"] for ln in trigger["links"]] == [
        "PD alert",
        "PD log entry",
        "PD incident",
        "#inc-4821",
    ]
    declare = next(e for e in doc["events"] if "Declaring a SEV-1" in e["summary"])
    # The bridge behind "<https://meet.acme.example/inc-4821|bridge>" stays a link.
    assert declare["links"][1] == {
        "source": "slack",
        "url": "https://meet.acme.example/inc-4821",
        "label": "meet.acme.example",
    }


def test_a_row_never_shows_two_links_with_the_same_label() -> None:
    event = Event(
        time=T0,
        kind=Kind.PAGE,
        summary="Paged Priya Raman by push and by phone",
        sources=("pagerduty",),
        links=(
            Link(
                "pagerduty",
                "https://acme.pagerduty.com/incidents/Q1/log_entries/R1",
                "PD log entry",
            ),
            Link(
                "pagerduty",
                "https://acme.pagerduty.com/incidents/Q1/log_entries/R2",
                "PD log entry",
            ),
            Link(
                "pagerduty",
                "https://acme.pagerduty.com/incidents/Q1/log_entries/R2",
                "PD log entry",
            ),
            Link("slack", "https://acme.slack.com/archives/C1/p1", ""),
            Link("slack", "https://acme.slack.com/archives/C1/p2", ""),
        ),
        key="pagerduty:log_entry:R1",
        reason="responder paged",
    )
    incident = Incident("Q1", 4711, "Checkout errors", None, (), T0, None, None)
    timeline = Timeline(incident, WINDOW, (event,))
    text = render(timeline, RenderOptions(timeline_only=True), Config())
    row = next(line for line in text.splitlines() if line.startswith("| 09:42"))
    assert re.findall(r"\[([^\]]+)\]\(", row) == [
        "PD log entry",
        "PD log entry (2)",
        "slack",
        "slack (2)",
    ]


def test_url_labels() -> None:
    assert url_label("https://github.com/acme/checkout/pull/1203") == "PR #1203"
    assert url_label("https://ghe.acme.corp/acme/checkout/commit/9C1E7A4F0B") == "commit 9c1e7a4"
    assert url_label("https://acme.pagerduty.com/incidents/Q3CKSTMPD1") == "PD incident"
    assert url_label("https://acme.pagerduty.com/alerts/QXUSOC") == "PD alert"
    assert url_label("https://g.acme.example/d/chk/overview?viewPanel=panel-4") == "Grafana panel"
    assert url_label("https://www.runbooks.acme.example/checkout#5xx") == "runbooks.acme.example"
    # a notification's GeneratorURL and SilenceURL (Grafana's notification template reference)
    rule = "https://g.acme.example/alerting/grafana/ce2k9rq5xj0g0c/view?orgId=1"
    assert url_label(rule) == "Grafana alert rule"
    assert url_label("https://g.acme.example/alerting/prom-1/HighLatency/view") == (
        "Grafana alert rule"
    )
    silence = "https://g.acme.example/alerting/silence/new?alertmanager=grafana&matcher=a%3Db"
    assert url_label(silence) == "Grafana silence"
    # the rule URL of Grafana's notifiers (a Slack title link, a PagerDuty client_url)
    assert url_label("https://g.acme.example/alerting/list") == "Grafana alert rules"
    assert url_label("https://g.acme.example/grafana/alerting/list/?search=x") == (
        "g.acme.example"  # under a sub-path the path alone no longer says it is Grafana
    )
    assert url_label("https://g.acme.example/alerting/groups") == "Grafana alert groups"
    assert url_label("https://status.acme.example/alerting/lists") == "status.acme.example"
    assert url_label("https://docs.google.com/document/d/1abc/edit") == "docs.google.com"


def _write(tmp_path: Path, files: dict[str, list[object]], meta: dict[str, object]) -> Bundle:
    with BundleWriter(tmp_path / "b", "Q1") as writer:
        for rel, pages in files.items():
            writer.add(rel, pages)
        writer.set_source("pagerduty", "ok")
        writer.set_source("slack", "ok", meta=meta)
        writer.finish(WINDOW, T0)
    return Bundle.open(tmp_path / "b")


def test_pagerduty_links_open_web_pages_never_the_rest_api(tmp_path: Path) -> None:
    incident = {  # an incident record without html_url: "self" is the REST API's address
        "id": "Q1",
        "incident_number": 4711,
        "created_at": "2026-03-14T09:42:00Z",
        "self": "https://api.pagerduty.com/incidents/Q1",
    }
    entries = [
        {
            "id": "R1",
            "type": "acknowledge_log_entry",
            "created_at": "2026-03-14T09:44:00Z",
            "html_url": "https://acme.pagerduty.com/incidents/Q1/log_entries/R1",
            "agent": {"id": "PU1", "type": "user_reference", "summary": "Priya Raman"},
        },
        {"id": "R2", "type": "resolve_log_entry", "created_at": "2026-03-14T10:29:00Z"},
    ]
    notes = [{"id": "N1", "created_at": "2026-03-14T09:50:00Z", "content": "failing over"}]
    bundle = _write(
        tmp_path,
        {
            "pagerduty/incident.json": [{"incident": incident}],
            "pagerduty/log_entries.json": [{"log_entries": entries}],
            "pagerduty/notes.json": [{"notes": notes}],
        },
        {},
    )
    events = {e.key: e for e in parse_pagerduty(bundle)}
    assert events["pagerduty:log_entry:R1"].links == (
        Link("pagerduty", "https://acme.pagerduty.com/incidents/Q1/log_entries/R1", "PD log entry"),
    )
    assert events["pagerduty:log_entry:R2"].links == ()
    assert events["pagerduty:note:N1"].links == ()


def test_slack_links_are_labelled_by_channel_and_text_links_are_http_only(tmp_path: Path) -> None:
    message = {
        "type": "message",
        "ts": "1773481700.328011",
        "user": "U1",
        "text": "bridge: <https://meet.acme.example/inc-4711|bridge>, runbook "
        "<https://wiki.acme.example/runbooks/checkout>, <javascript:alert(1)|click>, "
        "<mailto:oncall@acme.example|mail>",
    }
    bundle = _write(
        tmp_path,
        {"slack/C0INC/conversations.history.json": [{"messages": [message]}]},
        {"workspace_url": "https://acme.slack.com/", "channels": {"C0INC": "inc-4711"}},
    )
    (event,) = parse_slack(bundle)
    assert event.links == (
        Link("slack", "https://acme.slack.com/archives/C0INC/p1773481700328011", "#inc-4711"),
        Link("slack", "https://meet.acme.example/inc-4711", "meet.acme.example"),
        Link("slack", "https://wiki.acme.example/runbooks/checkout", "wiki.acme.example"),
    )


def test_a_pagerduty_note_keeps_the_links_written_in_it(tmp_path: Path) -> None:
    incident = {
        "id": "Q1",
        "incident_number": 4711,
        "created_at": "2026-03-14T09:42:00Z",
        "html_url": "https://acme.pagerduty.com/incidents/Q1",
    }
    notes = [
        {
            "id": "N1",
            "created_at": "2026-03-14T09:50:00Z",
            "content": "Runbook: https://wiki.acme.example/runbooks/checkout-5xx. Failing over.",
        }
    ]
    bundle = _write(
        tmp_path,
        {
            "pagerduty/incident.json": [{"incident": incident}],
            "pagerduty/log_entries.json": [{"log_entries": []}],
            "pagerduty/notes.json": [{"notes": notes}],
        },
        {},
    )
    (note,) = parse_pagerduty(bundle)
    assert note.links == (
        Link("pagerduty", "https://acme.pagerduty.com/incidents/Q1", "PD note"),
        Link("pagerduty", "https://wiki.acme.example/runbooks/checkout-5xx", "wiki.acme.example"),
    )


def test_a_team_template_reads_the_accounting(tmp_path: Path) -> None:
    template = tmp_path / "team.md.j2"
    template.write_text(
        "{% for source, a in coverage.accounts %}"
        "{{ source }}: {{ a.shown }}/{{ a.collected }}"
        "{% for reason, n in a.omitted.items() %}; {{ n }} {{ reason }}{% endfor %}\n"
        "{% endfor %}",
        encoding="utf-8",
    )
    timeline = build_timeline(Bundle.open(demo_bundle_path()), Config())
    text = render(timeline, RenderOptions(template=template), Config())
    assert "grafana: 5/5\n" in text
    assert "slack: 16/54; 2 bot posts about other services in slack:#deploys;" in text


# -- links of one label named for what each is (#11) ---------------------------------------------
def _pd_alert(n: int, subject: str, labels: dict[str, str]) -> dict[str, object]:
    """One alert of ``GET /incidents/{id}/alerts`` as Grafana's PagerDuty notifier sends it: the
    default ``__subject`` as ``summary``, ``custom_details.firing`` listing the labels."""
    from tests.test_pd_alert_subject import alert

    record = alert(subject, labels)
    record.update(
        id=f"QALRT00{n}",
        html_url=f"https://acme.pagerduty.com/alerts/QALRT00{n}",
        alert_key=f"k{n}",
    )
    return record


def test_links_sharing_a_label_are_named_for_what_each_opens(tmp_path: Path) -> None:
    """The trigger's row links the incident's alerts: "PD alert RedisMemoryHigh redis-1", not
    "PD alert (2)"; a page row's log entries by what each is; the number is the last resort."""
    from tests.test_rows import timeline, trigger
    from tests.test_rows_series import page

    alerts = [
        _pd_alert(1, "[FIRING:1] RedisMemoryHigh (redis-1 prod)",
                  {"alertname": "RedisMemoryHigh", "instance": "redis-1", "cluster": "prod"}),
        _pd_alert(2, "[FIRING:1] RedisMemoryHigh (redis-2 prod)",
                  {"alertname": "RedisMemoryHigh", "instance": "redis-2", "cluster": "prod"}),
        _pd_alert(3, "[FIRING:1] UpstreamTimeouts checkout (critical)",
                  {"alertname": "UpstreamTimeouts", "service": "checkout"}),
    ]  # fmt: skip
    entries = [trigger(), page(0.2, "Priya Raman", "push_notification"),
               page(0.4, "Priya Raman", "phone_notification")]  # fmt: skip
    for record in alerts:  # the alerts the trigger opened the incident with
        record["first_trigger_log_entry"] = {"id": entries[0]["id"], "type": "trigger_log_entry"}
    tl = timeline(tmp_path, entries, [], [], [], alerts)
    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    rows = {e["summary"]: [ln["label"] for ln in e["links"]] for e in doc["events"]}
    triggered = next(labels for text, labels in rows.items() if "triggered" in text)
    assert triggered[1:] == [
        "PD alert RedisMemoryHigh redis-1",
        "PD alert RedisMemoryHigh redis-2",
        "PD alert UpstreamTimeouts",
    ], triggered
    assert rows["Paged Priya Raman by push and phone"] == [
        "PD push notification",
        "PD phone notification",
    ]
    md = render(tl, RenderOptions(timeline_only=True), Config())
    assert "[PD alert RedisMemoryHigh redis-2](https://acme.pagerduty.com/alerts/QALRT002)" in md


def test_links_a_detail_cannot_tell_apart_are_numbered(tmp_path: Path) -> None:
    """Two alerts of one rule naming no instance, two push devices at one second: their details
    are the same, so the row numbers them, as before."""
    from tests.test_rows import timeline, trigger
    from tests.test_rows_series import page

    alerts = [
        _pd_alert(1, "[FIRING:1] RedisMemoryHigh (prod)", {"alertname": "RedisMemoryHigh"}),
        _pd_alert(2, "[FIRING:1] RedisMemoryHigh (prod)", {"alertname": "RedisMemoryHigh"}),
    ]
    entries = [trigger(), page(0.2, "Priya Raman", "push_notification", address="Pixel 9"),
               page(0.2, "Priya Raman", "push_notification", address="iPad")]  # fmt: skip
    for record in alerts:
        record["first_trigger_log_entry"] = {"id": entries[0]["id"], "type": "trigger_log_entry"}
    tl = timeline(tmp_path, entries, [], [], [], alerts)
    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    rows = {e["summary"]: [ln["label"] for ln in e["links"]] for e in doc["events"]}
    triggered = next(labels for text, labels in rows.items() if "triggered" in text)
    assert triggered[1:] == ["PD alert", "PD alert (2)"], triggered
    (paged,) = [labels for text, labels in rows.items() if text.startswith("Paged Priya")]
    assert paged == ["PD log entry", "PD log entry (2)"], rows


def test_two_links_to_one_channel_on_a_row_say_whose_post_each_is(tmp_path: Path) -> None:
    """A person's message and the PagerDuty app's post of the same note (``bot_id``,
    ``bot_profile.name``), one row: "#inc-4711 message" and "#inc-4711 PagerDuty post", never
    "#inc-4711" and "#inc-4711 (2)"; a thread reply says so."""
    messages = [
        {"type": "message", "ts": "1773481700.328011", "user": "U1", "text": "declaring SEV-1"},
        {"type": "message", "ts": "1773481702.000100", "bot_id": "B0PD", "text": "note added",
         "bot_profile": {"id": "B0PD", "name": "PagerDuty"}},
        {"type": "message", "ts": "1773481703.000200", "user": "U2", "text": "on it",
         "thread_ts": "1773481700.328011"},
    ]  # fmt: skip
    bundle = _write(
        tmp_path,
        {"slack/C0INC/conversations.history.json": [{"messages": messages}]},
        {"workspace_url": "https://acme.slack.com/", "channels": {"C0INC": "inc-4711"}},
    )
    events = sorted(parse_slack(bundle), key=lambda e: e.time)
    links = [e.links[0] for e in events]
    assert [ln.label for ln in links] == ["#inc-4711"] * 3
    assert [ln.detail for ln in links] == [
        "#inc-4711 message",
        "#inc-4711 PagerDuty post",
        "#inc-4711 thread reply",
    ]
    shown = distinct_labels(links[:2])
    assert [ln.label for ln in shown] == ["#inc-4711 message", "#inc-4711 PagerDuty post"]
