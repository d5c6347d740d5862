"""The incident's milestones and the figures responders quote between them.

Milestones (``model.Milestone``), each found on a row of the timeline (rows before
``Window.start`` never count):

- **detected**: the first alert that fired (an ``alert`` row that is not a clearing) or the first
  ``page`` row, whichever comes first;
- **impact start**: the earliest symptom of the affected service at or before detection: a firing
  alert, an alert in ``pending`` state (the condition held, not yet long enough to fire), a row
  tagged ``impact`` (an annotation or a responder's message saying impact started); detection
  itself when nothing came earlier. A row tagged ``impact`` whose text states the time with its
  zone ("impact started at 09:38 UTC") counts from that time (``impact_time``). An alert whose
  rule cleared again before the incident start (``rule:<name>:resolved``) was an earlier blip:
  neither detection nor impact start; so is a pending state followed by any alert state back to
  normal before detection (it may be another rule that never fired);
- **acknowledged / mitigated**: the first ``ack`` / mitigation row at or after the incident
  start (``Incident.started_at``, when PagerDuty triggered). A mitigation is a ``mitigate`` row, a
  deploy that rolled back (tag ``rollback``, not ``failure``) or a revert going live (a
  ``change`` tagged ``revert`` when no deploy row ships it); never a step its own words say
  did not help (tag ``step:no-effect``: "restarted 3 pods, no change") nor a switch back to the
  normal path after a fallback (tag ``step:restore``: "switched back to PayGate"), each a row
  all the same. A mitigation row from words (a
  ``mitigate`` row; a rollback a chat post or annotation reports) that states when the step was
  done ("we rolled back at 14:05", "failed over at 14:07Z") counts from that time
  (``step_time``), the earliest evidence winning as ever; the row stays at its own time;
- **resolved**: the incident's final resolution, which the incident tool records: its own
  resolve row (a ``resolve`` row from a tool, not chat: PagerDuty's resolve log entry; the last
  one after the last reopen, rows tagged ``reopen``), else its ``Incident.resolved_at``. A
  responder's "all clear" (a chat row of kind ``resolve``) is never the resolution while the tool
  has one: an early "all clear on card-auth, payments still failing" is a row, not the end. Only
  when the tool gives no time (a resolved incident without ``resolved_at``) is the last
  ``resolve`` row after the last reopen the resolution, from the time its words state ("all
  clear since 15:02 UTC", ``step_time``). An acknowledgement is a tool's record (PagerDuty's
  acknowledge log entry, a bot's post), never a person's words: it counts at its own time.

**Series.** A collapsed series row (``Event.members``) counts through its records, never its
summed tags: each member is read as its own record (a storm's first firing at 13:57 can be the
detection or the impact start, and its clearings count at their own times, not the row's), and a
milestone found on a member cites the series row (``Mark.event``) with the member's time and the
member as ``Mark.record``. A member that is also its own row counts once, as that row.

**Edits.** A row whose text was edited after it was posted (``Event.edited_at``) and that no other
tool's record confirms (one source) may have got its kind from words added by the edit: as a
milestone it counts from the edit, never from the post.

Figures: time to detect (impact start -> detected), then time to acknowledge / mitigate / resolve
from the incident start. A figure is None when a row is missing; time to resolve is None while the
incident is ongoing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from reconstruct.model import Event, Kind, Milestone, Timeline
from reconstruct.normalize.authority import is_chat
from reconstruct.normalize.classify import NO_EFFECT, RESTORE
from reconstruct.normalize.clock import in_said_minute, stated_utc, step_utc
from reconstruct.normalize.leadup import WORDS_ONLY
from reconstruct.normalize.ruled import RULED_OUT
from reconstruct.normalize.steps import series_members, under_way
from reconstruct.timeutil import between, ensure_utc, iso_z

CLEARED_STATES = frozenset(
    {"state:ok", "state:normal", "state:resolved", "state:inactive", "state:no_data_resolved"}
)
"""State tags of an alert that stopped firing."""
PENDING_STATES = frozenset({"state:pending"})


@dataclass(frozen=True, slots=True)
class Mark:
    """One milestone: the row it comes from and the time it counts from."""

    milestone: Milestone
    time: datetime
    """UTC. The row's time, or its edit time (see the module's rule on edits)."""
    event: Event | None
    """The cited row; None when the time is PagerDuty's own (``Incident.resolved_at``)."""
    record: Event | None = None
    """The series member of ``event`` the time comes from; None: the row itself."""

    @property
    def source(self) -> Event | None:
        """The record the time comes from: the series member, else the row."""
        return self.record if self.record is not None else self.event

    @property
    def stated(self) -> bool:
        """The time is one the record's text states ("impact started at 09:38 UTC"), before the
        record itself."""
        source = self.source
        return source is not None and self.time < source.time

    @property
    def from_edit(self) -> bool:
        """The time is the record's edit, not its post."""
        source = self.source
        return (
            source is not None
            and source.edited_at is not None
            and (ensure_utc(source.edited_at) == self.time != ensure_utc(source.time))
        )


