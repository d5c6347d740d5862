"""A person's plain messages, counted from the raw records instead of built into events.

Most of a large incident channel is people talking: a plain message (``human`` and
``incident-channel`` tags only, inside the window, its text matching none of ``[classify]``) is
never shown, only counted (``normalize.chatter.set_aside``). Building an event for each costs most
of an offline run, so while the pipeline parses it opens a ``counting_chatter`` block with the
normalizer's own test, and a chat parser hands each such message over before building anything:

    with counting_chatter(window, says_something) as chatter:     # the pipeline
        events = list(source.parse(bundle))
    tally = plain_chatter()                                      # a chat parser
    if tally is not None and tally.take(scope, key, micros, summary):
        continue                                                 # counted: no event

``take`` counts the message (once per key) when it lies inside the window and its text says
nothing the normalizer would keep it for; otherwise the parser builds the event as usual. A
message at most ``[collapse] step_window`` from a record a person wrote in a tool (``written``:
their dashboard annotation or incident note, ``normalize.copies``) is never counted here: it may
be their own copy of it, which ``steps`` joins to its row (the pipeline parses chat sources after
the tools, so those records' times are known first).

A person's message that carries a tag a plain one does not (``thread-reply``, ``edited``, a
reaction no ``[select] emoji`` names) ends exactly like chatter when it is not kept: no step reads
those tags, selection leaves it out under the same reason (``reasons.plain_reason``). One thing
differs: the normalizer sets only plain messages aside up front, so such a message reaches
selection and, left out there, is read for the lead-up (``leadup.choose``'s ``said``: the PRs,
commits and URLs it names). ``take(..., tagged=True)`` counts it only when its text also names
none of those (``names``; no ``names`` given: never) and every reaction is one ``emoji`` does
not keep. The pipeline adds the counts to the timeline's ``omitted`` (per scope, exactly as
``set_aside`` does) and to the source's collected count, so the draft is byte-identical either
way.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from reconstruct.model import Window
from reconstruct.timeutil import ensure_utc

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(when: datetime) -> int:
    return (ensure_utc(when) - _EPOCH) // timedelta(microseconds=1)


@dataclass
class ChatterTally:
    start: int
    """The window, in microseconds since the epoch (inclusive)."""
    end: int
    says_something: Callable[[str], bool]
    """The normalizer's test: would this text of a person's message keep it (a keyword)?"""
    names: Callable[[str], bool] | None = None
    """Would this text name a change for the lead-up (``leadup.names_anything``)? Tagged
    messages are counted only with this test."""
    emoji: frozenset[str] = frozenset()
    """``[select] emoji``: a reaction with one of these keeps a message."""
    counted: Counter[str] = field(default_factory=Counter)
    """scope (``slack:#inc-1234``) -> plain messages counted instead of built."""
    keys: set[str] = field(default_factory=set)
    written: tuple[int, ...] = ()
    """Sorted times (microseconds since the epoch) of records people wrote in tools."""
    step: int = 0
    """``[collapse] step_window`` in microseconds: a message this near a ``written`` time is
    built, not counted."""

    def hold_near(self, times: Iterable[datetime]) -> None:
        """Build (never count) messages at most ``step`` from any of ``times`` (the records
        people wrote in tools, ``normalize.copies.is_written``)."""
        self.written = tuple(sorted(_micros(t) for t in times))

    def _near(self, micros: int) -> bool:
        written = self.written
        i = bisect_left(written, micros - self.step)
        return i < len(written) and written[i] <= micros + self.step

    def take(self, scope: str, key: str, micros: int, summary: str, tagged: bool = False) -> bool:
        """Count this plain message (its time in microseconds since the epoch) and return True,
        or False: the parser builds its event. ``tagged``: a thread reply or an edited message
        (its reactions already checked against ``emoji``)."""
        if key in self.keys:
            return True
        if not summary or not self.start <= micros <= self.end or self.says_something(summary):
            return False
        if tagged and (self.names is None or self.names(summary)):
            return False
        if self.written and self._near(micros):
            return False  # maybe a person's copy of a record they wrote (``normalize.copies``)
        self.keys.add(key)
        self.counted[scope] += 1
        return True


_TALLY: ContextVar[ChatterTally | None] = ContextVar("reconstruct_chatter", default=None)


def plain_chatter() -> ChatterTally | None:
    """The open tally (None outside the pipeline: every record becomes an event)."""
    return _TALLY.get()


@contextmanager
def counting_chatter(
    window: Window,
    says_something: Callable[[str], bool],
    names: Callable[[str], bool] | None = None,
    emoji: Iterable[str] = (),
    step: timedelta = timedelta(0),
) -> Iterator[ChatterTally]:
    """``step``: ``[collapse] step_window`` (``ChatterTally.hold_near``)."""
    tally = ChatterTally(
        _micros(window.start),
        _micros(window.end),
        says_something,
        names,
        frozenset(emoji),
        step=step // timedelta(microseconds=1),
    )
    token = _TALLY.set(tally)
    try:
        yield tally
    finally:
        _TALLY.reset(token)
