"""A merged incident's trigger whose incident reference gives no title reads PagerDuty's own
sentence ("Triggered through the API.") like every other row: no full stop. Log entries as
``GET /incidents/{id}/log_entries`` returns them (``incident`` a reference, ``summary``
PagerDuty's sentence)."""

from __future__ import annotations

from pathlib import Path

from tests.test_figures_wire import at, bundle, log_entry, timeline_of


def test_a_merged_trigger_without_a_title_keeps_no_full_stop(tmp_path: Path) -> None:
    source = {"id": "PSRC4710", "type": "incident_reference", "summary": "[#4710]"}
    merged = log_entry("R0", "trigger", at(9, 58), incident=source)
    merged["summary"] = "Triggered through the API."
    entries = [
        merged,
        log_entry("R1", "trigger", at(10, 0)),
        log_entry("R9", "resolve", at(10, 40)),
    ]
    tl = timeline_of(bundle(tmp_path, at(10, 0), at(10, 40), entries=entries))
    summaries = {e.key: e.summary for e in tl.events}
    assert summaries["pagerduty:log_entry:R0"] == (
        "Merged incident #4710 triggered: Triggered through the API"
    )
