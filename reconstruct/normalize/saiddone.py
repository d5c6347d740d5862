"""A step said done in a bare reply: "done" after the person's own step under way.

A responder announces a step in chat ("deleting old indices now: logs-2026.11.20 ..
logs-2026.11.24"), works, and closes it with a bare reply: "done", "done, 1.2TB freed",
"finished". The reply names no step of its own, but it is that step said done, at the reply's
time: time to mitigate counts it (the README's definition: the first step said done).

1. ``said_done`` (before the chatter is counted, ``chatter.set_aside``): a person's plain chat
   message that is a bare done (``result_of``: "done", "done, <result>", "ok done", "finished";
   no step verb of its own, no question) is that person's step said done when it follows their
   own step under way (a ``[classify] mitigate`` match ``classify.under_way`` reads as under way)
   in the same channel (threads included) at most ``[collapse] step_merge_window`` earlier, and
   nothing else of theirs is under way: one step kind (``steps.step_kind``) under way, its latest
   record the step (a step said again under way, "dropping old log indices" then "deleting old
   indices now: ...", is one step); a step of that kind said done by them since closes it. Such
   a reply becomes kind ``mitigate``, tagged ``SAID_DONE`` and ``DONE_OF`` + the key of the step
   it closes, with its reason. Not: another person's "done" (their own step, if any, decides);
   a "done" while two step kinds of theirs are under way (which one is not said: it stays
   chatter, counted); "done?" (a question); "done with the review" (names another thing);
   "done, rolling back next" (a step of its own: ``classify`` reads it).
2. ``join_said_done`` (after ``steps``): the reply joins the row of that step said done by the
   same person (``who:``) in a tool (their annotation "deleted indices logs-2026.11.20..24", or
   their message) at most ``step_merge_window`` from the reply and not before the step began:
   the same step kind and objects (``steps.same_step``, the step under way read as done), the
   closest. The row keeps its words and kind, gains the reply's link, sits at the earlier of
   its time and the reply's, and gains the reply's result words when its own words lack them
   ("deleted indices logs-2026.11.20..24, 1.2TB freed"). With no such row, the reply is its own
   mitigation row, naming the step it closes: "done, 1.2TB freed (of “deleting old indices
   now: ...”, 02:38)".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta

from reconstruct.model import Event, Kind
from reconstruct.normalize.authority import is_chat
from reconstruct.normalize.classify import SAID_DONE, Classifier, under_way
from reconstruct.normalize.evolve import evolve
from reconstruct.normalize.people import person_of
from reconstruct.normalize.steps import joined_rows, same_step, step_kind, step_of, words

__all__ = ["DONE_OF", "SAID_DONE", "join_said_done", "result_of", "said_done"]

DONE_OF = "step:done-of:"
"""Tag prefix: ``step:done-of:<key>``, the key of the record of the step under way it closes."""

_BARE_DONE = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|yep|yes|yup|and|all|k|alright|cool)\W+)*"
    r"(?P<word>done|finished|complete(?:d)?|that'?s done|it'?s done)\b(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
"""A bare done: the done word opening the message (after an acknowledgement), then nothing or a
result after a mark ("done, 1.2TB freed", "done - disk at 82%", "finished.")."""
_RESULT = re.compile(r"^\s*(?:$|[,:;.!)\u2013\u2014-]|[^\w\s?])")
"""What follows the done word of a bare done: nothing, or a mark before its result; a word
("done with the review", "done for today") names what is done."""


def result_of(text: str) -> str | None:
    """The result words of a bare done ("done, 1.2TB freed" -> "1.2TB freed"; "done" -> ""),
    or None when the text is no bare done: no done word opening it, a question ("done?"), a
    word right after it ("done with the review")."""
    found = _BARE_DONE.match(text)
    if found is None or "?" in text:
        return None
    rest = found.group("rest")
    if _RESULT.match(rest) is None:
        return None
    return rest.strip(" \t\n,:;.!-\u2013\u2014").strip()


def said_done(events: Iterable[Event], classifier: Classifier, window: timedelta) -> list[Event]:
    """The events with each bare done that closes its author's one step under way read as that
    step said done (rule 1 of the module). Events in any order; the order is kept."""
    events = list(events)
    said = [
        i
        for i, e in enumerate(events)
        if e.kind is Kind.MESSAGE and "human" in e.tags and e.actor and is_chat(e.sources)
    ]
    closers = {events[i].actor for i in said if result_of(events[i].summary) is not None}
    if not closers:
        return events  # no bare done: most incidents, nothing to read
    chat = sorted(
        (i for i in said if events[i].actor in closers), key=lambda i: (events[i].time, i)
    )
    open_steps: dict[str, dict[str, Event]] = defaultdict(dict)
    out = list(events)
    for index in chat:
        event = events[index]
        who = event.actor or ""
        found = classifier.human_text(event.summary)
        if found is not None:
            if found[0] is Kind.MITIGATE:
                kind = step_kind(event.summary)
                if under_way(found[1], event.summary):
                    open_steps[who][kind] = event
                else:
                    open_steps[who].pop(kind, None)  # said done: closed
            continue
        result = result_of(event.summary)
        if result is None or (result and classifier.human_text(result) is not None):
            continue
        under = [
            (kind, step)
            for kind, step in open_steps[who].items()
            if timedelta(0) <= event.time - step.time <= window
        ]
        if len(under) != 1 or under[0][1].scope != event.scope:
            continue  # none, or which of two steps is not said: chatter
        kind, step = under[0]
        del open_steps[who][kind]
        reason = f'said done after "{_short(step.summary)}" ({step.time:%H:%M})'
        out[index] = evolve(
            event,
            kind=Kind.MITIGATE,
            tags=event.tags | {SAID_DONE, f"{DONE_OF}{step.key}"},
            reason=reason,
        )
    return out


def _short(text: str, most: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= most else line[: most - 1].rstrip() + "\u2026"


def join_said_done(rows: list[Event], window: timedelta) -> tuple[list[Event], int]:
    """The rows with each bare done joined to its step's row said done (rule 2 of the module),
    and how many replies were folded into another row."""
    replies = [i for i, e in enumerate(rows) if SAID_DONE in e.tags and len(e.sources) == 1]
    if not replies:
        return rows, 0
    by_key = {e.key: e for e in rows}
    joined: dict[int, Event] = {}
    taken: set[int] = set()
    for index in replies:
        reply = rows[index]
        began = next((t[len(DONE_OF) :] for t in reply.tags if t.startswith(DONE_OF)), "")
        step_row = by_key.get(began)
        if step_row is None:
            continue
        target = _done_row(rows, index, step_row, window, taken | set(replies))
        result = result_of(reply.summary) or ""
        if target is None:
            words_of = f"{reply.summary} (of \u201c{_short(step_row.summary)}\u201d, "
            rows[index] = evolve(reply, summary=f"{words_of}{step_row.time:%H:%M})")
            continue
        base = joined.get(target, rows[target])
        summary = base.summary
        if result and not words(result) <= words(summary):
            summary = f"{summary.rstrip(' .')}, {result}"
        row = joined_rows([base, reply], base, summary, min(base.time, reply.time))
        reasons = dict.fromkeys(r for r in (base.reason, reply.reason) if r)
        joined[target] = evolve(row, reason="; ".join(reasons))
        taken.add(index)
    out = [joined.get(i, e) for i, e in enumerate(rows) if i not in taken]
    return out, len(taken)


def _done_row(
    rows: list[Event], index: int, step_row: Event, window: timedelta, skip: set[int]
) -> int | None:
    """The row of the step ``step_row`` began said done by the reply's author, closest to the
    reply at ``rows[index]`` within ``window``, not before the step began; None when none."""
    reply = rows[index]
    who = person_of(reply)
    began = step_of(step_row)
    kind = step_kind(step_row.summary)
    best: tuple[timedelta, int] | None = None
    for i, row in enumerate(rows):
        if i == index or i in skip or who is None or person_of(row) != who:
            continue
        found = step_of(row)
        if found is None or found.under_way or found.family != kind:
            continue
        if began is not None and not same_step(replace(began, under_way=False), found):
            continue
        if found.at < step_row.time:
            continue
        gap = abs(found.at - reply.time)
        if gap <= window and (best is None or (gap, i) < best):
            best = (gap, i)
    return best[1] if best is not None else None