@dataclass(frozen=True, slots=True)
class Milestones:
    impact_start: Mark | None
    detected: Mark | None
    acknowledged: Mark | None
    mitigated: Mark | None
    resolved: Mark | None
    reopened: tuple[Mark, ...] = ()
    """Every reopen row, in time order."""
    last_deploy: Event | None = None
    """The deploy that went live before detection (not failed, not a rollback) the lede names
    (``_preceding``): the one that shipped ``last_change`` when its refs say so, else one a
    root-cause row or the incident's records name, else (no change named so) the last;
    production first."""
    last_change: Event | None = None
    """The change merged before detection (leadup included, reverts aside) the lede names
    (``_preceding``): one a root-cause row names, else one the incident's records name (its
    reason: ``... in the evidence``), else the last."""

    def get(self, milestone: Milestone) -> Mark | None:
        if milestone is Milestone.REOPENED:
            return self.reopened[-1] if self.reopened else None
        found: Mark | None = getattr(self, milestone.value)
        return found


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    """JSON key: ``time_to_detect_s``, ``time_to_ack_s``, ``time_to_mitigate_s``,
    ``time_to_resolve_s``."""
    label: str
    """``Time to acknowledge``."""
    start: datetime
    end: datetime | None
    """The cited row's time, None when not computable."""
    start_mark: Mark | None = None
    end_mark: Mark | None = None
    reopened: tuple[Mark, ...] = ()
    """For time to resolve: the reopens before the final resolution."""

    @property
    def seconds(self) -> int | None:
        if self.end is None:
            return None
        return int(between(self.start, self.end).total_seconds())


# -- what a row is -------------------------------------------------------------------------------
def is_clearing(event: Event) -> bool:
    """An alert row that records a rule or alert returning to normal (a cleared state tag, or a
    ``rule:<name>:resolved`` ref)."""
    if event.kind is not Kind.ALERT:
        return False
    if not event.tags.isdisjoint(CLEARED_STATES):
        return True
    return any(r.startswith("rule:") and r.endswith(":resolved") for r in event.refs)


def is_firing(event: Event) -> bool:
    """An alert row that fired (not a clearing, not a reopen)."""
    if event.kind is not Kind.ALERT or "reopen" in event.tags:
        return False
    if not event.tags.isdisjoint(CLEARED_STATES):
        return False
    rules = [ref for ref in event.refs if ref.startswith("rule:")]
    return not rules or any(ref.endswith(":firing") for ref in rules)


def is_symptom(event: Event) -> bool:
    """Evidence that the service was already hurting: a firing or pending alert, or a row tagged
    ``impact``."""
    return is_firing(event) or "impact" in event.tags or not event.tags.isdisjoint(PENDING_STATES)


NOT_THE_MITIGATION = frozenset({NO_EFFECT, RESTORE})
"""Tags of a step that is a row but never the mitigation: its message says it did not help
(``step:no-effect``), or it switches back to the normal path after a fallback
(``step:restore``; ``classify.outcome``)."""


def is_mitigation(event: Event) -> bool:
    """A ``mitigate`` row, or a deploy that rolled back or shipped a revert (tag ``rollback``,
    which a revert deploy, tagged ``revert``, carries too; not a failed one, not to a transient
    environment)."""
    if event.kind is Kind.MITIGATE:
        return True
    return (
        event.kind is Kind.DEPLOY
        and "rollback" in event.tags
        and not event.tags & {"failure", "transient"}
    )


