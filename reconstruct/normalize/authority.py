"""Which source speaks for a merged row: github > pagerduty > grafana > slack > anything else."""

from __future__ import annotations

from collections.abc import Iterable

from reconstruct.model import Event

AUTHORITY = ("github", "pagerduty", "grafana", "slack")


def source_rank(source: str) -> tuple[int, str]:
    try:
        return (AUTHORITY.index(source), source)
    except ValueError:
        return (len(AUTHORITY), source)


def primary_source(sources: Iterable[str]) -> str:
    """The most authoritative of the sources ("" when there are none)."""
    return min(sources, key=source_rank, default="")


def event_rank(event: Event) -> tuple[int, str]:
    return source_rank(primary_source(event.sources))
