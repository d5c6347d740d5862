"""PagerDuty records (log entries, alerts, notes) -> ``Event``s; read by ``pagerduty.parse``.

**Reopened incidents.** PagerDuty reopens a resolved incident when its status is set back to
``triggered`` or ``acknowledged`` (REST ``PUT /incidents/{id}``; webhook ``incident.reopened``).
Its log has no reopen entry type in the API reference's enum, so ``reopen_ids`` reads the order: the
first state entry (trigger, acknowledge, unacknowledge, or any type or summary naming a reopen)
after a resolve entry reopened the incident. That entry becomes an ``update`` tagged ``reopen``
("Incident #4711 reopened by Kim"): a row, and the marker figures use to run time to resolve to
the final resolution.

**Merged incidents.** Merging resolves the source incidents and moves their alerts to the target
(REST ``PUT /incidents/{id}/merge``). A log entry whose ``incident`` is another incident, and an
alert whose ``first_trigger_log_entry`` belongs to another incident (its ``incident``, or the
incident id in its ``html_url`` / ``self``), came from a merged incident: its summary says which
("moved in from merged incident #4710"), and that incident's acknowledgement or resolution is an
``update``, never this incident's ack or resolve.

**The first assignment.** When an incident triggers, PagerDuty assigns it to the escalation
policy's first level and logs an ``assign_log_entry`` at the trigger's second: ``assignees`` the
on-call users, ``channel.type`` ``auto`` (or the trigger's own ``api`` / ``web_trigger``), its
``agent`` the service or escalation policy (``service_reference``,
``escalation_policy_reference``) or none, and ``summary`` "Assigned to Dana Whitfield."
(REST API v2, List log entries; ``AssignLogEntry``). Nobody reassigned anything: that entry
(``initial_assignments``: within ``FIRST_ASSIGNMENT`` of the incident's first trigger, before
any escalation) is an ``escalate`` row "Assigned to Dana Whitfield"; when no user made it (no
``user_reference`` agent) it is tagged ``INITIAL`` and ``normalize.repeats`` words it as the
pages it caused ("Paged Dana Whitfield by push"); a user's (who created the incident and chose
whom) says so: "Assigned to Dana Whitfield by Raj Patel". A later assignment stays a
reassignment: "Reassigned to Mei Lin by Raj Patel", "Reassigned to Mei Lin, automatically".

**Notifications.** Each ``notify_log_entry`` is one notification to one contact method (a
device, a number, an address); its row carries a tag ``notice:<via|failed>:<method>:<entry id>``
(``NOTICE``; a failed one adds ``:<why>``, ``no answer``, ``line busy``, from its notification's
``status``), so a row joining several (``steps``, ``collapse``) counts them, and their reasons,
exactly: "all 3 phone pages failed (2 no answer, 1 line busy)".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from reconstruct.collectors.pagerduty.alertsubject import sender, worded
from reconstruct.collectors.skips import (
    NOT_UNDERSTOOD,
    UNREADABLE_TIME,
    first_copies,
    left_out,
    unreadable_time,
)
from reconstruct.collectors.textlinks import TEXT_URL, text_links
from reconstruct.model import Event, Kind, Link
from reconstruct.normalize.instances import INSTANCE_KEYS, instance_tags, labels_in_text
from reconstruct.normalize.repeats import INITIAL
from reconstruct.normalize.steps import NOTICE
from reconstruct.subject import parse_subject
from reconstruct.timeutil import TimeFormatError, parse_iso

NAME = "pagerduty"
NOTE_MATCH = timedelta(minutes=1)
"""An annotate log entry and a note this close in time (same text) are one note."""
FIRST_ASSIGNMENT = timedelta(minutes=1)
"""An assignment no user made this close after the incident's first trigger is its first one."""

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
_REOPEN_STATES = frozenset({"trigger", "acknowledge", "acknowledgement", "unacknowledge"})
"""Entry types that put a resolved incident back in an open state."""
_INCIDENT_IN_URL = re.compile(r"/incidents/([A-Za-z0-9]+)/|[?&]incident_id=([A-Za-z0-9]+)")
_NUMBER_IN_SUMMARY = re.compile(r"^\s*\[#(\d+)\]")


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
        self.reopens: frozenset[str] = frozenset()
        """Ids of the log entries that reopened the incident (``reopen_ids``)."""
        self.initial: frozenset[str] = frozenset()
        """Ids of the incident's first assignments (``initial_assignments``)."""
        self.labels: dict[str, str] = {}
        """Other incidents' ids -> ``#4710`` (from the ``[#4710] title`` of their references)."""

    def refs_for(self, record: Mapping[str, Any]) -> frozenset[str]:
        inc = record.get("incident")
        if isinstance(inc, dict) and as_text(inc.get("id")):
            return self.refs | {f"pd:{as_text(inc['id']).lower()}"}
        return self.refs

    def learn(self, records: list[dict[str, Any]]) -> None:
        """Note the ``#number`` of every other incident the records reference."""
        for record in records:
            inc = record.get("incident")
            if isinstance(inc, dict) and (found := _NUMBER_IN_SUMMARY.match(_text(inc))):
                self.labels.setdefault(as_text(inc.get("id")), f"#{found.group(1)}")

    def other_incident(self, record: Mapping[str, Any]) -> str | None:
        """The other incident's label (``#4710`` or its id) when the record belongs to another
        (merged) incident, else None."""
        inc = record.get("incident")
        other = as_text(inc.get("id")) if isinstance(inc, dict) else ""
        if not other or not self.id or other == self.id:
            return None
        return self.labels.get(other, other)

    def moved_from(self, alert: Mapping[str, Any]) -> str | None:
        """For an alert: the merged incident it was first triggered in, else None."""
        first = alert.get("first_trigger_log_entry")
        if not isinstance(first, dict) or not self.id:
            return None
        other = ""
        if isinstance(first.get("incident"), dict):
            other = as_text(first["incident"].get("id"))
        for url in (first.get("html_url"), first.get("self")):
            if not other and (found := _INCIDENT_IN_URL.search(as_text(url))):
                other = found.group(1) or found.group(2)
        if not other or other == self.id:
            return None
        return self.labels.get(other, other)


