"""Times: every event in UTC, and the split between what lies in the window and what does not."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

from reconstruct.model import Event, Window
from reconstruct.normalize.evolve import evolve
from reconstruct.normalize.regions import REGION, overlaps
from reconstruct.timeutil import ensure_utc

OUTSIDE = "outside window"
"""The ``omitted`` key for events outside ``[window.leadup_start, window.end]``."""


def as_utc(event: Event) -> Event:
    """The event with its time in UTC. A naive time raises ``TimeFormatError`` (a parser bug)."""
    if event.time.tzinfo is UTC:
        return event
    return evolve(event, time=ensure_utc(event.time))


def in_window(events: Iterable[Event], window: Window) -> tuple[list[Event], int]:
    """Events within ``[window.leadup_start, window.end]`` (and regions still going at
    ``window.start``: ``regions.overlaps``), and how many were outside."""
    lo, hi = ensure_utc(window.leadup_start), ensure_utc(window.end)
    start = ensure_utc(window.start)
    events = events if isinstance(events, list) else list(events)
    kept = [
        event
        for event in events
        if lo <= event.time <= hi or (REGION in event.tags and overlaps(event, start, hi))
    ]
    return kept, len(events) - len(kept)


def outside_of(events: Iterable[Event], window: Window) -> list[Event]:
    """The events ``in_window`` leaves out."""
    lo, hi = ensure_utc(window.leadup_start), ensure_utc(window.end)
    start = ensure_utc(window.start)
    return [
        event
        for event in events
        if not (lo <= event.time <= hi or (REGION in event.tags and overlaps(event, start, hi)))
    ]