def _revert_merges(rows: _Rows) -> list[Event]:
    """Revert PRs merged with no deploy row shipping them (same PR or commit ref): their merge is
    the only record of the revert going live."""
    reverts = [e for e in rows.changes if "revert" in e.tags]
    if not reverts:
        return []
    shipped: set[str] = set()
    for event in rows.deploys:
        if "failure" not in event.tags:
            shipped.update(r for r in event.refs if r.startswith(("pr:", "sha:")))
    return [e for e in reverts if shipped.isdisjoint(e.refs)]


STATED_REACH = timedelta(days=1)
"""How far before the collection window a stated impact start may lie: ``stated_utc`` reads a
time on the message's day, the latest not after it ("impact started 08:30 UTC" posted at 10:09
is 08:30, whether or not the window reaches back that far)."""


def impact_time(event: Event) -> datetime:
    """When a symptom row says impact started: the UTC time its text states (a row tagged
    ``impact``: "impact started 08:12 UTC", "errors began at 09:12 CET (08:12 UTC)", within the
    day before the row; ``normalize.clock.stated_utc``), else ``counts_from``. A time without
    a zone, or in an abbreviation naming several offsets (IST, CST), is never read (never
    guessed)."""
    when = counts_from(event)
    if "impact" not in event.tags:
        return when
    stated = stated_utc(event.summary, event.time)
    return when if stated is None else min(stated, when)


_WORDED_KINDS = frozenset({Kind.RESOLVE, Kind.DEPLOY})
_WORDS = frozenset({"note", "written"})
"""Tags of a tool's record a person wrote (an incident note, an annotation)."""


def step_time(event: Event, floor: datetime) -> datetime:
    """When a mitigation or resolution row says its step was done: the UTC time its words
    state for it (``normalize.clock.step_utc``: "we rolled back at 14:05", "failed over at
    14:07Z", "restarted the pods ~14:10 UTC"; "all clear since 15:02 UTC" for a resolution)
    when that lies before the row (a time to come, up to half a day after the row's clock, is
    none: ``clock.AHEAD``) and not before ``floor`` (UTC: the incident's start, or the last
    reopen); else ``counts_from``. Only a row whose kind comes from words (``_worded``: a
    person's, a chat post's); a tool's own record (a deployment's status, PagerDuty's resolve)
    counts at its own time. A time said to the minute the row's own record lies in is the
    record's time ("turned off at 15:31 UTC" on a row recorded at 15:31:35: 15:31:35). The row
    stays at its own time in the timeline."""
    when = counts_from(event)
    if ":" not in event.summary or not _worded(event):  # no clock time without a colon
        return when
    posted = ensure_utc(event.time)
    stated = step_utc(event.summary, posted, state=event.kind is Kind.RESOLVE)
    if stated is None or stated < floor or stated >= posted:
        return when
    if in_said_minute(stated, posted):
        return when  # said to the minute the row's own record lies in: the record is exact
    return min(stated, when)


def _worded(event: Event) -> bool:
    """A mitigation or resolution row whose kind words gave it (``classify``): every
    ``mitigate`` row; a ``resolve`` or ``deploy`` row from chat, an incident note or a person's
    annotation ("Rolled back checkout at 09:46 UTC"), not the incident tool's own resolve or the
    deploy tool's own record."""
    if event.kind is Kind.MITIGATE:
        return True
    return event.kind in _WORDED_KINDS and (
        is_chat(event.sources) or not _WORDS.isdisjoint(event.tags)
    )


def counts_from(event: Event) -> datetime:
    """When a row counts as a milestone: its time, or its edit when the edit may have brought the
    words that gave it its kind and no other tool's record confirms it."""
    edited = event.edited_at
    if edited is not None and len(event.sources) <= 1 and edited > event.time:
        return edited
    return event.time


def _first(
    milestone: Milestone,
    events: Iterable[Event],
    lo: datetime,
    accept: Callable[[Event], bool] | None = None,
    hi: datetime | None = None,
    time_of: Callable[[Event], datetime] = counts_from,
) -> Mark | None:
    """The earliest row (by ``time_of``, then key) in ``[lo, hi]`` that ``accept`` takes.
    The time tests come first: ``accept`` runs only for a row that would be the new earliest."""
    best: Event | None = None
    best_time = lo
    best_key = ""
    fast = time_of is counts_from
    for event in events:
        when = event.time if fast and event.edited_at is None else time_of(event)
        if when < lo or (hi is not None and when > hi):
            continue
        if best is not None and (when > best_time or (when == best_time and event.key >= best_key)):
            continue
        if accept is not None and not accept(event):
            continue
        best, best_time, best_key = event, when, event.key
    return Mark(milestone, best_time, best) if best is not None else None


