"""``evolve(event, **changes)``: ``dataclasses.replace`` for ``Event``, several times faster.

``new_event(...)`` builds an ``Event`` from all its fields (in declaration order) without the
frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field): it sets the slots
directly, about twice as fast, with the same result (``Event`` has no ``__post_init__``).
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

from reconstruct.model import Event, Kind, Link

_new = object.__new__
(
    _time,
    _kind,
    _summary,
    _sources,
    _links,
    _key,
    _actor,
    _refs,
    _tags,
    _scope,
    _reason,
    _members,
    _edited_at,
) = (Event.__dict__[f.name].__set__ for f in fields(Event))


def new_event(
    time: datetime,
    kind: Kind,
    summary: str,
    sources: tuple[str, ...],
    links: tuple[Link, ...],
    key: str,
    actor: str | None,
    refs: frozenset[str],
    tags: frozenset[str],
    scope: str,
    reason: str,
    members: tuple[Event, ...] = (),
    edited_at: datetime | None = None,
) -> Event:
    """``Event(time, kind, ..., reason, members, edited_at)`` with every field given, without
    ``__init__``."""
    event: Event = _new(Event)
    _time(event, time)
    _kind(event, kind)
    _summary(event, summary)
    _sources(event, sources)
    _links(event, links)
    _key(event, key)
    _actor(event, actor)
    _refs(event, refs)
    _tags(event, tags)
    _scope(event, scope)
    _reason(event, reason)
    _members(event, members)
    _edited_at(event, edited_at)
    return event


def evolve(
    event: Event,
    *,
    time: datetime | None = None,
    kind: Kind | None = None,
    summary: str | None = None,
    links: tuple[Link, ...] | None = None,
    sources: tuple[str, ...] | None = None,
    refs: frozenset[str] | None = None,
    tags: frozenset[str] | None = None,
    reason: str | None = None,
    members: tuple[Event, ...] | None = None,
) -> Event:
    return new_event(
        event.time if time is None else time,
        event.kind if kind is None else kind,
        event.summary if summary is None else summary,
        event.sources if sources is None else sources,
        event.links if links is None else links,
        event.key,
        event.actor,
        event.refs if refs is None else refs,
        event.tags if tags is None else tags,
        event.scope,
        event.reason if reason is None else reason,
        event.members if members is None else members,
        event.edited_at,
    )
