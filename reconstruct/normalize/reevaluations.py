"""Re-evaluations: a state record that changes nothing an author cares about rides in the row
of the record whose state it keeps.

An alerting tool writes a state record whenever a rule's evaluation changes its state *or* the
reason for it: Grafana records a transition when ``PreviousState != State`` or
``PreviousStateReason != StateReason`` (``ngalert/state`` ``StateTransition.Changed``), so an
instance still firing whose query returned no data, under the rule's ``KeepLast`` handling, is
a record ``prevState`` ``Alerting``, ``newState`` ``Alerting (NoData, KeepLast)`` (the parser:
an ``annotation`` row "... still firing (no data, last state kept)", tag ``state:alerting``).

A record is a **re-evaluation** when it is no firing or clearing of its own (kind
``annotation``: a new firing or clearing is kind ``alert``) and its state, as ``collapse``
names it (``firing``, ``resolved``, ``nodata``...), is the state of its instance's previous
record of the same rule (the instance: its ``label:`` tags, ``instances.instance_of``). It joins
that record's row, the **root** (the first record of a chain of re-evaluations): the root keeps
its time, key, kind, text and links, and holds the re-evaluations as ``members`` after its own
records, so a storm's row, a series row or the root's own row counts them and JSON keeps each
one. Never a re-evaluation: a record tagged ``stopped`` (the rule paused, updated or deleted:
"still firing, rule paused" is news); a pending that never fired (``pending.NEVER_FIRED``);
a record whose instance has no earlier record (the only record of its instance, say the firing
began before the window: it stays a row); a change of
state (``Alerting`` -> ``NoData``, a rule going NoData, or ``Error``: a row, and ``collapse``
puts many at once in a wave row). A flapping rule keeps its repeats in its flapping row
(``collapse``), uncounted.
"""

from __future__ import annotations

from collections.abc import Callable

from reconstruct.model import Event, Kind
from reconstruct.normalize.evolve import new_event
from reconstruct.normalize.instances import instance_of
from reconstruct.normalize.pending import NEVER_FIRED

STOPPED = "stopped"
"""Tag of a state record of a rule a person paused, updated or deleted (Grafana's reasons
``Paused``, ``Updated``, ``RuleDeleted``): news even when the state stays."""


def join_reevaluations(
    group: list[Event], state: Callable[[Event], str]
) -> tuple[list[Event], dict[str, list[Event]]]:
    """One rule's rows (time order) with each re-evaluation joined into its root's row, and the
    re-evaluations each root holds (root key -> records, time order; {} when none).
    ``state``: a record's state as ``collapse`` names it."""
    last: dict[tuple[str, ...], Event] = {}  # instance -> its latest record
    root_of: dict[str, Event] = {}  # a re-evaluation's key -> its root
    held: dict[str, list[Event]] = {}
    for event in group:
        instance = instance_of(event.tags)
        before = last.get(instance)
        last[instance] = event
        if (
            before is None
            or event.kind is not Kind.ANNOTATION
            or STOPPED in event.tags
            or NEVER_FIRED in event.tags
            or state(event) != state(before)
        ):
            continue
        root = root_of.get(before.key, before)
        root_of[event.key] = root
        held.setdefault(root.key, []).append(event)
    if not held:
        return group, {}
    out = []
    for event in group:
        if event.key in root_of:
            continue
        quiet = held.get(event.key)
        out.append(event if quiet is None else _holding(event, quiet))
    return out, held


def _holding(root: Event, quiet: list[Event]) -> Event:
    members = (*(root.members or (root,)), *quiet)
    return new_event(
        root.time,
        root.kind,
        root.summary,
        tuple(sorted({s for m in members for s in m.sources})),
        root.links,
        root.key,
        root.actor,
        root.refs,
        root.tags,
        root.scope,
        root.reason,
        members,
        root.edited_at,
    )