def _text(ref: Mapping[str, Any]) -> str:
    return as_text(ref.get("summary"))


def reopen_ids(entries: list[dict[str, Any]], incident_id: str) -> frozenset[str]:
    """Ids of the entries that reopened the incident: the first state entry after each resolve
    (entries of other, merged incidents aside)."""
    dated = [(when, as_text(e.get("id")), e) for e in entries if (when := _quiet_time(e))]
    out: set[str] = set()
    resolved = False
    for _, entry_id, entry in sorted(dated, key=lambda item: item[:2]):
        inc = entry.get("incident")
        if (
            incident_id
            and isinstance(inc, dict)
            and as_text(inc.get("id")) not in ("", incident_id)
        ):
            continue
        kind = entry_type(entry)
        if kind == "resolve":
            resolved = True
            continue
        summary = one_line(entry.get("summary")).lower()
        named = "reopen" in kind or (kind != "annotate" and summary.startswith("reopened"))
        if named or (resolved and kind in _REOPEN_STATES):
            out.add(entry_id)
            resolved = False
    return frozenset(out)


def initial_assignments(entries: list[dict[str, Any]], incident_id: str) -> frozenset[str]:
    """Ids of the ``assign`` entries of the incident's first assignment: at most
    ``FIRST_ASSIGNMENT`` after its first trigger entry, with no escalation or delegation before
    them (entries of other, merged incidents aside). Empty without a trigger entry: nothing then
    says the assignment was the first."""
    dated = []
    for entry in entries:
        inc = entry.get("incident")
        other = isinstance(inc, dict) and as_text(inc.get("id")) not in ("", incident_id)
        if (when := _quiet_time(entry)) is not None and not (incident_id and other):
            dated.append((when, as_text(entry.get("id")), entry))
    dated.sort(key=lambda item: item[:2])
    start = next((when for when, _, e in dated if entry_type(e) == "trigger"), None)
    out: set[str] = set()
    if start is None:
        return frozenset()
    for when, entry_id, entry in dated:
        kind = entry_type(entry)
        if kind not in ("assign", "escalate", "delegate"):
            continue
        if kind != "assign" or not start <= when <= start + FIRST_ASSIGNMENT:
            break  # a later assignment, or one after an escalation: news
        out.add(entry_id)
    return frozenset(out)


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
    kind = _KINDS.get(kind_name, Kind.UPDATE)
    summary = _entry_summary(kind_name, entry, ctx, actor)
    other = ctx.other_incident(entry)
    if entry_id in ctx.reopens:
        kind, summary = Kind.UPDATE, _reopen_summary(kind_name, ctx, actor)
        tags.add("reopen")
    elif entry_id in ctx.initial and (names := ", ".join(_names(entry.get("assignees")))):
        # the trigger's own assignment: nobody reassigned; no person's is the page's context
        summary = f"Assigned to {names}" + (f" by {actor}" if actor else "")
        tags.update(() if actor else (INITIAL,))
    elif other is not None:
        if kind in (Kind.ACK, Kind.RESOLVE):
            kind = Kind.UPDATE  # the other incident's lifecycle, not this one's
            tags -= {"state:acknowledged", "state:resolved"}
        if kind_name == "trigger":
            title = _incident_title(entry)
            summary = f"Merged incident {other} triggered" + (f": {title}" if title else "")
        else:
            summary += f" (in merged incident {other})"
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
    if kind_name == "notify" and (sent := [t for t in tags if t.startswith(("via:", "failed:"))]):
        why = next((t.rpartition(":")[2] for t in tags if t.startswith("failure:")), "")
        # one notification, counted by rows joining it, with why it failed when it says
        tags.add(f"{NOTICE}{sent[0]}:{entry_id}" + (f":{why}" if why else ""))
    details = {urls[0]: _entry_detail(kind_name, entry)}
    if kind_name == "trigger":
        details.update((as_text(a.get("html_url")), alert_detail(a)) for a in alerts)
    return Event(
        time=when,
        kind=kind,
        summary=summary,
        sources=(NAME,),
        links=tuple(replace(ln, detail=details.get(ln.url, "")) for ln in links_for(ctx, *urls)),
        key=f"pagerduty:log_entry:{entry_id}",
        actor=actor,
        refs=frozenset(refs),
        tags=frozenset(tags),
        scope=NAME,
    )


