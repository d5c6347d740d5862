"""One person paged again before anyone answered: one row (#11, ``normalize.repeats``).

PagerDuty repeats a user's notification rules (and an escalation policy its levels) until someone
acknowledges; each round writes one ``notify_log_entry`` per contact method, with ``user`` and
``channel.notification`` = ``{type, status, address}`` (``status``: ``success``, ``failed``,
``no_answer``, ``busy``; REST API v1 log entries reference, "Notification" object). An
``escalate_log_entry`` / ``assign_log_entry`` names the new ``assignees``. The inputs below are
written in that shape (``tests.test_rows`` builds the bundle).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from reconstruct.config import Config
from reconstruct.render import RenderOptions, render
from reconstruct.render.metrics import compute, milestones
from tests.test_rows import T0, ack, entry, escalate, one, texts, timeline, trigger, user
from tests.test_rows_series import page

ANA = "Ana Silva"


def _round(minutes: float, phone: str = "no_answer", name: str = ANA) -> list[dict[str, object]]:
    """One round of a person's notification rules: push at once, phone 20 s later."""
    return [
        page(minutes, name, "push_notification", address="Pixel 9"),
        page(minutes + 1 / 3, name, "phone_notification", phone, "+1 555 0100"),
    ]


def test_a_person_paged_again_before_anyone_answers_is_one_row(tmp_path: Path) -> None:
    """The newcomer's TLS incident: Ana paged at 09:42 and 09:47 (push delivered, phone not
    answered), then the escalation to Ben, who acknowledges."""
    entries = [
        trigger(),
        *_round(0.2),
        *_round(5.2),
        escalate(10, "Ana Silva", "Ben Okafor"),
        page(10.2, "Ben Okafor", "push_notification"),
        ack(12.5, "Ben Okafor"),
    ]
    tl = timeline(tmp_path, entries)
    row = one(tl, "Paged Ana")
    assert row.summary == (
        "Paged Ana Silva by push at 09:42 and 09:47; both phone pages failed (no answer)"
    )
    assert row.time == T0 + timedelta(minutes=0.2)
    assert len(row.links) == 4 and len({ln.url for ln in row.links}) == 4, "every log entry"
    assert [m.time for m in row.members] == [T0 + timedelta(minutes=m) for m in (0.2, 5.2)]
    assert one(tl, "Escalated").summary == "Escalated to Ben Okafor by Ana Silva; paged by push"
    assert [e.kind for e in tl.events].count("page") == 1
    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    (joined,) = [e for e in doc["events"] if e["summary"].startswith("Paged Ana")]
    times = [m["time"] for m in joined["members"]]
    assert times == ["2026-03-14T09:42:12Z", "2026-03-14T09:47:12Z"]


def test_a_first_page_inside_the_row_still_detects(tmp_path: Path) -> None:
    """Without a trigger entry the first page is the detection: its own time, citing the row."""
    tl = timeline(tmp_path, [*_round(0.2), *_round(5.2)])
    row = one(tl, "Paged Ana")
    marks = milestones(tl)
    assert marks.detected is not None and marks.detected.event is row
    assert marks.detected.time == T0 + timedelta(minutes=0.2)
    assert marks.detected.record is row.members[0]


def test_two_people_are_two_rows(tmp_path: Path) -> None:
    entries = [
        trigger(),
        *_round(0.2),
        page(0.5, "Kim Nguyen", "sms_notification"),
        *_round(5.2),
        page(5.5, "Kim Nguyen", "sms_notification"),
    ]
    tl = timeline(tmp_path, entries)
    assert [t for t in texts(tl) if t.startswith("Paged")] == [
        "Paged Ana Silva by push at 09:42 and 09:47; both phone pages failed (no answer)",
        "Paged Kim Nguyen by SMS at 09:42 and 09:47",
    ]


def test_a_page_after_an_ack_is_a_new_round(tmp_path: Path) -> None:
    """Kim acknowledges at 09:46; the incident is unacknowledged by timeout and Ana is paged
    again at 09:52: a new round, its own row."""
    unack = entry("unacknowledge", 9, channel={"type": "timeout"}, summary="Unacknowledged")
    entries = [
        trigger(),
        page(1, ANA, "push_notification"),
        page(3, ANA, "push_notification"),
        ack(4, "Kim Nguyen"),
        unack,
        page(10, ANA, "push_notification"),
    ]
    tl = timeline(tmp_path, entries)
    assert [(f"{e.time:%H:%M}", e.summary) for e in tl.events if "Ana" in e.summary] == [
        ("09:43", "Paged Ana Silva by push at 09:43 and 09:45"),
        ("09:52", "Paged Ana Silva by push"),
    ]


