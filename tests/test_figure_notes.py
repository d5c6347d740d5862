"""The figures' wording: exact to the second at any length, and a stated impact start names the
kind of record that stated it.

Inputs in the tools' wire formats, written here: PagerDuty log entries (``GET
/incidents/{id}/log_entries``: a trigger, a resolve by a user) and a Grafana annotation (``GET
/api/annotations``: a person's annotation, ``login`` / ``email`` set, ``alertId`` 0) saying when
impact started, with its zone.
"""

from __future__ import annotations

from pathlib import Path

from reconstruct.config import Config
from reconstruct.render import RenderOptions, render
from tests.test_rows import alert_state, annotation, entry, timeline, trigger, user


def header(tl: object) -> str:
    return render(tl, RenderOptions(), Config())  # type: ignore[arg-type]


def test_a_figure_over_an_hour_keeps_its_seconds(tmp_path: Path) -> None:
    resolved = entry("resolve", 95.2, agent=user("Kim Nguyen"), channel={"type": "website"})
    text = header(timeline(tmp_path, [trigger(), resolved]))
    assert "**Time to resolve:** 1h 35m 12s (09:42:00 → 11:17:12)" in text, text


def test_a_stated_impact_start_names_an_annotation_as_an_annotation(tmp_path: Path) -> None:
    said = annotation(8, "impact started at 09:30 UTC per checkout funnel", "kim", "kim@a.io")
    said["tags"] = ["impact"]
    fired = alert_state(1, "CheckoutErrors", "Normal", "Alerting")
    text = header(timeline(tmp_path, [trigger()], [], [], [said, fired]))
    line = next(ln for ln in text.splitlines() if "Time to detect" in ln)
    assert "impact start as stated in the 09:50 annotation" in line, line
    assert "message" not in line