def _reopen_summary(kind: str, ctx: IncidentContext, actor: str | None) -> str:
    label = f"#{ctx.number}" if ctx.number is not None else ctx.id or "incident"
    state = {"acknowledge": " (acknowledged)", "acknowledgement": " (acknowledged)"}.get(kind, "")
    by = f" by {actor}" if actor else ""
    return f"Incident {label} reopened{state}{by}"


def _incident_title(entry: Mapping[str, Any]) -> str:
    inc = entry.get("incident")
    title = _NUMBER_IN_SUMMARY.sub("", _text(inc)).strip() if isinstance(inc, dict) else ""
    return title or _no_stop(one_line(entry.get("summary")))  # PagerDuty's own sentence


def _target_tags(kind: str, entry: Mapping[str, Any]) -> set[str]:
    """``target:<name>`` for the person a page or an escalation is for (``notify``: ``user``;
    ``escalate``/``delegate``/``assign``: ``assignees``), ``via:<method>`` for a page's method,
    ``failed:<method>`` for one that did not reach them, with ``failure:<method>:<why>`` when the
    notification's status says why (``no answer``, ``line busy``)."""
    if kind == "notify":
        user = _name(entry.get("user"))
        method = _method(entry.get("channel")).removeprefix("by ")
        tags = {f"target:{user}"} if user else set()
        if method:  # a failed notification reached no one: no channel of the page
            failure = _failure(entry.get("channel"), as_text(entry.get("summary")))
            tags.add(f"{'via' if failure is None else 'failed'}:{method}")
            if failure:  # why, as a row says it: ``failure:phone:no answer``
                tags.add(f"failure:{method}:{failure.strip()[1:-1]}")
        return tags
    if kind in ("escalate", "delegate", "assign"):
        return {f"target:{name}" for name in _names(entry.get("assignees"))}
    return set()


def _untallied(title: str) -> str:
    """An incident title that is a whole notifier subject without its status bracket, which only
    counts the group's alerts when the incident opened ("[FIRING:3] ESDiskWatermarkHigh
    es-prod-search (search critical)" -> "ESDiskWatermarkHigh es-prod-search (search
    critical)"); any other title as it is. PagerDuty titles an incident with the triggering
    alert's ``payload.summary`` (Events API v2), which Grafana and Alertmanager fill from their
    default ``__subject`` template (``reconstruct.subject``)."""
    subject = parse_subject(title)
    if subject is None or subject.start or title[subject.end :].strip() or not subject.title:
        return title
    return subject.title