def test_the_page_that_led_to_the_ack_stands_out(tmp_path: Path) -> None:
    entries = [
        trigger(),
        *(page(1 + 2 * i, ANA, "push_notification") for i in range(3)),
        ack(5.5, ANA),
    ]
    tl = timeline(tmp_path, entries)
    assert [(f"{e.time:%H:%M}", e.summary) for e in tl.events if "Ana" in e.summary] == [
        ("09:43", "Paged Ana Silva by push at 09:43 and 09:45"),
        ("09:47", "Paged Ana Silva by push"),
        ("09:47", "Acknowledged by Ana Silva"),
    ]
    assert milestones(tl).acknowledged is not None


def test_a_reassignment_in_between_ends_the_assignment(tmp_path: Path) -> None:
    """Reassigned to Kim at 09:45 (``assign_log_entry``); Ana's page at 09:47 is a new round."""
    assign = entry(
        "assign", 3, agent=user(ANA), assignees=[user("Kim Nguyen")], channel={"type": "website"}
    )
    entries = [trigger(), page(1, ANA, "push_notification"), assign,
               page(5, ANA, "push_notification")]  # fmt: skip
    tl = timeline(tmp_path, entries)
    assert [e.summary for e in tl.events if e.summary.startswith("Paged Ana")] == [
        "Paged Ana Silva by push"
    ] * 2


def test_delivered_and_failed_repeats_are_said_apart(tmp_path: Path) -> None:
    """Push reached Ana in the first round only; the phone failed in both; SMS failed once,
    for no stated reason."""
    entries = [
        trigger(),
        *_round(1),
        page(6, ANA, "phone_notification", "no_answer"),
        page(6.2, ANA, "sms_notification", "failed"),
    ]
    tl = timeline(tmp_path, entries)
    assert one(tl, "Ana").summary == (
        "Paged Ana Silva by push at 09:43; phone pages at 09:43 and 09:48 failed (no answer);"
        " SMS page at 09:48 failed"
    )


def test_a_repeat_that_delivered_after_one_that_failed(tmp_path: Path) -> None:
    entries = [trigger(), *_round(1, phone="busy"), *_round(6, phone="success")]
    tl = timeline(tmp_path, entries)
    assert one(tl, "Ana").summary == (
        "Paged Ana Silva by push at 09:43 and 09:48, by phone at 09:48;"
        " phone page at 09:43 failed (line busy)"
    )


def test_pages_that_reached_no_one(tmp_path: Path) -> None:
    entries = [
        trigger(),
        page(1, ANA, "phone_notification", "no_answer"),
        page(6, ANA, "phone_notification", "no_answer"),
    ]
    tl = timeline(tmp_path, entries)
    assert one(tl, "Ana").summary == (
        "Pages to Ana Silva by phone at 09:43 and 09:48 failed (no answer)"
    )


def test_an_escalation_keeps_its_words_and_says_the_repeat(tmp_path: Path) -> None:
    entries = [
        trigger(),
        escalate(5, "Priya Raman", "Kim Nguyen"),
        page(5.2, "Kim Nguyen", "push_notification"),
        page(10, "Kim Nguyen", "push_notification"),
        page(10.3, "Kim Nguyen", "phone_notification", "no_answer"),
    ]
    tl = timeline(tmp_path, entries)
    row = one(tl, "Kim")
    assert row.summary == (
        "Escalated to Kim Nguyen by Priya Raman; paged by push; paged again by push at 09:52;"
        " phone page at 09:52 failed (no answer)"
    )
    assert row.kind == "escalate" and len(row.members) == 2


def test_figures_are_unchanged_by_the_join(tmp_path: Path) -> None:
    """Time to acknowledge runs from the incident start, whatever the page rows."""
    entries = [trigger(), *_round(0.2), *_round(5.2), ack(8, ANA)]
    tl = timeline(tmp_path, entries)
    by_key = {m.key: m.seconds for m in compute(tl)}
    assert by_key["time_to_ack_s"] == 8 * 60
    assert one(tl, "Acknowledged").time == T0 + timedelta(minutes=8)