def _key(mark: Mark) -> str:
    return mark.event.key if mark.event is not None else ""


# -- milestones ----------------------------------------------------------------------------------
def detection(timeline: Timeline) -> tuple[Mark | None, Mark | None]:
    """Detection and impact start alone (``milestones`` reads them the same way), their marks
    naming the records themselves (series members, not their rows): what the Summary quotes,
    without the cost of the other milestones (mitigation reads every step's stated time)."""
    series = _series(timeline.events)
    return _detection(
        timeline, _Rows.of(_records(timeline.events, series) if series else timeline.events)
    )


def _detection(timeline: Timeline, rows: _Rows) -> tuple[Mark | None, Mark | None]:
    """``detection`` of ``rows`` (the records of ``timeline``'s rows)."""
    start = ensure_utc(timeline.incident.started_at)
    lo = min(start, ensure_utc(timeline.window.start))
    cleared = _clearings(rows.alerts, start)

    def fired(event: Event) -> bool:
        return event.kind is Kind.PAGE or (is_firing(event) and not _blip(event, cleared))

    detected = _first(Milestone.DETECTED, [*rows.alerts, *rows.pages], lo, fired)
    impact = None
    if detected is not None:
        back = sorted(e.time for e in rows.clearings if e.time <= detected.time)

        def symptom(event: Event) -> bool:
            if not is_symptom(event) or _blip(event, cleared):
                return False
            # a pending state followed by any return to normal before detection may have been
            # another rule that never fired: not evidence enough
            pending = "state:pending" in event.tags
            return not (pending and back and back[-1] > event.time)

        def collected(event: Event) -> bool:  # the row is in the window; the time it states
            return event.time >= lo and symptom(event)  # may be earlier (up to a day)

        earlier = _first(
            Milestone.IMPACT_START,
            rows.symptoms,
            lo - STATED_REACH,
            collected,
            detected.time,
            impact_time,
        )
        impact = earlier or Mark(Milestone.IMPACT_START, detected.time, detected.event)
    return detected, impact


def milestones(timeline: Timeline) -> Milestones:
    start = ensure_utc(timeline.incident.started_at)
    series = _series(timeline.events)
    rows = _Rows.of(_records(timeline.events, series) if series else timeline.events)
    detected, impact = _detection(timeline, rows)
    acked = _first(Milestone.ACKNOWLEDGED, rows.acks, start)
    steps = [*rows.mitigations, *rows.deploys, *_revert_merges(rows)]
    # each step's stated time read once for both passes (this call's own memo, by identity)
    stated = {id(e): step_time(e, start) for e in steps}

    def mitigation(e: Event) -> bool:
        if not e.tags.isdisjoint(NOT_THE_MITIGATION):
            return False  # "restarted the pods, no change"; "switched back to PayGate"
        return e.kind is not Kind.DEPLOY or is_mitigation(e)

    def step_at(e: Event) -> datetime:
        return stated[id(e)]

    mitigated = _first(
        Milestone.MITIGATED,
        steps,
        start,
        lambda e: mitigation(e) and not under_way(e),
        time_of=step_at,
    ) or _first(Milestone.MITIGATED, steps, start, mitigation, time_of=step_at)
    reopened = tuple(
        sorted(
            (Mark(Milestone.REOPENED, counts_from(e), e) for e in rows.reopens),
            key=lambda m: (m.time, _key(m)),
        )
    )
    reopened = tuple(m for m in reopened if m.time >= start)
    resolved = _resolution(timeline, rows.resolves, reopened)
    before = detected.time if detected is not None else None
    last_change, last_deploy = _preceding(rows, before)
    if series:

        def cite(mark: Mark | None) -> Mark | None:
            row = series.get(id(mark.event)) if mark is not None else None
            if mark is None or row is None:
                return mark
            return Mark(mark.milestone, mark.time, row, mark.event)

        return Milestones(
            cite(impact),
            cite(detected),
            cite(acked),
            cite(mitigated),
            cite(resolved),
            tuple(m for m in map(cite, reopened) if m is not None),
            last_deploy=series.get(id(last_deploy), last_deploy),
            last_change=series.get(id(last_change), last_change),
        )
    return Milestones(
        impact, detected, acked, mitigated, resolved, reopened, last_deploy, last_change
    )


