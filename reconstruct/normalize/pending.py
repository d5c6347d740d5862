"""Pending, then firing: one alert instance's step, one row.

An alerting tool that waits before it fires (Grafana's pending period, a rule's ``for``) writes
two records of one step: the instance going ``Pending`` (the condition met, not long enough
yet) and, once the period has passed, the same instance firing. Grafana's state annotations
(``GET /api/annotations``; ``historian.BuildAnnotationTextAndData``: ``prevState`` ``Normal``,
``newState`` ``Pending``, then ``Pending`` -> ``Alerting``, the text ``"<rule title> {<labels>} -
B=0.600000, C=1.000000"``) become, through the parser, an ``annotation`` row tagged
``state:pending`` and an ``alert`` row with ref ``rule:<name>:firing``, both tagged with the
rule's ``alertname:`` and the instance's ``label:`` tags.

A pending record (kind ``annotation``, tag ``state:pending``) whose instance's next record of
the same rule (``collapse`` groups records by rule) is a firing (kind ``alert``, state firing) at
most ``[collapse] pending_window`` (default 10 minutes) later joins that firing's row: its time,
key, kind, links and text, "... firing (B=0.6, C=1; pending since 13:58)", and both records as
its ``members`` (time order). Another instance's firing, a firing past the window, or a next
record that is no firing (back to Normal, NoData) leaves the pending record a row of its own.
The instance is the record's ``label:`` tags, all of them: two records without any are one
instance of a rule without instance labels.

**Never fired.** A pending record whose instance's next record is its return to normal without
firing (tag ``never-fired``: Grafana's ``Pending`` -> ``Normal``, any reason: ``Normal
(MissingSeries)``, ``Normal (Updated)``; it ends that pending, however long after) is one row
with it, at the pending record's time: "Grafana alert X (pod=web-00) pending 13:10, back to
normal 13:14 without firing" (tags ``state:pending`` and ``never-fired``, no ``state:normal``: no
clearing). It is neither a firing nor a clearing, nor a re-evaluation: ``collapse`` leaves it out
of a rule's flapping and counts it, in a flapping row ("2 pending never fired"), or, ``min_series``
of them, in a row of their own ("CardAuthP99 went pending 10 times and never fired,
09:42–10:10").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from reconstruct.model import Event, Kind
from reconstruct.normalize.evolve import evolve
from reconstruct.normalize.instances import instance_of

PENDING = "state:pending"
"""Tag of a pre-firing state record (Grafana's ``Pending``)."""
NEVER_FIRED = "never-fired"
"""Tag of a return to normal from Pending (the condition cleared before the pending period
ended: the alert never fired), and of the row joining it to its pending record."""
_NORMAL = "state:normal"


def join_steps(
    group: list[Event], window: timedelta, state: Callable[[Event], str]
) -> tuple[list[Event], set[str]]:
    """``join_pending``, then ``join_never_fired``: one rule's records (time order) with each
    instance's pending record in the row of what followed it, and the keys of the records
    joined."""
    group, taken = join_pending(group, window, state)
    group, quiet = join_never_fired(group)
    return group, taken | quiet


def join_never_fired(group: list[Event]) -> tuple[list[Event], set[str]]:
    """One rule's records (time order) with each pending record whose instance's next record is
    its return to normal without firing (``NEVER_FIRED``) joined with it into one row at the
    pending record's time; and the keys of those returns."""
    next_of: dict[tuple[str, ...], Event] = {}
    pairs: dict[str, Event] = {}  # pending key -> its return to normal
    for event in reversed(group):
        instance = instance_of(event.tags)
        later = next_of.get(instance)
        if (
            later is not None
            and event.kind is Kind.ANNOTATION
            and PENDING in event.tags
            and not event.members
            and NEVER_FIRED in later.tags
        ):
            pairs[event.key] = later
        next_of[instance] = event
    return fold_pairs(group, pairs, _never_fired)


def fold_pairs(
    group: list[Event], pairs: dict[str, Event], join: Callable[[Event, Event], Event]
) -> tuple[list[Event], set[str]]:
    """``group`` with each record whose key ``pairs`` names joined with the record it is paired
    with (``join(kept, taken)``, in the kept record's place) and the taken records left out;
    and the keys taken. ``group`` itself when nothing pairs."""
    if not pairs:
        return group, set()
    taken = {e.key for e in pairs.values()}
    out = []
    for event in group:
        if event.key in taken:
            continue
        other = pairs.get(event.key)
        out.append(event if other is None else join(event, other))
    return out, taken


def moment(when: datetime, day: datetime) -> str:
    """``HH:MM`` of ``when``, with its date when it is another day than ``day``'s."""
    return f"{when:%H:%M}" if when.date() == day.date() else f"{when:%Y-%m-%d %H:%M}"


_PENDING_WORDS = re.compile(r"\bpending\b(?: \([^()]*\))?")
"""The state in a pending record's words, with what it means (``pending (condition met, not
firing yet)``)."""


def _never_fired(pending: Event, normal: Event) -> Event:
    """The row of a pending record and its return to normal without firing."""
    back = moment(normal.time, pending.time)
    words = f"pending {pending.time:%H:%M}, back to normal {back} without firing"
    summary, n = _PENDING_WORDS.subn(words, pending.summary, count=1)
    if not n:
        summary = f"{pending.summary}; back to normal {back} without firing"
    return evolve(
        pending,
        summary=summary,
        sources=tuple(sorted({*pending.sources, *normal.sources})),
        refs=pending.refs | normal.refs,
        tags=(pending.tags | normal.tags | {NEVER_FIRED}) - {_NORMAL},
        members=(pending, normal),
    )


def join_pending(
    group: list[Event], window: timedelta, state: Callable[[Event], str]
) -> tuple[list[Event], set[str]]:
    """One rule's records (time order) with each pending record that led to its instance's
    firing joined into that firing's row, and the keys of the pending records joined.
    ``state``: a record's state as ``collapse`` names it (``firing``, ``resolved``...)."""
    next_of: dict[tuple[str, ...], Event] = {}
    pairs: dict[str, Event] = {}  # firing key -> its pending record
    for event in reversed(group):
        instance = instance_of(event.tags)
        later = next_of.get(instance)
        if (
            later is not None
            and event.kind is Kind.ANNOTATION
            and PENDING in event.tags
            and later.kind is Kind.ALERT
            and state(later) == "firing"
            and later.key not in pairs
            and timedelta(0) <= later.time - event.time <= window
        ):
            pairs[later.key] = event
        next_of[instance] = event
    return fold_pairs(group, pairs, lambda firing, pending: _joined(pending, firing))


def _joined(pending: Event, firing: Event) -> Event:
    since = f"pending since {moment(pending.time, firing.time)}"
    summary = firing.summary
    summary = f"{summary[:-1]}; {since})" if summary.endswith(")") else f"{summary} ({since})"
    return evolve(
        firing,
        summary=summary,
        sources=tuple(sorted({*firing.sources, *pending.sources})),
        refs=firing.refs | pending.refs,
        tags=firing.tags | pending.tags,
        members=(pending, firing),
    )
