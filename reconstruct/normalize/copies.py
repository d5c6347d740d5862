"""A person's chat message that may be their own copy of what they wrote in another tool.

``steps`` (rule 3) joins one person's words in two tools: their message in the incident channel
and their dashboard annotation (tag ``written``) or incident note (tag ``note``) with the same
words, within ``[collapse] step_window``. A message whose words classify as nothing ("Force-renewed
cert for api.acme.example via cert-manager") would otherwise be counted as chatter before
``steps`` runs (the Slack parser's tally, ``chatter.set_aside``, ``select``), and the record's
row would lack the message's link. So such a message is held back instead: a person's plain
message at most ``step_window`` from a record a person wrote in a tool that is not chat (its
time found by bisection in the sorted times of those records: set-aside stays one comparison
per message when there is none, a bisection when there are some) reaches ``steps``; one that
joins nothing there is then counted under the reason selection gives it (``reasons.omission``:
"messages without a keyword, pin or reaction in <scope>"), exactly as before.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from reconstruct.model import Event
from reconstruct.normalize.authority import chat_only
from reconstruct.normalize.echoes import NOTE
from reconstruct.normalize.instances import WRITTEN

WRITTEN_TAGS = frozenset({WRITTEN, NOTE})


def is_written(event: Event) -> bool:
    """A record a person wrote in a tool that is not chat: a dashboard annotation they added
    (``written``) or an incident note (``note``); never a bot's."""
    tags = event.tags
    return (
        not tags.isdisjoint(WRITTEN_TAGS)
        and "bot" not in tags
        and event.sources not in chat_only()
        and bool(event.sources)
    )


@dataclass(frozen=True, slots=True)
class Written:
    """The sorted times of the records people wrote in tools, and the step window."""

    times: tuple[datetime, ...]
    window: timedelta

    @classmethod
    def of(cls, events: Iterable[Event], window: timedelta) -> Written:
        return cls(tuple(sorted(e.time for e in events if is_written(e))), window)

    def near(self, when: datetime) -> bool:
        """Whether a record people wrote lies at most ``window`` from ``when`` (UTC)."""
        times = self.times
        if not times:
            return False
        i = bisect_left(times, when - self.window)
        return i < len(times) and times[i] <= when + self.window


NOWHERE = Written((), timedelta(0))
"""No record people wrote: nothing is held back."""


def could_copy(event: Event, written: Written) -> bool:
    """A person's chat message (tag ``human``, not a bot's) near a record people wrote."""
    return (
        bool(written.times)
        and "human" in event.tags
        and "bot" not in event.tags
        and event.sources in chat_only()
        and written.near(event.time)
    )


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
