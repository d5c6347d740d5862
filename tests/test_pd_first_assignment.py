"""The trigger's own assignment and exact notification counts (#11, PagerDuty wording).

When an incident triggers, PagerDuty assigns it to the escalation policy's first level and logs
an ``assign_log_entry`` at the trigger's second: ``summary`` "Assigned to Dana Whitfield.",
``assignees`` the on-call users, ``channel`` ``{"type": "auto"}``, its ``agent`` the service or
escalation policy (``service_reference`` / ``escalation_policy_reference``) or none (REST API
v2, List log entries). Each round of the user's notification rules then logs one
``notify_log_entry`` per contact method and device: ``user``, ``channel.notification`` =
``{type, status, address}``. The inputs below are written in those shapes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconstruct.config import CollapseConfig, Config
from reconstruct.render import RenderOptions, render
from tests.test_rows import ack, entry, one, texts, timeline, trigger, user
from tests.test_rows_series import page

DANA = "Dana Whitfield"
SERVICE = {"id": "PSVC", "type": "service_reference", "summary": "checkout"}
POLICY = {"id": "PESCPOL", "type": "escalation_policy_reference", "summary": "Checkout"}


def assigned(
    minutes: float, to: str, agent: dict[str, Any] | None = SERVICE, channel: str = "auto"
) -> dict[str, Any]:
    fields: dict[str, Any] = {"assignees": [user(to)], "channel": {"type": channel}}
    if agent is not None:
        fields["agent"] = agent
    return entry("assign", minutes, summary=f"Assigned to {to}.", **fields)


def rounds(*at: float, name: str = DANA, phones: int = 1) -> list[dict[str, Any]]:
    """Rounds of a person's rules: push at once, each phone number called 20 s later."""
    out = []
    for minutes in at:
        out.append(page(minutes, name, "push_notification", address="Pixel 9"))
        out.extend(
            page(minutes + 1 / 3, name, "phone_notification", "no_answer", f"+1 555 010{n}")
            for n in range(phones)
        )
    return out


@pytest.mark.parametrize(
    ("agent", "channel"),
    [(SERVICE, "auto"), (POLICY, "auto"), (None, "auto"), (SERVICE, "api")],
)
def test_the_triggers_own_assignment_is_worded_as_its_pages(
    tmp_path: Path, agent: dict[str, Any] | None, channel: str
) -> None:
    tl = timeline(tmp_path, [trigger(), assigned(0, DANA, agent, channel), *rounds(0.05, 5.05)])
    row = one(tl, DANA)
    assert row.summary == (
        "Paged Dana Whitfield by push at 09:42 and 09:47; both phone pages failed (no answer)"
    )
    assert not any("assign" in t.lower() for t in texts(tl)), texts(tl)
    assert len({ln.url for ln in row.links}) == 5, "the assign entry and every notify entry"
    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    (joined,) = [e for e in doc["events"] if DANA in e["summary"]]
    assert len(joined["members"]) == 2


def test_paged_once_the_first_assignment_is_the_page(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger(), assigned(0, DANA), *rounds(0.05)])
    assert one(tl, DANA).summary == "Paged Dana Whitfield by push; phone page failed (no answer)"
    assert one(tl, DANA).kind == "page", "the trigger's assignment is no escalation"


def test_a_first_assignment_without_pages_says_assigned_not_reassigned(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger(), assigned(0, DANA)])
    assert one(tl, DANA).summary == "Assigned to Dana Whitfield"


def test_a_person_who_assigned_at_the_trigger_is_named(tmp_path: Path) -> None:
    """A user who created the incident and chose whom: their assignment, not a reassignment."""
    tl = timeline(tmp_path, [trigger(), assigned(0, DANA, user("Raj Patel"), "web_trigger")])
    assert one(tl, DANA).summary == "Assigned to Dana Whitfield by Raj Patel"


def test_a_later_reassignment_by_a_person_stays_a_reassignment(tmp_path: Path) -> None:
    by_raj = entry(
        "assign",
        20,
        summary="Reassigned to Mei Lin by Raj Patel.",
        agent=user("Raj Patel"),
        assignees=[user("Mei Lin")],
        channel={"type": "website"},
    )
    entries = [
        trigger(),
        assigned(0, DANA),
        *rounds(0.05),
        by_raj,
        page(20.1, "Mei Lin", "push_notification"),
    ]
    tl = timeline(tmp_path, entries)
    assert one(tl, "Mei Lin").summary == "Reassigned to Mei Lin by Raj Patel; paged by push"
    assert one(tl, DANA).summary.startswith("Paged Dana Whitfield by push")


