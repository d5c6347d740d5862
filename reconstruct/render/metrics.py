"""The figures responders quote: time to acknowledge, to mitigate and to resolve.

Each runs from the incident start (``Incident.started_at``, when PagerDuty triggered) to the first
row of that kind at or after the start: ``ack`` for acknowledge, ``mitigate`` for mitigate,
``resolve`` for resolve (or, without such a row, ``Incident.resolved_at``). A figure is None when
there is no such row, and time to resolve is None while the incident is ongoing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reconstruct.model import Kind, Timeline


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    """JSON key: ``time_to_ack_s``, ``time_to_mitigate_s``, ``time_to_resolve_s``."""
    label: str
    """``Time to acknowledge``."""
    start: datetime
    end: datetime | None
    """The cited row's time, None when not computable."""

    @property
    def seconds(self) -> int | None:
        if self.end is None:
            return None
        return int((self.end - self.start).total_seconds())


_FIGURES = (
    ("time_to_ack_s", "Time to acknowledge", Kind.ACK),
    ("time_to_mitigate_s", "Time to mitigate", Kind.MITIGATE),
    ("time_to_resolve_s", "Time to resolve", Kind.RESOLVE),
)


def compute(timeline: Timeline) -> tuple[Metric, ...]:
    start = timeline.incident.started_at
    first: dict[Kind, datetime] = {}
    for event in sorted(timeline.events, key=lambda e: e.time):
        if event.time >= start and event.kind not in first:
            first[event.kind] = event.time
    out: list[Metric] = []
    for key, label, kind in _FIGURES:
        end = first.get(kind)
        if kind is Kind.RESOLVE:
            resolved = timeline.incident.resolved_at
            end = None if resolved is None else (end or resolved)
        out.append(Metric(key=key, label=label, start=start, end=end))
    return tuple(out)


def as_json(metrics: tuple[Metric, ...]) -> dict[str, int | None]:
    return {m.key: m.seconds for m in metrics}
