"""Time to acknowledge / mitigate / resolve, and the coverage note under the table."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from reconstruct.config import Config, RenderConfig
from reconstruct.model import Account, Kind, Link, Timeline
from reconstruct.render import RenderOptions, coverage, metrics, render
from reconstruct.render.coverage import omitted_sentence
from tests.test_render_fixture import at, ev, timeline


def figures(tl: Timeline) -> dict[str, int | None]:
    return metrics.as_json(metrics.compute(tl))


def without(tl: Timeline, *kinds: Kind) -> Timeline:
    return replace(tl, events=tuple(e for e in tl.events if e.kind not in kinds))


def test_metrics_from_incident_start_to_first_row_of_each_kind() -> None:
    tl = timeline()
    extra_ack = ev(at(9, 50), Kind.ACK, "Acknowledged again", (Link("pd", "https://p.io"),), "a2")
    tl = replace(tl, events=(*tl.events, extra_ack))
    assert figures(tl) == {
        "time_to_detect_s": 0,  # the trigger is the first alert; nothing earlier hurt
        "time_to_ack_s": 130,  # 09:42:07 -> 09:44:17, the first ack
        "time_to_mitigate_s": 1916,  # -> 10:14:03
        "time_to_resolve_s": 2853,  # -> 10:29:40
    }


def test_rows_before_the_start_do_not_count() -> None:
    tl = timeline()
    early = ev(at(9, 0), Kind.MITIGATE, "rolled back earlier", (Link("s", "https://s.io"),), "e")
    assert figures(replace(tl, events=(early, *tl.events)))["time_to_mitigate_s"] == 1916


def test_resolve_falls_back_to_incident_resolved_at() -> None:
    tl = without(timeline(), Kind.RESOLVE)
    tl = replace(tl, incident=replace(tl.incident, resolved_at=at(10, 31, 7)))
    assert figures(tl)["time_to_resolve_s"] == 49 * 60


def test_missing_rows_and_ongoing_incident_give_none() -> None:
    tl = without(timeline(resolved=False), Kind.ACK, Kind.MITIGATE)
    assert figures(tl) == {
        "time_to_detect_s": 0,
        "time_to_ack_s": None,
        "time_to_mitigate_s": None,
        "time_to_resolve_s": None,
    }
    text = render(tl, RenderOptions(), Config())
    assert "- **Time to acknowledge:** not computable (no such row in the timeline)\n" in text
    assert "- **Time to mitigate:** not computable (no such row in the timeline)\n" in text
    assert "- **Time to resolve:** not yet (the incident is ongoing)\n" in text


def test_metrics_lines_cite_the_rows() -> None:
    text = render(timeline(), RenderOptions(), Config())
    assert "- **Time to acknowledge:** 2m 10s (09:42:07 → 09:44:17)\n" in text
    assert "- **Time to mitigate:** 31m 56s (09:42:07 → 10:14:03)\n" in text
    assert "- **Time to resolve:** 47m 33s (09:42:07 → 10:29:40)\n" in text


def test_coverage_counts_omissions_and_warnings() -> None:
    cov = coverage.compute(timeline(), timedelta(minutes=15))
    assert cov.collected == (("github", 31), ("grafana", 0), ("pagerduty", 14), ("slack", 431))
    assert cov.collected_total == 476
    assert cov.omitted == (
        "23 other records in github:acme/checkout not shown",
        "5 records outside the collection window not shown",
        "412 other messages in slack:#inc-1234 not shown",
    )
    assert cov.warnings == (
        "grafana: 403 Forbidden from https://grafana.acme.io/api/annotations "
        "(check that the token has the Viewer role)",
    )


def test_omitted_sentence_wording() -> None:
    assert (
        omitted_sentence("slack:#inc-1234", 412)
        == "412 other messages in slack:#inc-1234 not shown"
    )
    assert omitted_sentence("slack:#alerts", 1) == "1 other message in slack:#alerts not shown"
    assert omitted_sentence("pagerduty", 2) == "2 other log entries in pagerduty not shown"
    assert omitted_sentence("github:a/b", 1_204) == "1,204 other records in github:a/b not shown"


def test_one_record_left_out_is_counted_in_the_singular_and_the_json_key_stays() -> None:
    """The reasons the parsers and the selection give, as the pipeline counts them: one record
    reads "1 message ...", more "2 messages ..."; the ``omitted`` keys (JSON) keep the plural."""
    from reconstruct.collectors.github.parse import NEVER_LIVE, NOT_MERGED
    from reconstruct.collectors.slack.shapes import HOUSEKEEPING_REASON, NOTICE_REASON
    from reconstruct.normalize.ledger import DUPLICATE
    from reconstruct.normalize.reasons import plain_reason

    chat = plain_reason("slack:#alerts-search")
    reasons = {
        chat: "1 message without a keyword, pin or reaction in slack:#alerts-search",
        DUPLICATE: "1 copy of a record already read",
        f"{NEVER_LIVE} in github:a/b": "1 deployment that never went live (no success or"
        " failure status) in github:a/b",
        f"{NOT_MERGED} in github:a/b": "1 pull request not merged in github:a/b",
        f"{HOUSEKEEPING_REASON} in slack:#x": "1 channel join or setting in slack:#x",
        f"{NOTICE_REASON} in slack:#x": "1 edit or reply notice in slack:#x",
        "bot posts about other services in slack:#deploys": "1 bot post about other services"
        " in slack:#deploys",
        "earlier deploys in github:a/b": "1 earlier deploy in github:a/b",
        "alert records not selected in grafana": "1 alert record not selected in grafana",
        "not understood": "1 not understood",
    }
    for reason, one in reasons.items():
        account = Account(collected=1, shown=0, omitted={reason: 1})
        assert coverage.account_sentence("s", account) == (
            f"s: 1 record collected, 0 shown in the table, 1 not shown ({one})"
        )
    two = Account(collected=3, shown=1, omitted={chat: 2})
    assert coverage.account_sentence("slack", two).endswith(
        "(2 messages without a keyword, pin or reaction in slack:#alerts-search)"
    )
    tl = replace(timeline(), accounts={"slack": Account(collected=1, shown=0, omitted={chat: 1})})
    assert json.loads(render(tl, RenderOptions(fmt="json"), Config()))["records"]["slack"] == {
        "collected": 1,
        "shown": 0,
        "omitted": {chat: 1},
    }
    assert "(1 message without a keyword" in render(tl, RenderOptions(), Config())


def test_failed_source_without_warning_is_still_named() -> None:
    tl = replace(timeline(), warnings=(), failed_sources=("github",))
    assert coverage.warning_lines(tl) == (
        "github: collection failed; its events are missing from this timeline",
    )
    text = render(tl, RenderOptions(timeline_only=True), Config())
    assert "\n> **Warning:** github: collection failed; its events are missing" in text


def test_warnings_are_redacted() -> None:
    token = "ghp_" + "Z" * 36
    tl = replace(timeline(), warnings=(f"github: 401 for token {token}",))
    text = render(tl, RenderOptions(timeline_only=True), Config())
    assert token not in text and (
        "> **Warning:** github: 401 for token \\[redacted: github token\\]" in text
    )


def test_gaps_inside_the_window_only() -> None:
    gaps = coverage.find_gaps(timeline(), timedelta(minutes=15))
    # the leadup change 11 days earlier is outside window.start..end: no 11-day "gap"
    assert [(g.start, g.end, g.duration) for g in gaps] == [
        (at(9, 51, 40), at(10, 12, 55), "21m 15s")
    ]
    assert coverage.find_gaps(timeline(), timedelta(minutes=30)) == ()
    five = coverage.find_gaps(timeline(), timedelta(minutes=5))
    assert [g.start.strftime("%H:%M") for g in five] == ["09:51", "10:14", "10:20"]


def test_a_silence_of_exactly_the_limit_to_the_second_is_no_gap() -> None:
    """A Slack ``ts`` carries microseconds: 15m 00.4s after the row before reads "15m 00s",
    which is not "longer than 15m" (a tester saw exactly that note)."""
    base = timeline()
    start = base.window.start + timedelta(minutes=5)
    link = Link("chat", "https://chat.example/p1", "chat")
    rows = (
        ev(start, Kind.MESSAGE, "a", (link,), "g:1"),
        ev(start + timedelta(minutes=15, microseconds=400_000), Kind.MESSAGE, "b", (link,), "g:2"),
        ev(start + timedelta(minutes=31, seconds=1), Kind.MESSAGE, "c", (link,), "g:3"),
    )
    tl = replace(base, events=rows)
    gaps = coverage.find_gaps(tl, timedelta(minutes=15))
    assert [g.duration for g in gaps] == ["16m 01s"], "the second one only, to the second"


def test_gap_note_in_markdown_and_setting() -> None:
    text = render(timeline(), RenderOptions(timeline_only=True), Config())
    assert (
        "- No row for 21m 15s, between 09:51 and 10:12 (longer than 15m): records there, if any, "
        "are counted above.\n" in text
    )
    quiet = render(
        timeline(),
        RenderOptions(timeline_only=True),
        Config(render=RenderConfig(gap=timedelta(hours=1))),
    )
    assert "No row for" not in quiet


def test_coverage_line_in_markdown() -> None:
    text = render(timeline(), RenderOptions(timeline_only=True), Config())
    assert (
        "**Coverage:** 11 rows shown from 476 records collected "
        "(github 31, grafana 0, pagerduty 14, slack 431).\n" in text
    )
    assert "- 412 other messages in slack:#inc-1234 not shown.\n" in text


def test_a_pending_alert_before_the_first_alert_is_the_impact_start() -> None:
    tl = timeline()
    pending = replace(
        ev(
            at(9, 40),
            Kind.ANNOTATION,
            "Grafana alert CheckoutErrorRate: Normal → Pending",
            (Link("grafana", "https://g.io/d/x?viewPanel=4"),),
            "grafana:annotation:7:pending",
        ),
        tags=frozenset({"state:pending"}),
    )
    tl = replace(tl, events=(pending, *tl.events))
    marks = metrics.milestones(tl)
    assert marks.impact_start is not None and marks.impact_start.event is pending
    assert figures(tl)["time_to_detect_s"] == 127  # 09:40:00 -> the trigger at 09:42:07
    text = render(tl, RenderOptions(), Config())
    assert "- **Time to detect:** 2m 07s (09:40:00 → 09:42:07)\n" in text
    assert (
        "- **Duration:** 09:40 – 10:29 UTC (49m 40s; PagerDuty incident 09:42 – 10:29 UTC)\n"
        in text
    )  # 09:40:00 -> 10:29:40, to the second as the figures


def test_an_alert_that_fired_and_cleared_before_the_incident_is_a_blip() -> None:
    tl = timeline()
    link = (Link("grafana", "https://g.io/d/x?viewPanel=9"),)
    fired = replace(
        ev(at(9, 0), Kind.ALERT, "DiskFull firing", link, "g:1:alerting"),
        refs=frozenset({"rule:diskfull:firing"}),
    )
    cleared = replace(
        ev(at(9, 5), Kind.ALERT, "DiskFull resolved", link, "g:1:ok"),
        refs=frozenset({"rule:diskfull:resolved"}),
    )
    still = replace(
        ev(at(9, 30), Kind.ALERT, "CacheHitRatio firing", link, "g:2:alerting"),
        refs=frozenset({"rule:cachehitratio:firing"}),
    )
    marks = metrics.milestones(replace(tl, events=(fired, cleared, *tl.events)))
    assert marks.detected is not None and marks.detected.time == at(9, 42, 7)
    assert marks.impact_start is not None and marks.impact_start.time == at(9, 42, 7)
    # an alert still firing when the incident starts is its first alert
    marks = metrics.milestones(replace(tl, events=(fired, cleared, still, *tl.events)))
    assert marks.detected is not None and marks.detected.event is still


def test_a_page_can_be_the_detection_and_rows_of_other_kinds_are_no_symptom() -> None:
    tl = timeline()
    events = tuple(e for e in tl.events if e.kind is not Kind.ALERT)
    marks = metrics.milestones(replace(tl, events=events))
    assert marks.detected is not None and marks.detected.event is not None
    assert marks.detected.event.kind is Kind.PAGE
    assert marks.impact_start == replace(marks.detected, milestone=marks.impact_start.milestone)


def test_a_pending_state_that_went_back_to_normal_is_no_impact_start() -> None:
    tl = timeline()
    link = (Link("grafana", "https://g.io/d/x?viewPanel=4"),)
    pending = replace(
        ev(at(9, 10), Kind.ANNOTATION, "DiskUsage: Normal → Pending", link, "g:3:pending"),
        tags=frozenset({"state:pending"}),
    )
    normal = replace(
        ev(at(9, 12), Kind.ANNOTATION, "DiskUsage: Pending → Normal", link, "g:3:normal"),
        tags=frozenset({"state:normal"}),
    )
    marks = metrics.milestones(replace(tl, events=(pending, normal, *tl.events)))
    assert marks.impact_start is not None and marks.impact_start.time == at(9, 42, 7)


def test_sub_second_times_never_shave_a_second_off_a_figure() -> None:
    """Slack's ``ts`` carries microseconds: 09:42:07.000100 -> 09:44:17 is 2m 10s, as the
    cited times say, not 2m 09.9999s shown as 2m 09s."""
    tl = timeline()
    start = tl.incident.started_at.replace(microsecond=100)
    tl = replace(tl, incident=replace(tl.incident, started_at=start))
    events = tuple(
        replace(e, time=e.time.replace(microsecond=100)) if e.time == at(9, 42, 7) else e
        for e in tl.events
    )
    tl = replace(tl, events=events)
    assert figures(tl)["time_to_ack_s"] == 130
    text = render(tl, RenderOptions(), Config())
    assert "- **Time to acknowledge:** 2m 10s (09:42:07 → 09:44:17)\n" in text


def test_each_milestone_in_json_carries_its_rows_links() -> None:
    import json

    doc = json.loads(render(timeline(), RenderOptions(fmt="json"), Config()))
    acked = doc["milestones"]["acknowledged"]
    row = next(e for e in doc["events"] if e["time"].startswith("2026-03-14T09:44:17"))
    assert acked["links"] == row["links"] and acked["links"]
