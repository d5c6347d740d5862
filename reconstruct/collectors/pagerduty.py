"""pagerduty: placeholder, replaced by the real parser."""

from __future__ import annotations

from collections.abc import Iterator

from reconstruct.bundle import Bundle
from reconstruct.collectors.base import Source
from reconstruct.model import Event, Incident


def parse(bundle: Bundle) -> Iterator[Event]:
    return iter(())


SOURCE = Source(name="pagerduty", parse=parse)


def parse_incident(bundle: Bundle) -> Incident:
    raise NotImplementedError
