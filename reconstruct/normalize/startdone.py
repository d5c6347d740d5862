"""A step's start joins its end: one person's step said under way, then said done, is one row.

A responder announces a step ("deleting old indices now: logs-2026.11.20 .. logs-2026.11.24",
02:38) and reports it done ("deleted indices logs-2026.11.20..24, 1.2TB freed", 02:44, in chat
or as their annotation). An author writes one row, at the time it was done, that says when it
began: "02:44 Hana Sato: deleted indices logs-2026.11.20..24, 1.2TB freed (started 02:38)", as
a deploy row says "(started 14:35 via deploybot)".

``join_starts`` (after ``steps`` and ``saiddone``): each record of a person's step under way
(``steps.under_way``: their message or note ``classify`` tagged under way) joins the first later
row of the same person (``who:``) that says a step of the same kind done (``steps.step_of``, not
under way; ``steps.step_kind`` for a start naming no object) with objects in common or none
different (``steps.same_step``, the start read as done), at most ``[collapse]
step_merge_window`` after it, when no other row of theirs said that kind done between them. The
row keeps the done record's time, kind, key and words (time to mitigate counts the step said
done, as before), adds "(started HH:MM)" (the earliest start), and keeps every link and record
(JSON ``members``). Not joined: another person's start or end; a start whose end is later than
the window or of another kind or object; a start with no end (it stays its own row, the step
under way).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from reconstruct.model import Event
from reconstruct.normalize.classify import UNDER_WAY
from reconstruct.normalize.evolve import evolve
from reconstruct.normalize.people import person_of
from reconstruct.normalize.saiddone import DONE_OF
from reconstruct.normalize.steps import joined_rows, same_step, step_kind, step_of, under_way

__all__ = ["join_starts"]

_SAYS_STARTED = re.compile(r"\bstarted (?:at )?\d{1,2}:\d{2}")
"""Words that already say when the step began ("(started 14:02 via acme-deployer)")."""


def join_starts(rows: list[Event], window: timedelta) -> tuple[list[Event], int]:
    """The rows (time order) with each step's start joined to its end (the module's rule), and
    how many start records were folded into another row."""
    starts = [i for i, row in enumerate(rows) if under_way(row) and step_kind(row.summary)]
    if not starts:
        return rows, 0
    ends: dict[int, list[int]] = {}
    for index in starts:
        end = _end_of(rows, index, window, set(starts))
        if end is not None:
            ends.setdefault(end, []).append(index)
    if not ends:
        return rows, 0
    joined: dict[int, Event] = {}
    for end, begun in ends.items():
        done = rows[end]
        records = [rows[i] for i in begun]
        first = min(r.time for r in records)
        summary = done.summary
        if not _SAYS_STARTED.search(summary) and not _names_its_start(done):
            summary = f"{summary.rstrip(' .')} (started {first:%H:%M})"
        row = joined_rows([done, *records], done, summary, done.time)
        began_at = {link.url for record in records for link in record.links[:1]}
        links = tuple(  # the start's own link says so: "#inc-7734 start" beside "#inc-7734 message"
            replace(link, detail=f"{link.label or link.source} start")
            if link.url in began_at
            else link
            for link in row.links
        )
        reasons = dict.fromkeys(r for r in (done.reason, *(e.reason for e in records)) if r)
        tags = row.tags if UNDER_WAY in done.tags else row.tags - {UNDER_WAY}  # said done
        joined[end] = evolve(row, reason="; ".join(reasons), tags=tags, links=links)
    taken = {i for begun in ends.values() for i in begun}
    return [joined.get(i, e) for i, e in enumerate(rows) if i not in taken], len(taken)


def _names_its_start(done: Event) -> bool:
    """A bare "done" row that already names the step it closes and when ("done, 1.2TB freed (of
    “deleting old indices now”, 02:38)", ``saiddone``): its words say when it began."""
    return "(of \u201c" in done.summary and any(tag.startswith(DONE_OF) for tag in done.tags)


def _end_of(rows: list[Event], index: int, window: timedelta, starts: set[int]) -> int | None:
    """The row that says the step ``rows[index]`` began done: the same person's first later row
    saying that kind of step done within ``window``, of the same objects (a start naming none
    takes the kind alone); None when the first such row is of other objects, or none is."""
    start = rows[index]
    who = person_of(start)
    if who is None:
        return None
    kind = step_kind(start.summary)
    began = step_of(start)
    for i in range(index + 1, len(rows)):
        row = rows[i]
        if row.time - start.time > window:
            return None
        if i in starts or person_of(row) != who:
            continue
        found = step_of(row)
        if found is None or found.under_way or found.family != kind:
            continue
        if began is not None and not same_step(replace(began, under_way=False), found):
            return None  # their next end of that kind is of another object
        return i
    return None
