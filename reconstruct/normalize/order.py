"""The timeline's order: ``(time, kind order, key)``, total and deterministic."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from reconstruct.model import Event, Kind

KIND_ORDER: dict[Kind, int] = {kind: i for i, kind in enumerate(Kind)}
"""Within one instant: cause before effect (change, deploy, alert, page, ack, ... message)."""


def order_key(event: Event) -> tuple[datetime, int, str]:
    return (event.time, KIND_ORDER[event.kind], event.key)


def ordered(events: Iterable[Event]) -> list[Event]:
    return sorted(events, key=order_key)
