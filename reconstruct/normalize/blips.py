"""Earlier blips: an alert that fired and cleared before the incident began is one lead-up row.

A warning that fired and cleared before the incident's start (``Incident.started_at``: a
certificate-expiry alert at 13:18, cleared at 13:28, an hour before the page) is a real signal an
author keeps, but two rows of it bury the incident's own first firing. An instance's firing (kind
``alert``, state firing, as ``collapse`` names it) whose next record of the same instance is its
clearing, before the incident's start, is one row at the firing's time: "Grafana alert
CertExpirySoon (instance=api:443) fired (pending since 13:10); cleared 13:28, before the incident
began", holding both records as ``members``. Its time and key are the firing's; its kind stays
``alert`` (the figures read each member: neither is the detection, ``render.metrics``' blip). A
firing still firing at the start, or cleared after it, stays as it is; so does a milestone
(``keep``). ``collapse`` joins blips only for a rule with fewer firings than a series needs: a
storm's waves say the same in fewer rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from reconstruct.model import Event, Kind
from reconstruct.normalize.evolve import evolve
from reconstruct.normalize.instances import instance_of
from reconstruct.normalize.pending import fold_pairs, moment

_FIRING = re.compile(r"\bfiring\b")


def blips(
    group: list[Event], start: datetime, keep: set[str], state: Callable[[Event], str]
) -> list[tuple[Event, Event]]:
    """The (firing, clearing) pairs of one rule's records (time order) that cleared before
    ``start``: each instance's firing and its next record, when that is its clearing."""
    last: dict[tuple[str, ...], Event] = {}
    out: list[tuple[Event, Event]] = []
    for event in group:
        if event.time >= start:
            break
        instance = instance_of(event.tags)
        before = last.get(instance)
        last[instance] = event
        if (
            before is not None
            and before.kind is Kind.ALERT
            and event.kind is Kind.ALERT
            and state(before) == "firing"
            and state(event) == "resolved"
            and before.key not in keep
            and event.key not in keep
        ):
            out.append((before, event))
    return out


def join_blips(
    group: list[Event], start: datetime, keep: set[str], state: Callable[[Event], str]
) -> tuple[list[Event], set[str]]:
    """One rule's records with each earlier blip (``blips``) one row, and the keys of the
    clearings joined into their firing's row."""
    pairs = {fired.key: cleared for fired, cleared in blips(group, start, keep, state)}
    return fold_pairs(group, pairs, _blip)


def _blip(fired: Event, cleared: Event) -> Event:
    at = moment(cleared.time, fired.time)
    summary = _FIRING.sub("fired", fired.summary, count=1)
    summary += f"; cleared {at}, before the incident began"
    members = (*(fired.members or (fired,)), *(cleared.members or (cleared,)))
    return evolve(
        fired,
        summary=summary,
        sources=tuple(sorted({*fired.sources, *cleared.sources})),
        refs=fired.refs | {r for r in cleared.refs if not r.startswith("rule:")},  # a firing's row
        tags=fired.tags | {t for t in cleared.tags if not t.startswith("state:")},
        members=members,
    )
