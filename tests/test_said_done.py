"""A bare "done" after the person's own step under way is that step said done (``saiddone``).

nc16b: Kim says "deleting old indices now: ..." in Slack, then "done, 1.2TB freed" six minutes
later, then writes the annotation "deleted indices logs-2026.11.20..24" twenty seconds after
that. The "done" is the deletion said done: time to mitigate is its time, and it joins the
annotation's row (its link, its result words). Negative cases: another person's "done", a
"done" while two steps of Kim's are under way, "done?", "done with the review", a "done" past
``[collapse] step_merge_window``: each stays chatter, counted.

Inputs in the tools' wire formats (helpers in ``tests.test_rows``): Slack
``conversations.history`` messages (``user``, ``text``, ``ts``) with ``users.list`` profiles
(``profile.email`` joins Kim across tools), Grafana ``GET /api/annotations`` items a person
wrote (``login``, ``email``, ``tags``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.config import Config
from reconstruct.model import Kind, Timeline
from reconstruct.normalize.saiddone import result_of
from reconstruct.pipeline import build_timeline
from reconstruct.render import metrics
from tests.test_rows import KIM, LEE, T0, annotation, bundle, said, timeline, trigger, ts

STARTED = "deleting old indices now: logs-2026.11.20 .. logs-2026.11.24"
MARKED = "deleted indices logs-2026.11.20..24"
SCOPE = "slack:#inc-4711"


def kim_annotation(minutes: float, text: str) -> dict[str, Any]:
    record = annotation(minutes, text, "kim", "kim@acme.example")
    record["tags"] = ["mitigation", "elasticsearch"]
    return record


def build(
    tmp_path: Path, messages: list[dict[str, Any]], annotations: list[dict[str, Any]]
) -> Timeline:
    return timeline(tmp_path, [trigger()], messages, [KIM, LEE], annotations)


def mitigated(tl: Timeline) -> timedelta | None:
    mark = metrics.milestones(tl).mitigated
    return None if mark is None else mark.time - T0


def chatter(tl: Timeline) -> int:
    return tl.omitted.get(SCOPE, 0)


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("done", ""),
        ("done, 1.2TB freed", "1.2TB freed"),
        ("Done! disk down to 82%", "disk down to 82%"),
        ("ok done", ""),
        ("finished.", ""),
        ("done - 40GB free now", "40GB free now"),
        ("done?", None),
        ("done with the review", None),
        ("done for today", None),
        ("not done yet", None),
        ("is it done", None),
    ],
)
def test_a_bare_done_and_its_result(text: str, result: str | None) -> None:
    assert result_of(text) == result


def test_done_after_the_persons_step_under_way_is_that_step_said_done(tmp_path: Path) -> None:
    """The nc16b timeline: the reply at +39.1 sets time to mitigate (not the annotation at
    +39.4), and joins the annotation's row: the Slack link, "1.2TB freed" kept."""
    messages = [said("U03KIM", 33.2, STARTED), said("U03KIM", 39.1, "done, 1.2TB freed")]
    tl = build(tmp_path, messages, [kim_annotation(39.4, MARKED)])
    assert mitigated(tl) == timedelta(minutes=39.1)
    done = [e for e in tl.events if e.summary.startswith(MARKED)]
    assert len(done) == 1
    # the start joins too (``startdone``): one row saying when it began
    assert done[0].summary == f"{MARKED}, 1.2TB freed (started 10:15)"
    assert done[0].kind is Kind.MITIGATE
    assert done[0].sources == ("grafana", "slack")
    assert done[0].time == T0 + timedelta(minutes=39.1)
    details = [link.detail for link in done[0].links if link.label.startswith("#")]
    assert details == ["#inc-4711 message", "#inc-4711 start"]
    assert not any(e.summary.startswith("done") for e in tl.events)
    assert chatter(tl) == 0
    assert not [e.summary for e in tl.events if e.summary.startswith("deleting")]