def test_a_later_automatic_assignment_stays_a_reassignment(tmp_path: Path) -> None:
    entries = [trigger(), assigned(0, DANA), *rounds(0.05), assigned(15, "Mei Lin")]
    tl = timeline(tmp_path, entries)
    assert one(tl, "Mei Lin").summary == "Reassigned to Mei Lin, automatically"


def test_an_escalation_by_timeout_is_worded_as_now(tmp_path: Path) -> None:
    timeout = entry(
        "escalate",
        10,
        summary="Escalated to level 2 due to timeout.",
        agent=POLICY,
        assignees=[user("Ben Okafor")],
        channel={"type": "timeout"},
    )
    entries = [
        trigger(),
        assigned(0, DANA),
        *rounds(0.05, 5.05),
        timeout,
        page(10.1, "Ben Okafor", "push_notification"),
        page(15.1, "Ben Okafor", "push_notification"),
        ack(16, "Ben Okafor"),
    ]
    tl = timeline(tmp_path, entries)
    assert one(tl, "Escalated").summary == (
        "Escalated to Ben Okafor, level 2, due to timeout; paged by push"
    )
    assert one(tl, DANA).summary.startswith("Paged Dana Whitfield by push at 09:42 and 09:47")


def test_an_ack_between_rounds_ends_the_row(tmp_path: Path) -> None:
    unack = entry("unacknowledge", 4, channel={"type": "timeout"}, summary="Unacknowledged")
    entries = [trigger(), assigned(0, DANA), *rounds(0.05), ack(2, DANA), unack, *rounds(8)]
    tl = timeline(tmp_path, entries)
    assert [t for t in texts(tl) if t.startswith("Paged")] == [
        "Paged Dana Whitfield by push; phone page failed (no answer)",
        "Paged Dana Whitfield by push; phone page failed (no answer)",
    ]


def test_two_people_keep_their_own_rows(tmp_path: Path) -> None:
    entries = [
        trigger(),
        assigned(0, DANA),
        *rounds(0.05),
        page(0.5, "Kim Nguyen", "sms_notification"),
        *rounds(5.05),
    ]
    tl = timeline(tmp_path, entries)
    assert [t for t in texts(tl) if "Dana" in t or "Kim" in t] == [
        "Paged Dana Whitfield by push at 09:42 and 09:47; both phone pages failed (no answer)",
        "Paged Kim Nguyen by SMS",
    ]


def test_two_phone_numbers_at_the_same_second_are_counted_as_calls(tmp_path: Path) -> None:
    """Two numbers per round, two rounds: four calls failed, not "both"."""
    tl = timeline(tmp_path, [trigger(), assigned(0, DANA), *rounds(0.05, 5.05, phones=2)])
    assert one(tl, DANA).summary == (
        "Paged Dana Whitfield by push at 09:42 and 09:47;"
        " all 4 phone pages at 09:42 and 09:47 failed (no answer)"
    )


def test_two_devices_per_round_are_counted_as_notifications(tmp_path: Path) -> None:
    both = [
        page(m, DANA, "push_notification", address=device)
        for m in (0.05, 5.05)
        for device in ("Pixel 9", "iPad")
    ]
    tl = timeline(tmp_path, [trigger(), assigned(0, DANA), *both])
    assert one(tl, DANA).summary == (
        "Paged Dana Whitfield by push at 09:42 and 09:47 (4 notifications)"
    )


def test_a_series_counts_pages_and_notifications_exactly(tmp_path: Path) -> None:
    """14 rounds (push and email each; SMS in 4 of them; a phone call unanswered in 2) after the
    first: the row counts the rounds, and every log entry per method."""
    later = []
    for i in range(14):
        minutes = 2 + i
        later.append(page(minutes, DANA, "push_notification"))
        later.append(page(minutes + 0.1, DANA, "email_notification"))
        if i % 4 == 0:
            later.append(page(minutes + 0.2, DANA, "sms_notification"))
        if i in (5, 9):
            later.append(page(minutes + 0.3, DANA, "phone_notification", "no_answer"))
    tl = timeline(tmp_path, [trigger(), assigned(0, DANA), *rounds(0.05), *later])
    row = one(tl, "times")
    # the first assignment's page and the 14 rounds after it: one row, nothing between them
    assert row.summary == (
        "Dana Whitfield paged 15 times, 09:42–09:57"
        " (36 notifications: 15 push, 14 email, 4 SMS; 3 by phone failed, no answer)"
    )
    assert len(row.members) == 15
    assert not [e for e in tl.events if e.summary.startswith("Paged Dana")]


