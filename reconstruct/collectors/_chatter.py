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
message that may be a person's copy of a record they wrote in a tool (their dashboard annotation
or incident note, with the same words within ``[collapse] step_window``: ``normalize.copies``)
is never counted here: ``steps`` may join it to that record's row (the pipeline parses chat
sources after the tools and hands their events to ``hold_near`` first).

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

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from reconstruct.model import Event, Window
from reconstruct.normalize.copies import NOWHERE, Written
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
    step: timedelta = timedelta(0)
    """``[collapse] step_window``."""
    share: float = 1.0
    """``[collapse] same_words``."""
    written: Written = NOWHERE
    """The records people wrote in tools (``hold_near``)."""
    mentions: Callable[[str], bool] | None = None
    """Does this text name a commit or repository of a change (``normalize.during.mentions``,
    set by the pipeline from the tools' records)? Such a message is built, not counted."""

    def hold_near(self, events: Iterable[Event]) -> None:
        """Build (never count) a message that may copy one of these events' written records."""
        self.written = Written.of(events, self.step, self.share)

    def take(self, scope: str, key: str, micros: int, summary: str, tagged: bool = False) -> bool:
        """Count this plain message (its time in microseconds since the epoch) and return True,
        or False: the parser builds its event. ``tagged``: a thread reply or an edited message
        (its reactions already checked against ``emoji``)."""
        if key in self.keys:
            return True
        if not summary or not self.start <= micros <= self.end or self.says_something(summary):
            return False
        if self.mentions is not None and self.mentions(summary):
            return False  # ``normalize.during`` reads it
        if tagged and (self.names is None or self.names(summary)):
            return False
        if self.written.micros and self.written.copies_at(micros, summary):
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
    share: float = 1.0,
) -> Iterator[ChatterTally]:
    """``step``, ``share``: ``[collapse] step_window`` and ``same_words``
    (``ChatterTally.hold_near``)."""
    tally = ChatterTally(
        _micros(window.start),
        _micros(window.end),
        says_something,
        names,
        frozenset(emoji),
        step=step,
        share=share,
    )
    token = _TALLY.set(tally)
    try:
        yield tally
    finally:
        _TALLY.reset(token)
