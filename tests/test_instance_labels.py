"""Which label names an alert's instance when none of ``INSTANCE_KEYS`` does (#11): within one
rule's records, a label whose value differs between them (an alert instance is its label set:
Alertmanager's fingerprint, Grafana's alert instance); one constant on every record, a measured
value, a notifier's field or an annotation names nothing.

Inputs: Grafana ``GET /api/annotations`` alert state items as unified alerting writes them
(``historian.buildAnnotationTextAndData``: ``"<title> {<labels.String()>} - B=<%f>"``; since
Grafana 12 also ``tags`` ``"<key>:<value>"``, ``convertLabelsToTags``), and PagerDuty alerts whose
``body.details`` is Alertmanager's default ``custom_details`` (``firing``: the
``__text_alert_list`` template, ``Labels:`` then ``Annotations:``, `` - <name> = <value>`` per
line; ``num_firing``, ``num_resolved``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconstruct.config import CollapseConfig, Config
from tests.test_rows import INC_ID, INC_URL, PD, alert_state, iso, one, texts, timeline, trigger, ts

RULE = "UpstreamConnectErrors"
SERVICES = ["checkout-api", "orders-api", "payments-api", "search-api", "cart-api", "auth-gw"]


def state(
    minutes: float, labels: str, prev: str = "Normal", new: str = "Alerting", rule: str = RULE
) -> dict[str, Any]:
    record = alert_state(minutes, rule, prev, new)
    record["text"] = f"{rule} {{alertname={rule}, grafana_folder=DNS, {labels}}} - B=0.120000"
    return record


def test_a_storm_labelled_by_service_is_named_per_service(tmp_path: Path) -> None:
    storm = [state(1 + 0.1 * n, f"service={s}") for n, s in enumerate(SERVICES)]
    storm += [
        state(30 + 0.1 * n, f"service={s}", "Alerting", "Normal") for n, s in enumerate(SERVICES)
    ]
    tl = timeline(tmp_path, [trigger(0)], [], [], storm)
    first = one(tl, "firing by")
    assert first.summary == (
        f"Grafana alert {RULE} (service=checkout-api) firing; 6 services firing by 09:43"
    )
    assert one(tl, "this one last").summary.endswith(
        "; all 6 services cleared, this one last, at 10:12"
    )


def test_each_row_names_its_upstream_when_expanded(tmp_path: Path) -> None:
    """Any label a rule's author chose, not a list of names: ``upstream``."""
    storm = [state(1 + 0.1 * n, f"upstream=10.40.0.{50 + n}") for n in range(4)]
    config = Config(collapse=CollapseConfig(expand=True))
    tl = timeline(tmp_path, [trigger(0)], [], [], storm, config=config)
    rows = [t for t in texts(tl) if RULE in t]
    assert rows == [f"Grafana alert {RULE} (upstream=10.40.0.{50 + n}) firing" for n in range(4)]


def test_a_label_constant_on_every_record_names_nothing(tmp_path: Path) -> None:
    storm = [state(1 + 0.1 * n, "team=dns, severity=page") for n in range(4)]
    config = Config(collapse=CollapseConfig(expand=True))
    tl = timeline(tmp_path, [trigger(0)], [], [], storm, config=config)
    rows = [e for e in tl.events if RULE in e.summary]
    assert [e.summary for e in rows] == [f"Grafana alert {RULE} firing"] * 4
    assert not any(t.startswith(("label:", "alertlabel:")) for e in rows for t in e.tags)


def test_a_pod_label_wins_over_any_other(tmp_path: Path) -> None:
    """With an ``INSTANCE_KEYS`` label the rule's instances are named by it alone."""
    storm = [state(1 + 0.1 * n, f"pod=web-{n}, service={SERVICES[n]}") for n in range(4)]
    tl = timeline(tmp_path, [trigger(0)], [], [], storm)
    assert one(tl, "firing by").summary.startswith(f"Grafana alert {RULE} (pod=web-0) firing")
    assert "4 pods firing by" in one(tl, "firing by").summary


def test_a_measured_value_in_a_label_names_nothing(tmp_path: Path) -> None:
    """A label holding the query's value changes every evaluation (Grafana's docs warn against
    it): no instance."""
    storm = [state(1 + 0.1 * n, f"ratio=0.9{n}") for n in range(4)]
    config = Config(collapse=CollapseConfig(expand=True))
    tl = timeline(tmp_path, [trigger(0)], [], [], storm, config=config)
    assert [t for t in texts(tl) if RULE in t] == [f"Grafana alert {RULE} firing"] * 4


def test_grafana_12s_label_tags_name_the_instance_when_the_text_has_none(tmp_path: Path) -> None:
    records = []
    for n, service in enumerate(SERVICES[:3]):
        record = alert_state(1 + 0.1 * n, RULE, "Normal", "Alerting")
        record["text"] = f"{RULE} - B=0.120000"
        record["tags"] = [f"alertname:{RULE}", "grafana_folder:DNS", f"service:{service}"]
        records.append(record)
    config = Config(collapse=CollapseConfig(expand=True))
    tl = timeline(tmp_path, [trigger(0)], [], [], records, config=config)
    rows = [t for t in texts(tl) if RULE in t]
    assert rows[0] == f"Grafana alert {RULE} (service=checkout-api) firing", rows


