"""PagerDuty records (log entries, alerts, notes) -> ``Event``s; read by ``pagerduty.parse``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from reconstruct.collectors.skips import NOT_UNDERSTOOD, UNREADABLE_TIME, left_out, unreadable_time
from reconstruct.collectors.textlinks import TEXT_URL, text_links
from reconstruct.model import Event, Kind, Link
from reconstruct.timeutil import TimeFormatError, parse_iso

NAME = "pagerduty"
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
LOG_ENTRY_LABEL = "PD log entry"
ALERT_LABEL = "PD alert"
NOTE_LABEL = "PD note"
INCIDENT_LABEL = "PD incident"
_METHODS = (("phone", "by phone"), ("sms", "by SMS"), ("email", "by email"), ("push", "by push"))


# -- events -----------------------------------------------------------------------------------
class IncidentContext:
    """What every event of one incident shares."""

    def __init__(self, incident: Mapping[str, Any]) -> None:
        self.id = as_text(incident.get("id"))
        self.number = incident_number(incident)
        self.title = as_text(incident.get("title"))
        # html_url only: ``self`` is the REST API's address, not a page a person can read.
        self.url = as_text(incident.get("html_url"))
        self.incident_key = as_text(incident.get("incident_key"))
        self.refs = _incident_refs(self.id, self.number)

    def refs_for(self, record: Mapping[str, Any]) -> frozenset[str]:
        inc = record.get("incident")
        if isinstance(inc, dict) and as_text(inc.get("id")):
            return self.refs | {f"pd:{as_text(inc['id']).lower()}"}
        return self.refs


def _incident_refs(incident_id: str, number: int | None) -> frozenset[str]:
    refs = {f"pd:{incident_id.lower()}"} if incident_id else set()
    if number is not None:
        refs.add(f"pd#{number}")
    return frozenset(refs)


def entry_event(
    entry: Mapping[str, Any], ctx: IncidentContext, alerts: list[Mapping[str, Any]]
) -> Event | None:
    when = parse_time(entry.get("created_at"))
    entry_id = as_text(entry.get("id"))
    kind_name = entry_type(entry)
    if when is None or not entry_id or not (kind_name or one_line(entry.get("summary"))):
        left_out(NAME, why_unread(entry.get("created_at"), when))
        return None
    agent = entry.get("agent")
    actor = _user_name(agent)
    refs = set(ctx.refs_for(entry))
    tags = {_STATE_TAGS[kind_name]} if kind_name in _STATE_TAGS else set()
    urls = [as_text(entry.get("html_url"))]
    if kind_name == "trigger":
        if ctx.incident_key:
            refs.add(f"alert_key:{ctx.incident_key.lower()}")
        for alert in alerts:
            if key := as_text(alert.get("alert_key")):
                refs.add(f"alert_key:{key.lower()}")
            urls.append(as_text(alert.get("html_url")))
    if kind_name == "annotate":
        tags.add("note")
    tags.update(_target_tags(kind_name, entry))
    return Event(
        time=when,
        kind=_KINDS.get(kind_name, Kind.UPDATE),
        summary=_entry_summary(kind_name, entry, ctx, actor),
        sources=(NAME,),
        links=links_for(ctx, *urls),
        key=f"pagerduty:log_entry:{entry_id}",
        actor=actor,
        refs=frozenset(refs),
        tags=frozenset(tags),
        scope=NAME,
    )


def _target_tags(kind: str, entry: Mapping[str, Any]) -> set[str]:
    """``target:<name>`` for the person a page or an escalation is for (``notify``: ``user``;
    ``escalate``/``delegate``/``assign``: ``assignees``), ``via:<method>`` for a page's method."""
    if kind == "notify":
        user = _name(entry.get("user"))
        method = _method(entry.get("channel")).removeprefix("by ")
        tags = {f"target:{user}"} if user else set()
        if method:
            tags.add(f"via:{method}")
        return tags
    if kind in ("escalate", "delegate", "assign"):
        return {f"target:{name}" for name in _names(entry.get("assignees"))}
    return set()


def _entry_summary(
    kind: str, entry: Mapping[str, Any], ctx: IncidentContext, actor: str | None
) -> str:
    own = one_line(entry.get("summary"))
    label = f"#{ctx.number}" if ctx.number is not None else ctx.id or "incident"
    names = ", ".join(_names(entry.get("assignees")))
    if kind == "trigger":
        details = entry.get("event_details")
        what = ctx.title or (
            one_line(details.get("description")) if isinstance(details, dict) else ""
        )
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


def alert_event(alert: Mapping[str, Any], ctx: IncidentContext) -> Event | None:
    when = parse_time(alert.get("created_at"))
    alert_id = as_text(alert.get("id"))
    if when is None or not alert_id:
        left_out(NAME, why_unread(alert.get("created_at"), when))
        return None
    refs = set(ctx.refs_for(alert))
    if key := as_text(alert.get("alert_key")):
        refs.add(f"alert_key:{key.lower()}")
    severity = as_text(alert.get("severity"))
    text = one_line(alert.get("summary")) or key or alert_id
    return Event(
        time=when,
        kind=Kind.ALERT,
        summary=f"Alert ({severity}): {text}" if severity else f"Alert: {text}",
        sources=(NAME,),
        links=links_for(ctx, as_text(alert.get("html_url"))),
        key=f"pagerduty:alert:{alert_id}",
        refs=frozenset(refs),
        scope=NAME,
    )


