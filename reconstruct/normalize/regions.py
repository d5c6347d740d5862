"""Regions: records that span a time range (tag ``region`` plus ``until:<ISO 8601 UTC>``).

A region (a load test, a maintenance window) that began before the window but is still going at
``window.start`` overlaps the incident: it is kept (``in_window``) and shown at its start with
its span in the text, however long before the window it began.
"""

from __future__ import annotations

from datetime import datetime

from reconstruct.model import Event
from reconstruct.timeutil import TimeFormatError, parse_iso

REGION = "region"
UNTIL = "until:"


def region_end(event: Event) -> datetime | None:
    """When the event's range ends, for a region; None for anything else."""
    if REGION not in event.tags:
        return None
    for tag in event.tags:
        if tag.startswith(UNTIL):
            try:
                return parse_iso(tag[len(UNTIL) :].upper())
            except TimeFormatError:
                return None
    return None


def overlaps(event: Event, start: datetime, end: datetime) -> bool:
    """A region that began before ``start`` and is still going at ``start`` (and began before
    ``end``)."""
    until = region_end(event)
    return until is not None and event.time < start <= until and event.time <= end
