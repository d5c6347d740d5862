"""A mitigation or resolution whose words state when it was done counts from that time.

"we rolled back at 14:05" posted at 14:12 gives time to mitigate to 14:05, as an SRE computing by
hand would, and the figure says so and cites its row. The row stays at 14:12 (the timeline is
ordered by when things were recorded, as for a stated impact start).

Inputs in the tools' wire formats, written here: Slack ``conversations.history`` messages
(``ts``, ``text``, ``edited``), GitHub deployments and their statuses, a PagerDuty incident
(``GET /incidents/{id}``: ``status``, ``resolved_at``) with its log entries and notes (``GET
/incidents/{id}/notes``: ``content``, ``created_at``, ``user``), a Grafana annotation a person
wrote (``GET /api/annotations``: ``login``, ``alertId`` 0).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconstruct.bundle import Bundle
from reconstruct.config import Config
from reconstruct.model import Event, Kind
from reconstruct.normalize.clock import step_utc
from reconstruct.render import RenderOptions, render
from reconstruct.render.metrics import step_time
from tests.test_figures_wire import (
    at,
    bundle,
    figures,
    log_entry,
    markdown,
    rollback,
    slack_message,
    timeline_of,
    z,
)
from tests.test_rows import annotation
from tests.test_rows import timeline as rows_timeline
from tests.test_rows import trigger as rows_trigger

START = at(13, 44)
"""PagerDuty triggered the incident; every message below is posted at 14:12."""
POSTED = at(14, 12)


def mitigation_figure(tmp_path: Path, text: str, **extra: Any) -> tuple[int | None, str]:
    """Time to mitigate (seconds) and its Markdown line for one message posted at 14:12."""
    tl = timeline_of(bundle(tmp_path, START, at(15, 0), messages=[slack_message(POSTED, text)]))
    assert [e.time for e in tl.events if e.kind is Kind.MITIGATE] == [POSTED], text
    line = next(ln for ln in markdown(tl).splitlines() if "Time to mitigate" in ln)
    return figures(tl)["time_to_mitigate_s"], line


# -- the stated time counts -----------------------------------------------------------------------
def test_a_mitigation_stated_in_the_past_counts_from_its_time(tmp_path: Path) -> None:
    tl = timeline_of(
        bundle(
            tmp_path, START, at(15, 0), messages=[slack_message(POSTED, "we rolled back at 14:05")]
        )
    )
    (row,) = [e for e in tl.events if e.kind is Kind.MITIGATE]
    assert row.time == POSTED  # the row stays where it was recorded
    assert figures(tl)["time_to_mitigate_s"] == 21 * 60  # 13:44 -> 14:05, not 28m to 14:12
    text = markdown(tl)
    assert (
        "- **Time to mitigate:** 21m 00s "
        "(13:44:00 → 14:05:00; mitigation as stated in the 14:12 message)\n" in text
    )
    assert "It was mitigated at [14:05](https://acme.slack.com/archives/" in text
    assert "(“we rolled back at 14:05”, as stated in the 14:12 message)" in text
    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    mitigated = doc["milestones"]["mitigated"]
    assert mitigated["time"] == "2026-05-06T14:05:00Z" and mitigated["stated"] is True
    assert mitigated["summary"] == "we rolled back at 14:05" and not mitigated["from_edit"]
    assert doc["metrics"]["time_to_mitigate_s"] == 21 * 60
    for fmt in ("html", "page"):
        page = render(tl, RenderOptions(fmt=fmt), Config())
        assert "21m 00s (13:44:00 → 14:05:00; mitigation as stated in the 14:12 message)" in page


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("failed over checkout-db to the replica at 14:07Z", 23),  # 13:44 -> 14:07
        ("restarted the payments-api pods ~14:10 UTC", 26),
        ("Rolled back checkout at 15:05 CET", 21),  # CET is UTC+1: 14:05
        ("14:06 UTC: rolled back checkout to v2.3.0", 22),  # the time opens its clause
        ("rolled back checkout at approx. 14:08 UTC, errors dropping", 24),
        ("rolled back checkout (14:09 UTC)", 25),
        ("rollback of checkout complete 14:05 UTC", 21),
        ("impact mitigated at 14:05 UTC by draining eu-west", 21),
        ("scaled out payments-api around 14:01 UTC after the alert", 17),
    ],
)
def test_stated_mitigation_times(tmp_path: Path, text: str, minutes: int) -> None:
    seconds, line = mitigation_figure(tmp_path, text)
    assert seconds == minutes * 60, line
    assert "mitigation as stated in the 14:12 message" in line


# -- the message's time counts --------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        # a plan for later: its time is to come
        "rolled back checkout, will fail over at 14:30 UTC if lag stays",
        # later than the message: a slip or a plan, never yesterday's 14:30
        "rolled back checkout at 14:30 UTC",
        # a zone naming several offsets (India, Ireland, Israel; US Central, China), or no UTC
        "rolled back checkout at 14:05 IST",
        "rolled back checkout at 14:05 CST",
        "rolled back checkout at 9:05 ET",
        "rolled back checkout at 2:05 pm",
        "rolled back checkout at 14:05 local",
        # a time quoted from an alert, or an alert's own time
        'rolled back checkout; the alert said "5xx above 5% since 14:01 UTC"',
        "rolled back checkout after the alert fired at 14:01 UTC",
        "> [FIRING:1] CheckoutErrors since 14:01 UTC\nrolled back checkout",
        # a status question
        "rolled back checkout. anyone still seeing errors since 14:05 UTC?",
        # another event's time, another time
        "rolled back the 14:02 deploy of checkout",
        "rolled back checkout, errors started 13:58 UTC",
        "rolled back checkout by 14:05 UTC",
        "rolled back checkout, p99 was 3s at 14:00 UTC",  # a value at a time, no step
        # without a zone: only within the hour before the message, and said done
        "rolled back checkout at 13:05",
        "rolling back checkout, at 14:05 we paged the db team",
    ],
)
def test_times_that_are_not_the_mitigations(tmp_path: Path, text: str) -> None:
    seconds, line = mitigation_figure(tmp_path, text)
    assert seconds == 28 * 60, line  # 13:44 -> 14:12, the message
    assert "as stated" not in line


def test_a_bare_time_is_read_only_as_the_project_reads_one_elsewhere() -> None:
    # ``classify`` reads a time without a zone in a step said done as UTC within the hour
    # before the message (``clock.recent_utc``); a step's time follows the same rule
    assert step_utc("we rolled back at 14:05", POSTED) == at(14, 5)
    assert step_utc("we rolled back at 13:11", POSTED) is None  # 61 min: another clock
    assert step_utc("rolling back at 14:05", POSTED) is None  # not said done
    assert step_utc("rolled back at 14:05 UTC", POSTED) == at(14, 5)
    assert step_utc("all clear since 14:02", POSTED, state=True) == at(14, 2)
    assert step_utc("looking good since 14:02", POSTED, state=True) is None  # no done word
    assert step_utc("recovered since 14:02", POSTED, state=True) == at(14, 2)
    assert step_utc("recovered since 14:02", POSTED) is None  # "since" only for a state


# -- the earliest evidence wins -------------------------------------------------------------------
def test_an_earlier_tool_record_of_the_same_mitigation_wins(tmp_path: Path) -> None:
    # GitHub's rollback went live at 14:03
    deploys = rollback(at(12, 0), at(13, 30), at(14, 3))
    said = slack_message(POSTED, "rolled back checkout at 14:05 UTC")
    tl = timeline_of(bundle(tmp_path, START, at(15, 0), messages=[said], deployments=deploys))
    assert figures(tl)["time_to_mitigate_s"] == 19 * 60  # 14:03, the deploy
    assert "- **Time to mitigate:** 19m 00s (13:44:00 → 14:03:00)\n" in markdown(tl)


def test_a_stated_time_before_a_later_tool_record_wins(tmp_path: Path) -> None:
    deploys = rollback(at(12, 0), at(13, 30), at(14, 9))
    said = slack_message(POSTED, "rolled back checkout at 14:05 UTC")
    tl = timeline_of(bundle(tmp_path, START, at(15, 0), messages=[said], deployments=deploys))
    assert figures(tl)["time_to_mitigate_s"] == 21 * 60


def test_a_time_before_the_incident_is_no_mitigation_time(tmp_path: Path) -> None:
    # the step said done before PagerDuty triggered is a report of the cause (``classify``):
    # no mitigation row at all; the figure waits for the next one
    early = slack_message(at(14, 12), "rolled back checkout at 13:40 UTC")
    later = slack_message(at(14, 20), "failed over checkout-db to the replica")
    tl = timeline_of(bundle(tmp_path, START, at(15, 0), messages=[early, later]))
    assert figures(tl)["time_to_mitigate_s"] == 36 * 60


@pytest.mark.parametrize(
    "text",
    [
        "rolled back checkout after the alert fired at 13:40 UTC",
        "rolled back checkout, errors started at 13:40 UTC",
        "we rolled back the deploy from 13:40",
    ],
)
def test_another_events_time_before_the_incident_keeps_the_mitigation(
    tmp_path: Path, text: str
) -> None:
    # the time is the alert's, the symptom's, the deploy's: not the step's, so the step is no
    # report of the cause (``classify``: a step said done at a time before the incident)
    seconds, line = mitigation_figure(tmp_path, text)
    assert seconds == 28 * 60, line


def test_a_time_past_midnight_reads_as_the_day_before_within_half_a_day(tmp_path: Path) -> None:
    late = datetime(2026, 5, 6, 23, 40, tzinfo=UTC)
    said = slack_message(late + timedelta(minutes=30), "rolled back checkout at 23:55 UTC")
    tl = timeline_of(
        bundle(tmp_path / "midnight", late, late + timedelta(hours=1), messages=[said])
    )
    assert figures(tl)["time_to_mitigate_s"] == 15 * 60  # 23:40 -> 23:55 the day before
    # an incident a day long: yesterday's 14:30 is inside it, but 14:30 UTC posted at 14:12 is
    # a time to come or a slip (``clock.AHEAD``), not the day before
    long = at(14, 12) - timedelta(days=1, hours=2)
    said = slack_message(POSTED, "rolled back checkout at 14:30 UTC")
    tl = timeline_of(bundle(tmp_path / "long", long, at(15, 0), messages=[said]))
    assert figures(tl)["time_to_mitigate_s"] == int((POSTED - long).total_seconds())


def test_an_edited_message_counts_from_its_stated_time(tmp_path: Path) -> None:
    said = slack_message(POSTED, "mitigation: rolled back at 14:05 UTC", edited=at(14, 50))
    tl = timeline_of(bundle(tmp_path, START, at(15, 10), messages=[said]))
    assert figures(tl)["time_to_mitigate_s"] == 21 * 60
    line = next(ln for ln in markdown(tl).splitlines() if "Time to mitigate" in ln)
    assert line.endswith("(13:44:00 → 14:05:00; mitigation as stated in the 14:12 message)")


# -- notes and annotations -------------------------------------------------------------------------
def pd_bundle(
    tmp_path: Path,
    *,
    resolved_at: datetime | None,
    notes: list[dict[str, Any]] = (),  # type: ignore[assignment]
    entries: list[dict[str, Any]] = (),  # type: ignore[assignment]
    messages: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> Bundle:
    """A resolved PagerDuty incident (``resolved_at`` may be null) with notes and Slack."""
    return bundle(
        tmp_path,
        START,
        resolved_at,
        status="resolved",
        entries=[log_entry("RTRIG", "trigger", START), *entries],
        notes=list(notes),
        messages=list(messages),
        end=at(16, 0),
        leadup=timedelta(0),
    )


def note(ident: str, when: datetime, content: str) -> dict[str, Any]:
    return {
        "id": ident,
        "user": {"id": "PKIM", "type": "user_reference", "summary": "Kim Nguyen"},
        "channel": {"summary": "The PagerDuty website or APIs"},
        "content": content,
        "created_at": z(when),
    }


def test_an_incident_note_states_the_mitigation_time(tmp_path: Path) -> None:
    said = note("PNOTE1", POSTED, "Rolled back checkout at 14:05 UTC")
    tl = timeline_of(pd_bundle(tmp_path, resolved_at=at(15, 0), notes=[said]))
    assert figures(tl)["time_to_mitigate_s"] == 21 * 60
    line = next(ln for ln in markdown(tl).splitlines() if "Time to mitigate" in ln)
    assert line.endswith("(13:44:00 → 14:05:00; mitigation as stated in the 14:12 note)"), line


def test_a_chat_resolution_states_its_time_only_when_it_is_the_resolution(tmp_path: Path) -> None:
    clear = slack_message(at(15, 10), "checkout recovered, all clear since 15:02 UTC")
    # PagerDuty gave no time: the responder's all clear is the resolution, at its stated time
    tl = timeline_of(pd_bundle(tmp_path / "none", resolved_at=None, messages=[clear]))
    assert figures(tl)["time_to_resolve_s"] == (15 * 60 + 2 - (13 * 60 + 44)) * 60  # 78m
    line = next(ln for ln in markdown(tl).splitlines() if "Time to resolve" in ln)
    assert line.endswith("(13:44:00 → 15:02:00; resolution as stated in the 15:10 message)"), line
    # PagerDuty's own resolve is the resolution: the chat row's time never counts
    resolve = log_entry("RRES", "resolve", at(15, 20))
    tl = timeline_of(
        pd_bundle(tmp_path / "pd", resolved_at=at(15, 20), entries=[resolve], messages=[clear])
    )
    assert figures(tl)["time_to_resolve_s"] == 96 * 60
    # "all green" is no resolution by the classify rules: no milestone is made of it
    green = slack_message(at(15, 10), "all green since 15:02 UTC")
    tl = timeline_of(pd_bundle(tmp_path / "green", resolved_at=None, messages=[green]))
    assert figures(tl)["time_to_resolve_s"] is None


def test_pagerdutys_resolve_entry_counts_at_its_own_time() -> None:
    row = Event(
        time=at(15, 20),
        kind=Kind.RESOLVE,
        summary="Resolved by Kim Nguyen: recovered at 15:02 UTC",
        sources=("pagerduty",),
        links=(),
        key="pd:resolve",
    )
    assert step_time(row, START) == at(15, 20)  # a tool's record: its own time
    said = replace(row, sources=("slack",), key="slack:1")
    assert step_time(said, START) == at(15, 2)  # a responder's words: the time they state
    assert step_time(said, at(15, 5)) == at(15, 20)  # before the floor (a reopen): its own


def test_a_stated_impact_start_after_the_message_is_not_yesterdays(tmp_path: Path) -> None:
    # the same clock rule: 14:30 UTC posted at 14:12 is a slip or a time to come
    said = slack_message(at(14, 20), "impact started at 14:30 UTC per the 5xx panel")
    tl = timeline_of(bundle(tmp_path, START, at(15, 0), messages=[said]))
    assert figures(tl)["time_to_detect_s"] == 0  # no symptom before the trigger at 13:44
    assert step_utc("rolled back at 23:55 UTC", datetime(2026, 5, 7, 0, 10, tzinfo=UTC)) == (
        datetime(2026, 5, 6, 23, 55, tzinfo=UTC)
    )


def test_a_persons_annotation_states_the_mitigation_time(tmp_path: Path) -> None:
    # Grafana: a person's annotation at 09:50 (T0 09:42, PagerDuty's trigger) on the panel
    said = annotation(8, "Rolled back checkout at 09:46 UTC", "kim", "kim@a.io")
    tl = rows_timeline(tmp_path, [rows_trigger()], [], [], [said])
    assert figures(tl)["time_to_mitigate_s"] == 4 * 60
    line = next(ln for ln in markdown(tl).splitlines() if "Time to mitigate" in ln)
    assert line.endswith("(09:42:00 → 09:46:00; mitigation as stated in the 09:50 annotation)")


def test_a_deploy_bots_rollback_post_states_its_time(tmp_path: Path) -> None:
    # Slack: a bot_message; the deploy tool's own record would count at its own time
    bot = {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B0DEPLOY1",
        "username": "deploy-bot",
        "text": "Rolled back checkout to v2.3.0 in production at 14:05 UTC (incident #4711)",
        "ts": f"{int(POSTED.timestamp())}.000100",
    }
    tl = timeline_of(bundle(tmp_path, START, at(15, 0), messages=[bot]))
    assert [e.kind for e in tl.events if e.summary == bot["text"]] == [Kind.DEPLOY]
    assert figures(tl)["time_to_mitigate_s"] == 21 * 60


_WORDS_OF_REPORTS = st.sampled_from(
    [
        "rolled back",
        "we",
        "at",
        "since",
        "~",
        "UTC",
        "Z",
        "CET",
        "IST",
        "alert",
        "will",
        "done",
        "?",
        ",",
        ".",
        "(",
        ")",
        '"',
        "\n",
        ">",
        "approx.",
        "all clear",
    ]
)
_CLOCKS = st.builds(
    lambda h, m, z: f"{h:02d}:{m:02d}{z}",
    st.integers(0, 23),
    st.integers(0, 59),
    st.sampled_from(["", "Z", " UTC", " CET", " pm"]),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(_WORDS_OF_REPORTS, _CLOCKS), max_size=12),
    st.integers(0, 24 * 60 - 1),
    st.booleans(),
)
def test_a_stated_step_time_is_never_after_the_message_nor_half_a_day_before(
    words: list[str], minute: int, state: bool
) -> None:
    posted = datetime(2026, 5, 6, tzinfo=UTC) + timedelta(minutes=minute, seconds=30)
    found = step_utc(" ".join(words), posted, state=state)
    assert found is None or posted - timedelta(hours=12) <= found <= posted