def test_a_series_none_reached_counts_its_calls(tmp_path: Path) -> None:
    calls = [
        page(1 + 2 * i, DANA, "phone_notification", "no_answer", f"+1 555 010{n}")
        for i in range(5)
        for n in range(2)
    ]
    tl = timeline(tmp_path, [trigger(), *calls])
    assert one(tl, "pages to").summary == (
        "5 phone pages to Dana Whitfield failed (no answer), 09:43–09:51 (10 notifications)"
    )


def test_the_first_assignment_row_says_why_as_a_page(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger(), assigned(0, DANA), *rounds(0.05)])
    assert one(tl, DANA).reason == "responder paged (the trigger's assignment)"


def test_a_first_assignment_whose_pages_reached_no_one_says_so(tmp_path: Path) -> None:
    calls = [page(m, DANA, "phone_notification", "no_answer") for m in (0.05, 5.05)]
    tl = timeline(tmp_path, [trigger(), assigned(0, DANA), *calls])
    assert one(tl, DANA).summary == (
        "Pages to Dana Whitfield by phone at 09:42 and 09:47 failed (no answer)"
    )
    tl = timeline(tmp_path / "once", [trigger(), assigned(0, DANA), calls[0]])
    assert one(tl, DANA).summary == "Page to Dana Whitfield by phone failed (no answer)"


def test_expanded_the_first_assignment_is_worded_as_its_page_too(tmp_path: Path) -> None:
    """``--expand`` joins no rounds, yet the trigger's own assignment reads as the page it is,
    as it does collapsed; the later round stays its own row, and a reassignment keeps its
    words."""
    expand = Config(collapse=CollapseConfig(expand=True))
    entries = [trigger(), assigned(0, DANA), *rounds(0.05, 5.05), assigned(15, "Mei Lin")]
    tl = timeline(tmp_path, entries, config=expand)
    dana = [t for t in texts(tl) if DANA in t]
    assert dana[0] == "Paged Dana Whitfield by push; phone page failed (no answer)", dana
    assert len(dana) == 2, "the second round is its own row when expanded"
    assert not any(t.startswith("Assigned to") for t in texts(tl)), texts(tl)
    assert one(tl, "Mei Lin").summary == "Reassigned to Mei Lin, automatically"


# -- the first page and its repeats (#11): one row when nothing came between ---------------------
def test_the_first_page_and_a_series_of_repeats_are_one_row(tmp_path: Path) -> None:
    """nc12a's shape: the trigger's assignment pages Dana (push, an unanswered call), then four
    more rounds before anyone answers; an author writes one row, not "Paged Dana …" and "Dana
    paged 4 times" under it. The escalation to someone else and the ack stay rows."""
    entries = [trigger(), assigned(0, DANA), *rounds(0.05, 3, 6, 9, 12)]
    entries += [
        escalate_to(15, "Raj Patel"),
        *rounds(15.05, name="Raj Patel"),
        ack(18, "Raj Patel"),
    ]
    tl = timeline(tmp_path, entries)
    dana = [e for e in tl.events if DANA in e.summary]
    assert [e.summary for e in dana] == [
        "Dana Whitfield paged 5 times, 09:42–09:54"
        " (10 notifications: 5 push; 5 by phone failed, no answer)"
    ]
    assert dana[0].time == tl.events[0].time, "at the first page's time"
    assert len(dana[0].members) == 5
    assert dana[0].kind == "page", "led by the trigger's assignment: pages, no escalation"
    assert [e.kind for e in tl.events].count("escalate") == 1, "the one escalation (to Raj)"
    assert [e.summary.split(",")[0] for e in tl.events[-2:]] == [
        "Escalated to Raj Patel",
        "Acknowledged by Raj Patel",
    ]


def test_a_boundary_between_the_first_page_and_its_repeats_keeps_them_apart(
    tmp_path: Path,
) -> None:
    """An escalation to someone else came between: the first page stays its own row, the later
    rounds are the series they were."""
    entries = [trigger(), assigned(0, DANA), *rounds(0.05)]
    entries += [escalate_to(2, "Raj Patel"), *rounds(2.05, name="Raj Patel")]
    entries += rounds(4, 6, 8, 10)  # Dana paged again (a policy that loops)
    tl = timeline(tmp_path, entries)
    assert [e.summary for e in tl.events if DANA in e.summary] == [
        "Paged Dana Whitfield by push; phone page failed (no answer)",
        "Dana Whitfield paged 4 times, 09:46–09:52"
        " (8 notifications: 4 push; 4 by phone failed, no answer)",
    ]


def escalate_to(minutes: float, to: str) -> dict[str, Any]:
    """PagerDuty's ``escalate_log_entry`` of a timeout: level 2, no person's doing."""
    return entry(
        "escalate",
        minutes,
        summary=f"Escalated to {to}.",
        agent=POLICY,
        assignees=[user(to)],
        channel={"type": "timeout"},
    )