def note_event(note: Mapping[str, Any], ctx: IncidentContext) -> Event | None:
    when = parse_time(note.get("created_at"))
    note_id = as_text(note.get("id"))
    if when is None or not note_id:
        left_out(NAME, why_unread(note.get("created_at"), when))
        return None
    user = note.get("user")
    actor = _user_name(user)
    author = actor or _name(user)
    text = one_line(note.get("content"))
    return Event(
        time=when,
        kind=Kind.UPDATE,
        summary=f"Note by {author}: {text}" if author else f"Note: {text}",
        sources=(NAME,),
        links=(*links_for(ctx, label=NOTE_LABEL), *text_links(NAME, TEXT_URL.findall(text))),
        key=f"pagerduty:note:{note_id}",
        actor=actor,
        refs=ctx.refs_for(note),
        tags=frozenset({"note"}),
        scope=NAME,
    )


def match_note(
    entry: Mapping[str, Any],
    notes: Mapping[str, tuple[Mapping[str, Any], Event]],
    taken: Mapping[str, list[str]],
) -> str | None:
    """The note an annotate log entry records: same text (when the entry carries it) within
    ``NOTE_MATCH``; without text, the only note that close in time (by the same user)."""
    when = parse_time(entry.get("created_at"))
    if when is None:
        return None
    text = _note_text(entry)
    agent_id = as_text(entry["agent"].get("id")) if isinstance(entry.get("agent"), dict) else ""
    candidates = []
    for note_id, (note, event) in notes.items():
        if note_id in taken or abs(event.time - when) > NOTE_MATCH:
            continue
        if text:
            if one_line(note.get("content")) == text:
                return note_id
            continue
        user = note.get("user")
        user_id = as_text(user.get("id")) if isinstance(user, dict) else ""
        if not agent_id or not user_id or agent_id == user_id:
            candidates.append(note_id)
    return candidates[0] if len(candidates) == 1 else None


# -- small readers ----------------------------------------------------------------------------
def unique(records: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records in order, a repeated id (pages that overlapped) kept once."""
    seen: set[str] = set()
    out = []
    for record in records:
        rid = as_text(record.get("id"))
        if rid and rid in seen:
            continue
        seen.add(rid)
        out.append(record)
    return out


def incident_number(incident: Mapping[str, Any]) -> int | None:
    number = incident.get("incident_number")
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def entry_type(entry: Mapping[str, Any]) -> str:
    return as_text(entry.get("type")).removesuffix("_reference").removesuffix("_log_entry")


def _note_text(entry: Mapping[str, Any]) -> str:
    channel = entry.get("channel")
    if isinstance(channel, dict) and (text := one_line(channel.get("summary"))):
        return text
    return one_line(entry.get("note"))


def _method(channel: Any) -> str:
    if not isinstance(channel, dict):
        return ""
    notification = channel.get("notification")
    hints = [channel.get("type")]
    if isinstance(notification, dict):
        hints = [notification.get("type"), notification.get("address_type"), *hints]
    for hint in hints:
        low = as_text(hint).lower()
        for needle, words in _METHODS:
            if needle in low:
                return words
    return ""


def _user_name(ref: Any) -> str | None:
    """The name of a user agent (``user_reference``); None for services and integrations."""
    if isinstance(ref, dict) and as_text(ref.get("type")) in ("user_reference", "user"):
        return _name(ref) or None
    return None


def _name(ref: Any) -> str:
    return one_line(ref.get("summary") or ref.get("name")) if isinstance(ref, dict) else ""


def _names(refs: Any) -> list[str]:
    return [n for n in (_name(r) for r in refs) if n] if isinstance(refs, list) else []


def links_for(ctx: IncidentContext, *urls: str, label: str = "") -> tuple[Link, ...]:
    """The record's own page first, then any other pages, else the incident's page; each
    labelled for what it opens (``link_label``), or ``label`` when given."""
    found = [u for u in dict.fromkeys(urls) if u] or ([ctx.url] if ctx.url else [])
    return tuple(Link(NAME, url, label or link_label(url)) for url in found)


def link_label(url: str) -> str:
    """``PD log entry`` (``.../incidents/<id>/log_entries/<id>``), ``PD alert``
    (``.../alerts/<id>``), else ``PD incident``."""
    path = url.split("://", 1)[-1].split("?", 1)[0]
    if "/log_entries/" in path:
        return LOG_ENTRY_LABEL
    if "/alerts/" in path:
        return ALERT_LABEL
    return INCIDENT_LABEL


def why_unread(value: Any, when: datetime | None) -> str:
    """The reason a record is left out: its time is there but unreadable, or it lacks what the
    parser needs (a time, an id, a type)."""
    return UNREADABLE_TIME if when is None and isinstance(value, str) and value else NOT_UNDERSTOOD


def parse_time(value: Any) -> datetime | None:
    try:
        return parse_iso(value) if isinstance(value, str) and value else None
    except TimeFormatError:
        unreadable_time(value)
        return None


def as_text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def one_line(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""
