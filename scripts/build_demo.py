"""Build the demo evidence bundle in ``reconstruct/demo/bundle/`` (``reconstruct --incident demo``).

Usage: ``python scripts/build_demo.py [OUT_DIR]`` (default: the package's demo bundle).

The story is the article's cache-stampede example. PR #1187 cut the product cache TTL from 600s to
60s and shipped 11 days before the incident. On 2026-03-14 the Redis primary fails over at 09:40
UTC and checkout errors follow. The timeline then runs: Grafana alert, PagerDuty incident #4821,
page, ack, escalation, SEV-1 declaration, root cause, read-replica scaling, revert PR #1203 and its
deploy, alert clears, resolve at 10:29.

Every record is written the way the real API returns it: PagerDuty REST v2 wrappers and offset
pagination, log entries in the account time zone; Slack Web API pages with cursors, history
newest first, mrkdwn escaping and rich_text blocks; GitHub REST lists and search results; Grafana
``/api/annotations`` ItemDTOs with omitempty fields.

Deliberate duplicates that the normalizer should merge:
- the PagerDuty trigger / ack / resolve log entries and the PagerDuty app's Slack posts;
- the GitHub revert deployment, the deploy bot's Slack posts (incident channel and #deploys) and
  the Grafana deploy annotation (same sha);
- the Grafana alert annotations and the Grafana bot's [FIRING] / [RESOLVED] posts;
- a thread reply broadcast to the channel, seen in conversations.history and .replies.

Deterministic: fixed times and IDs, no randomness; hashes only derive IDs from fixed labels.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from reconstruct.bundle import BundleWriter
from reconstruct.collectors.github.parse import reverted_pr
from reconstruct.model import Window
from reconstruct.timeutil import iso_z

Json = dict[str, Any]

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "reconstruct" / "demo" / "bundle"


def at(hour: int, minute: int, second: int = 0, *, day: int = 14, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


# The evidence window: 1h before the trigger, 30m after the resolve, 14 days of leadup.
WINDOW = Window(start=at(8, 42), end=at(10, 59), leadup_start=at(8, 42, day=28, month=2))
COLLECTED_AT = at(13, 20, day=16)

# ----------------------------------------------------------------------------------------------
# Identities


def _digest(label: str) -> bytes:
    return hashlib.sha256(label.encode("utf-8")).digest()


def hex_sha(label: str) -> str:
    """A 40-hex commit SHA derived from a label."""
    return hashlib.sha1(label.encode("utf-8"), usedforsecurity=False).hexdigest()


def b32_id(label: str, length: int, prefix: str = "") -> str:
    """An upper-case alphanumeric ID (PagerDuty style) derived from a label."""
    body = base64.b32encode(_digest(label)).decode("ascii").rstrip("=")
    return (prefix + body)[:length]


def small_int(label: str, modulo: int) -> int:
    return int.from_bytes(_digest(label)[:8], "big") % modulo


# PagerDuty
PD_API = "https://api.pagerduty.com"
PD_WEB = "https://acme.pagerduty.com"
INCIDENT_ID = "Q3CKSTMPD1"
INCIDENT_NUMBER = 4821
INCIDENT_TITLE = "Checkout returning 5xx for most requests"
INCIDENT_URL = f"{PD_WEB}/incidents/{INCIDENT_ID}"
# The account time zone is America/Chicago: CDT (-05:00) since 2026-03-08. PagerDuty renders log
# entries and notes in it by default; the incident and its alerts come back in UTC (Z).
ACCOUNT_TZ = timezone(timedelta(hours=-5))
ALERT_KEY = hashlib.sha256(b"grafana:CheckoutErrorRate:{service=checkout}").hexdigest()

# Slack
SLACK_URL = "https://acme.slack.com/"
TEAM = "T024ACME5"
INC_CHANNEL = "C07KX4821QA"
DEPLOYS_CHANNEL = "C01DPLY8QK2"
ALERTS_CHANNEL = "C03ALRTCHK9"
CHANNEL_NAMES = {
    INC_CHANNEL: "inc-4821",
    DEPLOYS_CHANNEL: "deploys",
    ALERTS_CHANNEL: "alerts-checkout",
}

# GitHub
GH_API = "https://api.github.com"
GH_WEB = "https://github.com"
OWNER, REPO = "acme", "checkout"
FULL = f"{OWNER}/{REPO}"
REPO_ID = 583920117
REPO_API = f"{GH_API}/repos/{FULL}"

# Grafana
GRAFANA_URL = "https://grafana.acme.example"
DASHBOARD_UID = "checkout-overview"
DASHBOARD_URL = f"{GRAFANA_URL}/d/{DASHBOARD_UID}"
DASHBOARD_ID = 31
ERROR_PANEL = 4
DB_PANEL = 7
RULE_NAME = "CheckoutErrorRate"
RULE_UID = "ce2k9rq5xj0g0c"
RULE_ID = 112


class Person:
    def __init__(
        self,
        key: str,
        real_name: str,
        display: str,
        slack_id: str,
        pd_id: str,
        gh_login: str,
        gh_id: int,
        title: str,
    ) -> None:
        self.key = key
        self.real_name = real_name
        self.display = display
        self.slack_id = slack_id
        self.pd_id = pd_id
        self.gh_login = gh_login
        self.gh_id = gh_id
        self.title = title

    @property
    def email(self) -> str:
        return f"{self.key}@acme.example"


PRIYA = Person(
    "priya", "Priya Raman", "priya", "U04PRIYA7RM", "P7QK2MN", "priya-raman", 48213377, "SRE"
)
KIM = Person(
    "kim", "Kim Nguyen", "kim", "U02KIMNGY5H", "PZ4R8TV", "kimnguyen", 30118452, "Eng Manager"
)
MARCO = Person(
    "marco",
    "Marco Bianchi",
    "marco",
    "U03MARCOB8T",
    "PM4RC0B",
    "marco-bianchi",
    51920664,
    "Backend Engineer, Checkout",
)
LEE = Person(
    "lee", "Lee Turner", "lee", "U06LEEDBA9X", "PL7A2O4", "leeturner", 27740951, "Database Engineer"
)
SAM = Person(
    "sam",
    "Sam Okafor",
    "sam.okafor",
    "U05SAMOKF2A",
    "PS4MOKF",
    "samokafor",
    60317720,
    "Support Lead",
)
PEOPLE = (PRIYA, KIM, MARCO, LEE, SAM)


class Bot:
    def __init__(self, name: str, user_id: str, bot_id: str, app_id: str, handle: str) -> None:
        self.name = name
        self.user_id = user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.handle = handle


PD_BOT = Bot("PagerDuty", "U07PDAPP01Z", "B07PDAPP1QX", "A0PDUTY8KZ", "pagerduty")
GRAFANA_BOT = Bot("Grafana", "U07GRFNA2LB", "B07GRFN2KLM", "A07GRFN9QXT", "grafana")
DEPLOY_BOT = Bot("deploybot", "U07DPLYBOT3", "B07DPLY3MNR", "A07DPLY4ZTW", "deploybot")
BOTS = (PD_BOT, GRAFANA_BOT, DEPLOY_BOT)

# Commits. The two that the story turns on are spelled out; the others derive from labels.
TTL_SHA = "9c1e7a4f0b2d83c6e5a17f9d0c4b8e2a6d3f5b71"  # merge of #1187
REVERT_SHA = "4f2c9e1a83b07d5562e9c4f1a0d7b3e8c26f9a15"  # merge of #1203
SEARCH_API_SHA = "7d3e0b2c41f9a8e65b0d2c7f3a1e9b4d8c6f0a52"  # an unrelated service's deploy

# ----------------------------------------------------------------------------------------------
# Time formats


def iso_local(when: datetime) -> str:
    """PagerDuty log-entry style: ``2026-03-14T04:42:07-05:00``."""
    return when.astimezone(ACCOUNT_TZ).isoformat()


def epoch(when: datetime) -> int:
    return int(when.timestamp())


def epoch_ms(when: datetime) -> int:
    return int(when.timestamp()) * 1000 + when.microsecond // 1000


def slack_ts(when: datetime, salt: str) -> str:
    """``"1773481327.394829"``: epoch seconds and a (stable, arbitrary) six-digit suffix."""
    return f"{epoch(when)}.{small_int('ts:' + salt, 1_000_000):06d}"


# ----------------------------------------------------------------------------------------------
# PagerDuty


def pd_ref(kind: str, ident: str, summary: str, path: str, web: str | None) -> Json:
    ref: Json = {"id": ident, "type": kind, "summary": summary, "self": f"{PD_API}/{path}"}
    if web is not None:
        ref["html_url"] = web
    return ref


def pd_user(person: Person) -> Json:
    return pd_ref(
        "user_reference",
        person.pd_id,
        person.real_name,
        f"users/{person.pd_id}",
        f"{PD_WEB}/users/{person.pd_id}",
    )


SERVICE_REF = pd_ref(
    "service_reference",
    "PCHKSVC",
    "checkout",
    "services/PCHKSVC",
    f"{PD_WEB}/service-directory/PCHKSVC",
)
TEAM_REF = pd_ref(
    "team_reference", "PTCHK01", "Checkout", "teams/PTCHK01", f"{PD_WEB}/teams/PTCHK01"
)
POLICY_REF = pd_ref(
    "escalation_policy_reference",
    "PEPCHK1",
    "Checkout on-call",
    "escalation_policies/PEPCHK1",
    f"{PD_WEB}/escalation_policies/PEPCHK1",
)
INTEGRATION_REF = pd_ref(
    "events_api_v2_inbound_integration_reference",
    "PGRFN42",
    "Grafana",
    "services/PCHKSVC/integrations/PGRFN42",
    f"{PD_WEB}/services/PCHKSVC/integrations/PGRFN42",
)
INCIDENT_REF = pd_ref(
    "incident_reference",
    INCIDENT_ID,
    f"[#{INCIDENT_NUMBER}] {INCIDENT_TITLE}",
    f"incidents/{INCIDENT_ID}",
    INCIDENT_URL,
)
PRIORITY_REF = {
    "id": "PSEV1P1",
    "type": "priority_reference",
    "summary": "P1",
    "self": f"{PD_API}/priorities/PSEV1P1",
}

TRIGGER_AT = at(9, 42, 7)
ACK_AT = at(9, 44, 2)
ESCALATE_AT = at(9, 47, 10)
RESOLVE_AT = at(10, 29, 31)

FIRING_TITLE = f"[FIRING:1] {RULE_NAME} checkout (Checkout critical)"
RESOLVED_TITLE = f"[RESOLVED] {RULE_NAME} checkout (Checkout critical)"

NOTES = (
    (
        at(9, 52, 40),
        KIM,
        "SEV-1 declared, Kim is IC. Redis primary failed over to redis-cache-02 at 09:40; "
        "checkout DB read replicas at 100% CPU. Status page updated.",
    ),
    (
        at(10, 8, 15),
        KIM,
        "Cause: #1187 (shipped 03-03) cut the product cache TTL from 600s to 60s, so the cache "
        "never warms after the failover and every miss hits the read replicas. Replicas scaled "
        "3 -> 6; revert #1203 in progress.",
    ),
)


def log_entry_id(label: str) -> str:
    return b32_id("pd-log:" + label, 14, "R")


def log_entry(label: str, kind: str, when: datetime, summary: str, **fields: Any) -> Json:
    ident = log_entry_id(label)
    entry: Json = {
        "id": ident,
        "type": kind,
        "summary": summary,
        "self": f"{PD_API}/log_entries/{ident}?incident_id={INCIDENT_ID}",
        "html_url": f"{INCIDENT_URL}/log_entries/{ident}",
        "created_at": iso_local(when),
    }
    entry.update(fields)
    entry.update(
        {
            "service": SERVICE_REF,
            "incident": INCIDENT_REF,
            "teams": [TEAM_REF],
            "contexts": [],
        }
    )
    return entry


def pd_log_entries() -> list[Json]:
    website = {"type": "website"}
    entries = [
        log_entry(
            "trigger",
            "trigger_log_entry",
            TRIGGER_AT,
            "Triggered through the API.",
            agent=INTEGRATION_REF,
            channel={
                "type": "api",
                "summary": FIRING_TITLE,
                "service_key": "a1f3c2d4e5b6478899aabbccddeeff01",
                "description": FIRING_TITLE,
                "incident_key": ALERT_KEY,
                "client": "Grafana",
                "client_url": f"{GRAFANA_URL}/alerting/grafana/{RULE_UID}/view?orgId=1",
            },
            event_details={"description": FIRING_TITLE},
        ),
        log_entry(
            "notify-priya-push",
            "notify_log_entry",
            at(9, 42, 9),
            "Notified Priya Raman via push notification.",
            agent=SERVICE_REF,
            channel={
                "type": "auto",
                "notification": {
                    "type": "push_notification",
                    "status": "success",
                    "address": "Pixel 8 Pro",
                },
            },
            user=pd_user(PRIYA),
        ),
        log_entry(
            "notify-priya-phone",
            "notify_log_entry",
            at(9, 43, 9),
            "Notified Priya Raman on +1 555-0142 by phone.",
            agent=SERVICE_REF,
            channel={
                "type": "auto",
                "notification": {
                    "type": "phone_notification",
                    "status": "success",
                    "address": "+1 555-0142",
                },
            },
            user=pd_user(PRIYA),
        ),
        log_entry(
            "ack-priya",
            "acknowledge_log_entry",
            ACK_AT,
            "Acknowledged by Priya Raman.",
            agent=pd_user(PRIYA),
            channel=website,
            acknowledgement_timeout=1800,
        ),
        log_entry(
            "escalate-kim",
            "escalate_log_entry",
            ESCALATE_AT,
            "Escalated to level 2 by Priya Raman.",
            agent=pd_user(PRIYA),
            channel=website,
            assignees=[pd_user(KIM)],
        ),
        log_entry(
            "notify-kim-push",
            "notify_log_entry",
            at(9, 47, 11),
            "Notified Kim Nguyen via push notification.",
            agent=SERVICE_REF,
            channel={
                "type": "auto",
                "notification": {
                    "type": "push_notification",
                    "status": "success",
                    "address": "iPhone 15",
                },
            },
            user=pd_user(KIM),
        ),
    ]
    for index, (when, who, content) in enumerate(NOTES, 1):
        entries.append(
            log_entry(
                f"note-{index}",
                "annotate_log_entry",
                when,
                f"Note added by {who.real_name}.",
                agent=pd_user(who),
                channel={"type": "note", "summary": content},
            )
        )
    entries.append(
        log_entry(
            "resolve-kim",
            "resolve_log_entry",
            RESOLVE_AT,
            "Resolved by Kim Nguyen.",
            agent=pd_user(KIM),
            channel=website,
        )
    )
    return entries


def pd_incident() -> Json:
    trigger_id = log_entry_id("trigger")
    return {
        "id": INCIDENT_ID,
        "type": "incident",
        "summary": f"[#{INCIDENT_NUMBER}] {INCIDENT_TITLE}",
        "self": f"{PD_API}/incidents/{INCIDENT_ID}",
        "html_url": INCIDENT_URL,
        "incident_number": INCIDENT_NUMBER,
        "title": INCIDENT_TITLE,
        "created_at": iso_z(TRIGGER_AT),
        "updated_at": iso_z(RESOLVE_AT),
        "status": "resolved",
        "incident_key": ALERT_KEY,
        "service": SERVICE_REF,
        "assignments": [],
        "assigned_via": "escalation_policy",
        "last_status_change_at": iso_z(RESOLVE_AT),
        "resolved_at": iso_z(RESOLVE_AT),
        "first_trigger_log_entry": {
            "id": trigger_id,
            "type": "trigger_log_entry_reference",
            "summary": "Triggered through the API.",
            "self": f"{PD_API}/log_entries/{trigger_id}?incident_id={INCIDENT_ID}",
            "html_url": f"{INCIDENT_URL}/log_entries/{trigger_id}",
        },
        "alert_counts": {"all": 1, "triggered": 0, "resolved": 1},
        "is_mergeable": True,
        "incident_type": {"name": "incident_default"},
        "escalation_policy": POLICY_REF,
        "teams": [TEAM_REF],
        "pending_actions": [],
        "acknowledgements": [],
        "alert_grouping": None,
        "last_status_change_by": pd_user(KIM),
        "priority": PRIORITY_REF,
        "resolve_reason": None,
        "conference_bridge": {
            "conference_number": None,
            "conference_url": "https://meet.acme.example/inc-4821",
        },
        "incidents_responders": [],
        "responder_requests": [],
        "urgency": "high",
    }


def pd_alert() -> Json:
    ident = b32_id("pd-alert:1", 14, "Q")
    trigger_id = log_entry_id("trigger")
    return {
        "id": ident,
        "type": "alert",
        "summary": FIRING_TITLE,
        "self": f"{PD_API}/incidents/{INCIDENT_ID}/alerts/{ident}",
        "html_url": f"{PD_WEB}/alerts/{ident}",
        "created_at": iso_z(TRIGGER_AT),
        "status": "resolved",
        "alert_key": ALERT_KEY,
        "service": SERVICE_REF,
        "first_trigger_log_entry": {
            "id": trigger_id,
            "type": "trigger_log_entry_reference",
            "summary": "Triggered through the API.",
            "self": f"{PD_API}/log_entries/{trigger_id}?incident_id={INCIDENT_ID}",
            "html_url": f"{INCIDENT_URL}/log_entries/{trigger_id}",
        },
        "body": {
            "type": "alert_body",
            "contexts": [
                {
                    "type": "link",
                    "href": f"{DASHBOARD_URL}?orgId=1&viewPanel=panel-{ERROR_PANEL}",
                    "text": "Dashboard",
                }
            ],
            "details": {
                "firing": "Value: B=0.912, C=1\nLabels:\n - alertname = CheckoutErrorRate\n"
                " - grafana_folder = Checkout\n - service = checkout\n - severity = critical\n",
                "num_firing": "1",
                "num_resolved": "0",
                "resolved": "",
            },
        },
        "incident": {
            "id": INCIDENT_ID,
            "type": "incident_reference",
            "summary": f"[#{INCIDENT_NUMBER}] {INCIDENT_TITLE}",
            "self": f"{PD_API}/incidents/{INCIDENT_ID}",
            "html_url": INCIDENT_URL,
        },
        "suppressed": False,
        "severity": "critical",
        "integration": INTEGRATION_REF,
    }


def pd_notes() -> list[Json]:
    notes = []
    for index, (when, who, content) in enumerate(NOTES, 1):
        notes.append(
            {
                "id": b32_id(f"pd-note:{index}", 7, "P"),
                "user": pd_user(who),
                "channel": {"summary": "The PagerDuty website or APIs"},
                "content": content,
                "created_at": iso_local(when),
                "updated_at": iso_local(when),
            }
        )
    return notes


def pagerduty(out: BundleWriter) -> None:
    out.add("pagerduty/incident.json", [{"incident": pd_incident()}])
    # GET /incidents/{id}/log_entries lists newest first; two pages of at most five.
    entries = sorted(pd_log_entries(), key=lambda e: e["created_at"], reverse=True)
    pages: list[Json] = []
    limit = 5
    for offset in range(0, len(entries), limit):
        chunk = entries[offset : offset + limit]
        more = offset + limit < len(entries)
        pages.append(
            {"log_entries": chunk, "limit": limit, "offset": offset, "more": more, "total": None}
        )
    out.add("pagerduty/log_entries.json", pages)
    out.add(
        "pagerduty/alerts.json",
        [{"alerts": [pd_alert()], "limit": 100, "offset": 0, "more": False, "total": None}],
    )
    out.add("pagerduty/notes.json", [{"notes": pd_notes()}])
    # GET /users/{id} per person the log entries and notes name (collectors.pagerduty.users).
    out.add("pagerduty/users.json", pd_users([*entries, *pd_notes()]))
    out.set_source("pagerduty", "ok")


def pd_users(records: list[Json]) -> list[Json]:
    """``{"user": {...}}`` bodies (GET /users/{id}), sorted by id, for every user named."""
    named: set[str] = set()
    for record in records:
        for field in ("agent", "user", "assignees"):
            value = record.get(field)
            for ref in value if isinstance(value, list) else [value]:
                if isinstance(ref, dict) and ref.get("type") == "user_reference":
                    named.add(ref["id"])
    by_id = {p.pd_id: p for p in PEOPLE}
    return [
        {
            "user": {
                "id": uid,
                "type": "user",
                "summary": by_id[uid].real_name,
                "self": f"{PD_API}/users/{uid}",
                "html_url": f"{PD_WEB}/users/{uid}",
                "name": by_id[uid].real_name,
                "email": by_id[uid].email,
                "time_zone": "Europe/London",
                "color": "purple",
                "role": "user",
                "description": "",
                "invitation_sent": False,
                "job_title": by_id[uid].title,
                "teams": [],
                "contact_methods": [],
                "notification_rules": [],
            }
        }
        for uid in sorted(named)
    ]


# ----------------------------------------------------------------------------------------------
# Slack

_TOKEN = re.compile(r"<([^<>]+)>")


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def rich_text(text: str, salt: str) -> list[Json]:
    """The ``rich_text`` block Slack stores beside a person's message ``text`` (mrkdwn)."""
    elements: list[Json] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        if match.start() > pos:
            elements.append({"type": "text", "text": _unescape(text[pos : match.start()])})
        token = match.group(1)
        target, _, label = token.partition("|")
        if target.startswith("@"):
            elements.append({"type": "user", "user_id": target[1:]})
        elif target.startswith("#"):
            elements.append({"type": "channel", "channel_id": target[1:]})
        elif target.startswith("!"):
            elements.append({"type": "broadcast", "range": target[1:]})
        else:
            link: Json = {"type": "link", "url": _unescape(target)}
            if label:
                link["text"] = _unescape(label)
            elements.append(link)
        pos = match.end()
    if pos < len(text):
        elements.append({"type": "text", "text": _unescape(text[pos:])})
    block_id = base64.b64encode(_digest("block:" + salt)[:3]).decode("ascii")
    return [
        {
            "type": "rich_text",
            "block_id": block_id,
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]


def reactions(*items: tuple[str, tuple[Person, ...]]) -> list[Json]:
    return [
        {"name": name, "users": [p.slack_id for p in who], "count": len(who)} for name, who in items
    ]


def person_message(channel: str, who: Person, when: datetime, text: str, **extra: Any) -> Json:
    ts = slack_ts(when, f"{channel}:{who.key}:{text}")
    message: Json = {
        "user": who.slack_id,
        "type": "message",
        "ts": ts,
        "client_msg_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"slack:{channel}:{ts}")),
        "text": text,
        "team": TEAM,
        "blocks": rich_text(text, f"{channel}:{ts}"),
    }
    message.update(extra)
    return message


def bot_profile(bot: Bot) -> Json:
    icon = f"https://avatars.slack-edge.com/2024-01-09/{bot.handle}_48.png"
    return {
        "id": bot.bot_id,
        "deleted": False,
        "name": bot.name,
        "updated": 1704790000,
        "app_id": bot.app_id,
        "icons": {"image_36": icon, "image_48": icon, "image_72": icon},
        "team_id": TEAM,
    }


def app_message(channel: str, bot: Bot, when: datetime, text: str, **extra: Any) -> Json:
    """A post made through chat.postMessage with the app's bot token."""
    message: Json = {
        "user": bot.user_id,
        "type": "message",
        "ts": slack_ts(when, f"{channel}:{bot.handle}:{text}"),
        "bot_id": bot.bot_id,
        "app_id": bot.app_id,
        "text": text,
        "team": TEAM,
        "bot_profile": bot_profile(bot),
    }
    message.update(extra)
    return message


def grafana_post(channel: str, when: datetime, firing: bool) -> Json:
    """Grafana's Slack contact point (incoming webhook): the title lives in the attachment and
    the message ``text`` is empty, as Grafana sends it."""
    title = FIRING_TITLE if firing else RESOLVED_TITLE
    rule_url = f"{GRAFANA_URL}/alerting/grafana/{RULE_UID}/view?orgId=1"
    state = "Firing" if firing else "Resolved"
    value = "B=0.912, C=1" if firing else "B=0.008, C=0"
    body = (
        f"**{state}**\n\nValue: {value}\nLabels:\n - alertname = {RULE_NAME}\n"
        " - grafana_folder = Checkout\n - service = checkout\n - severity = critical\n"
        "Annotations:\n - summary = Checkout 5xx ratio above 5% for 1m\n"
        f"Source: {rule_url}\n"
        f"Dashboard: {GRAFANA_URL}/d/{DASHBOARD_UID}?orgId=1\n"
        f"Panel: {GRAFANA_URL}/d/{DASHBOARD_UID}?orgId=1&viewPanel={ERROR_PANEL}\n"
    )
    return {
        "subtype": "bot_message",
        "text": "",
        "username": "Grafana",
        "type": "message",
        "ts": slack_ts(when, f"{channel}:grafana:{title}"),
        "bot_id": GRAFANA_BOT.bot_id,
        "app_id": GRAFANA_BOT.app_id,
        "attachments": [
            {
                "id": 1,
                "color": "D63232" if firing else "36A64F",
                "ts": epoch(when),
                "fallback": title,
                "text": body,
                "title": title,
                "title_link": rule_url,
                "footer": "Grafana v11.4.0",
                "footer_icon": "https://grafana.com/static/assets/img/fav32.png",
                "mrkdwn_in": ["text"],
            }
        ],
    }


def pd_app_post(channel: str, when: datetime, verb: str, by: Person | None, color: str) -> Json:
    link = f"<{INCIDENT_URL}|#{INCIDENT_NUMBER} {INCIDENT_TITLE}>"
    text = f"{verb}: {link}" + (f" by {by.real_name}" if by else "")
    fields = [
        {"title": "Service", "value": "checkout", "short": True},
        {"title": "Priority", "value": "P1", "short": True},
        {"title": "Urgency", "value": "High", "short": True},
        {"title": "Assigned", "value": (by or PRIYA).real_name, "short": True},
    ]
    return app_message(
        channel,
        PD_BOT,
        when,
        text,
        attachments=[
            {
                "id": 1,
                "color": color,
                "fallback": f"{verb}: #{INCIDENT_NUMBER} {INCIDENT_TITLE}",
                "fields": fields,
                "footer": "PagerDuty",
                "ts": epoch(when),
            }
        ],
    )


def channel_join(channel: str, who: Person | Bot, when: datetime, inviter: Bot | None) -> Json:
    user = who.slack_id if isinstance(who, Person) else who.user_id
    message: Json = {
        "user": user,
        "type": "message",
        "ts": slack_ts(when, f"{channel}:join:{user}"),
        "subtype": "channel_join",
        "text": f"<@{user}> has joined the channel",
    }
    if inviter is not None:
        message["inviter"] = inviter.user_id
    return message


def thread(parent: Json, replies: list[Json]) -> tuple[Json, list[Json]]:
    """Link a parent and its replies (oldest first) the way history and replies show them."""
    users: list[str] = []
    for reply in replies:
        reply["thread_ts"] = parent["ts"]
        reply["parent_user_id"] = parent["user"]
        if reply["user"] not in users:
            users.append(reply["user"])
    parent.update(
        {
            "thread_ts": parent["ts"],
            "reply_count": len(replies),
            "reply_users_count": len(users),
            "latest_reply": replies[-1]["ts"],
            "reply_users": users,
            "is_locked": False,
            "subscribed": False,
        }
    )
    return parent, replies


def broadcast(reply: Json, parent: Json) -> Json:
    """A thread reply also sent to the channel: it shows up in history and in replies."""
    reply["subtype"] = "thread_broadcast"
    reply["root"] = {
        key: parent[key]
        for key in (
            "user",
            "type",
            "ts",
            "client_msg_id",
            "text",
            "team",
            "thread_ts",
            "reply_count",
            "reply_users_count",
            "latest_reply",
            "reply_users",
            "is_locked",
            "subscribed",
        )
    }
    return reply


def dashboard_link(label: str) -> str:
    frm, to = epoch_ms(at(9, 15)), epoch_ms(at(9, 45))
    url = (
        f"{GRAFANA_URL}/d/{DASHBOARD_UID}/checkout-overview?orgId=1&amp;from={frm}"
        f"&amp;to={to}&amp;viewPanel=panel-{ERROR_PANEL}"
    )
    return f"<{url}|{label}>"


PR_1187 = f"<{GH_WEB}/{FULL}/pull/1187|#1187>"
PR_1203 = f"<{GH_WEB}/{FULL}/pull/1203|#1203>"
DEPLOYED_TEXT = f"Deployed checkout {REVERT_SHA[:7]} (revert TTL change) to production"


def incident_channel() -> tuple[list[Json], dict[str, list[Json]]]:
    """The incident channel's messages (oldest first) and its threads (parent + replies)."""
    c = INC_CHANNEL
    p = person_message
    declare = p(
        c,
        KIM,
        at(9, 48, 20),
        "<!here> Declaring a SEV-1 incident, opening the war room: "
        "<https://meet.acme.example/inc-4821|bridge>. I'm IC, <@U04PRIYA7RM> is ops lead, "
        "<@U05SAMOKF2A> owns customer comms.",
        pinned_to=[c],
        reactions=reactions(("eyes", (PRIYA, MARCO, SAM, LEE)), ("rotating_light", (MARCO,))),
    )
    db_parent, db_replies = thread(
        p(
            c,
            LEE,
            at(9, 49, 40),
            "DB read replicas are pegged: 100% CPU on checkout-db-ro-1..3, connections 4x normal",
            reactions=reactions(("pushpin", (KIM,))),
        ),
        [
            p(
                c,
                PRIYA,
                at(9, 50, 14),
                "cache hit ratio went from 97% to 12% right after the Redis switch",
            ),
            p(c, LEE, at(9, 51, 3), "and the misses are almost all `product:*` keys"),
        ],
    )
    rc_parent, rc_replies = thread(
        p(
            c,
            MARCO,
            at(9, 58, 40),
            f"root cause: cache TTL was cut from 600s to 60s in {PR_1187} (shipped 03-03). The "
            "new primary came up cold and with a 60s TTL it never warms, so every miss lands on "
            "the read replicas",
            reactions=reactions(("100", (KIM, LEE)), ("dart", (PRIYA,))),
        ),
        [
            p(c, KIM, at(9, 59, 31), "good find. options?"),
            p(c, MARCO, at(10, 0, 16), "back out #1187 and redeploy, I'll open the PR"),
            p(
                c,
                LEE,
                at(10, 1, 5),
                "scaling up the read replicas 3 -&gt; 6 so the DB can absorb the misses "
                "in the meantime",
            ),
        ],
    )
    scale = broadcast(rc_replies[-1], rc_parent)
    edited_update = p(
        c,
        KIM,
        at(10, 6, 44),
        f"update: 4/6 replicas up (warmup ~4 min). PR {PR_1203} is in review, "
        "<@U03MARCOB8T> is driving it",
    )
    edited_update["edited"] = {"user": KIM.slack_id, "ts": slack_ts(at(10, 7, 30), "edit")}
    resolved_post = pd_app_post(c, at(10, 29, 33), "Resolved", KIM, "2EB886")
    messages = [
        channel_join(c, PD_BOT, at(9, 42, 12), None),
        pd_app_post(c, at(9, 42, 13), "Triggered", None, "A30200"),
        {
            "user": PD_BOT.user_id,
            "type": "message",
            "ts": slack_ts(at(9, 42, 14), "purpose"),
            "subtype": "channel_purpose",
            "text": f"<@{PD_BOT.user_id}> set the channel purpose: Incident #{INCIDENT_NUMBER} "
            f"{INCIDENT_TITLE}",
            "purpose": f"Incident #{INCIDENT_NUMBER} {INCIDENT_TITLE}",
        },
        channel_join(c, PRIYA, at(9, 42, 16), PD_BOT),
        p(c, PRIYA, at(9, 43, 52), "looking"),
        pd_app_post(c, at(9, 44, 4), "Acknowledged", PRIYA, "F2A033"),
        p(
            c,
            PRIYA,
            at(9, 44, 51),
            f"checkout 5xx &gt; 90% on {dashboard_link('checkout-overview')}. Redis primary "
            "switched to redis-cache-02 at 09:40, checking if that's related",
        ),
        channel_join(c, MARCO, at(9, 45, 20), None),
        channel_join(c, SAM, at(9, 45, 33), None),
        p(c, SAM, at(9, 45, 58), "support queue is filling up, customers can't pay. any ETA?"),
        p(c, MARCO, at(9, 46, 25), "storefront sees 502s from checkout-api on every /cart/submit"),
        p(c, PRIYA, at(9, 46, 49), "<@U02KIMNGY5H> can you IC? escalating to you in PD"),
        channel_join(c, KIM, at(9, 47, 22), None),
        p(c, KIM, at(9, 47, 48), "on it, reading back"),
        declare,
        p(c, SAM, at(9, 48, 41), "+1, updating the status page"),
        channel_join(c, LEE, at(9, 49, 2), None),
        db_parent,
        p(
            c,
            SAM,
            at(9, 50, 31),
            "status page is up: <https://status.acme.example/incidents/8841|Checkout degraded>",
        ),
        p(c, KIM, at(9, 52, 5), "next update in 15 min. keep side conversations in threads please"),
        p(c, MARCO, at(9, 53, 36), "looking at the product cache code"),
        p(c, PRIYA, at(9, 54, 10), "+1"),
        p(c, MARCO, at(9, 55, 2), "product keys are expiring way too fast, TTL should be 10 min"),
        p(c, KIM, at(9, 56, 10), "anyone have a theory yet?"),
        rc_parent,
        scale,
        p(c, SAM, at(10, 2, 30), "customers still reporting failures on checkout"),
        p(c, KIM, at(10, 3, 12), "thanks, keep them coming"),
        edited_update,
        p(c, MARCO, at(10, 9, 10), f"rolling back the TTL change: {PR_1203} approved, merging"),
        p(
            c,
            MARCO,
            at(10, 12, 58),
            f"merged, deploy is running, follow along in <#{DEPLOYS_CHANNEL}|deploys>",
        ),
        p(
            c,
            PRIYA,
            at(10, 15, 30),
            "error rate already dropping with the extra replicas: 5xx at 31%",
        ),
        app_message(c, DEPLOY_BOT, at(10, 18, 24), DEPLOYED_TEXT),
        p(c, PRIYA, at(10, 20, 2), "5xx at 4% and falling, cache hit ratio recovering"),
        p(c, LEE, at(10, 24, 17), "replica CPU back to 45%"),
        p(c, SAM, at(10, 26, 40), "customers confirming checkout works again"),
        p(
            c,
            PRIYA,
            at(10, 29, 20),
            "all clear, error rate back to baseline. <@U02KIMNGY5H> ok to resolve",
            reactions=reactions(("tada", (KIM, MARCO, SAM))),
        ),
        resolved_post,
        p(c, KIM, at(10, 30, 5), "resolved. thanks all, postmortem draft by Tuesday"),
        p(c, MARCO, at(10, 31, 40), "thanks everyone"),
        p(c, SAM, at(10, 44, 12), "status page incident closed"),
    ]
    threads = {
        db_parent["ts"]: [db_parent, *db_replies],
        rc_parent["ts"]: [rc_parent, *rc_replies],
    }
    return messages, threads


def deploys_channel() -> list[Json]:
    c = DEPLOYS_CHANNEL
    revert = REVERT_SHA[:7]
    return [
        app_message(
            c, DEPLOY_BOT, at(8, 57, 12), f"Deploying search-api {SEARCH_API_SHA[:7]} to production"
        ),
        app_message(
            c,
            DEPLOY_BOT,
            at(9, 3, 40),
            f"Deployed search-api {SEARCH_API_SHA[:7]} (bump ranking model) to production",
        ),
        app_message(
            c,
            DEPLOY_BOT,
            at(10, 13, 6),
            f"Deploying checkout {revert} (revert TTL change) to production, "
            f"started by <@{MARCO.slack_id}>",
        ),
        app_message(c, DEPLOY_BOT, at(10, 18, 25), DEPLOYED_TEXT),
    ]


def alerts_channel() -> list[Json]:
    c = ALERTS_CHANNEL
    return [
        grafana_post(c, at(9, 42, 5), firing=True),
        person_message(c, SAM, at(9, 42, 40), "anyone else seeing this? checkout fails for me"),
        person_message(c, MARCO, at(9, 43, 1), "+1"),
        person_message(
            c,
            PRIYA,
            at(9, 43, 30),
            f"looking, I'm on call. incident channel is <#{INC_CHANNEL}|inc-4821>",
        ),
        grafana_post(c, at(10, 27, 21), firing=False),
    ]


def cursor(message: Json) -> str:
    return base64.b64encode(f"next_ts:{message['ts'].replace('.', '')}".encode()).decode("ascii")


def history_pages(messages: list[Json], limit: int, pin_count: int) -> list[Json]:
    newest_first = sorted(messages, key=lambda m: m["ts"], reverse=True)
    pages: list[Json] = []
    for start in range(0, len(newest_first), limit):
        chunk = newest_first[start : start + limit]
        rest = newest_first[start + limit :]
        pages.append(
            {
                "ok": True,
                "messages": chunk,
                "has_more": bool(rest),
                "pin_count": pin_count,
                "channel_actions_ts": None,
                "channel_actions_count": 0,
                "response_metadata": {"next_cursor": cursor(rest[0]) if rest else ""},
            }
        )
    return pages


def channel_info(
    channel: str, created: datetime, creator: str, topic: str, purpose: str, members: int
) -> Json:
    name = CHANNEL_NAMES[channel]
    return {
        "ok": True,
        "channel": {
            "id": channel,
            "name": name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": False,
            "created": epoch(created),
            "is_archived": False,
            "is_general": False,
            "unlinked": 0,
            "name_normalized": name,
            "is_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": TEAM,
            "updated": epoch_ms(COLLECTED_AT - timedelta(days=1)),
            "parent_conversation": None,
            "creator": creator,
            "is_ext_shared": False,
            "shared_team_ids": [TEAM],
            "pending_connected_team_ids": [],
            "is_member": True,
            "last_read": "0000000000.000000",
            "topic": {"value": topic, "creator": creator, "last_set": epoch(created)},
            "purpose": {"value": purpose, "creator": creator, "last_set": epoch(created)},
            "previous_names": [],
            "num_members": members,
        },
    }


def slack_user(person: Person) -> Json:
    avatar = hashlib.md5(person.email.encode(), usedforsecurity=False).hexdigest()
    image = f"https://secure.gravatar.com/avatar/{avatar}.jpg?s=%d&d=mp"
    first, last = person.real_name.split(" ", 1)
    return {
        "id": person.slack_id,
        "team_id": TEAM,
        "name": person.key,
        "deleted": False,
        "color": f"{small_int('color:' + person.key, 0xFFFFFF):06x}",
        "real_name": person.real_name,
        "tz": "Europe/London" if person in (PRIYA, LEE) else "America/New_York",
        "tz_label": "Greenwich Mean Time" if person in (PRIYA, LEE) else "Eastern Daylight Time",
        "tz_offset": 0 if person in (PRIYA, LEE) else -14400,
        "profile": {
            "title": person.title,
            "phone": "",
            "skype": "",
            "real_name": person.real_name,
            "real_name_normalized": person.real_name,
            "display_name": person.display,
            "display_name_normalized": person.display,
            "fields": None,
            "status_text": "",
            "status_emoji": "",
            "status_expiration": 0,
            "avatar_hash": avatar[:12],
            "email": person.email,
            "first_name": first,
            "last_name": last,
            "image_24": image % 24,
            "image_48": image % 48,
            "image_72": image % 72,
            "image_192": image % 192,
            "team": TEAM,
        },
        "is_admin": person is KIM,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": False,
        "is_app_user": False,
        "updated": 1767225600 + small_int("updated:" + person.key, 5_000_000),
        "is_email_confirmed": True,
        "who_can_share_contact_card": "EVERYONE",
    }


def slack_bot_user(bot: Bot) -> Json:
    icon = f"https://avatars.slack-edge.com/2024-01-09/{bot.handle}_%d.png"
    return {
        "id": bot.user_id,
        "team_id": TEAM,
        "name": bot.handle,
        "deleted": False,
        "color": "757575",
        "real_name": bot.name,
        "tz": "America/Los_Angeles",
        "tz_label": "Pacific Daylight Time",
        "tz_offset": -25200,
        "profile": {
            "title": "",
            "phone": "",
            "skype": "",
            "real_name": bot.name,
            "real_name_normalized": bot.name,
            "display_name": "",
            "display_name_normalized": "",
            "fields": None,
            "status_text": "",
            "status_emoji": "",
            "status_expiration": 0,
            "avatar_hash": bot.bot_id.lower()[:12],
            "api_app_id": bot.app_id,
            "always_active": True,
            "bot_id": bot.bot_id,
            "first_name": bot.name,
            "last_name": "",
            "image_24": icon % 24,
            "image_48": icon % 48,
            "image_72": icon % 72,
            "image_192": icon % 192,
            "team": TEAM,
        },
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": True,
        "is_app_user": False,
        "updated": 1704790000,
        "is_email_confirmed": False,
        "who_can_share_contact_card": "EVERYONE",
    }


def slack(out: BundleWriter) -> None:
    out.add(
        "slack/auth.test.json",
        [
            {
                "ok": True,
                "url": SLACK_URL,
                "team": "Acme",
                "user": "reconstruct",
                "team_id": TEAM,
                "user_id": "U08RECON5TL",
                "bot_id": "B08RECON5TL",
                "is_enterprise_install": False,
            }
        ],
    )
    members = [slack_user(p) for p in PEOPLE] + [slack_bot_user(b) for b in BOTS]
    first, second = members[:5], members[5:]
    out.add(
        "slack/users.list.json",
        [
            {
                "ok": True,
                "members": first,
                "cache_ts": epoch(COLLECTED_AT),
                "response_metadata": {
                    "next_cursor": base64.b64encode(f"user:{second[0]['id']}".encode()).decode()
                },
            },
            {
                "ok": True,
                "members": second,
                "cache_ts": epoch(COLLECTED_AT),
                "response_metadata": {"next_cursor": ""},
            },
        ],
    )

    messages, threads = incident_channel()
    out.add(
        f"slack/{INC_CHANNEL}/conversations.info.json",
        [
            channel_info(
                INC_CHANNEL,
                at(9, 42, 12),
                PD_BOT.user_id,
                f"SEV-1 | IC: @{KIM.display} | {INCIDENT_URL}",
                f"Incident #{INCIDENT_NUMBER} {INCIDENT_TITLE}",
                len(PEOPLE) + 1,
            )
        ],
    )
    out.add(
        f"slack/{INC_CHANNEL}/conversations.history.json",
        history_pages(messages, limit=15, pin_count=1),
    )
    for thread_ts, replies in threads.items():
        out.add(
            f"slack/{INC_CHANNEL}/replies/{thread_ts}.json",
            [
                {
                    "ok": True,
                    "messages": replies,
                    "has_more": False,
                    "response_metadata": {"next_cursor": ""},
                }
            ],
        )

    out.add(
        f"slack/{DEPLOYS_CHANNEL}/conversations.info.json",
        [
            channel_info(
                DEPLOYS_CHANNEL,
                datetime(2019, 6, 3, 15, 4, 11, tzinfo=UTC),
                KIM.slack_id,
                "Production deploys, posted by deploybot",
                "Where deploybot announces deploys. Humans: use threads.",
                148,
            )
        ],
    )
    out.add(
        f"slack/{DEPLOYS_CHANNEL}/conversations.history.json",
        history_pages(deploys_channel(), limit=100, pin_count=0),
    )
    out.add(
        f"slack/{ALERTS_CHANNEL}/conversations.info.json",
        [
            channel_info(
                ALERTS_CHANNEL,
                datetime(2021, 2, 17, 10, 30, 55, tzinfo=UTC),
                PRIYA.slack_id,
                "Grafana alerts for checkout",
                "Alert notifications for the checkout service",
                37,
            )
        ],
    )
    out.add(
        f"slack/{ALERTS_CHANNEL}/conversations.history.json",
        history_pages(alerts_channel(), limit=100, pin_count=0),
    )
    out.set_source(
        "slack",
        "ok",
        meta={
            "workspace_url": SLACK_URL,
            "incident_channel": INC_CHANNEL,
            "channels": dict(CHANNEL_NAMES),
        },
    )


# ----------------------------------------------------------------------------------------------
# GitHub


def node_id(kind: str, ident: int) -> str:
    """Legacy (v1) global node ID, as older REST payloads carry: ``MDQ6VXNlcjE=``."""
    return base64.b64encode(f"{len(kind):02d}:{kind}{ident}".encode()).decode("ascii")


def gh_user(login: str, ident: int, kind: str = "User") -> Json:
    api_login = login.replace("[", "%5B").replace("]", "%5D")
    api = f"{GH_API}/users/{api_login}"
    web = f"{GH_WEB}/apps/{login.removesuffix('[bot]')}" if kind == "Bot" else f"{GH_WEB}/{login}"
    return {
        "login": login,
        "id": ident,
        "node_id": node_id(kind, ident),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{ident}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": web,
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": kind,
        "user_view_type": "public",
        "site_admin": False,
    }


ORG = gh_user(OWNER, 9912044, "Organization")
DEPLOYBOT_GH = gh_user("acme-deploybot[bot]", 148220193, "Bot")
DEPENDABOT = gh_user("dependabot[bot]", 49699333, "Bot")


def gh_person(person: Person) -> Json:
    return gh_user(person.gh_login, person.gh_id)


def repo_obj() -> Json:
    api = REPO_API
    return {
        "id": REPO_ID,
        "node_id": node_id("Repository", REPO_ID),
        "name": REPO,
        "full_name": FULL,
        "private": True,
        "owner": ORG,
        "html_url": f"{GH_WEB}/{FULL}",
        "description": "Checkout service: cart, pricing, payment handoff",
        "fork": False,
        "url": api,
        "archive_url": f"{api}/{{archive_format}}{{/ref}}",
        "branches_url": f"{api}/branches{{/branch}}",
        "commits_url": f"{api}/commits{{/sha}}",
        "compare_url": f"{api}/compare/{{base}}...{{head}}",
        "contents_url": f"{api}/contents/{{+path}}",
        "deployments_url": f"{api}/deployments",
        "events_url": f"{api}/events",
        "issues_url": f"{api}/issues{{/number}}",
        "labels_url": f"{api}/labels{{/name}}",
        "merges_url": f"{api}/merges",
        "pulls_url": f"{api}/pulls{{/number}}",
        "releases_url": f"{api}/releases{{/id}}",
        "statuses_url": f"{api}/statuses/{{sha}}",
        "tags_url": f"{api}/tags",
        "created_at": "2019-05-21T09:12:44Z",
        "updated_at": "2026-03-14T10:12:33Z",
        "pushed_at": "2026-03-14T10:12:32Z",
        "git_url": f"git://github.com/{FULL}.git",
        "ssh_url": f"git@github.com:{FULL}.git",
        "clone_url": f"{GH_WEB}/{FULL}.git",
        "homepage": None,
        "size": 48213,
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": "Python",
        "has_issues": True,
        "has_projects": False,
        "has_downloads": True,
        "has_wiki": False,
        "has_pages": False,
        "has_discussions": False,
        "forks_count": 0,
        "archived": False,
        "disabled": False,
        "open_issues_count": 14,
        "license": None,
        "allow_forking": False,
        "is_template": False,
        "web_commit_signoff_required": False,
        "topics": ["checkout", "payments"],
        "visibility": "private",
        "forks": 0,
        "open_issues": 14,
        "watchers": 0,
        "default_branch": "main",
    }


LABELS = {
    "config": ("Configuration change", "fbca04"),
    "docs": ("Documentation", "0075ca"),
    "ui": ("User-facing UI change", "a2eeef"),
    "dependencies": ("Pull requests that update a dependency file", "0366d6"),
    "incident": ("Change made during an incident", "b60205"),
    "monitoring": ("Alerts and dashboards", "5319e7"),
}


def label_obj(name: str) -> Json:
    description, color = LABELS[name]
    ident = 4100000000 + small_int("label:" + name, 99_999_999)
    return {
        "id": ident,
        "node_id": node_id("Label", ident),
        "url": f"{REPO_API}/labels/{name}",
        "name": name,
        "color": color,
        "default": False,
        "description": description,
    }


class PR:
    def __init__(
        self,
        number: int,
        title: str,
        author: Json,
        labels: tuple[str, ...],
        created: datetime,
        merged: datetime,
        merged_by: Json,
        branch: str,
        body: str,
        merge_sha: str | None = None,
    ) -> None:
        self.number = number
        self.title = title
        self.author = author
        self.labels = labels
        self.created = created
        self.merged = merged
        self.merged_by = merged_by
        self.branch = branch
        self.body = body
        self.merge_sha = merge_sha or hex_sha(f"{FULL}#{number}:merge")
        self.head_sha = hex_sha(f"{FULL}#{number}:head")
        self.base_sha = hex_sha(f"{FULL}#{number}:base")
        self.id = 2200000000 + number * 7919
        self.issue_id = 2800000000 + number * 6151

    @property
    def html_url(self) -> str:
        return f"{GH_WEB}/{FULL}/pull/{self.number}"


PRS = (
    PR(
        1175,
        "Fix broken links in checkout README",
        gh_person(KIM),
        ("docs",),
        at(9, 2, 51, day=27, month=2),
        at(15, 20, 11, day=1),
        gh_person(KIM),
        "kim/readme-links",
        "A few links still pointed at the old wiki.",
    ),
    PR(
        1181,
        "Update 'Place order' button copy",
        gh_person(SAM),
        ("ui",),
        at(11, 40, 3, day=2),
        at(16, 47, 39, day=2),
        gh_person(MARCO),
        "sam/place-order-copy",
        "Support asked for clearer wording on the final step.",
    ),
    PR(
        1187,
        "Reduce product cache TTL to 60s",
        gh_person(MARCO),
        ("config",),
        at(16, 25, 18, day=2),
        at(10, 14, 22, day=3),
        gh_person(MARCO),
        "marco/price-freshness-ttl",
        "Part of the price freshness work: product prices must update within a minute.\n\n"
        "Drops `PRODUCT_CACHE_TTL` from 600 to 60 seconds.",
        merge_sha=TTL_SHA,
    ),
    PR(
        1190,
        "Add order confirmation illustration",
        gh_person(SAM),
        ("ui",),
        at(13, 8, 27, day=4),
        at(9, 55, 2, day=5),
        gh_person(MARCO),
        "sam/confirmation-illustration",
        "New artwork on the order confirmation page.",
    ),
    PR(
        1194,
        "docs: checkout architecture diagram",
        gh_person(PRIYA),
        ("docs",),
        at(14, 31, 40, day=6),
        at(11, 3, 56, day=9),
        gh_person(KIM),
        "priya/architecture-diagram",
        "Adds the request path diagram from the onboarding deck.",
    ),
    PR(
        1198,
        "Bump pytest from 8.2.2 to 8.3.5",
        DEPENDABOT,
        ("dependencies",),
        at(6, 2, 14, day=10),
        at(15, 40, 8, day=11),
        gh_person(MARCO),
        "dependabot/pip/pytest-8.3.5",
        "Bumps [pytest](https://github.com/pytest-dev/pytest) from 8.2.2 to 8.3.5.",
    ),
    PR(
        1203,
        'Revert "Reduce product cache TTL to 60s"',
        gh_person(MARCO),
        ("config", "incident"),
        at(10, 2, 41),
        at(10, 12, 31),
        gh_person(MARCO),  # he says "approved, merging" at 10:09 and "merged" at 10:12
        "revert-1187-marco/price-freshness-ttl",
        "Reverts acme/checkout#1187\n\nIncident #4821: with a 60s TTL the product cache never "
        "warms after a Redis failover.",
        merge_sha=REVERT_SHA,
    ),
    PR(
        1206,
        "Alert on product cache hit ratio",
        gh_person(PRIYA),
        ("monitoring",),
        at(12, 44, 19),
        at(15, 2, 10),
        gh_person(LEE),
        "priya/cache-hit-alert",
        "Follow-up from incident #4821.",
    ),
)


def search_item(pr: PR) -> Json:
    issue_api = f"{REPO_API}/issues/{pr.number}"
    return {
        "url": issue_api,
        "repository_url": REPO_API,
        "labels_url": f"{issue_api}/labels{{/name}}",
        "comments_url": f"{issue_api}/comments",
        "events_url": f"{issue_api}/events",
        "html_url": pr.html_url,
        "id": pr.issue_id,
        "node_id": node_id("PullRequest", pr.id),
        "number": pr.number,
        "title": pr.title,
        "user": pr.author,
        "labels": [label_obj(name) for name in pr.labels],
        "state": "closed",
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": small_int(f"comments:{pr.number}", 4),
        "created_at": iso_z(pr.created),
        "updated_at": iso_z(pr.merged + timedelta(seconds=2)),
        "closed_at": iso_z(pr.merged),
        "author_association": "CONTRIBUTOR" if pr.author["type"] == "Bot" else "MEMBER",
        "type": None,
        "active_lock_reason": None,
        "draft": False,
        "pull_request": {
            "url": f"{REPO_API}/pulls/{pr.number}",
            "html_url": pr.html_url,
            "diff_url": f"{pr.html_url}.diff",
            "patch_url": f"{pr.html_url}.patch",
            "merged_at": iso_z(pr.merged),
        },
        "body": pr.body,
        "timeline_url": f"{issue_api}/timeline",
        "performed_via_github_app": None,
        "state_reason": None,
        "score": 1.0,
    }


def full_pr(pr: PR) -> Json:
    api = f"{REPO_API}/pulls/{pr.number}"
    issue_api = f"{REPO_API}/issues/{pr.number}"
    head_owner = pr.author if pr.author["type"] != "Bot" else ORG
    return {
        "url": api,
        "id": pr.id,
        "node_id": node_id("PullRequest", pr.id),
        "html_url": pr.html_url,
        "diff_url": f"{pr.html_url}.diff",
        "patch_url": f"{pr.html_url}.patch",
        "issue_url": issue_api,
        "number": pr.number,
        "state": "closed",
        "locked": False,
        "title": pr.title,
        "user": pr.author,
        "body": pr.body,
        "created_at": iso_z(pr.created),
        "updated_at": iso_z(pr.merged + timedelta(seconds=2)),
        "closed_at": iso_z(pr.merged),
        "merged_at": iso_z(pr.merged),
        "merge_commit_sha": pr.merge_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "labels": [label_obj(name) for name in pr.labels],
        "milestone": None,
        "draft": False,
        "commits_url": f"{api}/commits",
        "review_comments_url": f"{api}/comments",
        "review_comment_url": f"{REPO_API}/pulls/comments{{/number}}",
        "comments_url": f"{issue_api}/comments",
        "statuses_url": f"{REPO_API}/statuses/{pr.head_sha}",
        "head": {
            "label": f"{OWNER}:{pr.branch}",
            "ref": pr.branch,
            "sha": pr.head_sha,
            "user": head_owner,
            "repo": repo_obj(),
        },
        "base": {
            "label": f"{OWNER}:main",
            "ref": "main",
            "sha": pr.base_sha,
            "user": ORG,
            "repo": repo_obj(),
        },
        "_links": {
            "self": {"href": api},
            "html": {"href": pr.html_url},
            "issue": {"href": issue_api},
            "comments": {"href": f"{issue_api}/comments"},
            "review_comments": {"href": f"{api}/comments"},
            "review_comment": {"href": f"{REPO_API}/pulls/comments{{/number}}"},
            "commits": {"href": f"{api}/commits"},
            "statuses": {"href": f"{REPO_API}/statuses/{pr.head_sha}"},
        },
        "author_association": "CONTRIBUTOR" if pr.author["type"] == "Bot" else "MEMBER",
        "auto_merge": None,
        "active_lock_reason": None,
        "merged": True,
        "mergeable": None,
        "rebaseable": None,
        "mergeable_state": "unknown",
        "merged_by": pr.merged_by,
        "comments": small_int(f"comments:{pr.number}", 4),
        "review_comments": small_int(f"review:{pr.number}", 6),
        "maintainer_can_modify": False,
        "commits": 1 + small_int(f"commits:{pr.number}", 3),
        "additions": 1 if pr.number in (1187, 1203) else 3 + small_int(f"add:{pr.number}", 80),
        "deletions": 1 if pr.number in (1187, 1203) else small_int(f"del:{pr.number}", 30),
        "changed_files": 1 if pr.number in (1187, 1203) else 1 + small_int(f"f:{pr.number}", 5),
    }


# Commit emails (``GET /repos/o/r/commits``: ``commit.author.email``). Local commits carry each
# person's work address; a commit made on github.com (a merge, the revert button) carries the
# account's web commit email: Marco keeps his private (the noreply address), Sam keeps every
# address private. The work address is what ties a login to the same person in Slack/PagerDuty.
WEB_PRIVATE = {MARCO.gh_login, SAM.gh_login}
LOCAL_PRIVATE = {SAM.gh_login}
WEB_FLOW = gh_user("web-flow", 19864447)


def noreply(user: Json) -> str:
    return f"{user['id']}+{user['login']}@users.noreply.github.com"


def commit_email(user: Json, *, web: bool) -> str:
    person = next((p for p in PEOPLE if p.gh_login == user["login"]), None)
    if person is None or person.gh_login in (WEB_PRIVATE if web else LOCAL_PRIVATE):
        return noreply(user)
    return person.email


def gh_commit(
    sha: str,
    author: Json,
    when: datetime,
    message: str,
    parents: tuple[str, ...],
    *,
    web: bool,
) -> Json:
    """One item of ``GET /repos/{o}/{r}/commits``. A commit made on github.com is committed by
    ``GitHub <noreply@github.com>`` (the ``web-flow`` account); a pushed one by its author."""
    api = f"{REPO_API}/commits/{sha}"
    person = next((p for p in PEOPLE if p.gh_login == author["login"]), None)
    name = person.real_name if person else str(author["login"])
    git_author = {"name": name, "email": commit_email(author, web=web), "date": iso_z(when)}
    git_committer = (
        {"name": "GitHub", "email": "noreply@github.com", "date": iso_z(when)}
        if web
        else dict(git_author)
    )
    return {
        "url": api,
        "sha": sha,
        "node_id": base64.b64encode(f"06:Commit{REPO_ID}:{sha}".encode()).decode("ascii"),
        "html_url": f"{GH_WEB}/{FULL}/commit/{sha}",
        "comments_url": f"{api}/comments",
        "commit": {
            "url": f"{REPO_API}/git/commits/{sha}",
            "author": git_author,
            "committer": git_committer,
            "message": message,
            "tree": {
                "url": f"{REPO_API}/git/trees/{hex_sha(sha + ':tree')}",
                "sha": hex_sha(sha + ":tree"),
            },
            "comment_count": 0,
            "verification": {
                "verified": web,
                "reason": "valid" if web else "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": iso_z(when) if web else None,
            },
        },
        "author": author,
        "committer": WEB_FLOW if web else author,
        "parents": [
            {"url": f"{REPO_API}/commits/{p}", "html_url": f"{GH_WEB}/{FULL}/commit/{p}", "sha": p}
            for p in parents
        ],
    }


def pr_commits(pr: PR) -> list[Json]:
    """The PR's head commit (pushed, or made by the revert button / a bot on github.com) and its
    merge commit (the merge button: the merger, on github.com)."""
    web_head = pr.author["type"] == "Bot" or pr.title.startswith("Revert ")
    head_time = pr.created - timedelta(minutes=7) if not web_head else pr.created
    head = gh_commit(pr.head_sha, pr.author, head_time, pr.title, (pr.base_sha,), web=web_head)
    merge = gh_commit(
        pr.merge_sha,
        pr.merged_by,
        pr.merged,
        f"Merge pull request #{pr.number} from {OWNER}/{pr.branch}\n\n{pr.title}",
        (pr.base_sha, pr.head_sha),
        web=True,
    )
    return [head, merge]


class Deploy:
    def __init__(self, ident: int, sha: str, created: datetime, minutes: int, note: str) -> None:
        self.id = ident
        self.sha = sha
        self.created = created
        self.finished = created + timedelta(minutes=minutes, seconds=18)
        self.note = note


# Release trains: each production deploy ships main at the last merged PR (newest first).
DEPLOYS = (
    Deploy(2301877465, REVERT_SHA, at(10, 13, 2), 5, "revert TTL change"),
    Deploy(2290412233, hex_sha(f"{FULL}#1198:merge"), at(14, 5, 40, day=12), 5, "release"),
    Deploy(2281190321, hex_sha(f"{FULL}#1194:merge"), at(13, 30, 12, day=10), 6, "release"),
    Deploy(2270554108, TTL_SHA, at(10, 27, 45, day=3), 5, "release"),
    Deploy(2259310876, hex_sha(f"{FULL}:2026-02-24"), at(11, 2, 0, day=24, month=2), 4, "release"),
)


def deployment(dep: Deploy) -> Json:
    api = f"{REPO_API}/deployments/{dep.id}"
    return {
        "url": api,
        "id": dep.id,
        "node_id": node_id("Deployment", dep.id),
        "task": "deploy",
        "original_environment": "production",
        "environment": "production",
        "description": f"deploybot: checkout {dep.sha[:7]} ({dep.note})",
        "created_at": iso_z(dep.created),
        "updated_at": iso_z(dep.finished),
        "statuses_url": f"{api}/statuses",
        "repository_url": REPO_API,
        "creator": DEPLOYBOT_GH,
        "sha": dep.sha,
        "ref": "main",
        "payload": {},
        "transient_environment": False,
        "production_environment": True,
        "performed_via_github_app": None,
    }


def deployment_status(dep: Deploy, index: int, state: str, when: datetime) -> Json:
    ident = dep.id * 10 + index
    run = f"https://deploy.acme.example/checkout/runs/{dep.id}"
    return {
        "url": f"{REPO_API}/deployments/{dep.id}/statuses/{ident}",
        "id": ident,
        "node_id": node_id("DeploymentStatus", ident),
        "state": state,
        "creator": DEPLOYBOT_GH,
        "description": "Deployment finished successfully." if state == "success" else "Deploying",
        "environment": "production",
        "target_url": run,
        "created_at": iso_z(when),
        "updated_at": iso_z(when),
        "deployment_url": f"{REPO_API}/deployments/{dep.id}",
        "repository_url": REPO_API,
        "environment_url": "https://checkout.acme.example",
        "log_url": run,
        "performed_via_github_app": None,
    }


def github(out: BundleWriter) -> None:
    base = f"github/{FULL}"
    out.add(f"{base}/repo.json", [repo_obj()])
    deployments = [deployment(d) for d in DEPLOYS]
    # GET .../deployments?environment=production&per_page=3: two pages, newest first.
    out.add(f"{base}/deployments.json", [deployments[:3], deployments[3:]])
    for dep in DEPLOYS:
        statuses = [
            deployment_status(dep, 2, "success", dep.finished),
            deployment_status(dep, 1, "in_progress", dep.created + timedelta(seconds=3)),
        ]
        out.add(f"{base}/statuses/{dep.id}.json", [statuses])
    # GET /search/issues?q=repo:acme/checkout is:pr is:merged merged:2026-02-28..2026-03-14
    # &sort=updated&order=desc&per_page=5
    merged = sorted(PRS, key=lambda pr: pr.merged, reverse=True)
    items = [search_item(pr) for pr in merged]
    out.add(
        f"{base}/merged_prs.json",
        [
            {"total_count": len(items), "incomplete_results": False, "items": items[:5]},
            {"total_count": len(items), "incomplete_results": False, "items": items[5:]},
        ],
    )
    # GET /repos/acme/checkout/pulls/{n}: only for the PRs merged inside the incident window and
    # the lead-up PR each reverts ("Reverts acme/checkout#1187"), as a live run asks
    # (``github.live`` step 5); the other lead-up PRs are their search items only.
    read = [pr.number for pr in PRS if WINDOW.contains(pr.merged)]
    numbers = {pr.number for pr in merged}
    for pr in PRS:
        if pr.number in read and (target := reverted_pr(pr.body, FULL)) in numbers:
            read.append(target)
    by_number = {pr.number: pr for pr in PRS}
    for number in read:
        out.add(f"{base}/pulls/{number}.json", [full_pr(by_number[number])])
    # GET /repos/acme/checkout/commits?since=<leadup start>&until=<window end>&per_page=100: the
    # default branch's commits committed in that range, newest first, in one page.
    commits = [c for pr in PRS for c in pr_commits(pr)]
    commits = [c for c in commits if WINDOW.contains(_committed(c), leadup=True)]
    commits.sort(key=_committed, reverse=True)
    out.add(f"{base}/commits.json", [commits])
    out.set_source("github", "ok", meta={"repos": [FULL]})


def _committed(item: Json) -> datetime:
    return datetime.fromisoformat(item["commit"]["committer"]["date"].replace("Z", "+00:00"))


# ----------------------------------------------------------------------------------------------
# Grafana


def gravatar(email: str) -> str:
    return "/avatar/" + hashlib.md5(email.encode(), usedforsecurity=False).hexdigest()


def annotation(ident: int, when: datetime, end: datetime | None = None, **fields: Any) -> Json:
    """An ItemDTO as ``/api/annotations`` returns it: omitempty, so zero fields are absent."""
    item: Json = {"id": ident}
    item.update(fields)
    item.update(
        {
            "created": epoch_ms(when) + 120,
            "updated": epoch_ms(when) + 120,
            "time": epoch_ms(when),
            "timeEnd": epoch_ms(end or when),
        }
    )
    order = (
        "id",
        "alertId",
        "alertName",
        "dashboardId",
        "dashboardUID",
        "panelId",
        "userId",
        "userUID",
        "newState",
        "prevState",
        "created",
        "updated",
        "time",
        "timeEnd",
        "text",
        "tags",
        "login",
        "email",
        "avatarUrl",
        "data",
    )
    return {key: item[key] for key in order if item.get(key) not in (None, "", 0, [])}


def alert_annotation(ident: int, when: datetime, new: str, prev: str, values: Json) -> Json:
    shown = ", ".join(f"{k}={v:f}" for k, v in values.items())  # Go %f, as Grafana writes it
    return annotation(
        ident,
        when,
        alertId=RULE_ID,
        alertName=RULE_NAME,
        dashboardId=DASHBOARD_ID,
        dashboardUID=DASHBOARD_UID,
        panelId=ERROR_PANEL,
        newState=new,
        prevState=prev,
        text=f"{RULE_NAME} {{alertname={RULE_NAME}, grafana_folder=Checkout, service=checkout, "
        f"severity=critical}} - {shown}",
        data={"values": values},
    )


def grafana(out: BundleWriter) -> None:
    items = [
        annotation(
            48211,
            at(9, 39, 52),
            at(9, 41, 7),
            userId=17,
            userUID="de3x7ab21kjy8c",
            text="Redis primary failover (redis-cache-01 -> redis-cache-02)",
            tags=["redis", "failover"],
            login="sa-1-redis-operator",
            data={},
        ),
        alert_annotation(48212, at(9, 41, 50), "Alerting", "Normal", {"B": 0.912, "C": 1}),
        annotation(
            48215,
            at(10, 1, 30),
            dashboardId=DASHBOARD_ID,
            dashboardUID=DASHBOARD_UID,
            panelId=DB_PANEL,
            userId=23,
            userUID="fe8kd1lp2xyq8b",
            text="checkout-db read replicas 3 -> 6",
            tags=["db", "scaling"],
            login=LEE.key,
            email=LEE.email,
            avatarUrl=gravatar(LEE.email),
            data={},
        ),
        annotation(
            48216,
            at(10, 18, 22),
            userId=19,
            userUID="be5q0vnw4lqm0f",
            text=f"{DEPLOYED_TEXT} (PR #1203)",
            tags=["deploy", "checkout"],
            login="sa-1-deploybot",
            data={},
        ),
        alert_annotation(48217, at(10, 26, 50), "Normal", "Alerting", {"B": 0.008, "C": 0}),
    ]
    # GET /api/annotations?from=...&to=...&limit=100: one bare array, newest first.
    items.sort(key=lambda a: (a["timeEnd"], a["time"]), reverse=True)
    out.add("grafana/annotations.json", [items])
    out.set_source("grafana", "ok", meta={"url": GRAFANA_URL})


# ----------------------------------------------------------------------------------------------


def build(dest: Path) -> Path:
    """Write the demo bundle to ``dest`` (replacing it) and return its path."""
    with BundleWriter(dest, INCIDENT_ID) as out:
        pagerduty(out)
        slack(out)
        github(out)
        grafana(out)
        path = out.finish(WINDOW, COLLECTED_AT)
    # BundleWriter keeps evidence owner-only; the demo is public package data.
    for item in (path, *path.rglob("*")):
        item.chmod(0o755 if item.is_dir() else 0o644)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "out",
        nargs="?",
        type=Path,
        default=DEFAULT_OUT,
        help=f"bundle directory to write (default: {DEFAULT_OUT.relative_to(REPO_ROOT)})",
    )
    args = parser.parse_args(argv)
    path = build(args.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
