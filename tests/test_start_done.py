"""A step's start joins its end (#11): one person's "restarting checkout now" and, minutes later,
their "restarted checkout" (in chat, or as their Grafana annotation) are one row at the time it
was done, saying when it began; two people, another object, or an end past
``[collapse] step_merge_window`` keep them apart.

Inputs in the tools' wire formats: Slack ``conversations.history`` messages (``ts``, ``user``),
``users.list`` profiles with emails, Grafana ``GET /api/annotations`` (``time`` in epoch ms,
``login``/``email``), a PagerDuty incident and its trigger log entry.
"""

from __future__ import annotations

from pathlib import Path

from reconstruct.model import Kind
from tests.test_figures_wire import figures
from tests.test_rows import KIM, LEE, annotation, said, texts, timeline, trigger

USERS = [LEE, KIM]


def steps_of(tl: object) -> list[str]:
    return [e.summary for e in tl.events if "checkout" in e.summary or "payments" in e.summary]  # type: ignore[attr-defined]


def test_a_persons_start_and_their_end_are_one_row_at_the_end(tmp_path: Path) -> None:
    start = said("U02LEE", 5, "restarting the checkout pods now")
    done = said("U02LEE", 9, "restarted the checkout pods, errors dropping")
    tl = timeline(tmp_path, [trigger()], [start, done], USERS)
    (row,) = [e for e in tl.events if "checkout pods" in e.summary]
    assert row.summary == "restarted the checkout pods, errors dropping (started 09:47)"
    assert row.time == tl.events[0].time.replace(minute=51), "at the time it was done"
    assert len(row.links) == 2 and len(row.members) == 2, "both records kept"
    assert [ln.detail for ln in row.links] == ["#inc-4711 message", "#inc-4711 start"]
    assert row.kind is Kind.MITIGATE
    assert figures(tl)["time_to_mitigate_s"] == 9 * 60, "counts the step said done"


def test_a_start_joins_the_persons_annotation_of_the_step(tmp_path: Path) -> None:
    start = said("U02LEE", 5, "rolling back checkout to v2.3.0 now")
    note = annotation(9, "Rolled back checkout to v2.3.0", "lee", "lee@acme.example")
    tl = timeline(tmp_path, [trigger()], [start], USERS, [note])
    (row,) = [e for e in tl.events if "checkout to v2.3.0" in e.summary]
    assert row.summary.endswith("(started 09:47)") and len(row.links) == 2, texts(tl)


def test_another_persons_end_never_joins_a_start(tmp_path: Path) -> None:
    start = said("U02LEE", 5, "restarting the checkout pods now")
    done = said("U03KIM", 9, "restarted the checkout pods")
    tl = timeline(tmp_path, [trigger()], [start, done], USERS)
    assert len([e for e in tl.events if "checkout pods" in e.summary]) == 2, texts(tl)
    assert not any("(started" in t for t in texts(tl))


def test_an_end_past_the_window_or_of_another_object_stays_apart(tmp_path: Path) -> None:
    start = said("U02LEE", 5, "restarting the checkout pods now")
    late = said("U02LEE", 30, "restarted the checkout pods")  # 25 minutes on: past 20m
    tl = timeline(tmp_path, [trigger()], [start, late], USERS)
    assert len([e for e in tl.events if "checkout pods" in e.summary]) == 2, texts(tl)
    other = said("U02LEE", 9, "restarted the payments pods")
    tl = timeline(tmp_path / "other", [trigger()], [start, other], USERS)
    assert not any("(started" in t for t in texts(tl)), texts(tl)


def test_a_start_with_no_end_stays_its_own_row(tmp_path: Path) -> None:
    start = said("U02LEE", 5, "restarting the checkout pods now")
    tl = timeline(tmp_path, [trigger()], [start], USERS)
    (row,) = [e for e in tl.events if "checkout pods" in e.summary]
    assert row.summary == "restarting the checkout pods now"
