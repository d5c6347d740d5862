"""The figures read every record of a collapsed series (``render.metrics``, Series).

Grafana ``GET /api/annotations`` state annotations of unified alerting (``alertName``,
``newState`` / ``prevState``, labels in ``text``) and a PagerDuty trigger log entry, written here
(``tests.test_row_storms`` shapes): a storm of one rule collapses into one row whose records both
fire and clear; its first firing, before anything else, is the detection and the impact start.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from reconstruct.render.metrics import compute, milestones
from reconstruct.render.story import milestones as story_milestones
from tests.test_row_storms import grafana_state, markdown
from tests.test_rows import T0, alert_state, timeline, trigger


def storm(first: float, pods: int = 6) -> list[dict[str, Any]]:
    """Pod 0 fires at ``first`` minutes, the others from minute -3; all clear from minute 3."""
    notes = [grafana_state(first, "payments-000", "Normal", "Alerting")]
    for k in range(1, pods):
        notes.append(grafana_state(-3 + 0.1 * k, f"payments-{k:03d}", "Normal", "Alerting"))
    for k in range(pods):
        notes.append(grafana_state(3 + 0.1 * k, f"payments-{k:03d}", "Alerting", "Normal"))
    return notes


def test_a_storms_first_firing_is_detection_and_its_clearings_count_at_their_times(
    tmp_path: Path,
) -> None:
    tl = timeline(tmp_path, [trigger()], [], [], storm(-8))
    assert any(e.members for e in tl.events), "the storm is a series row"
    marks = milestones(tl)
    assert marks.detected is not None and marks.detected.time == T0 - timedelta(minutes=8)
    assert marks.impact_start is not None and marks.impact_start.time == marks.detected.time
    figures = {m.key: m.seconds for m in compute(tl)}
    assert figures["time_to_detect_s"] == 0
    header = markdown(tl)
    assert "| 09:34 |" in header  # the 09:34 firing is a row the figure cites


def test_a_member_only_in_the_series_is_cited_through_its_row(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger()], [], [], storm(-2.5))
    kept = T0 - timedelta(minutes=3) + timedelta(seconds=6)  # pod 1: the first firing's row
    first = kept + timedelta(seconds=6)  # pod 2: the storm's next firing
    joined = next(e for e in tl.events if e.members)
    assert joined.time == kept and joined.members[0].time == kept
    marks = milestones(tl)
    assert marks.detected is not None and marks.detected.time == kept
    assert marks.detected.event is joined, "the figure cites the row of the table"
    # without the first firing's own record, the earliest firing is another member of the row
    alone = replace(joined, members=joined.members[1:])
    tl = replace(tl, events=tuple(alone if e is joined else e for e in tl.events))
    marks = milestones(tl)
    assert marks.detected is not None and marks.detected.time == first
    assert marks.detected.event is alone, "the figure cites the row of the table"
    assert marks.detected.record is not None and marks.detected.record.time == first
    assert not marks.detected.stated, "a member's own time is no time stated in a text"


def test_a_rule_that_fired_and_cleared_before_the_incident_is_still_a_blip(
    tmp_path: Path,
) -> None:
    blip = [
        alert_state(-20, "DiskFull", "Normal", "Alerting"),
        alert_state(-15, "DiskFull", "Alerting", "Normal"),
    ]
    tl = timeline(tmp_path, [trigger()], [], [], [*blip, *storm(-8)])
    marks = milestones(tl)
    assert marks.detected is not None and marks.detected.time == T0 - timedelta(minutes=8)
    assert marks.impact_start is not None and marks.impact_start.time == marks.detected.time


def test_the_pictures_recovery_is_the_last_clearing_record_not_the_series_row(
    tmp_path: Path,
) -> None:
    tl = timeline(tmp_path, [trigger()], [], [], storm(-2.5))
    series = next(e for e in tl.events if e.members)
    assert series.time < T0, "the storm's row sits at its first firing, before the incident"
    (recovered,) = [m for m in story_milestones(tl) if m.name == "recovered"]
    assert recovered.time == T0 + timedelta(minutes=3.5)  # the last pod back to normal