def _series(events: Iterable[Event]) -> dict[int, Event]:
    """Each series member (by ``id``) -> its series row; members that are also their own row
    (same key) left out: they count as that row."""
    collapsed = [e for e in events if series_members(e)]  # a row of one step counts as itself
    if not collapsed:
        return {}
    own = {e.key for e in events if not series_members(e)}
    return {id(m): row for row in collapsed for m in row.members if m.key not in own}


def _records(events: Iterable[Event], series: dict[int, Event]) -> list[Event]:
    """The rows with each series row replaced by its members (``_series``)."""
    out: list[Event] = []
    for event in events:
        if series_members(event):
            out.extend(m for m in event.members if id(m) in series)
        else:
            out.append(event)
    return out


_NOT_SHIPPED = frozenset({"failure", "rollback"})
_SPECIAL = frozenset({"reopen", "impact", "state:pending"}) | CLEARED_STATES


_IN_EVIDENCE = " in the evidence"
"""How a row's reason ends or goes on when a record of the incident names it: a lead-up change
(``normalize.leadup``: ``leadup change linked in the evidence``) or a change of the window
(``normalize.during``: ``; tie to the incident: PR #412 named in the evidence``)."""
_CHANGE_REFS = ("pr:", "sha:")


def _change_refs(event: Event) -> frozenset[str]:
    """The PR and commit refs of a row, and its links: what says which change it is."""
    refs = {ref for ref in event.refs if ref.startswith(_CHANGE_REFS)}
    return frozenset(refs | {link.url for link in event.links})


def shipped(deploy: Event, change: Event) -> bool:
    """Whether the tools say ``deploy`` shipped ``change``: it went live after the merge and
    carries the change's PR or commit ref."""
    refs = {ref for ref in change.refs if ref.startswith(_CHANGE_REFS)}
    return deploy.time >= change.time and bool(refs & deploy.refs)


def _preceding(rows: _Rows, before: datetime | None) -> tuple[Event | None, Event | None]:
    """The change and the deploy before detection (``before``) the lede says preceded it: the
    most relevant the timeline shows, never one only for being the latest.

    Change (merged before detection, reverts and those a responder ruled out aside: tag
    ``RULED_OUT``), by tier, the latest of a tier: one a root-cause row (``Kind.IDENTIFY``, at
    any time) names by its PR, commit or link; one the incident's records name (its reason:
    ``... in the evidence``); else the latest shown not for its words alone (``WORDS_ONLY``:
    words in common make a change relevant, not tied: ``normalize.leadup``,
    ``normalize.during``).
    Deploy (went live before detection, not failed, not a rollback), by tier: the deploy that
    shipped the change (its PR or commit refs; the first to go live); one a root-cause row
    names; one the incident's records name; and only when no change is named by a root-cause
    row or the records, the latest not shown for its words alone (none ruled out). Within a
    tier a production deploy (tag ``production``) outranks any other: a staging deploy is no
    trigger of a production incident."""
    if before is None:
        return None, None
    changes = [e for e in rows.changes if e.time < before and not e.tags & _NOT_PRECEDING]
    deploys = [e for e in rows.deploys if e.time < before and not e.tags & _NOT_LIVE]
    named = frozenset().union(*(_change_refs(e) for e in rows.causes))

    def by_cause(event: Event) -> bool:
        return bool(named and _change_refs(event) & named)

    def in_evidence(event: Event) -> bool:
        return _IN_EVIDENCE in event.reason

    change = _latest(changes, by_cause) or _latest(changes, in_evidence)
    strong = change is not None
    change = change or _latest(changes, _tied)
    if change is not None:
        found = [e for e in deploys if shipped(e, change)]
        production = [e for e in found if "production" in e.tags]
        deploy = min(production or found, key=lambda e: (e.time, e.key), default=None)
        if deploy is not None:
            return change, deploy
    deploy = _latest_live(deploys, by_cause) or _latest_live(deploys, in_evidence)
    if deploy is None and not strong:
        deploy = _latest_live(deploys, _tied)
    return change, deploy


_NOT_PRECEDING = frozenset({"revert", RULED_OUT})
"""A revert, or a change a responder ruled out (``normalize.ruled``), is never named."""
_NOT_LIVE = _NOT_SHIPPED | {RULED_OUT}


