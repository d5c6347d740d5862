"""The data every stage after collection shares: ``Event``, ``Link``, ``Incident``, ``Window``.

Raw records stay plain dicts inside the collectors; a parser turns each into an ``Event``.

References (``Event.refs``) are lower-case strings with a typed prefix, so that two tools that saw
the same occurrence can be matched without comparing text:

    sha:<first 7 hex digits>        a commit (deploys, merges, bot posts quoting a SHA)
    pr:<owner>/<repo>#<n>           a pull request
    pd:<incident id>, pd#<number>   a PagerDuty incident
    alert_key:<key>                 a PagerDuty alert / dedup key
    rule:<name>:<firing|resolved>   an alert rule changing state
    deploy:<ref>                    a deploy ref or version tag (v2.3.1)
    url:<url>                       any other link, scheme and trailing slash dropped
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Kind(StrEnum):
    """What happened. Exactly these; the renderer and metrics rely on the set."""

    CHANGE = "change"  # a merged PR / config change
    DEPLOY = "deploy"  # a deployment went live, failed or was rolled back
    ALERT = "alert"  # an alert fired or cleared
    PAGE = "page"  # a responder was notified
    ACK = "ack"
    ESCALATE = "escalate"
    DECLARE = "declare"  # the incident was declared
    UPDATE = "update"  # status update, note
    IDENTIFY = "identify"  # root cause found
    MITIGATE = "mitigate"
    RESOLVE = "resolve"
    ANNOTATION = "annotation"  # any other dashboard annotation
    MESSAGE = "message"


@dataclass(frozen=True, slots=True, order=True)
class Link:
    """Evidence: where a person can see the record this event came from."""

    source: str
    url: str
    label: str = ""
    detail: str = field(default="", compare=False)
    """A label naming this one link among others of its label on a row ("PD alert RedisMemoryHigh
    redis-1", "PD push notification"), "" when the source has none; the renderer uses it only
    where two links of a row share a label (``render.prepare.distinct_labels``). Not part of
    equality: the same link said more closely is the same link."""


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened, as one or more tools recorded it."""

    time: datetime
    """When it happened, timezone-aware UTC."""
    kind: Kind
    summary: str
    """One line of plain text (markup already made readable, not yet redacted or escaped)."""
    sources: tuple[str, ...]
    """The tools that reported it (``pagerduty``, ``slack``, ``github``, ``grafana``), sorted."""
    links: tuple[Link, ...]
    """Evidence links, at least one."""
    key: str
    """Stable identity of the underlying record, e.g. ``slack:C024BE91L:1710409327.000100``.
    Two events with the same key are the same record seen twice."""
    actor: str | None = None
    """Who did it (a person's or bot's display name), when known."""
    refs: frozenset[str] = field(default_factory=frozenset)
    """References it carries, for matching across tools (see module docstring)."""
    tags: frozenset[str] = field(default_factory=frozenset)
    """Selection signals: ``bot``, ``human``, ``pinned``, ``reaction:<emoji>``, ``leadup``,
    ``incident-channel``, ``edited``, ``deleted``, ``production``, ``failure``, ``rollback``..."""
    scope: str = ""
    """Where it was found, for coverage counts: ``slack:#inc-1234``, ``github:acme/checkout``."""
    reason: str = ""
    """Why the event is in the timeline; filled by selection."""
    members: tuple[Event, ...] = ()
    """A collapsed series (``normalize.collapse``): every record it stands for, in time order;
    empty for any other row."""
    edited_at: datetime | None = None
    """When the record was last edited (Slack's ``edited.ts``), UTC; None when never edited.
    The row keeps ``time`` (when it was posted): text that gave it its kind may only date from
    the edit, so figures never take an edited row's milestone earlier than this."""


class Milestone(StrEnum):
    """The moments of an incident's story the figures and the Summary's lede are measured between
    (``render.metrics`` finds each one's row; the README defines them)."""

    IMPACT_START = "impact_start"
    """The earliest symptom of the affected service: a firing or pending alert, an annotation or a
    responder's message saying impact started; never later than detection."""
    DETECTED = "detected"
    """The first alert that fired or the first page: when the tools noticed."""
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    """The first step recorded as reducing impact: a mitigation, a rollback, a revert going
    live."""
    RESOLVED = "resolved"
    """The final resolution as the incident tool records it (its resolve row, else its resolve
    time; after the last reopen), never an earlier "all clear" in chat."""
    REOPENED = "reopened"


@dataclass(frozen=True, slots=True, order=True)
class Identity:
    """A person as one tool knows them (``collectors.people`` reads them from the bundle)."""

    source: str
    name: str
    """The name that tool's records show (``Event.actor``, a ``target:`` tag)."""
    email: str = ""
    """The email the tool holds for them ("" when it shows none)."""
    real_name: str = ""
    handle: str = ""
    """A chat handle or login ("" when the tool has none)."""
    uid: str = ""
    """The tool's own id for the account (a Slack user ID, a PagerDuty user id, a Grafana
    ``userId``, a GitHub account id; "" when its records show none): one account's identities
    are one person whatever their emails; two accounts sharing a name are never merged."""
    login: str = ""
    """The account's own unique handle in that tool (Slack's username ``name``, a GitHub or
    Grafana login; "" when it has none): what tells apart two people shown by one name."""
    records: frozenset[str] = frozenset()
    """When several accounts of the tool show this ``name``: the keys (``Event.key``) of the
    records that name this account, so a record says which of them it means."""


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    number: int | None
    title: str
    severity: str | None
    """PagerDuty priority (``P1``), else None."""
    services: tuple[str, ...]
    started_at: datetime
    resolved_at: datetime | None
    """None while the incident is ongoing."""
    url: str | None
    status: str = "resolved"


@dataclass(frozen=True, slots=True)
class Window:
    """The time range the evidence was collected over, all UTC."""

    start: datetime
    end: datetime
    leadup_start: datetime
    ongoing: bool = False

    def contains(self, when: datetime, *, leadup: bool = False) -> bool:
        lo = self.leadup_start if leadup else self.start
        return lo <= when <= self.end

    @property
    def span(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Account:
    """What became of one source's records: every one is shown (in a row, alone or merged) or
    left out under a named reason, so ``shown + sum(omitted.values()) == collected``."""

    collected: int
    shown: int
    omitted: dict[str, int] = field(default_factory=dict)
    """Reason -> records (``not understood``, ``outside the collection window``, ...)."""


@dataclass(frozen=True, slots=True)
class Timeline:
    """What the renderer receives: the incident, its ordered events, and what was left out."""

    incident: Incident
    window: Window
    events: tuple[Event, ...]
    omitted: dict[str, int] = field(default_factory=dict)
    """Events not shown, counted per scope (``slack:#inc-1234``: 412)."""
    collected: dict[str, int] = field(default_factory=dict)
    """Records read per source (events, records folded into them, records a parser counted)."""
    warnings: tuple[str, ...] = ()
    failed_sources: tuple[str, ...] = ()
    accounts: dict[str, Account] = field(default_factory=dict)
    """Per source: records collected, shown, and left out per reason (the accounting)."""
    set_aside: tuple[Event, ...] = ()
    """Changes and deploys of the window with no tie to the incident: counted in ``omitted``,
    each with the reason it is counted under and its links (``normalize.during``)."""
    hints: tuple[str, ...] = ()
    """Lines for the author that are no fault of the evidence (people no email or alias joins
    across tools: ``normalize.people.unjoined_people``): on stderr, and under the table with
    ``--why``."""
