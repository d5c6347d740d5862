"""Another service's alert rule that merely fired in the window is a named count, never a row,
the impact start or the detection (issue #11); from small bundles in each tool's wire format:
PagerDuty ``GET /incidents/{id}/alerts`` (``body.details`` with the Grafana labels), Grafana
``GET /api/annotations`` alert state annotations (``alertName``, ``dashboardUID``, ``panelId``,
``newState``/``prevState``), Slack ``conversations.history`` messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.config import Config
from reconstruct.model import Milestone, Timeline, Window
from reconstruct.pipeline import build_timeline
from reconstruct.render import RenderOptions, render
from reconstruct.render.metrics import milestones

T0 = datetime(2026, 11, 24, 9, 5, 2, tzinfo=UTC)
WINDOW = Window(T0 - timedelta(hours=1), T0 + timedelta(hours=2), T0 - timedelta(days=1))
INC, ALERTS = "C0INC7342", "C0ALRTEDGE"
KAFKA = "alerts of KafkaConsumerLagWarning, a rule not tied to this incident"


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def annotation(
    n: int, rule: str, when: datetime, state: str, *, dash: str, panel: int, labels: str
) -> dict[str, Any]:
    """A Grafana alert state annotation (``/api/annotations``, ``type=alert``)."""
    prev = "Normal" if state == "Alerting" else "Alerting"
    value = "C=1.000000" if state == "Alerting" else "C=0.000000"
    return {
        "id": n,
        "alertId": 0,
        "alertName": rule,
        "dashboardUID": dash,
        "panelId": panel,
        "newState": state,
        "prevState": prev,
        "time": ms(when),
        "timeEnd": ms(when),
        "text": f"{rule} {{alertname={rule}, {labels}}} - B=1.000000, {value}",
        "tags": [],
        "login": "",
    }


EDGE = "grafana_folder=Edge, instance=ams1-edge-01, service=edge-gateway, severity=critical"
BILLING = "consumer_group=billing-invoices, grafana_folder=Billing, severity=warning"


def edge(n: int, when: datetime, state: str) -> dict[str, Any]:
    return annotation(n, "EdgeHTTP403High", when, state, dash="edge-overview", panel=2, labels=EDGE)


def kafka(n: int, when: datetime, state: str, **over: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"dash": "billing-pipeline", "panel": 5, "labels": BILLING} | over
    return annotation(n, "KafkaConsumerLagWarning", when, state, **spec)


def pd_alert() -> dict[str, Any]:
    """The incident's alert, sent by Grafana's PagerDuty contact point (Events API v2)."""
    return {
        "id": "QEDGEALRT1",
        "type": "alert",
        "summary": "[FIRING:1] EdgeHTTP403High edge-gateway (Edge critical)",
        "html_url": "https://acme.pagerduty.com/alerts/QEDGEALRT1",
        "created_at": iso(T0),
        "status": "resolved",
        "alert_key": "edge403-0001",
        "severity": "critical",
        "service": {"id": "PEDGESV", "type": "service_reference", "summary": "edge-gateway"},
        "incident": {"id": "Q7EDGE42", "type": "incident_reference"},
        "body": {
            "type": "alert_body",
            "details": {
                "firing": "Value: B=0.31, C=1\nLabels:\n - alertname = EdgeHTTP403High\n"
                " - service = edge-gateway\n - severity = critical\n",
                "num_firing": "1",
                "num_resolved": "0",
            },
        },
        "integration": {"id": "PGRFN", "type": "events_api_v2_inbound_integration_reference"},
    }


def message(when: datetime, text: str, n: int = 0) -> dict[str, Any]:
    return {
        "type": "message",
        "ts": f"{int(when.timestamp())}.{n:06d}",
        "user": "U0RAJ",
        "text": text,
    }


def timeline(
    tmp_path: Path,
    annotations: list[dict[str, Any]],
    *,
    alerts: bool = True,
    title: str = "Mobile API 403s from eu-west edge POPs",
    slack: dict[str, list[dict[str, Any]]] | None = None,
) -> Timeline:
    writer = BundleWriter(tmp_path / "bundle", "Q7EDGE42")
    incident = {
        "id": "Q7EDGE42",
        "incident_number": 7342,
        "title": title,
        "status": "resolved",
        "created_at": iso(T0),
        "resolved_at": iso(T0 + timedelta(minutes=60)),
        "html_url": "https://acme.pagerduty.com/incidents/Q7EDGE42",
        "service": {"id": "PEDGESV", "type": "service_reference", "summary": "edge-gateway"},
    }
    writer.add("pagerduty/incident.json", [{"incident": incident}])
    writer.add("pagerduty/log_entries.json", [{"log_entries": []}])
    writer.add("pagerduty/alerts.json", [{"alerts": [pd_alert()] if alerts else []}])
    writer.add("pagerduty/notes.json", [{"notes": []}])
    writer.set_source("pagerduty", "ok")
    for channel, messages in (slack or {}).items():
        writer.add(f"slack/{channel}/conversations.history.json", [{"messages": messages}])
    writer.set_source(
        "slack",
        "ok",
        meta={
            "workspace_url": "https://acme.slack.com/",
            "incident_channel": INC,
            "channels": {INC: "inc-7342", ALERTS: "alerts-edge"},
        },
    )
    writer.add("grafana/annotations.json", [annotations])
    writer.set_source("grafana", "ok", meta={"url": "https://grafana.acme.example"})
    path = writer.finish(WINDOW, T0 + timedelta(days=1))
    return build_timeline(Bundle.open(path), Config())


def storm(extra: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The incident's rule firing at 09:04:10 and clearing at 09:36, plus ``extra``."""
    return [
        edge(1, T0 - timedelta(seconds=52), "Alerting"),
        edge(2, T0 + timedelta(minutes=31), "Normal"),
        *extra,
    ]