def _entry_summary(
    kind: str, entry: Mapping[str, Any], ctx: IncidentContext, actor: str | None
) -> str:
    own = _no_stop(one_line(entry.get("summary")))
    label = f"#{ctx.number}" if ctx.number is not None else ctx.id or "incident"
    names = ", ".join(_names(entry.get("assignees")))
    if kind == "trigger":
        details = entry.get("event_details")
        what = _untallied(
            ctx.title or (one_line(details.get("description")) if isinstance(details, dict) else "")
        )
        return (
            f"Incident {label} triggered: {what}" if what else own or f"Incident {label} triggered"
        )
    if kind == "notify":
        user = _name(entry.get("user"))
        if user:
            method = _method(entry.get("channel"))
            if (
                failure := _failure(entry.get("channel"), as_text(entry.get("summary")))
            ) is not None:
                return f"Page to {user} {method} failed{failure}".replace("  ", " ")
            return f"Paged {user} {method}".rstrip()
    by = f" by {actor}" if actor else ""
    if kind in ("acknowledge", "acknowledgement"):
        return f"Acknowledged{by}"
    if kind == "resolve":
        return f"Resolved{by}" if actor else _automatic_resolve(entry) or own or "Resolved"
    if kind in ("escalate", "delegate", "assign") and names:
        verb = "Escalated" if kind == "escalate" else "Reassigned"
        return f"{verb} to {names}{by or _automatic_escalation(entry, own)}"
    if kind == "annotate":
        text = _note_text(entry)
        return f"Note{by}: {text}" if text else own or f"Note added{by}"
    if kind == "status_update" and (said := _status_update_text(entry)) and said not in own:
        return f"Status update: {said}"
    return own or kind.replace("_", " ").capitalize()


def _no_stop(text: str) -> str:
    """PagerDuty's own sentence as a row says it, without its full stop ("Urgency changed to
    high by Omar Haddad." -> "... Haddad"): rows end with no period, whichever tool wrote them.
    An ellipsis stays."""
    return text[:-1].rstrip() if text.endswith(".") and not text.endswith("..") else text


def _status_update_text(entry: Mapping[str, Any]) -> str:
    """What a ``status_update_log_entry`` told the stakeholders: its ``message`` (the field
    PagerDuty's Go client prints under the summary, ``LogEntry.Message``), else the channel's
    ``summary``; "" when neither says. Its own ``summary`` may only say one was sent."""
    channel = entry.get("channel")
    return one_line(entry.get("message")) or (
        one_line(channel.get("summary")) if isinstance(channel, dict) else ""
    )


_LEVEL = re.compile(r"\blevel (\d+)\b", re.IGNORECASE)
_ESCALATE_CHANNELS = {"timeout": "due to timeout", "auto": "automatically"}
"""An escalation no person did: its ``channel.type`` says why (``timeout``: the level's
escalation delay passed unacknowledged; ``auto``: by the escalation policy), its level is only in
PagerDuty's own ``summary`` ("Escalated to level 2 due to timeout."; REST API v1 log entries
reference: ``escalate_log_entry`` carries ``assignees`` and ``channel``, no level field)."""


def _automatic_escalation(entry: Mapping[str, Any], own: str) -> str:
    """``, level 2, due to timeout`` for an escalation no person did, "" when nothing says."""
    channel = entry.get("channel")
    why = _ESCALATE_CHANNELS.get(as_text(channel.get("type")) if isinstance(channel, dict) else "")
    level = _LEVEL.search(own)
    parts = [f"level {level.group(1)}" if level else "", why or ""]
    return "".join(f", {p}" for p in parts if p)


_RESOLVE_CHANNELS = {
    "api": "API",
    "auto": "",
    "timeout": "auto-resolve timeout",
    "email": "email",
    "nagios": "Nagios",
    "web_trigger": "web trigger",
}
"""A resolve log entry's ``channel.type`` when no person resolved it (REST API v2, Log Entries:
``channel`` types ``api``, ``auto``, ``timeout``, ``email``, ``nagios``, ``web_trigger``...;
PagerDuty's own ``summary`` is then "Resolved through the API.", "Resolved by timeout.")."""