def _tied(event: Event) -> bool:
    """Not shown for its words alone (``normalize.leadup.WORDS_ONLY``): the weakest tier names
    a change or deploy only when something ties it to the incident (an affected service's
    repository during the window, a revert, a deploy before the first alert)."""
    return WORDS_ONLY not in event.tags


def _latest_live(
    deploys: list[Event], accept: Callable[[Event], bool] | None = None
) -> Event | None:
    """The latest production deploy ``accept`` takes, else the latest such deploy."""
    production = [e for e in deploys if "production" in e.tags]
    return _latest(production, accept) or _latest(deploys, accept)


def _latest(events: list[Event], accept: Callable[[Event], bool] | None = None) -> Event | None:
    """The latest of ``events`` (by time, then key) that ``accept`` takes."""
    found = [e for e in events if accept is None or accept(e)]
    return max(found, key=lambda e: (e.time, e.key), default=None)


@dataclass(slots=True)
class _Rows:
    """The few rows each milestone can come from, in one pass (a large timeline is mostly
    messages, which only count as symptoms when tagged ``impact``)."""

    alerts: list[Event] = field(default_factory=list)
    pages: list[Event] = field(default_factory=list)
    symptoms: list[Event] = field(default_factory=list)
    """Alerts, and rows tagged ``impact`` or ``state:pending``."""
    acks: list[Event] = field(default_factory=list)
    mitigations: list[Event] = field(default_factory=list)
    deploys: list[Event] = field(default_factory=list)
    changes: list[Event] = field(default_factory=list)
    reopens: list[Event] = field(default_factory=list)
    resolves: list[Event] = field(default_factory=list)
    clearings: list[Event] = field(default_factory=list)
    """Rows with a state tag of an alert back to normal (``CLEARED_STATES``)."""
    causes: list[Event] = field(default_factory=list)
    """Root-cause rows (``Kind.IDENTIFY``): the changes they name come first in the lede."""

    @classmethod
    def of(cls, events: Iterable[Event]) -> _Rows:
        rows = cls()
        alert, page, ack, mitigate, deploy, change, resolve = (
            Kind.ALERT,
            Kind.PAGE,
            Kind.ACK,
            Kind.MITIGATE,
            Kind.DEPLOY,
            Kind.CHANGE,
            Kind.RESOLVE,
        )
        special, cleared_states = _SPECIAL, CLEARED_STATES
        symptoms = rows.symptoms
        for event in events:
            kind = event.kind  # ``is`` chains: hashing an Enum member runs Python code
            tags = event.tags
            if not special.isdisjoint(tags):
                if "reopen" in tags:
                    rows.reopens.append(event)
                    continue
                if not cleared_states.isdisjoint(tags):
                    rows.clearings.append(event)
                if kind is not alert and ("impact" in tags or "state:pending" in tags):
                    symptoms.append(event)
            if kind is alert:
                rows.alerts.append(event)
            elif kind is deploy:
                rows.deploys.append(event)
            elif kind is page:
                rows.pages.append(event)
            elif kind is ack:
                rows.acks.append(event)
            elif kind is change:
                rows.changes.append(event)
            elif kind is mitigate:
                rows.mitigations.append(event)
            elif kind is resolve:
                rows.resolves.append(event)
            elif kind is Kind.IDENTIFY:
                rows.causes.append(event)
        symptoms.extend(rows.alerts)
        return rows


def _rule_names(event: Event) -> set[str]:
    return {ref.rsplit(":", 1)[0] for ref in event.refs if ref.startswith("rule:")}


def _clearings(alerts: list[Event], start: datetime) -> dict[str, list[datetime]]:
    """Per alert rule (``rule:<name>``), the times it cleared before the incident start."""
    out: dict[str, list[datetime]] = {}
    for event in alerts:
        if event.time < start and not is_firing(event):
            for name in _rule_names(event):
                out.setdefault(name, []).append(event.time)
    return out


def _blip(event: Event, cleared: dict[str, list[datetime]]) -> bool:
    """An alert that fired and cleared again before the incident started: an earlier blip, not a
    symptom of this incident."""
    if not cleared:
        return False
    when = event.time
    return any(t > when for name in _rule_names(event) for t in cleared.get(name, ()))


