"""The incident's shape for pictures: its milestones, its phases and the time axis to draw them on.

Read from a scrubbed Timeline's rows only (kinds, tags and refs; no source is named), so the
Mermaid diagram (``diagram.py``) and the timeline page (``page.py``) show what the table shows.

Milestones (else absent); impact, ack, mitigated and resolved are the figures' own
(``metrics.milestones``: rollbacks and reverts mitigate, an edited message counts from its edit,
a reopened incident resolves at its final resolution):

    impact      the impact start: the earliest symptom (a firing or pending alert, a row tagged
                ``impact``), else the first alert or page
    detected    the incident's trigger (``Incident.started_at``: when PagerDuty opened it)
    ack         the first acknowledgement
    mitigated   the first mitigation
    recovered   the incident's last clearing: the latest alert record back to normal
                (``metrics.is_clearing``; a series row's members at their own times) up to the
                resolution, the clearing the Timeline keeps as a milestone; absent when it comes
                before the mitigation or the acknowledgement (a flapping rule back to normal while
                responders are still on it is no recovery)
    resolved    the final resolution as the incident tool records it (``metrics``: its resolve
                row, else ``Incident.resolved_at``; never an earlier "all clear" in chat)

Phases run between consecutive milestones: ``detection`` (impact -> detected), ``response``
(detected -> mitigated), ``mitigation`` (mitigated -> recovered), ``recovery`` (recovered ->
resolved); a phase whose ends are missing or out of order, or that would start before the phase
drawn ahead of it ends, is left out. ``leadup`` is the span of the leadup rows: rows tagged
``leadup`` and every change or deploy before the impact start (the change that preceded the
incident belongs there, not in the mitigation).

The axis covers the incident itself with a margin (a quarter of its span, at least five minutes);
an ongoing incident's axis ends after its last row (``open_since`` marks it still open), not at
collection time.
Leadup rows days earlier would squash the incident into a sliver, so rows before the axis start
are not placed on it: they are ``earlier`` (drawn at the axis start, and listed in the table as
always).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reconstruct.model import Event, Kind, Timeline
from reconstruct.normalize.steps import series_members
from reconstruct.render import metrics as figures
from reconstruct.timeutil import ensure_utc

MIN_MARGIN = timedelta(minutes=5)
MIN_SPAN = timedelta(minutes=10)
LEADUP_TAG = "leadup"

MILESTONES = ("impact", "detected", "ack", "mitigated", "recovered", "resolved")
MILESTONE_LABELS = {
    "impact": "Impact start",
    "detected": "Incident triggered",
    "ack": "Acknowledged",
    "mitigated": "Mitigation",
    "recovered": "Alert cleared",
    "resolved": "Resolved",
}
PHASES = (
    ("detection", "impact", "detected"),
    ("response", "detected", "mitigated"),
    ("mitigation", "mitigated", "recovered"),
    ("recovery", "recovered", "resolved"),
)


@dataclass(frozen=True, slots=True)
class Milestone:
    name: str
    """One of ``MILESTONES``."""
    time: datetime
    """UTC."""
    row: int | None
    """Index of the row it comes from in ``Timeline.events``; None for ``Incident`` times."""

    @property
    def label(self) -> str:
        return MILESTONE_LABELS[self.name]


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Story:
    milestones: tuple[Milestone, ...]
    phases: tuple[Phase, ...]
    axis_start: datetime
    axis_end: datetime
    earlier: tuple[int, ...]
    """Rows (indexes) before ``axis_start``: leadup days earlier, kept off the axis."""
    leadup: tuple[int, ...] = ()
    """Rows (indexes) of the leadup (``leadup_rows``), ``earlier`` ones included."""
    open_since: datetime | None = None
    """While the incident is ongoing: the last milestone or row, from which it is still open
    (drawn up to the axis end); None once it is resolved."""

    def milestone(self, name: str) -> Milestone | None:
        for m in self.milestones:
            if m.name == name:
                return m
        return None

    @property
    def span(self) -> timedelta:
        return self.axis_end - self.axis_start


def _last_clearing(
    events: tuple[Event, ...], start: datetime, end: datetime | None
) -> tuple[int, datetime] | None:
    """The last record back to normal at or after ``start`` (and at or before ``end`` when
    given): its row and time (a series row's members count at their own times, not by the row's
    summed tags)."""
    best: tuple[int, datetime] | None = None
    for i, event in enumerate(events):
        for record in series_members(event) or (event,):
            when = ensure_utc(record.time)
            if when < start or (end is not None and when > end):
                continue
            if figures.is_clearing(record) and (best is None or when >= best[1]):
                best = (i, when)
    return best


def milestones(timeline: Timeline) -> tuple[Milestone, ...]:
    events = timeline.events
    window_start = ensure_utc(timeline.window.start)
    incident = timeline.incident
    found: list[Milestone] = []
    # impact, ack, mitigation and resolution as the figures define them (``metrics``: rollbacks,
    # edits, reopens), so the pictures and the header never disagree
    marks = figures.milestones(timeline)
    cited = [marks.impact_start, marks.acknowledged, marks.mitigated, marks.resolved]
    wanted = {id(m.event) for m in cited if m is not None and m.event is not None}
    index = {id(e): i for i, e in enumerate(events) if id(e) in wanted} if wanted else {}

    def add(name: str, row: int | None, when: datetime | None = None) -> None:
        if row is not None:
            found.append(Milestone(name, ensure_utc(events[row].time), row))
        elif when is not None:
            found.append(Milestone(name, ensure_utc(when), None))

    def cite(name: str, mark: figures.Mark | None) -> None:
        if mark is not None:
            row = index.get(id(mark.event)) if mark.event is not None else None
            found.append(Milestone(name, ensure_utc(mark.time), row))

    cite("impact", marks.impact_start)
    add("detected", None, incident.started_at)
    cite("ack", marks.acknowledged)
    cite("mitigated", marks.mitigated)
    end = ensure_utc(marks.resolved.time) if marks.resolved is not None else None
    recovered = _last_clearing(events, window_start, end)
    # never before responders acted: a rule back to normal before the mitigation (or the ack)
    # is a flap, not the recovery
    floor = [ensure_utc(m.time) for m in (marks.acknowledged, marks.mitigated) if m is not None]
    if recovered is not None and all(recovered[1] >= t for t in floor):
        found.append(Milestone("recovered", recovered[1], recovered[0]))
    cite("resolved", marks.resolved)
    return tuple(sorted(found, key=lambda m: (m.time, MILESTONES.index(m.name))))


def _phases(marks: tuple[Milestone, ...], leadup: tuple[datetime, ...]) -> tuple[Phase, ...]:
    at = {m.name: m.time for m in marks}
    out: list[Phase] = []
    if leadup:
        out.append(Phase("leadup", min(leadup), max(leadup)))
    ahead: datetime | None = None
    for name, a, b in PHASES:
        if a in at and b in at and at[a] < at[b] and (ahead is None or at[a] >= ahead):
            out.append(Phase(name, at[a], at[b]))
            ahead = at[b]
    return tuple(out)


def leadup_rows(timeline: Timeline, marks: tuple[Milestone, ...]) -> tuple[int, ...]:
    """Rows (indexes) of the leadup: tagged ``leadup``, or a change or deploy before the impact
    start (else the first milestone)."""
    first = min((m.time for m in marks), default=None)
    impact = next((m.time for m in marks if m.name == "impact"), first)
    out: list[int] = []
    for i, e in enumerate(timeline.events):
        early = impact is not None and ensure_utc(e.time) < impact
        if LEADUP_TAG in e.tags or (early and e.kind in (Kind.CHANGE, Kind.DEPLOY)):
            out.append(i)
    return tuple(out)


def story(timeline: Timeline) -> Story:
    """Milestones, phases and the axis of ``timeline`` (a scrubbed Timeline)."""
    marks = milestones(timeline)
    events = timeline.events
    core = [m.time for m in marks]
    lead = leadup_rows(timeline, marks)
    skip = set(lead)
    inside = [ensure_utc(e.time) for i, e in enumerate(events) if i not in skip] or [
        ensure_utc(timeline.window.start)
    ]
    lo = min([*core, min(inside)])
    hi = max([*core, max(inside)])
    if hi - lo < MIN_SPAN:
        hi = lo + MIN_SPAN
    margin = max((hi - lo) / 4, MIN_MARGIN)
    axis_start, axis_end = lo - margin, hi + margin / 2
    ongoing = timeline.incident.resolved_at is None
    # An ongoing incident's axis ends after its last row, not at collection time: months of
    # silence before the collection would squash every row into the left edge.
    open_since = max([*core, max(inside)]) if ongoing else None
    earlier = tuple(i for i, e in enumerate(events) if ensure_utc(e.time) < axis_start)
    leadup = tuple(ensure_utc(events[i].time) for i in lead)
    return Story(marks, _phases(marks, leadup), axis_start, axis_end, earlier, lead, open_since)
