"""The incident's milestones and the figures responders quote between them.

Milestones (``model.Milestone``), each found on a row of the timeline (rows before
``Window.start`` never count):

- **detected**: the first alert that fired (an ``alert`` row that is not a clearing) or the first
  ``page`` row, whichever comes first;
- **impact start**: the earliest symptom of the affected service at or before detection: a firing
  alert, an alert in ``pending`` state (the condition held, not yet long enough to fire), a row
  tagged ``impact`` (an annotation or a responder's message saying impact started); detection
  itself when nothing came earlier. An alert whose rule cleared again before the incident start
  (``rule:<name>:resolved``) was an earlier blip: neither detection nor impact start;
- **acknowledged / mitigated / resolved**: the first ``ack`` / mitigation / ``resolve`` row at or
  after the incident start (``Incident.started_at``, when PagerDuty triggered). A mitigation is a
  ``mitigate`` row, a deploy that rolled back (tag ``rollback``, not ``failure``) or a revert
  going live (a ``change`` tagged ``revert`` when no deploy row ships it). When the incident was
  reopened (rows tagged ``reopen``), resolved is the first resolution after the last reopen; with
  no such row, PagerDuty's ``Incident.resolved_at``.

**Edits.** A row whose text was edited after it was posted (``Event.edited_at``) and that no other
tool's record confirms (one source) may have got its kind from words added by the edit: as a
milestone it counts from the edit, never from the post.

Figures: time to detect (impact start -> detected), then time to acknowledge / mitigate / resolve
from the incident start. A figure is None when a row is missing; time to resolve is None while the
incident is ongoing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconstruct.model import Event, Kind, Milestone, Timeline
from reconstruct.timeutil import ensure_utc, iso_z

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

    @property
    def from_edit(self) -> bool:
        """The time is the row's edit, not its post."""
        return (
            self.event is not None
            and self.event.edited_at is not None
            and (ensure_utc(self.event.edited_at) == self.time != ensure_utc(self.event.time))
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
        return int((self.end - self.start).total_seconds())


# -- what a row is -------------------------------------------------------------------------------
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


def is_mitigation(event: Event) -> bool:
    """A ``mitigate`` row, or a deploy that rolled back (not a failed one, not to a transient
    environment)."""
    if event.kind is Kind.MITIGATE:
        return True
    return (
        event.kind is Kind.DEPLOY
        and "rollback" in event.tags
        and not event.tags & {"failure", "transient"}
    )


def _revert_merges(events: list[Event]) -> list[Event]:
    """Revert PRs merged with no deploy row shipping them (same PR or commit ref): their merge is
    the only record of the revert going live."""
    shipped: set[str] = set()
    for event in events:
        if event.kind is Kind.DEPLOY and "failure" not in event.tags:
            shipped |= {r for r in event.refs if r.startswith(("pr:", "sha:"))}
    return [
        e
        for e in events
        if e.kind is Kind.CHANGE and "revert" in e.tags and shipped.isdisjoint(e.refs)
    ]


def counts_from(event: Event) -> datetime:
    """When a row counts as a milestone: its time, or its edit when the edit may have brought the
    words that gave it its kind and no other tool's record confirms it."""
    when = ensure_utc(event.time)
    if event.edited_at is not None and len(event.sources) <= 1:
        edited = ensure_utc(event.edited_at)
        if edited > when:
            return edited
    return when


def _first(milestone: Milestone, events: Iterable[Event], lo: datetime) -> Mark | None:
    best: Mark | None = None
    for event in events:
        when = counts_from(event)
        if when >= lo and (best is None or (when, event.key) < (best.time, _key(best))):
            best = Mark(milestone, when, event)
    return best


def _key(mark: Mark) -> str:
    return mark.event.key if mark.event is not None else ""


# -- milestones ----------------------------------------------------------------------------------
def milestones(timeline: Timeline) -> Milestones:
    start = ensure_utc(timeline.incident.started_at)
    window_start = ensure_utc(timeline.window.start)
    lo = min(start, window_start)
    events = sorted(timeline.events, key=lambda e: (e.time, e.key))

    cleared = _clearings(events, start)
    detected = _first(
        Milestone.DETECTED,
        (e for e in events if (is_firing(e) and not _blip(e, cleared)) or e.kind is Kind.PAGE),
        lo,
    )
    impact = None
    if detected is not None:
        earlier = _first(
            Milestone.IMPACT_START,
            (
                e
                for e in events
                if is_symptom(e) and not _blip(e, cleared) and counts_from(e) <= detected.time
            ),
            lo,
        )
        impact = earlier or Mark(Milestone.IMPACT_START, detected.time, detected.event)
    acked = _first(Milestone.ACKNOWLEDGED, (e for e in events if e.kind is Kind.ACK), start)
    mitigations = [e for e in events if is_mitigation(e)] + _revert_merges(events)
    mitigated = _first(Milestone.MITIGATED, mitigations, start)
    reopened = tuple(
        sorted(
            (
                Mark(Milestone.REOPENED, counts_from(e), e)
                for e in events
                if "reopen" in e.tags and counts_from(e) >= start
            ),
            key=lambda m: (m.time, _key(m)),
        )
    )
    resolved = _resolution(timeline, events, start, reopened)
    return Milestones(impact, detected, acked, mitigated, resolved, reopened)


def _rule_names(event: Event) -> set[str]:
    return {ref.rsplit(":", 1)[0] for ref in event.refs if ref.startswith("rule:")}


def _clearings(events: list[Event], start: datetime) -> dict[str, list[datetime]]:
    """Per alert rule (``rule:<name>``), the times it cleared before the incident start."""
    out: dict[str, list[datetime]] = {}
    for event in events:
        if event.kind is Kind.ALERT and ensure_utc(event.time) < start and not is_firing(event):
            for name in _rule_names(event):
                out.setdefault(name, []).append(ensure_utc(event.time))
    return out


def _blip(event: Event, cleared: dict[str, list[datetime]]) -> bool:
    """An alert that fired and cleared again before the incident started: an earlier blip, not a
    symptom of this incident."""
    when = ensure_utc(event.time)
    return any(t > when for name in _rule_names(event) for t in cleared.get(name, ()))


def _resolution(
    timeline: Timeline, events: list[Event], start: datetime, reopened: tuple[Mark, ...]
) -> Mark | None:
    final = timeline.incident.resolved_at
    if final is None:
        return None
    after = reopened[-1].time if reopened else start
    found = _first(
        Milestone.RESOLVED,
        (e for e in events if e.kind is Kind.RESOLVE and "reopen" not in e.tags),
        after,
    )
    return found or Mark(Milestone.RESOLVED, ensure_utc(final), None)


# -- figures -------------------------------------------------------------------------------------
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
    """Each milestone as ``{"time", "summary", "from_edit"}`` (``summary`` null for PagerDuty's
    own resolve time), or null; ``reopened`` a list of those."""

    def one(mark: Mark | None) -> dict[str, Any] | None:
        if mark is None:
            return None
        return {
            "time": iso_z(mark.time),
            "summary": mark.event.summary if mark.event is not None else None,
            "from_edit": mark.from_edit,
        }

    out: dict[str, Any] = {
        m.value: one(marks.get(m)) for m in Milestone if m is not Milestone.REOPENED
    }
    out["reopened"] = [one(m) for m in marks.reopened]
    return out