def _automatic_resolve(entry: Mapping[str, Any]) -> str:
    """A resolve no person did, worded like the other resolve rows: "Resolved automatically by
    Grafana (API)", "Resolved automatically (auto-resolve timeout)"; the integration that sent it
    named when the ``agent`` is one (``*_inbound_integration_reference``); "" for a channel
    this does not know."""
    channel = entry.get("channel")
    kind = as_text(channel.get("type")).lower() if isinstance(channel, dict) else ""
    if kind not in _RESOLVE_CHANNELS:
        return ""
    agent = entry.get("agent")
    integration = (
        _name(agent)
        if isinstance(agent, dict) and "integration" in as_text(agent.get("type"))
        else ""
    )
    how = _RESOLVE_CHANNELS[kind]
    text = "Resolved automatically" + (f" by {integration}" if integration else "")
    return f"{text} ({how})" if how else text


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
    summary = f"Alert ({severity}): {text}" if severity else f"Alert: {text}"
    labels = alert_labels(alert)
    integration = alert.get("integration")
    by = sender(labels, _name(integration) if isinstance(integration, dict) else "")
    by = by or ("Grafana" if from_grafana(alert) else "")
    if (said := worded(text, labels, by)) is not None:  # Grafana's or Alertmanager's subject
        summary, rule, state = said
        refs.add(f"rule:{' '.join(rule.split()).lower()}:{state}")
    if (moved := ctx.moved_from(alert) or ctx.other_incident(alert)) is not None:
        summary += f" (moved in from merged incident {moved})"
    return Event(
        time=when,
        kind=Kind.ALERT,
        summary=summary,
        sources=(NAME,),
        links=tuple(
            replace(ln, detail=alert_detail(alert))
            for ln in links_for(ctx, as_text(alert.get("html_url")))
        ),
        key=f"pagerduty:alert:{alert_id}",
        refs=frozenset(refs),
        tags=frozenset(instance_tags(labels)),
        scope=NAME,
    )


_GRAFANA_URL = re.compile(
    r"/d/[^/\s?#]+[^\s]*[?&](?:orgId|viewPanel)="  # a dashboard or panel: /d/<uid>?orgId=1
    r"|/alerting/(?:grafana/|silence/new\?\S*\balertmanager=grafana\b)"  # a rule, a silence
)
"""Addresses only Grafana serves: a dashboard or panel (``/d/<uid>/<slug>?orgId=1&viewPanel=2``),
a Grafana-managed rule's page (``/alerting/grafana/<uid>/view``), the silence link for its own
Alertmanager (``/alerting/silence/new?alertmanager=grafana&matcher=...``)."""


def from_grafana(alert: Mapping[str, Any]) -> bool:
    """Whether the alert came from Grafana's PagerDuty notifier when its labels do not say so
    (``alertsubject.sender``: a ``grafana_folder`` label): the event's ``client`` (PD-CEF
    ``body.cef_details.client``; Grafana sends ``"Grafana"``), or a link it sent (``body.contexts``
    ``href``) or its details text (``Dashboard:``, ``Panel:``, ``Silence:`` lines of Grafana's
    ``__text_alert_list``) at an address only Grafana serves (``_GRAFANA_URL``)."""
    body = alert.get("body")
    if not isinstance(body, dict):
        return False
    cef = body.get("cef_details")
    if isinstance(cef, dict) and as_text(cef.get("client")).casefold() == "grafana":
        return True
    said: list[str] = []
    contexts = body.get("contexts")
    for context in contexts if isinstance(contexts, list) else ():
        if isinstance(context, dict):
            said.append(as_text(context.get("href")))
    details = body.get("details")
    if isinstance(details, dict):
        said.extend(v for v in details.values() if isinstance(v, str))
    return any(_GRAFANA_URL.search(text) for text in said)


def alert_detail(alert: Mapping[str, Any]) -> str:
    """The alert's link named for what it is among others on a row (``Link.detail``): "PD alert
    RedisMemoryHigh redis-1": its rule (the ``alertname`` label, else the first word of a
    notifier's default subject, ``reconstruct.subject``: "[FIRING:1] RedisMemoryHigh (redis-1
    prod)") and the value of its first instance label (``INSTANCE_KEYS``, in their order); ""
    when it names neither."""
    labels = alert_labels(alert)
    summary = one_line(alert.get("summary"))
    subject = parse_subject(summary)
    whole = subject is not None and not subject.start and not summary[subject.end :].strip()
    group = subject.rule.split() if subject is not None and whole else []
    rule = labels.get("alertname") or (group[0] if group else "")
    words = [rule] if rule else []
    words += [v for k in INSTANCE_KEYS if (v := labels.get(k, ""))][:1]
    return f"{ALERT_LABEL} {' '.join(words)}" if words else ""