def _resolution(
    timeline: Timeline, resolves: list[Event], reopened: tuple[Mark, ...]
) -> Mark | None:
    """The incident's final resolution (after the last reopen): the incident tool's own resolve
    (its last resolve row from a tool, not chat; else ``Incident.resolved_at``), else the last
    resolve row (a responder's "all clear" counts only when the incident tool has no time);
    None while the incident is ongoing."""
    incident = timeline.incident
    final = incident.resolved_at
    if final is None and incident.status != "resolved":
        return None
    after = reopened[-1].time if reopened else ensure_utc(incident.started_at)
    own = _last_resolve(resolves, after, lambda e: not is_chat(e.sources))
    if own is not None:
        return own
    if final is not None:
        return Mark(Milestone.RESOLVED, ensure_utc(final), None)
    return _last_resolve(resolves, after, lambda e: True)


def _last_resolve(
    resolves: list[Event], after: datetime, accept: Callable[[Event], bool]
) -> Mark | None:
    """The latest resolve row (by ``step_time``: a chat row from the time it states, else
    ``counts_from``; then key) at or after ``after`` that ``accept`` takes."""
    found = [(step_time(e, after), e.key, e) for e in resolves if accept(e)]
    found = [item for item in found if item[0] >= after]
    if not found:
        return None
    when, _, event = max(found, key=lambda item: item[:2])
    return Mark(Milestone.RESOLVED, when, event)


# -- figures -------------------------------------------------------------------------------------
def record_noun(event: Event) -> str:
    """What a cited record is, for a figure's note: ``annotation`` (a dashboard annotation),
    ``note`` (an incident note), ``alert``, else ``message`` (chat)."""
    if event.kind is Kind.ANNOTATION or (
        event.kind is not Kind.MESSAGE and event.sources == ("grafana",)
    ):
        return "annotation"
    if (event.kind is Kind.UPDATE or "note" in event.tags) and not is_chat(event.sources):
        return "note"
    if event.kind is Kind.ALERT:
        return "alert"
    return "message"


_FIGURES = (
    ("time_to_ack_s", "Time to acknowledge", Milestone.ACKNOWLEDGED),
    ("time_to_mitigate_s", "Time to mitigate", Milestone.MITIGATED),
    ("time_to_resolve_s", "Time to resolve", Milestone.RESOLVED),
)


def compute(timeline: Timeline, marks: Milestones | None = None) -> tuple[Metric, ...]:
    marks = marks if marks is not None else milestones(timeline)
    start = ensure_utc(timeline.incident.started_at)
    impact, detected = marks.impact_start, marks.detected
    out = [
        Metric(
            key="time_to_detect_s",
            label="Time to detect",
            start=impact.time if impact is not None else start,
            end=detected.time if detected is not None and impact is not None else None,
            start_mark=impact,
            end_mark=detected,
        )
    ]
    for key, label, milestone in _FIGURES:
        mark = marks.get(milestone)
        out.append(
            Metric(
                key=key,
                label=label,
                start=start,
                end=mark.time if mark is not None else None,
                end_mark=mark,
                reopened=marks.reopened if milestone is Milestone.RESOLVED else (),
            )
        )
    return tuple(out)


def as_json(metrics: tuple[Metric, ...]) -> dict[str, int | None]:
    return {m.key: m.seconds for m in metrics}


def marks_json(marks: Milestones) -> dict[str, Any]:
    """Each milestone as ``{"time", "summary", "from_edit", "stated", "links"}`` (``summary``
    null and ``links`` empty for PagerDuty's own resolve time; ``stated``: the time is one the
    row's words state, before the row), or null; ``reopened`` a list of those.
    ``links`` are the cited row's evidence links, so a reader finds the row a figure cites."""

    def one(mark: Mark | None) -> dict[str, Any] | None:
        if mark is None:
            return None
        return {
            "time": iso_z(mark.time),
            "summary": mark.event.summary if mark.event is not None else None,
            "from_edit": mark.from_edit,
            "stated": mark.stated,
            "links": [
                {"source": ln.source, "url": ln.url, "label": ln.label}
                for ln in (mark.event.links if mark.event is not None else ())
            ],
        }

    out: dict[str, Any] = {
        m.value: one(marks.get(m)) for m in Milestone if m is not Milestone.REOPENED
    }
    out["reopened"] = [one(m) for m in marks.reopened]
    return out