def pd_alert(n: int, minutes: float, upstream: str) -> dict[str, Any]:
    """An alert of ``GET /incidents/{id}/alerts`` raised by Alertmanager's PagerDuty notifier:
    ``details`` = its default ``custom_details`` (``firing`` = ``__text_alert_list``)."""
    firing = (
        f"Labels:\n - alertname = {RULE}\n - severity = critical\n - upstream = {upstream}\n"
        f"Annotations:\n - summary = {n + 3} connect errors/s\n"
        f"Source: http://prometheus:9090/graph?g0.expr=up\n"
    )
    return {
        "id": f"QAL{n:04d}",
        "type": "alert",
        "summary": f"[FIRING:1] {RULE} critical",
        "created_at": iso(minutes),
        "html_url": f"{PD}/alerts/QAL{n:04d}",
        "status": "resolved",
        "alert_key": f"k-{n}",
        "severity": "critical",
        "first_trigger_log_entry": {
            "id": f"RTRIG{n:04d}",
            "type": "trigger_log_entry_reference",
            "html_url": f"{INC_URL}/log_entries/RTRIG{n:04d}",
        },
        "incident": {"id": INC_ID, "type": "incident_reference"},
        "body": {
            "type": "alert_body",
            "details": {
                "firing": firing,
                "num_firing": str(n + 1),
                "num_resolved": "0",
                "resolved": "",
            },
        },
    }


def test_alertmanagers_pagerduty_alerts_are_named_by_their_differing_label(tmp_path: Path) -> None:
    """``upstream`` differs between the alerts: it names them; ``severity`` is constant, and
    the annotation ``summary`` and ``num_firing`` differ per notification, not per instance."""
    alerts = [pd_alert(n, 1 + 0.1 * n, f"10.40.0.{53 + n}") for n in range(4)]
    config = Config(collapse=CollapseConfig(expand=True))
    tl = timeline(tmp_path, [trigger(0)], [], [], [], alerts, config=config)
    rows = [e for e in tl.events if RULE in e.summary]
    assert len(rows) == 4, texts(tl)
    named = [sorted(t for t in e.tags if t.startswith("label:")) for e in rows]
    assert named == [[f"label:upstream=10.40.0.{53 + n}"] for n in range(4)], named
    # PagerDuty's "[FIRING:1] UpstreamConnectErrors critical" (Alertmanager's default subject)
    # reads as a rule and its state (``pagerduty.alertsubject``)
    assert rows[0].summary == (f"Alert {RULE} (upstream=10.40.0.53) firing"), (
        "the text says the instance after the rule's name"
    )


def slack_post(minutes: float, blocks: list[tuple[str, str]]) -> dict[str, Any]:
    """Alertmanager's Slack notifier with Grafana's default text: one attachment, ``title``
    ``[FIRING:n] <rule>``, ``text`` the ``__text_alert_list`` of each alert (``Value:``,
    ``Labels:``, ``Annotations:``)."""
    title = f"[FIRING:{len(blocks)}] {RULE} DNS"
    text = "**Firing**\n\n" + "".join(
        f"Value: B={minutes:.1f}\nLabels:\n - alertname = {RULE}\n - grafana_folder = DNS\n"
        f" - service = {service}\nAnnotations:\n - summary = {summary}\n"
        "Source: https://grafana.acme.example/alerting/grafana/abc/view\n\n"
        for service, summary in blocks
    )
    return {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B07GRFN2KLM",
        "username": "Grafana",
        "text": "",
        "ts": ts(minutes),
        "attachments": [{"id": 1, "title": title, "text": text, "fallback": title}],
    }


def test_chat_posts_of_one_alert_are_named_by_their_service(tmp_path: Path) -> None:
    """Each post of one alert names its ``service`` (it differs between the rule's posts); the
    ``summary`` annotation, different in every post, names nothing; a post of two alerts names
    no one service."""
    posts = [slack_post(1 + n, [(s, f"{n + 3} errors/s")]) for n, s in enumerate(SERVICES[:3])]
    posts.append(slack_post(5, [(SERVICES[3], "4 errors/s"), (SERVICES[4], "9 errors/s")]))
    config = Config(collapse=CollapseConfig(expand=True))
    tl = timeline(tmp_path, [trigger(0)], posts, [], [], config=config)
    rows = [e for e in tl.events if "slack" in e.sources and RULE in e.summary]
    named = [sorted(t for t in e.tags if t.startswith(("label:", "alertlabel:"))) for e in rows]
    assert named == [[f"label:service={s}"] for s in SERVICES[:3]] + [[]], named
