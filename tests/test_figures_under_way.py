"""Time to mitigate counts the first mitigation said done; one said under way ("starting the
failover", "revert in progress", "rolling back now") only when no step is said done.

Slack ``conversations.history`` messages written here, as in ``test_figures_wire``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconstruct.model import Kind
from tests.test_figures_wire import at, bundle, figures, markdown, slack_message, timeline_of

START = at(13, 44)


def mitigated(tmp_path: Path, *said: tuple[int, str]) -> tuple[int | None, str]:
    messages = [slack_message(at(14, minute), text) for minute, text in said]
    tl = timeline_of(bundle(tmp_path, START, at(15, 0), messages=messages))
    steps = [e for e in tl.events if e.kind is Kind.MITIGATE]
    records = {m.summary for e in steps for m in (*e.members, e)}
    assert all(text in records for _, text in said), said  # a row, or a start joined to its end
    line = next(ln for ln in markdown(tl).splitlines() if "Time to mitigate" in ln)
    return figures(tl)["time_to_mitigate_s"], line


@pytest.mark.parametrize(
    ("first", "done"),
    [
        (
            "starting patronictl failover orders-pg --candidate orders-pg-replica-1 now",
            "failover completed",
        ),
        ("rolling back checkout to v2.3.0 now", "rolled back checkout to v2.3.0"),
        ("kicked off the failover to replica-1", "failover done, writes are back"),
        ("revert in progress, raising maxmemory as stopgap", "raised redis maxmemory 12gb -> 16gb"),
    ],
)
def test_a_step_said_done_counts_over_one_said_under_way(
    tmp_path: Path, first: str, done: str
) -> None:
    seconds, line = mitigated(tmp_path, (5, first), (12, done))
    assert seconds == 28 * 60, line  # 13:44 -> 14:12, the step said done


def test_a_step_under_way_counts_when_none_is_said_done(tmp_path: Path) -> None:
    seconds, line = mitigated(tmp_path, (5, "rolling back checkout to v2.3.0 now"))
    assert seconds == 21 * 60, line


def test_a_step_said_done_first_counts_at_its_time(tmp_path: Path) -> None:
    seconds, line = mitigated(
        tmp_path, (5, "rolled back checkout to v2.3.0"), (12, "restarting the pods too")
    )
    assert seconds == 21 * 60, line


@pytest.mark.parametrize(
    "done",
    ["finished rolling back checkout to v2.3.0", "done rolling back checkout to v2.3.0"],
)
def test_a_step_said_finished_in_an_ing_form_is_done(tmp_path: Path, done: str) -> None:
    seconds, line = mitigated(tmp_path, (5, done), (12, "rolled back payments to v1.9.0"))
    assert seconds == 21 * 60, line  # found by a tester: "finished rolling back" was under way