def test_done_in_the_steps_thread_closes_it(tmp_path: Path) -> None:
    """Kim's "done, 1.2TB freed" as a reply in the thread of her "deleting old indices now"
    (``conversations.replies``: the parent, then the reply with ``thread_ts`` and
    ``parent_user_id``): the same step said done, joined to her annotation's row."""
    parent = said("U03KIM", 33.2, STARTED, thread_ts=ts(33.2), reply_count=1)
    reply = said("U03KIM", 39.1, "done, 1.2TB freed", thread_ts=ts(33.2), parent_user_id="U03KIM")
    found = bundle(
        tmp_path,
        [trigger()],
        [parent],
        [KIM, LEE],
        [kim_annotation(39.4, MARKED)],
        replies={ts(33.2): [parent, reply]},
    )
    tl = build_timeline(found, Config())
    assert mitigated(tl) == timedelta(minutes=39.1)
    (row,) = [e for e in tl.events if e.summary.startswith(MARKED)]
    assert row.summary == f"{MARKED}, 1.2TB freed (started 10:15)"  # the parent joins too
    assert any("thread_ts=" in link.url for link in row.links)


def test_done_with_no_record_of_the_step_is_its_own_row(tmp_path: Path) -> None:
    """No annotation: the reply is the step said done, a row naming the step it closes."""
    messages = [said("U03KIM", 33.2, STARTED), said("U03KIM", 39.1, "done")]
    tl = build(tmp_path, messages, [])
    assert mitigated(tl) == timedelta(minutes=39.1)
    (row,) = [e for e in tl.events if e.summary.startswith("done")]
    assert row.kind is Kind.MITIGATE
    assert row.summary == f"done (of \u201c{STARTED}\u201d, {T0 + timedelta(minutes=33.2):%H:%M})"


def test_the_result_words_the_row_already_says_are_not_repeated(tmp_path: Path) -> None:
    messages = [said("U03KIM", 33.2, STARTED), said("U03KIM", 39.1, "done, 1.2TB freed")]
    tl = build(tmp_path, messages, [kim_annotation(39.4, f"{MARKED} (1.2TB freed)")])
    (row,) = [e for e in tl.events if e.summary.startswith(MARKED)]
    assert row.summary == f"{MARKED} (1.2TB freed) (started 10:15)"


@pytest.mark.parametrize(
    "messages",
    [
        pytest.param(
            [said("U03KIM", 33.2, STARTED), said("U02LEE", 39.1, "done, 1.2TB freed")],
            id="another person's done",
        ),
        pytest.param(
            [
                said("U03KIM", 33.2, STARTED),
                said("U03KIM", 35.0, "restarting es-data-17 now"),
                said("U03KIM", 39.1, "done, 1.2TB freed"),
            ],
            id="two steps of theirs under way",
        ),
        pytest.param([said("U03KIM", 33.2, STARTED), said("U03KIM", 39.1, "done?")], id="done?"),
        pytest.param(
            [said("U03KIM", 33.2, STARTED), said("U03KIM", 39.1, "done with the review")],
            id="done with the review",
        ),
        pytest.param(
            [said("U03KIM", 10.0, STARTED), said("U03KIM", 39.1, "done, 1.2TB freed")],
            id="past step_merge_window",
        ),
        pytest.param(
            [
                said("U03KIM", 33.2, STARTED.replace("deleting", "deleted").replace(" now", "")),
                said("U03KIM", 39.1, "done, 1.2TB freed"),
            ],
            id="the step was already said done",
        ),
    ],
)
def test_a_done_that_closes_no_one_step_stays_chatter(
    tmp_path: Path, messages: list[dict[str, Any]]
) -> None:
    """The reply is counted as chatter, the annotation's row keeps its words and link, and
    time to mitigate is the annotation's (or the step said done's)."""
    tl = build(tmp_path, messages, [kim_annotation(39.4, MARKED)])
    assert not any(e.summary.startswith("done") for e in tl.events)
    assert chatter(tl) == 1
    assert not any("1.2TB freed" in e.summary and e.summary.startswith(MARKED) for e in tl.events)
    assert mitigated(tl) is not None and mitigated(tl) != timedelta(minutes=39.1)
