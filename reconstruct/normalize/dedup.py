"""Exact duplicates: the same record (same ``key``) seen twice becomes one event.

A ``thread_broadcast`` read from history and from the thread's replies, overlapping pages, the same
bundle read twice. The copies' links, refs, tags and sources are unioned; which copy supplies the
other fields does not depend on input order.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconstruct.model import Event
from reconstruct.normalize.evolve import evolve


def dedup_exact(events: Iterable[Event]) -> list[Event]:
    """One event per key, in first-seen order of the keys."""
    events = events if isinstance(events, list) else list(events)
    if len({event.key for event in events}) == len(events):
        return events  # no key seen twice (the usual case): one set, no dict of lists
    by_key: dict[str, Event | list[Event]] = {}
    for event in events:
        seen = by_key.get(event.key)
        if seen is None:
            by_key[event.key] = event
        elif isinstance(seen, list):
            seen.append(event)
        else:
            by_key[event.key] = [seen, event]
    return [v if isinstance(v, Event) else union_copies(v) for v in by_key.values()]


def _rank(event: Event) -> tuple[object, ...]:
    return (
        event.time,
        event.kind.value,
        event.summary,
        event.actor or "",
        event.scope,
        event.reason,
    )


def union_copies(copies: list[Event]) -> Event:
    """Copies of one record as one event: the earliest copy's fields, everything else unioned."""
    base = min(copies, key=_rank)
    return evolve(
        base,
        links=tuple(sorted({link for c in copies for link in c.links})),
        refs=frozenset().union(*(c.refs for c in copies)),
        tags=frozenset().union(*(c.tags for c in copies)),
        sources=tuple(sorted({s for c in copies for s in c.sources})),
    )