def flapping(**over: Any) -> list[dict[str, Any]]:
    """KafkaConsumerLagWarning firing 70 s before the incident's rule, clearing, firing again."""
    first = T0 - timedelta(seconds=52 + 70)
    return [
        kafka(10, first, "Alerting", **over),
        kafka(11, first + timedelta(minutes=5), "Normal", **over),
        kafka(12, first + timedelta(minutes=20), "Alerting", **over),
        kafka(13, first + timedelta(minutes=25), "Normal", **over),
    ]


def kafka_rows(tl: Timeline) -> list[str]:
    return [e.summary for e in tl.events if "KafkaConsumerLagWarning" in e.summary]


def test_another_services_rule_on_another_dashboard_is_a_named_count(tmp_path: Path) -> None:
    slack = {ALERTS: [message(T0 - timedelta(minutes=1), "KafkaConsumerLagWarning again, ignore")]}
    tl = timeline(tmp_path, storm(flapping()), slack=slack)
    assert kafka_rows(tl) == []
    assert tl.accounts["grafana"].omitted == {KAFKA: 4}
    assert [e.reason for e in tl.set_aside] == [KAFKA] * 4
    marks = milestones(tl)
    detected, impact = marks.get(Milestone.DETECTED), marks.get(Milestone.IMPACT_START)
    assert detected is not None and impact is not None
    assert detected.time == impact.time == T0 - timedelta(seconds=52)
    for account in tl.accounts.values():
        assert account.shown + sum(account.omitted.values()) == account.collected


def test_rule_named_in_the_incident_title_ties_it_without_incident_alerts(tmp_path: Path) -> None:
    tl = timeline(tmp_path, storm(flapping()), alerts=False, title="EdgeHTTP403High: mobile 403s")
    assert kafka_rows(tl) == []


def test_without_a_tied_rule_nothing_is_set_aside(tmp_path: Path) -> None:
    tl = timeline(tmp_path, storm(flapping()), alerts=False)
    assert kafka_rows(tl) != []
    assert tl.set_aside == ()


def test_a_rule_on_the_tied_rules_dashboard_stays_a_row(tmp_path: Path) -> None:
    tl = timeline(tmp_path, storm(flapping(dash="edge-overview", panel=7)))
    assert kafka_rows(tl) != []
    assert tl.set_aside == ()


def test_a_rule_whose_labels_name_the_service_stays_a_row(tmp_path: Path) -> None:
    labels = "consumer_group=billing-invoices, service=edge-gateway, severity=warning"
    tl = timeline(tmp_path, storm(flapping(labels=labels)))
    assert kafka_rows(tl) != []


def test_a_rule_a_responder_names_stays_a_row(tmp_path: Path) -> None:
    said = message(T0 + timedelta(minutes=3), "KafkaConsumerLagWarning fired too, checking it")
    tl = timeline(tmp_path, storm(flapping()), slack={INC: [said]})
    assert kafka_rows(tl) != []
    assert tl.set_aside == ()


def test_a_rule_whose_pods_are_named_after_the_service_stays_a_row(tmp_path: Path) -> None:
    labels = "pod=edge-gateway-7c9d8f-00, severity=warning"
    tl = timeline(tmp_path, storm(flapping(labels=labels)))
    assert kafka_rows(tl) != []


def test_a_rule_whose_bot_notification_names_the_service_stays_a_row(tmp_path: Path) -> None:
    post = {
        "type": "message",
        "subtype": "bot_message",
        "ts": f"{int((T0 - timedelta(seconds=100)).timestamp())}.000100",
        "bot_id": "B0GRAFANA",
        "username": "Grafana",
        "text": "[FIRING:1] KafkaConsumerLagWarning edge-gateway (Billing warning)",
    }
    tl = timeline(tmp_path, storm(flapping()), slack={ALERTS: [post]})
    assert kafka_rows(tl) != []


def test_the_count_is_explained_in_why_and_listed_in_json(tmp_path: Path) -> None:
    tl = timeline(tmp_path, storm(flapping()))
    why = render(tl, RenderOptions(fmt="markdown", why=True), Config())
    assert "(alerts of a rule not tied to the incident: no incident alert carries it" in why
    assert "window_changes" not in why  # no setting shows them
    assert why.count("Grafana alert KafkaConsumerLagWarning") == 4
    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    assert [r["reason"] for r in doc["set_aside"]] == [KAFKA] * 4
    assert "KafkaConsumerLagWarning" not in json.dumps(doc["events"])
