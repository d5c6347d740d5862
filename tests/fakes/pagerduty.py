"""A fake PagerDuty REST API v2 on a ``FakeServer``, plus a sample incident in the wire format.

    fake = FakePagerDuty(make_server(), token="tok")
    fake.add(sample_incident())                  # an IncidentData
    config: [pagerduty] base_url = fake.base_url

Behaviour (shared/api-examples/WIRE-FORMATS.md §1, §5): ``Authorization: Token token=<key>``
checked (wrong key -> 401, code 2006); ``GET /incidents/{id or number}``; log entries and alerts
offset-paginated (``limit`` echoed, default 25, max 100; ``offset+limit > 10000`` -> 400; ``more``;
``total`` null unless ``total=true``); notes not paginated; ``{"error": {...}}`` error bodies;
``time_zone=UTC`` renders log-entry times in UTC, otherwise in the account offset they are stored
in. Every ``https://api.pagerduty.com`` URL in a payload is rewritten to the fake's base URL.
Every body served is kept in ``served[path]`` (in order) so a test can compare the bundle.

Faults beyond ``server.fail_next`` (which answers by path only):

    fake.max_limit = 5                   # pages smaller than the client asks for (the demo's
                                         # 9 log entries then take two pages)
    fake.stuck.add("log_entries")        # ignore ``offset``: the first window, ``more: true``,
                                         # forever (a repeating cursor)
    fake.intercept(hook)                 # hook(req) -> Response | None, before every handler
                                         # (None: answer normally), e.g. 401 on page two
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tests.fakes.server import FakeServer, Request, Response

API = "https://api.pagerduty.com"
WEB = "https://acme.pagerduty.com"
RATE_LIMIT_BODY = {"error": {"message": "Rate Limit Exceeded", "code": 2020}}


def error(status: int, message: str, code: int, *errors: str) -> Response:
    body: dict[str, Any] = {"error": {"message": message, "code": code}}
    if errors:
        body["error"]["errors"] = list(errors)
    return Response(status, body)


def rate_limited(retry_after: str | None = None) -> Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Response(429, RATE_LIMIT_BODY, headers)


@dataclass
class IncidentData:
    incident: dict[str, Any]
    log_entries: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)


class FakePagerDuty:
    def __init__(self, server: FakeServer, token: str = "tok") -> None:
        self.server = server
        self.token = token
        self.incidents: list[IncidentData] = []
        self.served: dict[str, list[Any]] = {}
        self.max_limit = 100
        self.stuck: set[str] = set()
        self.hooks: list[Callable[[Request], Response | None]] = []
        server.route("GET", r"/incidents", self._list_incidents)
        server.route("GET", r"/incidents/(?P<ref>[^/]+)", self._incident)
        for sub in ("log_entries", "alerts", "notes"):
            server.route("GET", rf"/incidents/(?P<ref>[^/]+)/(?P<sub>{sub})", self._sub)
        server.route("GET", r"/users/(?P<uid>[^/]+)", self._user)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def add(self, data: IncidentData) -> IncidentData:
        self.incidents.append(data)
        return data

    def count(self, pattern: str) -> int:
        return self.server.count("GET", pattern)

    def intercept(self, hook: Callable[[Request], Response | None]) -> None:
        """``hook(req)`` runs before every handler; a Response it returns is sent instead."""
        self.hooks.append(hook)

    def _hooked(self, req: Request) -> Response | None:
        for hook in self.hooks:
            if (response := hook(req)) is not None:
                return response
        return None

    # -- handlers ------------------------------------------------------------------------
    def _auth(self, req: Request) -> Response | None:
        if (hooked := self._hooked(req)) is not None:
            return hooked
        if req.headers.get("authorization") != f"Token token={self.token}":
            return error(401, "Authentication failed", 2006)
        return None

    def _find(self, ref: str) -> IncidentData | None:
        for data in self.incidents:
            if ref in (data.incident["id"], str(data.incident.get("incident_number"))):
                return data
        return None

    def _send(self, req: Request, body: Any) -> Response:
        text = json.dumps(body).replace(API, self.base_url)
        served = json.loads(text)
        self.served.setdefault(req.path, []).append(served)
        return Response(200, served)

    def _incident(self, req: Request, match: re.Match[str]) -> Response:
        if (denied := self._auth(req)) is not None:
            return denied
        data = self._find(match["ref"])
        if data is None:
            return error(404, "Not Found", 2100)
        return self._send(req, {"incident": data.incident})

    def _user(self, req: Request, match: re.Match[str]) -> Response:
        """GET /users/{id}: a user any incident names (``{"user": {...}}``, with ``email``)."""
        if (denied := self._auth(req)) is not None:
            return denied
        for data in self.incidents:
            for record in [*data.log_entries, *data.notes]:
                for name in ("agent", "user", "assignees"):
                    value = record.get(name)
                    for ref in value if isinstance(value, list) else [value]:
                        if isinstance(ref, dict) and ref.get("id") == match["uid"]:
                            if ref.get("type") == "user_reference":
                                return self._send(req, {"user": full_user(ref)})
        return error(404, "Not Found", 2100)

    def _list_incidents(self, req: Request, match: re.Match[str]) -> Response:
        if (denied := self._auth(req)) is not None:
            return denied
        return self._page(req, "incidents", _filtered(req, [d.incident for d in self.incidents]))

    def _sub(self, req: Request, match: re.Match[str]) -> Response:
        if (denied := self._auth(req)) is not None:
            return denied
        data = self._find(match["ref"])
        if data is None:
            return error(404, "Not Found", 2100)
        sub = match["sub"]
        if sub == "notes":
            return self._send(req, {"notes": data.notes})
        records = data.log_entries if sub == "log_entries" else data.alerts
        if sub == "log_entries" and req.param("time_zone") == "UTC":
            records = [_in_utc(r) for r in records]
        return self._page(req, sub, records, stuck=sub in self.stuck)

    def _page(
        self, req: Request, key: str, records: list[dict[str, Any]], *, stuck: bool = False
    ) -> Response:
        try:
            limit = min(int(req.param("limit", "25") or 25), 100, self.max_limit)
            offset = int(req.param("offset", "0") or 0)
        except ValueError:
            return error(400, "Invalid Input Provided", 2001, "limit and offset must be integers")
        if limit < 1 or offset < 0 or offset + limit > 10000:
            return error(
                400, "Invalid Input Provided", 2001, "Offset must be less than 10000 - limit"
            )
        total = len(records) if req.param("total") == "true" else None
        if stuck:
            offset = 0
        body = {
            key: records[offset : offset + limit],
            "limit": limit,
            "offset": offset,
            "more": stuck or offset + limit < len(records),
            "total": total,
        }
        return self._send(req, body)


def _filtered(req: Request, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """GET /incidents filters (§1.2): ``statuses[]``, ``service_ids[]``, ``team_ids[]``,
    ``urgencies[]``, ``since``/``until`` on creation time, ``sort_by`` (one field)."""

    def when(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    out = list(records)
    if statuses := req.params("statuses[]"):
        out = [r for r in out if r.get("status") in statuses]
    if services := req.params("service_ids[]"):
        out = [r for r in out if (r.get("service") or {}).get("id") in services]
    if teams := req.params("team_ids[]"):
        out = [r for r in out if {t.get("id") for t in r.get("teams") or []} & set(teams)]
    if urgencies := req.params("urgencies[]"):
        out = [r for r in out if r.get("urgency") in urgencies]
    if since := req.param("since"):
        out = [r for r in out if when(r["created_at"]) >= when(since)]
    if until := req.param("until"):
        out = [r for r in out if when(r["created_at"]) < when(until)]
    if sort := req.param("sort_by"):
        field_name, _, order = sort.partition(":")
        out.sort(key=lambda r: str(r.get(field_name) or ""), reverse=order == "desc")
    return out


def _in_utc(record: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(record)
    when = out.get("created_at")
    if isinstance(when, str) and re.search(r"[+-]\d\d:\d\d$", when):
        stamp = datetime.fromisoformat(when).astimezone(UTC)
        out["created_at"] = stamp.isoformat().replace("+00:00", "Z")
    return out


# -- sample data ---------------------------------------------------------------------------------
INCIDENT_ID = "PABC123"
NUMBER = 4321
ACCOUNT_TZ = timedelta(hours=-5)
T0 = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
"""When the sample incident was triggered (04:30 in the account's -05:00)."""


def local(minutes: float) -> str:
    """T0 + minutes, in the account's -05:00 offset, as log entries carry it."""
    return (T0 + timedelta(minutes=minutes)).astimezone(timezone(ACCOUNT_TZ)).isoformat()


def utc(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def user(uid: str, name: str) -> dict[str, Any]:
    return {
        "id": uid,
        "type": "user_reference",
        "summary": name,
        "self": f"{API}/users/{uid}",
        "html_url": f"{WEB}/users/{uid}",
    }


def full_user(ref: dict[str, Any]) -> dict[str, Any]:
    """The user object GET /users/{id} returns for a ``user_reference`` (the fields a user has
    in PagerDuty's API reference; the email made from the name)."""
    name = ref["summary"]
    return {
        "id": ref["id"],
        "type": "user",
        "summary": name,
        "self": ref.get("self", f"{API}/users/{ref['id']}"),
        "html_url": ref.get("html_url", f"{WEB}/users/{ref['id']}"),
        "name": name,
        "email": name.lower().replace(" ", ".") + "@acme.example",
        "time_zone": "America/New_York",
        "color": "green",
        "role": "user",
        "avatar_url": "https://secure.gravatar.com/avatar/0?s=200&d=mp",
        "description": "",
        "invitation_sent": False,
        "job_title": "",
        "teams": [],
        "contact_methods": [],
        "notification_rules": [],
    }


SERVICE = {
    "id": "PSVC001",
    "type": "service_reference",
    "summary": "checkout-api",
    "self": f"{API}/services/PSVC001",
    "html_url": f"{WEB}/service-directory/PSVC001",
}
PRIYA = user("PUSR001", "Priya Raman")
SAM = user("PUSR002", "Sam Lee")
DANA = user("PUSR003", "Dana Kim")
ALEX = user("PUSR004", "Alex Chen")


def entry(eid: str, kind: str, minutes: float, agent: dict[str, Any], **extra: Any) -> dict:
    return {
        "id": eid,
        "type": f"{kind}_log_entry",
        "summary": extra.pop("summary", f"{kind.capitalize()} entry"),
        "self": f"{API}/log_entries/{eid}?incident_id={INCIDENT_ID}",
        "html_url": f"{WEB}/incidents/{INCIDENT_ID}/log_entries/{eid}",
        "created_at": local(minutes),
        "agent": agent,
        "channel": extra.pop("channel", {"type": "website"}),
        "incident": {
            "id": INCIDENT_ID,
            "type": "incident_reference",
            "summary": f"[#{NUMBER}] Checkout API 5xx rate above 5%",
            "self": f"{API}/incidents/{INCIDENT_ID}",
            "html_url": f"{WEB}/incidents/{INCIDENT_ID}",
        },
        "contexts": [],
        **extra,
    }


def sample_incident(*, resolved: bool = True, filler: int = 0, alerts: int = 0) -> IncidentData:
    """The checkout incident: trigger, pages, ack, escalation, reassignment, two notes (also
    as annotate entries), an unmatched note, a second alert, resolve. ``filler`` appends that many
    extra notify entries and ``alerts`` that many extra alerts (for pagination)."""
    incident = {
        "id": INCIDENT_ID,
        "type": "incident",
        "summary": f"[#{NUMBER}] Checkout API 5xx rate above 5%",
        "self": f"{API}/incidents/{INCIDENT_ID}",
        "html_url": f"{WEB}/incidents/{INCIDENT_ID}",
        "incident_number": NUMBER,
        "title": "Checkout API 5xx rate above 5%",
        "created_at": utc(0),
        "updated_at": utc(42),
        "status": "resolved" if resolved else "acknowledged",
        "incident_key": "checkout-5xx",
        "service": SERVICE,
        "priority": {"id": "PPRI001", "type": "priority_reference", "summary": "P1"},
        "resolved_at": None,  # the resolve entry gives the time
        "urgency": "high",
    }
    entries = [
        entry("Q001", "trigger", 0, SERVICE, channel={"type": "api"}, summary="Triggered"),
        entry(
            "Q002",
            "notify",
            0.2,
            SERVICE,
            user=PRIYA,
            channel={
                "type": "auto",
                "notification": {"type": "phone_notification", "address": "+15555550100"},
            },
        ),
        entry("Q003", "notify", 0.2, SERVICE, user=SAM, channel={"type": "sms"}),
        entry("Q004", "acknowledge", 4, PRIYA, acknowledgement_timeout=1800),
        entry("Q005", "escalate", 10, SERVICE, assignees=[DANA]),
        entry("Q006", "assign", 11, PRIYA, assignees=[ALEX]),
        entry(
            "Q007",
            "annotate",
            15.5,
            PRIYA,
            channel={"type": "note", "summary": "Rolling back  v2.3.1"},
        ),
        entry("Q008", "annotate", 20, DANA, channel={"type": "note"}),
        entry("Q009", "urgency_change", 21, DANA, summary="Urgency changed to high"),
        entry("Q010", "notify", 22, SERVICE, user=DANA),  # no created_at: skipped
        entry("Q011", "notify", 23, SERVICE, user=DANA),  # naive time: skipped
    ]
    del entries[9]["created_at"]
    entries[10]["created_at"] = "2026-03-14T09:53:00"
    if resolved:
        entries.append(entry("Q012", "resolve", 42, PRIYA, summary="Resolved by Priya Raman."))
    for i in range(filler):
        entries.append(entry(f"QF{i:04d}", "notify", 25 + i / 100, SERVICE, user=SAM))
    notes = [
        _note("PN001", PRIYA, "Rolling back v2.3.1", local(15.45)),
        _note("PN002", DANA, "Error rate back under 1%", local(20.05)),
        _note("PN003", SAM, "Customer comms sent", utc(25)),
    ]
    alert_list = [
        _alert("PAL001", "checkout-5xx", "5xx rate 7.2% on checkout-api", utc(0), "Q001"),
        _alert("PAL002", "checkout-latency", "p99 latency 2.4s on checkout-api", utc(6), None),
    ]
    for i in range(alerts):
        alert_list.append(
            _alert(f"PALX{i:03d}", f"extra-{i}", f"extra alert {i}", utc(30 + i / 10), None)
        )
    return IncidentData(incident, entries, alert_list, notes)


def _note(nid: str, who: dict[str, Any], content: str, when: str) -> dict[str, Any]:
    return {
        "id": nid,
        "user": who,
        "channel": {"summary": "The PagerDuty website or APIs"},
        "content": content,
        "created_at": when,
        "updated_at": when,
    }


def _alert(aid: str, key: str, summary: str, when: str, trigger: str | None) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "id": aid,
        "type": "alert",
        "summary": summary,
        "self": f"{API}/incidents/{INCIDENT_ID}/alerts/{aid}",
        "html_url": f"{WEB}/alerts/{aid}",
        "created_at": when,
        "status": "resolved",
        "alert_key": key,
        "service": SERVICE,
        "incident": {"id": INCIDENT_ID, "type": "incident_reference"},
        "suppressed": False,
        "severity": "critical",
    }
    if trigger is not None:
        alert["first_trigger_log_entry"] = {
            "id": trigger,
            "type": "trigger_log_entry_reference",
            "self": f"{API}/log_entries/{trigger}?incident_id={INCIDENT_ID}",
        }
    return alert
