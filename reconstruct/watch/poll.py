"""Which incidents were resolved since the checkpoint: ``GET /incidents`` through the official
client, every page, filtered by ``[watch] services/teams/urgencies/priorities``.

PagerDuty's ``since``/``until`` filter on creation time, so the request spans incidents created
up to ``OPEN_AT_MOST`` before the checkpoint and the resolution time is checked here; an incident
open longer than that is not seen by polling (a webhook still queues it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from reconstruct.config import Config, Secret
from reconstruct.timeutil import iso_z, parse_iso

OPEN_AT_MOST = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Resolved:
    id: str
    number: int | None
    title: str
    resolved_at: datetime


def list_params(config: Config, since: datetime, until: datetime) -> dict[str, Any]:
    watch = config.watch
    params: dict[str, Any] = {
        "statuses[]": ["resolved"],
        "since": iso_z(since - OPEN_AT_MOST),
        "until": iso_z(until),
        "sort_by": "created_at:asc",
        "time_zone": "UTC",
    }
    if watch.services:
        params["service_ids[]"] = list(watch.services)
    if watch.teams:
        params["team_ids[]"] = list(watch.teams)
    if watch.urgencies:
        params["urgencies[]"] = list(watch.urgencies)
    return params


def resolved_at(record: Mapping[str, Any]) -> datetime | None:
    for key in ("resolved_at", "last_status_change_at"):
        value = record.get(key)
        if isinstance(value, str) and value:
            return parse_iso(value)
    return None


def _priority_ok(record: Mapping[str, Any], wanted: tuple[str, ...]) -> bool:
    if not wanted:
        return True
    priority = record.get("priority")
    name = priority.get("summary") if isinstance(priority, dict) else None
    return isinstance(name, str) and name.lower() in {w.lower() for w in wanted}


def resolved_since(
    config: Config, token: Secret | None, since: datetime, until: datetime
) -> tuple[list[Resolved], bool]:
    """Incidents resolved in ``[since, until]`` (oldest resolution first) and whether the list
    was cut at PagerDuty's 10,000-record ceiling."""
    from reconstruct.collectors.pagerduty.live import PagerDutyApi, make_client

    with make_client(config, token) as client:
        pages, cut = PagerDutyApi(client).pages(
            "/incidents", "incidents", list_params(config, since, until)
        )
    found: list[Resolved] = []
    for page in pages:
        for record in page["incidents"]:
            if not isinstance(record, dict) or record.get("status") != "resolved":
                continue
            when = resolved_at(record)
            if when is None or not since <= when <= until:
                continue
            if not _priority_ok(record, config.watch.priorities):
                continue
            number = record.get("incident_number")
            found.append(
                Resolved(
                    id=str(record["id"]),
                    number=number if isinstance(number, int) else None,
                    title=str(record.get("title") or record.get("summary") or ""),
                    resolved_at=when,
                )
            )
    found.sort(key=lambda r: (r.resolved_at, r.id))
    return found, cut
