"""A PagerDuty alert raised by Grafana's (or Alertmanager's) PagerDuty notifier reads as the
dashboard's own rows do (#11): "Grafana alert IngressNode5xxHigh (node=..., zone=...) firing",
not "Alert (critical): [FIRING:1] IngressNode5xxHigh (gke-... europe-west1-b)".

Those notifiers send the Events API v2 ``payload.summary`` from the default ``__subject``
template, ``[FIRING:<n>[, RESOLVED:<m>]] <group label values> (<other common label values>)``,
and ``custom_details`` ``{"firing": "Labels:\\n - alertname = X\\n - node = ...", "num_firing":
..., "num_resolved": ...}`` (Grafana ``default_template.go``, ``pagerduty.go``); PagerDuty
serves them as the alert's ``summary`` and ``body.details`` (``GET /incidents/{id}/alerts``).
The inputs below are written in that shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.test_rows import INC_ID, iso, one, timeline, trigger

NODE, ZONE = "gke-prod-pool-b-5c1d9e00-bmxj", "europe-west1-b"
GRAFANA = {
    "id": "PGRAF77",
    "type": "events_api_v2_inbound_integration_reference",
    "summary": "Grafana",
}


def alert(
    summary: str,
    labels: dict[str, str] | None = None,
    integration: dict[str, str] | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One alert of ``GET /incidents/{id}/alerts``; ``labels`` as the notifier's
    ``custom_details.firing`` lists them."""
    body: dict[str, Any] = {"type": "alert_body", "contexts": []}
    if labels is not None:
        listed = "".join(f" - {k} = {v}\n" for k, v in sorted(labels.items()))
        body["details"] = {
            "firing": f"Value: B=0.31\nLabels:\n{listed}Annotations:\n",
            "num_firing": "1",
        }
    if details is not None:
        body["details"] = details
    out: dict[str, Any] = {
        "id": "QALRT001",
        "type": "alert",
        "summary": summary,
        "created_at": iso(1),
        "html_url": "https://acme.pagerduty.com/alerts/QALRT001",
        "status": "resolved",
        "alert_key": "k-1",
        "severity": "critical",
        "incident": {"id": INC_ID, "type": "incident_reference"},
        "body": body,
    }
    if integration is not None:
        out["integration"] = integration
    return out


def row_of(tmp_path: Path, record: dict[str, Any]) -> str:
    tl = timeline(tmp_path, [trigger()], [], [], [], [record])
    return one(tl, "lert").summary


GRAFANA_LABELS = {
    "alertname": "IngressNode5xxHigh",
    "grafana_folder": "Kubernetes",
    "node": NODE,
    "zone": ZONE,
    "severity": "critical",
}


@pytest.mark.parametrize(
    ("summary", "labels", "integration", "row"),
    [
        # Grafana's subject, its labels in the details: the rule, the instance labels by name
        (
            f"[FIRING:1] IngressNode5xxHigh ({NODE} critical {ZONE})",
            GRAFANA_LABELS,
            GRAFANA,
            f"Grafana alert IngressNode5xxHigh (node={NODE}, zone={ZONE}) firing",
        ),
        # grouped by folder and rule (Grafana's default group_by): values sorted by label name
        (
            f"[FIRING:1] IngressNode5xxHigh Kubernetes ({NODE} critical {ZONE})",
            GRAFANA_LABELS,
            None,  # no integration named: grafana_folder says Grafana
            f"Grafana alert IngressNode5xxHigh (node={NODE}, zone={ZONE}) firing",
        ),
        # a group of several: the count, no one instance
        (
            "[FIRING:3, RESOLVED:1] IngressNode5xxHigh Kubernetes (critical)",
            {"alertname": "IngressNode5xxHigh", "grafana_folder": "Kubernetes"},
            GRAFANA,
            "Grafana alert IngressNode5xxHigh firing (3 alerts, 1 resolved)",
        ),
        # a rule title of several words (Grafana rules are titled freely)
        (
            "[FIRING:1] Cache hit ratio Caches (cache-07)",
            {"alertname": "Cache hit ratio", "grafana_folder": "Caches", "pod": "cache-07"},
            GRAFANA,
            "Grafana alert Cache hit ratio (pod=cache-07) firing",
        ),
        # no labels in the details: the subject's values as written, the one group value its rule
        (
            f"[FIRING:1] IngressNode5xxHigh ({NODE} {ZONE})",
            None,
            GRAFANA,
            f"Grafana alert IngressNode5xxHigh ({NODE} {ZONE}) firing",
        ),
        # Alertmanager's subject (no grafana_folder, another integration): no tool is claimed
        (
            "[RESOLVED] KafkaLagHigh (orders kafka-2)",
            {"alertname": "KafkaLagHigh", "instance": "kafka-2", "topic": "orders"},
            {"id": "PAM1", "type": "events_api_v2_inbound_integration_reference", "summary": "AM"},
            "Alert KafkaLagHigh (instance=kafka-2) resolved",
        ),
        # Alertmanager's default route has no group_by: no group values, all in parentheses
        (
            "[FIRING:2]  (KafkaLagHigh kafka-2 orders)",
            {"alertname": "KafkaLagHigh", "instance": "kafka-2", "topic": "orders"},
            {"id": "PAM1", "type": "events_api_v2_inbound_integration_reference", "summary": "AM"},
            "Alert KafkaLagHigh (instance=kafka-2) firing (2 alerts)",
        ),
    ],
)
def test_the_default_subject_reads_as_the_dashboards_rows(
    tmp_path: Path,
    summary: str,
    labels: dict[str, str] | None,
    integration: dict[str, str] | None,
    row: str,
) -> None:
    assert row_of(tmp_path, alert(summary, labels, integration)) == row


@pytest.mark.parametrize(
    ("summary", "labels"),
    [
        # another integration's own words (Datadog's monitor title): kept
        ("[Triggered on {host:web-1}] CPU high", None),
        ("High CPU on web-1", {"host": "web-1"}),
        # several group values and no alertname label: which is the rule cannot be told
        ("[FIRING:1] IngressNode5xxHigh Kubernetes", None),
        # several words and no labels: which words are the rule cannot be told
        ("[FIRING:1] Cache hit ratio (cache-07)", None),
        # a rule title with parentheses: not the template's shape as this reads it
        ("[FIRING:1] Latency (p99) (cache-07)", {"alertname": "Latency (p99)"}),
        # an alertname the subject does not name: not this subject's rule
        ("[FIRING:1] SomethingElse (web-1)", {"alertname": "IngressNode5xxHigh"}),
    ],
)
def test_other_summaries_stay_as_they_are(
    tmp_path: Path, summary: str, labels: dict[str, str] | None
) -> None:
    assert row_of(tmp_path, alert(summary, labels, GRAFANA)) == f"Alert (critical): {summary}"
