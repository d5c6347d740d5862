"""PagerDuty: the incident itself plus its log entries, alerts and notes.

Bundle files (each a JSON array of response bodies, see ``reconstruct.bundle``)::

    pagerduty/incident.json     [{"incident": {...}}]      written by the orchestrator
    pagerduty/log_entries.json  pages of GET /incidents/{id}/log_entries
    pagerduty/alerts.json       pages of GET /incidents/{id}/alerts
    pagerduty/notes.json        [GET /incidents/{id}/notes] (not paginated)

Parsing reads only the bundle; live collection (``collect``, ``resolve_incident``) lives in
``pagerduty_live`` and imports the SDK only when called.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from reconstruct.bundle import Bundle, iter_records
from reconstruct.collectors.base import Source
from reconstruct.collectors.pagerduty_live import collect, make_client, resolve_incident
from reconstruct.errors import BundleError
from reconstruct.model import Event, Incident, Kind, Link
from reconstruct.timeutil import TimeFormatError, parse_iso

__all__ = [
    "SOURCE",
    "collect",
    "incident_from_record",
    "make_client",
    "parse",
    "parse_incident",
    "resolve_incident",
]

NAME = "pagerduty"
INCIDENT_FILE = "pagerduty/incident.json"
LOG_ENTRIES_FILE = "pagerduty/log_entries.json"
ALERTS_FILE = "pagerduty/alerts.json"
NOTES_FILE = "pagerduty/notes.json"
NOTE_MATCH = timedelta(minutes=1)
"""An annotate log entry and a note this close in time (same text) are one note."""

_KINDS: dict[str, Kind] = {
    "trigger": Kind.ALERT,
    "notify": Kind.PAGE,
    "acknowledge": Kind.ACK,
    "acknowledgement": Kind.ACK,  # the spelling of one PD-SCHEMA subschema
    "escalate": Kind.ESCALATE,
    "delegate": Kind.ESCALATE,
    "assign": Kind.ESCALATE,
    "exhaust_escalation_path": Kind.ESCALATE,
    "repeat_escalation_path": Kind.ESCALATE,
    "resolve": Kind.RESOLVE,
}
"""Log entry type (without ``_log_entry``) -> kind; every other type is an ``update``."""

_STATE_TAGS = {
    "trigger": "state:triggered",
    "unacknowledge": "state:triggered",
    "acknowledge": "state:acknowledged",
    "acknowledgement": "state:acknowledged",
    "resolve": "state:resolved",
}
_METHODS = (("phone", "by phone"), ("sms", "by SMS"), ("email", "by email"), ("push", "by push"))


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
    started = _time(record.get("created_at"))
    if started is None:
        raise ValueError(f"incident has no usable created_at: {record.get('created_at')!r}")
    status = _text(record.get("status"))
    resolved = _time(record.get("resolved_at"))
    if resolved is None and status == "resolved":
        resolved = (
            max(resolve_times) if resolve_times else _time(record.get("last_status_change_at"))
        )
    number = record.get("incident_number")
    priority = record.get("priority")
    service = record.get("service")
    return Incident(
        id=_text(record.get("id")),
        number=number if isinstance(number, int) and not isinstance(number, bool) else None,
        title=_text(record.get("title")) or _text(record.get("summary")) or _text(record.get("id")),
        severity=_text(priority.get("summary")) or None if isinstance(priority, dict) else None,
        services=(_text(service["summary"]),)
        if isinstance(service, dict) and _text(service.get("summary"))
        else (),
        started_at=started,
        resolved_at=resolved,
        url=_text(record.get("html_url")) or None,
        status=status or ("resolved" if resolved else "triggered"),
    )


def parse_incident(bundle: Bundle) -> Incident:
    record = _incident_record(bundle)
    resolves = [
        when
        for entry in iter_records(bundle.pages(LOG_ENTRIES_FILE), "log_entries")
        if _entry_type(entry) == "resolve" and (when := _time(entry.get("created_at")))
    ]
    try:
        return incident_from_record(record, resolves)
    except ValueError as exc:
        raise BundleError(f"{bundle.root / INCIDENT_FILE}: corrupt incident ({exc})") from exc


# -- events -----------------------------------------------------------------------------------
class _Ctx:
    """What every event of one incident shares."""

    def __init__(self, incident: Mapping[str, Any]) -> None:
        self.id = _text(incident.get("id"))
        number = incident.get("incident_number")
        self.number = number if isinstance(number, int) and not isinstance(number, bool) else None
        self.title = _text(incident.get("title"))
        self.url = _text(incident.get("html_url")) or _text(incident.get("self"))
        self.incident_key = _text(incident.get("incident_key"))
        self.refs = _incident_refs(self.id, self.number)

    def refs_for(self, record: Mapping[str, Any]) -> frozenset[str]:
        inc = record.get("incident")
        if isinstance(inc, dict) and _text(inc.get("id")):
            return self.refs | {f"pd:{_text(inc['id']).lower()}"}
        return self.refs


def _incident_refs(incident_id: str, number: int | None) -> frozenset[str]:
    refs = {f"pd:{incident_id.lower()}"} if incident_id else set()
    if number is not None:
        refs.add(f"pd#{number}")
    return frozenset(refs)


def parse(bundle: Bundle) -> Iterator[Event]:
    incident: Mapping[str, Any] = {}
    if bundle.has(INCIDENT_FILE):
        incident = next(iter_records(bundle.pages(INCIDENT_FILE), "incident"), {})
    ctx = _Ctx(incident)
    entries = _unique(iter_records(bundle.pages(LOG_ENTRIES_FILE), "log_entries"))
    alerts = _unique(iter_records(bundle.pages(ALERTS_FILE), "alerts"))
    notes = _unique(iter_records(bundle.pages(NOTES_FILE), "notes"))

    trigger_ids = {_text(e.get("id")) for e in entries if _entry_type(e) == "trigger"}
    attached: dict[str, list[Mapping[str, Any]]] = {}
    for alert in alerts:
        first = alert.get("first_trigger_log_entry")
        first_id = _text(first.get("id")) if isinstance(first, dict) else ""
        if first_id and first_id in trigger_ids:
            attached.setdefault(first_id, []).append(alert)
        elif (event := _alert_event(alert, ctx)) is not None:
            yield event

    note_events = {}
    for note in notes:
        if (event := _note_event(note, ctx)) is not None:
            note_events[_text(note.get("id"))] = (note, event)
    matched: dict[str, list[str]] = {}
    for entry in entries:
        if _entry_type(entry) == "annotate":
            note_id = _match_note(entry, note_events, matched)
            if note_id is not None:
                matched.setdefault(note_id, []).append(_text(entry.get("html_url")))
                continue
        event = _entry_event(entry, ctx, attached.get(_text(entry.get("id")), []))
        if event is not None:
            yield event
    for note_id, (_note, event) in note_events.items():
        extra = tuple(Link(NAME, url, "PagerDuty") for url in matched.get(note_id, []) if url)
        if extra:
            links = tuple(dict.fromkeys((*extra, *event.links)))
            event = replace(event, links=links)
        yield event


def _entry_event(
    entry: Mapping[str, Any], ctx: _Ctx, alerts: list[Mapping[str, Any]]
) -> Event | None:
    when = _time(entry.get("created_at"))
    entry_id = _text(entry.get("id"))
    if when is None or not entry_id:
        return None
    kind_name = _entry_type(entry)
    agent = entry.get("agent")
    actor = _user_name(agent)
    refs = set(ctx.refs_for(entry))
    tags = {_STATE_TAGS[kind_name]} if kind_name in _STATE_TAGS else set()
    urls = [_text(entry.get("html_url"))]
    if kind_name == "trigger":
        if ctx.incident_key:
            refs.add(f"alert_key:{ctx.incident_key.lower()}")
        for alert in alerts:
            if key := _text(alert.get("alert_key")):
                refs.add(f"alert_key:{key.lower()}")
            urls.append(_text(alert.get("html_url")))
    if kind_name == "annotate":
        tags.add("note")
    return Event(
        time=when,
        kind=_KINDS.get(kind_name, Kind.UPDATE),
        summary=_entry_summary(kind_name, entry, ctx, actor),
        sources=(NAME,),
        links=_links(ctx, *urls),
        key=f"pagerduty:log_entry:{entry_id}",
        actor=actor,
        refs=frozenset(refs),
        tags=frozenset(tags),
        scope=NAME,
    )


def _entry_summary(kind: str, entry: Mapping[str, Any], ctx: _Ctx, actor: str | None) -> str:
    own = _line(entry.get("summary"))
    label = f"#{ctx.number}" if ctx.number is not None else ctx.id or "incident"
    names = ", ".join(_names(entry.get("assignees")))
    if kind == "trigger":
        details = entry.get("event_details")
        what = ctx.title or (_line(details.get("description")) if isinstance(details, dict) else "")
        return (
            f"Incident {label} triggered: {what}" if what else own or f"Incident {label} triggered"
        )
    if kind == "notify":
        user = _name(entry.get("user"))
        if user:
            method = _method(entry.get("channel"))
            return f"Paged {user} {method}".rstrip()
    by = f" by {actor}" if actor else ""
    if kind in ("acknowledge", "acknowledgement"):
        return f"Acknowledged{by}"
    if kind == "resolve":
        return own if not actor and own else f"Resolved{by}"
    if kind in ("escalate", "delegate", "assign") and names:
        verb = "Escalated" if kind == "escalate" else "Reassigned"
        return f"{verb} to {names}{by}"
    if kind == "annotate":
        text = _note_text(entry)
        return f"Note{by}: {text}" if text else own or f"Note added{by}"
    return own or kind.replace("_", " ").capitalize()


def _alert_event(alert: Mapping[str, Any], ctx: _Ctx) -> Event | None:
    when = _time(alert.get("created_at"))
    alert_id = _text(alert.get("id"))
    if when is None or not alert_id:
        return None
    refs = set(ctx.refs_for(alert))
    if key := _text(alert.get("alert_key")):
        refs.add(f"alert_key:{key.lower()}")
    severity = _text(alert.get("severity"))
    text = _line(alert.get("summary")) or key or alert_id
    return Event(
        time=when,
        kind=Kind.ALERT,
        summary=f"Alert ({severity}): {text}" if severity else f"Alert: {text}",
        sources=(NAME,),
        links=_links(ctx, _text(alert.get("html_url"))),
        key=f"pagerduty:alert:{alert_id}",
        refs=frozenset(refs),
        scope=NAME,
    )


def _note_event(note: Mapping[str, Any], ctx: _Ctx) -> Event | None:
    when = _time(note.get("created_at"))
    note_id = _text(note.get("id"))
    if when is None or not note_id:
        return None
    user = note.get("user")
    actor = _user_name(user)
    author = actor or _name(user)
    text = _line(note.get("content"))
    return Event(
        time=when,
        kind=Kind.UPDATE,
        summary=f"Note by {author}: {text}" if author else f"Note: {text}",
        sources=(NAME,),
        links=_links(ctx),
        key=f"pagerduty:note:{note_id}",
        actor=actor,
        refs=ctx.refs_for(note),
        tags=frozenset({"note"}),
        scope=NAME,
    )


def _match_note(
    entry: Mapping[str, Any],
    notes: Mapping[str, tuple[Mapping[str, Any], Event]],
    taken: Mapping[str, list[str]],
) -> str | None:
    """The note an annotate log entry records: same text (when the entry carries it) within
    ``NOTE_MATCH``; without text, the only note that close in time (by the same user)."""
    when = _time(entry.get("created_at"))
    if when is None:
        return None
    text = _note_text(entry)
    agent_id = _text(entry["agent"].get("id")) if isinstance(entry.get("agent"), dict) else ""
    candidates = []
    for note_id, (note, event) in notes.items():
        if note_id in taken or abs(event.time - when) > NOTE_MATCH:
            continue
        if text:
            if _line(note.get("content")) == text:
                return note_id
            continue
        user = note.get("user")
        user_id = _text(user.get("id")) if isinstance(user, dict) else ""
        if not agent_id or not user_id or agent_id == user_id:
            candidates.append(note_id)
    return candidates[0] if len(candidates) == 1 else None


# -- small readers ----------------------------------------------------------------------------
def _unique(records: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records in order, a repeated id (pages that overlapped) kept once."""
    seen: set[str] = set()
    out = []
    for record in records:
        rid = _text(record.get("id"))
        if rid and rid in seen:
            continue
        seen.add(rid)
        out.append(record)
    return out


