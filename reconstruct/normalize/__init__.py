"""Source-agnostic: one deduplicated, classified, selected, UTC-ordered event stream."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from reconstruct.config import Config
from reconstruct.model import Event, Incident, Window


@dataclass(frozen=True, slots=True)
class Normalized:
    events: tuple[Event, ...]
    omitted: dict[str, int] = field(default_factory=dict)


def normalize(
    events: Iterable[Event], incident: Incident, window: Window, config: Config
) -> Normalized:
    """Placeholder: order only. Replaced by the real normalizer."""
    ordered = sorted(events, key=lambda e: (e.time, e.kind.value, e.key))
    return Normalized(events=tuple(ordered))
