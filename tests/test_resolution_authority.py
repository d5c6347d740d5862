"""The resolution is the incident's final one, as the incident tool records it: PagerDuty's resolve
log entry (``resolve_log_entry``) or the incident's ``resolved_at``; a responder's "all clear" in
Slack (``conversations.history`` messages) is a row, never the end, while PagerDuty has a time.
Inputs in each tool's wire format, through the real parsers, normalizer and renderer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from reconstruct.model import Kind
from reconstruct.render import metrics
from reconstruct.render.story import story
from tests.test_figures_wire import at, bundle, figures, log_entry, markdown, slack_message
from tests.test_figures_wire import timeline_of as timeline_from


def test_an_early_all_clear_is_not_the_resolution(tmp_path: Path) -> None:
    entries = [log_entry("R1", "trigger", at(14, 5)), log_entry("R9", "resolve", at(15, 10))]
    early = slack_message(at(14, 35), "all clear on card-auth, payments still failing in eu")
    tl = timeline_from(bundle(tmp_path, at(14, 5), at(15, 10), entries=entries, messages=[early]))
    # still a row: a partial all clear is a status update (#11), never the resolution
    assert any(e.kind is Kind.UPDATE and e.time == at(14, 35) for e in tl.events)
    assert figures(tl)["time_to_resolve_s"] == 65 * 60
    marks = metrics.milestones(tl)
    assert marks.resolved is not None and marks.resolved.event is not None
    assert marks.resolved.event.key == "pagerduty:log_entry:R9"
    text = markdown(tl)
    assert "- **Time to resolve:** 1h 05m 00s (14:05:00 → 15:10:00)\n" in text
    assert "- **Duration:** 14:05 – 15:10 UTC (1h 05m 00s)" in text
    summary = text.split("## Summary")[1].split("\n## ")[0]
    assert " and [15:10](https://acme.pagerduty.com/incidents/" in summary
    assert "resolved at [15:10](https://acme.pagerduty.com/incidents/" in summary
    assert "14:35" not in summary
    resolved = story(tl).milestone("resolved")
    assert resolved is not None and resolved.time == at(15, 10)
    assert resolved.row is not None and tl.events[resolved.row].key == "pagerduty:log_entry:R9"


def test_an_all_clear_minutes_before_pagerdutys_resolve_does_not_win(tmp_path: Path) -> None:
    entries = [log_entry("R1", "trigger", at(14, 5)), log_entry("R9", "resolve", at(15, 10))]
    done = slack_message(at(15, 8), "all clear, payments success rate back to normal")
    tl = timeline_from(bundle(tmp_path, at(14, 5), at(15, 10), entries=entries, messages=[done]))
    assert figures(tl)["time_to_resolve_s"] == 65 * 60


def test_without_a_resolve_log_entry_pagerdutys_resolved_at_wins(tmp_path: Path) -> None:
    # a bundle whose log entries stop before the resolve: the incident's resolved_at is PagerDuty's
    entries = [log_entry("R1", "trigger", at(14, 5))]
    done = slack_message(at(14, 40), "all clear")
    tl = timeline_from(bundle(tmp_path, at(14, 5), at(14, 52), entries=entries, messages=[done]))
    marks = metrics.milestones(tl)
    assert marks.resolved is not None and marks.resolved.event is None
    assert figures(tl)["time_to_resolve_s"] == 47 * 60


def test_after_a_reopen_the_last_resolve_entry_is_the_resolution(tmp_path: Path) -> None:
    entries = [
        log_entry("R1", "trigger", at(10, 0)),
        log_entry("R3", "resolve", at(10, 20)),
        log_entry("R4", "trigger", at(10, 35)),  # reopened
        log_entry("R5", "resolve", at(10, 52)),
    ]
    early = slack_message(at(10, 40), "all clear on eu-west")
    tl = timeline_from(bundle(tmp_path, at(10, 0), at(10, 52), entries=entries, messages=[early]))
    assert figures(tl)["time_to_resolve_s"] == 52 * 60


def test_a_responders_resolve_row_counts_only_when_the_tool_gives_no_time(tmp_path: Path) -> None:
    # A resolved incident PagerDuty gave no resolve time for and no resolve entry: the last
    # "all clear" (not the first) is the resolution. While ongoing, nothing is.
    entries = [log_entry("R1", "trigger", at(14, 5))]
    msgs = [
        slack_message(at(14, 35), "all clear on card-auth"),
        slack_message(at(15, 2), "all clear everywhere, closing"),
    ]
    tl = timeline_from(bundle(tmp_path, at(14, 5), at(15, 10), entries=entries, messages=msgs))
    no_time = replace(tl, incident=replace(tl.incident, resolved_at=None, status="resolved"))
    assert figures(no_time)["time_to_resolve_s"] == 57 * 60
    ongoing = replace(no_time, incident=replace(no_time.incident, status="acknowledged"))
    assert figures(ongoing)["time_to_resolve_s"] is None
