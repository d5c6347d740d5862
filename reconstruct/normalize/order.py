"""The timeline's order: ``(time, kind order, key)``, total and deterministic."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from reconstruct.model import Event, Kind

KIND_ORDER: dict[Kind, int] = {kind: i for i, kind in enumerate(Kind)}
"""Within one instant: cause before effect (change, deploy, alert, page, ack, ... message)."""


def order_key(event: Event) -> tuple[datetime, int, str]:
    return (event.time, KIND_ORDER[event.kind], event.key)


def ordered(events: Iterable[Event]) -> list[Event]:
    """Sorted by ``order_key``: on the float timestamps first (a timestamp never decreases with
    the time in UTC; floats sort several times faster than datetimes), ties by ``order_key``."""
    events = list(events)
    if not all(event.time.tzinfo is UTC for event in events):
        return sorted(events, key=order_key)  # (normalize gives UTC times only)
    stamps = [event.time.timestamp() for event in events]
    return [events[k] for k in argsort(stamps, lambda k: order_key(events[k]))]


def argsort(primary: list[float], exact: Callable[[int], Any]) -> list[int]:
    """The indices of ``primary`` in ascending order, runs of equal values ordered by ``exact``.

    Sorting floats is several times faster than sorting tuples or big ints; ties (rare with
    sub-second times) are ordered by the exact key, so the result is that of sorting by
    ``(primary, exact)``."""
    order = sorted(range(len(primary)), key=primary.__getitem__)
    if len(set(primary)) == len(primary):
        return order
    values = [primary[k] for k in order]
    tied = [pos for pos in range(1, len(values)) if values[pos] == values[pos - 1]]
    # Consecutive tied positions belong to one run of equal values.
    at = 0
    while at < len(tied):
        start, stop = tied[at] - 1, tied[at] + 1
        while at + 1 < len(tied) and tied[at + 1] == stop:
            stop += 1
            at += 1
        order[start:stop] = sorted(order[start:stop], key=exact)
        at += 1
    return order