_ENTRY_NOUNS = {
    "trigger": "trigger",
    "assign": "assignment",
    "delegate": "reassignment",
    "escalate": "escalation",
    "acknowledge": "acknowledgement",
    "resolve": "resolution",
    "annotate": "note",
}
"""Log entry types (``<type>_log_entry``) -> what their link is said to open among others."""


def _entry_detail(kind_name: str, entry: Mapping[str, Any]) -> str:
    """A log entry's link named for what it is among others on a row (``Link.detail``): "PD push
    notification" (a ``notify_log_entry`` by its method), "PD assignment", "PD escalation";
    "" for another type."""
    if kind_name == "notify":
        method = _method(entry.get("channel")).removeprefix("by ")
        return f"PD {method} notification" if method else ""
    noun = _ENTRY_NOUNS.get(kind_name, "")
    return f"PD {noun}" if noun else ""


def alert_labels(alert: Mapping[str, Any]) -> dict[str, str]:
    """The alert's labels, from its ``body.details`` (the Events API v2 ``custom_details``):
    Grafana's and Alertmanager's PagerDuty notifiers send ``{"firing": "Labels:\\n - alertname
    = X\\n - pod = p-1\\n...", "num_firing": "1", ...}``; a sender may also put labels as keys
    (``{"pod": "p-1"}``). {} when the alert carries none."""
    body = alert.get("body")
    details = body.get("details") if isinstance(body, dict) else None
    if not isinstance(details, dict):
        return {}
    text = "\n".join(v for v in details.values() if isinstance(v, str) and "Labels:" in v)
    labels = labels_in_text(text)
    for key, value in details.items():
        if isinstance(key, str) and isinstance(value, str) and key not in labels:
            if key != "firing" and key != "resolved" and "\n" not in value and value.strip():
                labels[key] = value.strip()
    return labels


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
def unique(records: Iterator[dict[str, Any]], scope: str) -> list[dict[str, Any]]:
    """Records in order, a repeated id (pages that overlapped, a record served twice) kept once
    and each extra copy counted (``skips.COPY``, under ``scope``)."""
    return list(first_copies(records, lambda record: as_text(record.get("id")), scope))


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


_FAILURES = {"failed": "", "no_answer": " (no answer)", "busy": " (line busy)"}
"""A notification's ``status`` when it did not reach the person -> how the row says why.
PagerDuty's ``notify_log_entry`` carries ``channel.notification`` = ``{type, status, address}``;
``status`` is ``success``, ``failed``, ``no_answer`` or ``busy`` (REST API v1 log entries
reference, "Notification" object; the pagerduty Haskell client's ``NotificationStatus`` has
Success, Failed and NoAnswer). Another value that is not ``success`` (a carrier's
``undeliverable``) is a failure named by its own words, "(undeliverable)": a page never reads as
sent when PagerDuty says it was not. No status reads as delivered, unless the entry's own
summary says "Failed to notify" (PagerDuty's sentence for a failed notification)."""
_DELIVERED = frozenset({"success", "sent", "delivered", ""})
_FAILED_SUMMARY = "failed to notify"


def _failure(channel: Any, summary: str = "") -> str | None:
    """Why the notification failed ("" for a plain failure, " (no answer)", " (undeliverable)"),
    None when it was delivered or says nothing (no ``status``: read as delivered unless
    ``summary``, the entry's own, says it failed)."""
    notification = channel.get("notification") if isinstance(channel, dict) else None
    status = ""
    if isinstance(notification, dict):
        status = as_text(notification.get("status")).strip().lower()
    if status in _FAILURES:
        return _FAILURES[status]
    if status not in _DELIVERED:
        words = " ".join(re.sub(r"[^a-z0-9]+", " ", status).split())
        return f" ({words})" if words else ""
    return "" if summary.lower().startswith(_FAILED_SUMMARY) else None


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


def _quiet_time(record: Mapping[str, Any]) -> datetime | None:
    """``created_at`` for ordering only (``parse_time`` counts what it cannot read, once)."""
    value = record.get("created_at")
    try:
        return parse_iso(value) if isinstance(value, str) and value else None
    except TimeFormatError:
        return None


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
