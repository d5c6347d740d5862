"""Which incidents were resolved since the checkpoint: ``GET /incidents`` through the official
client, every page, filtered by ``[watch] services/teams/urgencies/priorities``.

PagerDuty's ``since``/``until`` filter on creation time, so the request spans incidents created
up to ``OPEN_AT_MOST`` before the checkpoint and the resolution time is checked here; an incident
open longer than that is not seen by polling (a webhook still queues it).

The local clock decides nothing here: the resolution time is PagerDuty's (``resolved_at``, else
``last_status_change_at``), every resolution since the checkpoint is taken however far in the
local future it lies, ``until`` reaches a day past the local time, and PagerDuty's own time comes
back from the first response's ``Date`` header (RFC 9110 §6.6.1, one-second resolution) for the
next checkpoint and the skew check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from reconstruct.config import Config, Secret
from reconstruct.timeutil import iso_z, parse_iso

OPEN_AT_MOST = timedelta(days=7)
UNTIL_MARGIN = timedelta(days=1)
"""``until`` is sent this far past the local time, so a local clock running behind PagerDuty's
does not cut off incidents created in what it thinks is the future."""


@dataclass(frozen=True, slots=True)
class Resolved:
    id: str
    number: int | None
    title: str
    resolved_at: datetime


@dataclass(frozen=True, slots=True)
class Listing:
    resolved: list[Resolved]
    """Oldest resolution first."""
    cut: bool
    """The list was cut at PagerDuty's 10,000-record ceiling."""
    server_time: datetime | None
    """PagerDuty's time when it answered (the first response's ``Date``), None without one."""


def list_params(config: Config, since: datetime, now: datetime) -> dict[str, Any]:
    watch = config.watch
    params: dict[str, Any] = {
        "statuses[]": ["resolved"],
        "since": iso_z(since - OPEN_AT_MOST),
        "until": iso_z(now + UNTIL_MARGIN),
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


def date_header(value: str | None) -> datetime | None:
    """An HTTP ``Date`` (``Sun, 06 Nov 1994 08:49:37 GMT``) as UTC; None when absent or bad."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def resolved_since(config: Config, token: Secret | None, since: datetime, now: datetime) -> Listing:
    """Incidents resolved at or after ``since`` (PagerDuty's times); ``now`` is the local
    estimate of PagerDuty's time, used only to bound the creation-time filter."""
    from reconstruct.collectors.pagerduty.live import PagerDutyApi, make_client

    dates: list[datetime] = []

    def on_response(response: Any) -> None:
        when = date_header(response.headers.get("date"))
        if when is not None:
            dates.append(when)

    import time

    from reconstruct.collect import within_deadline
    from reconstruct.collectors._http import Pace
    from reconstruct.errors import SourceTimedOut

    limit = config.watch.timeout.total_seconds()
    pace = Pace("pagerduty", deadline=time.monotonic() + limit, setting="[watch] timeout")

    def poll() -> tuple[list[Any], bool]:
        with make_client(config, token) as client:
            hooks = client.event_hooks
            hooks["response"] = [*hooks.get("response", []), on_response]
            client.event_hooks = hooks
            return PagerDutyApi(client, pace).pages(
                "/incidents", "incidents", list_params(config, since, now)
            )

    try:  # the poll is bounded like one incident's collection (a trickling answer too)
        pages, cut = within_deadline(pace.deadline, poll)
    except TimeoutError as exc:
        raise SourceTimedOut(
            "pagerduty",
            f"GET /incidents (the resolved-incident poll) at {config.pagerduty.base_url} did "
            f"not finish within [watch] timeout ({limit:g}s); check that PagerDuty is "
            "reachable, or raise [watch] timeout",
        ) from exc
    found: list[Resolved] = []
    for page in pages:
        for record in page["incidents"]:
            if not isinstance(record, dict) or record.get("status") != "resolved":
                continue
            when = resolved_at(record)
            if when is None or when < since:
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
    return Listing(found, cut, dates[0] if dates else None)
