"""PagerDuty: the incident itself plus its log entries, alerts and notes.

Bundle files (each a JSON array of response bodies, see ``reconstruct.bundle``)::

    pagerduty/incident.json     [{"incident": {...}}]      written by the orchestrator
    pagerduty/log_entries.json  pages of GET /incidents/{id}/log_entries
    pagerduty/alerts.json       pages of GET /incidents/{id}/alerts
    pagerduty/notes.json        [GET /incidents/{id}/notes] (not paginated)
    pagerduty/users.json        [GET /users/{id}, ...] the people named (read by collectors.people)

One event per log entry, alert and note. An alert whose ``first_trigger_log_entry`` is a trigger
log entry, and an annotate log entry that records a note, are folded into that event (counted
with it, ``skips.absorbed``); a record without a readable time, an id, or a type and a summary
is counted (``not understood``, ``time not readable as UTC``). A log entry of a type this
parser has no words for (a type PagerDuty adds later) is a row with PagerDuty's own summary.
Links, web pages only (``html_url``; the REST API's ``self`` never): ``PD log entry``, ``PD
alert``, ``PD note``, ``PD incident``, then any http(s) link written in a note.

Parsing reads only the bundle; live collection (``collect``, ``resolve_incident``) lives in
``pagerduty.live``, imported only by a live run (an offline run never loads it or the SDK).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from reconstruct.bundle import Bundle, iter_records
from reconstruct.collectors.pagerduty.events import (
    INCIDENT_LABEL,
    NOTE_LABEL,
    IncidentContext,
    alert_event,
    as_text,
    entry_event,
    entry_type,
    incident_number,
    initial_assignments,
    match_note,
    note_event,
    parse_time,
    reopen_ids,
    unique,
)
from reconstruct.collectors.skips import absorbed, records
from reconstruct.errors import BundleError
from reconstruct.model import Event, Incident, Link
from reconstruct.timeutil import TimeFormatError, parse_iso

__all__ = ["incident_from_record", "parse", "parse_incident"]

NAME = "pagerduty"
INCIDENT_FILE = "pagerduty/incident.json"
LOG_ENTRIES_FILE = "pagerduty/log_entries.json"
ALERTS_FILE = "pagerduty/alerts.json"
NOTES_FILE = "pagerduty/notes.json"


# -- the incident -----------------------------------------------------------------------------
def _incident_record(bundle: Bundle) -> dict[str, Any]:
    where = bundle.root / INCIDENT_FILE
    if not bundle.has(INCIDENT_FILE):
        raise BundleError(f"{where}: missing; the bundle has no PagerDuty incident, re-collect it")
    for record in iter_records(bundle.pages(INCIDENT_FILE), "incident"):
        return record
    raise BundleError(f'{where}: corrupt; expected [{{"incident": {{...}}}}], re-collect it')


def incident_from_record(
    record: Mapping[str, Any], resolve_times: list[datetime] | None = None
) -> Incident:
    """An ``Incident`` from the API's incident object. ``resolve_times`` (from the resolve log
    entries) stands in for a missing ``resolved_at`` on a resolved incident."""
    started = parse_time(record.get("created_at"))
    if started is None:
        raise ValueError(f"incident has no usable created_at: {record.get('created_at')!r}")
    status = as_text(record.get("status"))
    resolved = parse_time(record.get("resolved_at"))
    if resolved is None and status == "resolved":
        resolved = (
            max(resolve_times) if resolve_times else parse_time(record.get("last_status_change_at"))
        )
    priority = record.get("priority")
    service = record.get("service")
    service_name = as_text(service.get("summary")) if isinstance(service, dict) else ""
    title = as_text(record.get("title")) or as_text(record.get("summary"))
    return Incident(
        id=as_text(record.get("id")),
        number=incident_number(record),
        title=title or as_text(record.get("id")),
        severity=(as_text(priority.get("summary")) or None) if isinstance(priority, dict) else None,
        services=(service_name,) if service_name else (),
        started_at=started,
        resolved_at=resolved,
        url=as_text(record.get("html_url")) or None,
        status=status or ("resolved" if resolved else "triggered"),
    )


def parse_incident(bundle: Bundle) -> Incident:
    record = _incident_record(bundle)
    resolves = [
        when
        for entry in iter_records(bundle.pages(LOG_ENTRIES_FILE), "log_entries")
        if entry_type(entry) == "resolve" and (when := parse_time(entry.get("created_at")))
    ]
    try:
        return incident_from_record(record, resolves)
    except ValueError as exc:
        raise BundleError(f"{bundle.root / INCIDENT_FILE}: corrupt incident ({exc})") from exc


def parse(bundle: Bundle) -> Iterator[Event]:
    """One event per log entry, alert and note. Alerts grouped under a trigger log entry and
    annotate log entries that record a note are folded into that event (``skips.absorbed``);
    a record without a readable time, an id or a type is counted (``skips.left_out``)."""
    incident: Mapping[str, Any] = {}
    if bundle.has(INCIDENT_FILE):
        incident = next(iter_records(bundle.pages(INCIDENT_FILE), "incident"), {})
    ctx = IncidentContext(incident)
    entries = unique(records(bundle.pages(LOG_ENTRIES_FILE), "log_entries", NAME), NAME)
    alerts = unique(records(bundle.pages(ALERTS_FILE), "alerts", NAME), NAME)
    notes = unique(records(bundle.pages(NOTES_FILE), "notes", NAME), NAME)
    ctx.learn(entries + alerts)
    ctx.reopens = reopen_ids(entries, ctx.id)
    ctx.initial = initial_assignments(entries, ctx.id)

    trigger_ids = {
        as_text(e.get("id"))
        for e in entries
        if entry_type(e) == "trigger" and as_text(e.get("id")) and _readable(e)
    }
    attached: dict[str, list[Mapping[str, Any]]] = {}
    for alert in alerts:
        first = alert.get("first_trigger_log_entry")
        first_id = as_text(first.get("id")) if isinstance(first, dict) else ""
        if first_id and first_id in trigger_ids and as_text(alert.get("id")):
            attached.setdefault(first_id, []).append(alert)
        elif (event := alert_event(alert, ctx)) is not None:
            yield event

    note_events: dict[str, tuple[Mapping[str, Any], Event]] = {}
    for note in notes:
        if (event := note_event(note, ctx)) is not None:
            note_events[as_text(note.get("id"))] = (note, event)
    matched: dict[str, list[str]] = {}
    for entry in entries:
        if entry_type(entry) == "annotate" and as_text(entry.get("id")):
            # an entry without an id is not understood, whether or not a note matches it
            note_id = match_note(entry, note_events, matched)
            if note_id is not None:
                matched.setdefault(note_id, []).append(as_text(entry.get("html_url")))
                absorbed(note_events[note_id][1].key)
                continue
        grouped = attached.get(as_text(entry.get("id")), [])
        event = entry_event(entry, ctx, grouped)
        if event is not None:
            absorbed(event.key, len(grouped))
            yield event
    for note_id, (_note, event) in note_events.items():
        extra = tuple(Link(NAME, url, NOTE_LABEL) for url in matched.get(note_id, []) if url)
        if extra:
            # The note's own log entry is "PD note"; the incident page stays as "PD incident".
            pages = tuple(
                Link(NAME, ln.url, INCIDENT_LABEL) if ln.label == NOTE_LABEL else ln
                for ln in event.links
            )
            links = tuple(dict.fromkeys((*extra, *pages)))
            event = replace(event, links=links)
        yield event


def _readable(entry: Mapping[str, Any]) -> bool:
    value = entry.get("created_at")
    try:
        return isinstance(value, str) and bool(value) and parse_iso(value) is not None
    except TimeFormatError:
        return False