def _entry_type(entry: Mapping[str, Any]) -> str:
    return _text(entry.get("type")).removesuffix("_reference").removesuffix("_log_entry")


def _note_text(entry: Mapping[str, Any]) -> str:
    channel = entry.get("channel")
    if isinstance(channel, dict) and (text := _line(channel.get("summary"))):
        return text
    return _line(entry.get("note"))


def _method(channel: Any) -> str:
    if not isinstance(channel, dict):
        return ""
    notification = channel.get("notification")
    hints = [channel.get("type")]
    if isinstance(notification, dict):
        hints = [notification.get("type"), notification.get("address_type"), *hints]
    for hint in hints:
        low = _text(hint).lower()
        for needle, words in _METHODS:
            if needle in low:
                return words
    return ""


def _user_name(ref: Any) -> str | None:
    """The name of a user agent (``user_reference``); None for services and integrations."""
    if isinstance(ref, dict) and _text(ref.get("type")) in ("user_reference", "user"):
        return _name(ref) or None
    return None


def _name(ref: Any) -> str:
    return _line(ref.get("summary") or ref.get("name")) if isinstance(ref, dict) else ""


def _names(refs: Any) -> list[str]:
    return [n for n in (_name(r) for r in refs) if n] if isinstance(refs, list) else []


def _links(ctx: _Ctx, *urls: str) -> tuple[Link, ...]:
    """The record's own page first, then any other pages, else the incident's page."""
    found = [u for u in dict.fromkeys(urls) if u] or ([ctx.url] if ctx.url else [])
    return tuple(Link(NAME, url, "PagerDuty") for url in found)


def _time(value: Any) -> datetime | None:
    try:
        return parse_iso(value) if isinstance(value, str) and value else None
    except TimeFormatError:
        return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _line(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


SOURCE = Source(name=NAME, parse=parse, collect=collect)
