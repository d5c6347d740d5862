"""A person's chat message that may be their own copy of what they wrote in another tool.

``steps`` (rule 3) joins one person's words in two tools: their message in the incident channel
and their dashboard annotation (tag ``written``) or incident note (tag ``note``) with the same
words, within ``[collapse] step_window``. A message whose words classify as nothing ("Force-renewed
cert for api.acme.example via cert-manager") would otherwise be counted as chatter before
``steps`` runs (the Slack parser's tally, ``chatter.set_aside``, ``select``), and the record's
row would lack the message's link. So such a message is held back instead: a person's message
at most ``step_window`` from a record a person wrote in a tool that is not chat, with the same
words as that record (``steps.share_words`` and ``steps.agree``, the rule ``steps`` applies; the
person is not known yet, the words are). The records' times are sorted once and bisected, so
set-aside costs one comparison per message when there is no such record and a bisection when
there are some; only a message in a record's window has its words read. One that joins nothing
in ``steps`` (another person's, say) is then counted under the reason selection gives it
(``reasons.omission``: "messages without a keyword, pin or reaction in <scope>"), as before.

A bot's post outside the incident channel that may report such a record (``Written.reports``:
the same words and ``steps.names`` within the window; ``steps`` rule 4) is held back the same
way, and counted as "bot posts about other services in <scope>" when it joins nothing.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from reconstruct.model import Event
from reconstruct.normalize.authority import chat_only
from reconstruct.normalize.echoes import NOTE
from reconstruct.normalize.instances import WRITTEN
from reconstruct.normalize.steps import (
    MIN_WORDS,
    TOOL_KINDS,
    agree,
    identifiers,
    names,
    share_words,
    words,
)

WRITTEN_TAGS = frozenset({WRITTEN, NOTE})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def is_written(event: Event) -> bool:
    """A record a person wrote in a tool that is not chat: a dashboard annotation they added
    (``written``) or an incident note (``note``); never a bot's."""
    tags = event.tags
    return (
        not tags.isdisjoint(WRITTEN_TAGS)
        and "bot" not in tags
        and bool(event.sources)
        and event.sources not in chat_only()
    )


@dataclass(frozen=True, slots=True)
class Written:
    """The records people wrote in tools, in time order: their times, and each text's
    ``words`` and ``identifiers``; the step window and ``[collapse] same_words``."""

    times: tuple[datetime, ...]
    said: tuple[tuple[frozenset[str], frozenset[str], tuple[str, ...]], ...]
    """Per record: its ``words``, its ``identifiers``, and its words longest first (a message
    holding fewer than ``MIN_WORDS`` of them, even inside other words, cannot share its words:
    a few substring tests spare most messages the word split)."""
    window: timedelta
    share: float
    micros: tuple[int, ...] = ()
    """``times`` in microseconds since the epoch (``copies_at``, the chatter tally's clock)."""

    @classmethod
    def of(cls, events: Iterable[Event], window: timedelta, share: float) -> Written:
        found = sorted((e.time, e.summary) for e in events if is_written(e))
        return cls(
            tuple(t for t, _ in found),
            tuple(_said(text) for _, text in found),
            window,
            share,
            tuple((t - _EPOCH) // _MICRO for t, _ in found),
        )

    def copies(self, when: datetime, text: str) -> bool:
        """Whether a message of ``text`` at ``when`` (UTC) may be its author's copy of one of
        these records: at most ``window`` apart, with the same words."""
        times = self.times
        if not times:
            return False
        low = bisect_left(times, when - self.window)
        high = bisect_right(times, when + self.window, low)
        return low < high and self._shares(low, high, text)

    def copies_at(self, micros: int, text: str) -> bool:
        """``copies`` at a time in microseconds since the epoch (no datetime is built)."""
        times, step = self.micros, self.window // _MICRO
        low = bisect_left(times, micros - step)
        high = bisect_right(times, micros + step, low)
        return low < high and self._shares(low, high, text)

    def reports(self, when: datetime, text: str) -> bool:
        """Whether a bot's post of ``text`` at ``when`` may report one of these records (a tool
        posting the event a service account annotated): at most ``window`` apart, with the same
        words and the same ``steps.names`` (a post and a record state numbers and times
        differently: "lag 0 B", "for 41s")."""
        times = self.times
        if not times:
            return False
        low = bisect_left(times, when - self.window)
        high = bisect_right(times, when + self.window, low)
        if low == high:
            return False
        mine, named = words(text), names(identifiers(text))
        return bool(named) and any(
            share_words(mine, theirs, self.share) and bool(n := names(ids)) and agree(named, n)
            for theirs, ids, _ in self.said[low:high]
        )

    def _shares(self, low: int, high: int, text: str) -> bool:
        """Whether ``text`` has the same words as a record of ``said[low:high]``."""
        lowered = text.lower() if text.isascii() else text.casefold()  # as ``words`` reads it
        mine: frozenset[str] | None = None
        ids: frozenset[str] | None = None
        for theirs, their_ids, longest in self.said[low:high]:
            hits = 0
            for word in longest:
                if word in lowered:
                    hits += 1
                    if hits == MIN_WORDS:
                        break
            else:
                continue  # fewer than MIN_WORDS of its words anywhere in the text
            mine = words(text) if mine is None else mine
            if share_words(mine, theirs, self.share):
                ids = identifiers(text) if ids is None else ids
                if agree(ids, their_ids):
                    return True
        return False


def _said(text: str) -> tuple[frozenset[str], frozenset[str], tuple[str, ...]]:
    said = words(text)
    return said, identifiers(text), tuple(sorted(said, key=lambda w: (-len(w), w)))


NOWHERE = Written((), (), timedelta(0), 1.0)
"""No record people wrote: nothing is held back."""


def could_copy(event: Event, written: Written) -> bool:
    """A person's chat message (tag ``human``, not a bot's) that may copy a written record, or
    a bot's post outside the incident channel that may report one (``Written.reports``)."""
    if not written.times or event.sources not in chat_only():
        return False
    if "bot" in event.tags:
        return (
            "incident-channel" not in event.tags
            and event.kind not in TOOL_KINDS
            and written.reports(event.time, event.summary)
        )
    return "human" in event.tags and written.copies(event.time, event.summary)


def unjoined(
    rows: list[Event], held: list[tuple[Event, str]]
) -> tuple[list[Event], list[Event], list[tuple[Event, str]]]:
    """``rows`` (after ``steps``) without the held-back messages that joined nothing; the held
    messages that joined a record (each now in a row of several sources); and those that did
    not, with the reason selection gave them (``held``: each message and that reason)."""
    alone = {row.key for row in rows if len(row.sources) == 1}
    left = [(event, reason) for event, reason in held if event.key in alone]
    if not left:
        return rows, [event for event, _ in held], []
    out = {event.key for event, _ in left}
    joined = [event for event, _ in held if event.key not in out]
    return [row for row in rows if row.key not in out], joined, left
