"""Every alert state and state reason Grafana's alerting writes, worded for what it means.

Unified alerting writes ``newState``/``prevState`` as ``eval.State`` (Normal, Alerting, Pending,
NoData, Error, Recovering) with an optional ``(reason)``: ``models.StateReason*`` (MissingSeries,
NoData, Error, Paused, Updated, RuleDeleted, KeepLast; ``FormatStateAndReason``, several joined
with ", "). Legacy alerting wrote lower-case alerting, ok, no_data, pending, paused, unknown.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconstruct.model import Kind
from tests.fakes.grafana import alert, annotation
from tests.test_grafana import MIN, MS0, events_of

FIRING, RESOLVED, NOTE = "firing", "resolved", None


@pytest.mark.parametrize(
    ("prev", "new", "summary", "merges_as"),
    [
        ("Normal", "Alerting", "Lag firing", FIRING),
        ("Pending", "Alerting", "Lag firing", FIRING),
        ("Normal", "Alerting (NoData)", "Lag firing (no data)", FIRING),
        ("Normal", "Alerting (Error)", "Lag firing (query error)", FIRING),
        (
            "Alerting",
            "Alerting (NoData, KeepLast)",
            "Lag still firing (no data, last state kept)",
            NOTE,
        ),
        ("Alerting", "Alerting (Paused)", "Lag still firing, rule paused", NOTE),
        ("Alerting", "Normal", "Lag resolved", RESOLVED),
        ("Recovering", "Normal", "Lag resolved", RESOLVED),
        ("Alerting", "Normal (MissingSeries)", "Lag resolved (its series disappeared)", RESOLVED),
        ("NoData", "Normal (NoData)", "Lag resolved (no data)", RESOLVED),
        ("Alerting", "Normal (Paused)", "Lag stopped: rule paused (was firing)", NOTE),
        ("Alerting", "Normal (Updated)", "Lag stopped: rule updated (was firing)", NOTE),
        ("Alerting", "Normal (RuleDeleted)", "Lag stopped: rule deleted (was firing)", NOTE),
        ("Normal", "Normal (MissingSeries)", "Lag normal (its series disappeared)", NOTE),
        ("Pending", "Normal", "Lag back to normal without firing (never fired)", NOTE),
        # a pending series gone (manager.deleteStaleStatesFromCache: Normal, MissingSeries)
        (
            "Pending",
            "Normal (MissingSeries)",
            "Lag back to normal without firing (never fired)",
            NOTE,
        ),
        ("Normal", "Pending", "Lag pending (condition met, not firing yet)", NOTE),
        ("Normal", "NoData", "Lag no data (the query returned no data)", NOTE),
        ("Normal", "Error", "Lag evaluation error (the query or expression failed)", NOTE),
        (
            "Alerting",
            "Recovering",
            "Lag recovering (condition cleared, firing until its keep-firing period ends)",
            NOTE,
        ),
        # legacy alerting
        ("", "alerting", "Lag firing", FIRING),
        ("", "ok", "Lag resolved", RESOLVED),
        ("ok", "no_data", "Lag no data (the query returned no data)", NOTE),
        ("ok", "pending", "Lag pending (condition met, not firing yet)", NOTE),
        ("alerting", "paused", "Lag paused", NOTE),
        ("", "unknown", "Lag in an unknown state", NOTE),
    ],
)
def test_state_is_worded_for_what_it_means(
    tmp_path: Path, prev: str, new: str, summary: str, merges_as: str | None
) -> None:
    (event,) = events_of(tmp_path, alert(1, MS0, "Lag", new, prev))
    assert event.summary == f"Grafana alert {summary}"
    if merges_as is None:
        assert event.kind is Kind.ANNOTATION and event.refs == frozenset()
    else:
        assert event.kind is Kind.ALERT and event.refs == {f"rule:lag:{merges_as}"}
    base = new.split("(")[0].strip().lower().replace("_", "")
    stopped = {"stopped"} if any(r in new for r in ("Paused", "Updated", "RuleDeleted")) else set()
    never = {"never-fired"} if prev.lower() == "pending" and base in ("normal", "ok") else set()
    # the rule's name, every state; a reset of the rule tagged (never a re-evaluation); a return
    # to normal from Pending tagged: it never fired
    assert event.tags == {f"state:{base}", "alertname:Lag", *stopped, *never}


def test_a_region_keeps_its_end_for_the_normalizer(tmp_path: Path) -> None:
    (event,) = events_of(tmp_path, annotation(1, MS0, "Load test", time_end=MS0 + 90 * MIN))
    assert event.tags == {"region", "until:2026-03-14T10:30:00Z"}


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        # Go's %f, as buildAnnotationTextAndData (ngalert/state/historian/annotation.go) writes
        ("B=0.600000, C=1.000000", "B=0.6, C=1"),
        ("A=0.912000, B=0.000000", "A=0.912, B=0"),
        ("B=1500000000.000000", "B=1500000000"),
        ("B=-3.250000, C=100.050000", "B=-3.25, C=100.05"),
        ("B=NaN, C=+Inf", "B=NaN, C=+Inf"),
        ("Error", "Error"),
        ("No data", "No data"),
    ],
)
def test_a_state_annotations_values_read_as_the_alert_notification_prints_them(
    tmp_path: Path, values: str, shown: str
) -> None:
    """The values are no words of the row (an author deletes ``(A=0)``): a tag JSON keeps."""
    text = f"Lag {{alertname=Lag, grafana_folder=Kafka, instance=broker-3}} - {values}"
    (event,) = events_of(tmp_path, alert(1, MS0, "Lag", "Alerting", "Normal", text=text))
    assert event.summary == "Grafana alert Lag (instance=broker-3) firing"
    assert f"values:{shown}" in event.tags


@pytest.mark.parametrize(
    ("labels", "shown"),
    [
        ("alertname=ImgCheck, grafana_folder=CDN, region=eu, severity=critical", "region=eu"),
        ("alertname=ImgCheck, instance=https://img.acme.example, job=img, probe=Frankfurt",
         "instance=https://img.acme.example, probe=Frankfurt"),
        ("alertname=ImgCheck, cluster=prod-2, team=cdn, zone=us-east-1a",
         "zone=us-east-1a, cluster=prod-2"),
    ],
)  # fmt: skip
def test_a_rows_instance_names_the_place_its_labels_name(
    tmp_path: Path, labels: str, shown: str
) -> None:
    text = f"ImgCheck {{{labels}}} - B=1.000000"
    (event,) = events_of(tmp_path, alert(1, MS0, "ImgCheck", "Alerting", "Normal", text=text))
    assert event.summary == f"Grafana alert ImgCheck ({shown}) firing"
