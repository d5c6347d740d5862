"""The values every Markdown template (built-in or ``--template FILE``) receives.

Built from a scrubbed Timeline (``prepare.scrub``: secrets redacted, links http(s) only). Fields
ending in ``_md`` / ``cell`` are already Markdown-escaped; all other strings are plain text (run
them through the ``md`` filter before putting them in Markdown).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from reconstruct.config import Config
from reconstruct.model import Event, Incident, Link, Timeline
from reconstruct.normalize.during import UNTIED
from reconstruct.normalize.leaddeploys import UNKNOWN_NOTE, shipped_note
from reconstruct.normalize.untied import WHY as ALERTS_WHY
from reconstruct.normalize.untied import is_untied
from reconstruct.render import coverage as coverage_mod
from reconstruct.render import lede as lede_mod
from reconstruct.render import metrics as metrics_mod
from reconstruct.render.metrics import record_noun
from reconstruct.render.table import (
    link_groups,
    md_links,
    md_said,
    md_text,
    names,
    one_line,
    safe_url,
    shorten,
    time_label,
)
from reconstruct.render.title import written_title
from reconstruct.timeutil import between, ensure_utc, exact_duration, format_duration, iso_z


def second_label(when: datetime, day: date) -> str:
    """``HH:MM:SS`` (with the date off ``day``): the times a figure cites, so a reader can check
    its seconds."""
    u = ensure_utc(when)
    return u.strftime("%H:%M:%S" if u.date() == day else "%Y-%m-%d %H:%M:%S")


def short_duration(delta: timedelta) -> str:
    """``47m``, ``1h 02m``, ``45s``: whole minutes once a minute has passed."""
    total = int(delta.total_seconds())
    if total >= 60:
        return format_duration(timedelta(seconds=total - total % 60)).removesuffix(" 00s")
    return format_duration(delta)


@dataclass(frozen=True, slots=True)
class IncidentView:
    incident: Incident
    marks: metrics_mod.Milestones | None = None
    """The milestones (impact start, resolution) the Duration runs between."""

    @property
    def id(self) -> str:
        return self.incident.id

    @property
    def number(self) -> int | None:
        return self.incident.number

    @property
    def ref(self) -> str:
        """``#1234``, or the incident id when it has no number."""
        return f"#{self.incident.number}" if self.incident.number is not None else self.incident.id

    @property
    def title(self) -> str:
        """The heading: the incident's title as a person writes it (``title.written_title``:
        no notifier's ``[FIRING:1]`` prefix or label dump)."""
        return one_line(written_title(self.incident.title))

    @property
    def severity(self) -> str | None:
        return self.incident.severity

    @property
    def severity_text(self) -> str:
        return self.incident.severity or "unknown (no PagerDuty priority set)"

    @property
    def services(self) -> tuple[str, ...]:
        return self.incident.services

    @property
    def services_text(self) -> str:
        return ", ".join(self.incident.services)

    @property
    def started_at(self) -> datetime:
        return ensure_utc(self.incident.started_at)

    @property
    def resolved_at(self) -> datetime | None:
        resolved = self.incident.resolved_at
        return ensure_utc(resolved) if resolved is not None else None

    @property
    def ongoing(self) -> bool:
        return self.incident.resolved_at is None

    @property
    def status(self) -> str:
        return self.incident.status

    @property
    def url(self) -> str | None:
        return safe_url(self.incident.url) if self.incident.url else None

    @property
    def day(self) -> date:
        return self.started_at.date()

    @property
    def date(self) -> str:
        return self.day.isoformat()

    @property
    def pagerduty_text(self) -> str:
        """PagerDuty's own times: ``09:42 – 10:29 UTC (47m 20s)``, the span to the second as the
        figures give it; ``09:42 UTC – ongoing``."""
        start = self.started_at.strftime("%H:%M")
        end = self.resolved_at
        if end is None:
            return f"{start} UTC – ongoing"
        return (
            f"{start} – {time_label(end, self.day)} UTC "
            f"({exact_duration(between(self.started_at, end))})"
        )

    @property
    def impact_start(self) -> datetime:
        """The impact start (``metrics``), else PagerDuty's trigger time."""
        mark = self.marks.impact_start if self.marks is not None else None
        return mark.time if mark is not None else self.started_at

    @property
    def resolution(self) -> datetime | None:
        """The final resolution (``metrics``), else PagerDuty's resolve time; None while ongoing."""
        mark = self.marks.resolved if self.marks is not None else None
        return mark.time if mark is not None else self.resolved_at

    @property
    def duration_text(self) -> str:
        """Impact start to resolution, with PagerDuty's own times when they differ:
        ``09:40 – 10:29 UTC (49m 30s; PagerDuty incident 09:42 – 10:29 UTC)``; ``09:42 UTC –
        ongoing`` while unresolved. The times are ``HH:MM``; the span is exact to the second
        (``exact_duration``, as the figures give theirs: 09:40:00 -> 10:29:30 is ``49m 30s``)."""
        start, end = self.impact_start, self.resolution
        label = time_label(start, self.day)
        if end is None:
            text = f"{label} UTC – ongoing"
        else:
            span = exact_duration(between(start, end))
            text = f"{label} – {time_label(end, self.day)} UTC ({span})"
        if start == self.started_at and end == self.resolved_at:
            return text
        pagerduty = self.pagerduty_text
        if text.endswith(")"):
            return f"{text[:-1]}; PagerDuty incident {pagerduty.split(' (')[0]})"
        return f"{text} (PagerDuty incident {pagerduty})"


@dataclass(frozen=True, slots=True)
class Row:
    """One Timeline row."""

    event: Event
    day: date
    max_summary: int
    max_links: int | None = None
    """Links of one label shown before the first and last stand for them (``md_links``);
    None: every link."""

    @property
    def time(self) -> datetime:
        return ensure_utc(self.event.time)

    @property
    def time_text(self) -> str:
        return time_label(self.event.time, self.day)

    @property
    def aside_note(self) -> str:
        """Of a row set aside as a lead-up deploy tied only by its repository: ``shipped PR
        #2288, not found relevant to this incident`` (``leaddeploys.not_relevant``); else ``""``."""
        return shipped_note(self.event.reason) or ""

    @property
    def time_iso(self) -> str:
        return iso_z(self.event.time)

    @property
    def kind(self) -> str:
        return str(self.event.kind)

    @property
    def summary(self) -> str:
        return self.event.summary

    @property
    def short_summary(self) -> str:
        return shorten(one_line(self.event.summary), self.max_summary)

    @property
    def actor(self) -> str | None:
        return self.event.actor

    @property
    def sources(self) -> tuple[str, ...]:
        return self.event.sources

    @property
    def reason(self) -> str:
        return self.event.reason

    @property
    def links(self) -> tuple[Link, ...]:
        return self.event.links

    @property
    def link_groups(self) -> list[tuple[Link, ...]]:
        """The links, each alone, those of a label with more than ``max_links`` as one group
        (``table.link_groups``): a group shows its first and last, and opens to all."""
        return link_groups(self.event.links, self.max_links)

    @property
    def edited_text(self) -> str:
        """`` (edited 14:50)`` for a row edited after it was posted, else empty."""
        return _edited(self.event, self.day)

    @property
    def members(self) -> tuple[Event, ...]:
        """A collapsed series' records (time order); empty for any other row."""
        return self.event.members

    @property
    def text(self) -> str:
        """Plain ``actor: summary`` (shortened); the actor is left out when the summary names it;
        `` (edited HH:MM)`` after it when the record was edited."""
        summary = self.short_summary
        actor = one_line(self.event.actor or "")
        if actor and not names(actor, summary):
            return f"{actor}: {summary}{self.edited_text}"
        return summary + self.edited_text

    @property
    def links_md(self) -> str:
        if self.event.links:
            return md_links(self.event.links, self.max_links)
        return md_text(", ".join(self.event.sources)) + " (no web link)"

    @property
    def cell(self) -> str:
        """The Event cell: escaped text, then the evidence links."""
        return f"{md_said(self.text)} — {self.links_md}"

    @property
    def why_cell(self) -> str:
        return md_said(self.event.reason)

    def line(self, why: bool) -> str:
        """The row of the built-in Timeline table: ``| time_text | cell |`` (``| why_cell |``
        added with ``why``), newline included: what those properties give, computed in one go
        (kept equal to them)."""
        event = self.event
        summary = shorten(one_line(event.summary), self.max_summary)
        actor = one_line(event.actor or "")
        text = f"{actor}: {summary}" if actor and not names(actor, summary) else summary
        if event.edited_at is not None:
            text += _edited(event, self.day)
        if event.links:
            links = md_links(event.links, self.max_links)
        else:
            links = md_text(", ".join(event.sources)) + " (no web link)"
        time_text = time_label(event.time, self.day)
        if why:
            return f"| {time_text} | {md_said(text)} — {links} | {md_said(event.reason)} |\n"
        return f"| {time_text} | {md_said(text)} — {links} |\n"


def _edited(event: Event, day: date) -> str:
    edited = event.edited_at
    if edited is None or ensure_utc(edited) <= ensure_utc(event.time):
        return ""
    return f" (edited {time_label(edited, day)})"


@dataclass(frozen=True, slots=True)
class TableLines:
    """``table_lines(why)`` in a template: the built-in Timeline table's rows (``Row.line``),
    joined, computed on first use (once per ``why``)."""

    rows: tuple[Row, ...]
    cache: dict[bool, str] = field(default_factory=dict)

    def __call__(self, why: bool) -> str:
        why = bool(why)
        text = self.cache.get(why)
        if text is None:
            text = self.cache[why] = "".join([row.line(why) for row in self.rows])
        return text


_STEP_NOUNS = {"time_to_mitigate_s": "mitigation", "time_to_resolve_s": "resolution"}
"""A figure whose end may be a time its row's words state (``metrics.step_time``)."""


@dataclass(frozen=True, slots=True)
class MetricView:
    metric: metrics_mod.Metric
    day: date
    ongoing: bool

    @property
    def key(self) -> str:
        return self.metric.key

    @property
    def label(self) -> str:
        return self.metric.label

    @property
    def seconds(self) -> int | None:
        return self.metric.seconds

    @property
    def text(self) -> str:
        """``2m 10s (09:42:07 → 09:44:17)``, or why there is no figure; says when the end is an
        edit or a time its row states, when the incident was reopened, and when no symptom came
        before detection."""
        m = self.metric
        if m.end is None:
            if m.key == "time_to_resolve_s" and self.ongoing:
                return "not yet (the incident is ongoing)"
            return "not computable (no such row in the timeline)"
        span = exact_duration(between(m.start, m.end))
        notes: list[str] = []
        start = m.start_mark
        if m.key == "time_to_detect_s" and start is not None and m.end_mark is not None:
            source = start.source
            if source is m.end_mark.source:
                notes.append("no symptom recorded before the first alert")
            elif start.stated and source is not None:
                posted = time_label(source.time, self.day)
                notes.append(f"impact start as stated in the {posted} {record_noun(source)}")
        end = m.end_mark
        step = _STEP_NOUNS.get(m.key)
        if step is not None and end is not None and end.stated and end.source is not None:
            posted = time_label(end.source.time, self.day)
            notes.append(f"{step} as stated in the {posted} {record_noun(end.source)}")
        if end is not None and end.from_edit and end.source is not None:
            posted = time_label(end.source.time, self.day)
            notes.append(f"from the edit of the {posted} message")
        if m.reopened:
            times = ", ".join(time_label(r.time, self.day) for r in m.reopened)
            notes.append(f"reopened {times}; to the final resolution")
        cited = f"{second_label(m.start, self.day)} → {second_label(m.end, self.day)}"
        return f"{span} ({'; '.join([cited, *notes])})"


def build(timeline: Timeline, config: Config, *, why: bool) -> dict[str, object]:
    """Template context from a scrubbed Timeline (without the rendered ``timeline`` block)."""
    marks = metrics_mod.milestones(timeline)
    incident = IncidentView(timeline.incident, marks)
    day = incident.day
    most = None if config.collapse.expand else config.collapse.max_links
    rows = tuple(Row(e, day, config.render.max_summary, most) for e in timeline.events)
    figures = tuple(
        MetricView(m, day, incident.ongoing) for m in metrics_mod.compute(timeline, marks)
    )
    lede = lede_mod.build(timeline, marks, day)
    return {
        "incident": incident,
        "milestones": marks,
        "lede_md": lede.markdown(),
        "lede_note": lede_mod.DRAFT_NOTE,
        "rows": rows,
        "table_lines": TableLines(rows),
        "metrics": figures,
        "coverage": coverage_mod.compute(timeline, config.render.gap),
        "gap_limit": short_duration(config.render.gap),
        "window": timeline.window,
        "why": why,
        "set_aside": tuple(
            Row(e, day, config.render.max_summary, most) for e in timeline.set_aside
        ),
        "set_aside_why": _set_aside_why(timeline.set_aside),
        "set_aside_changes": any(not is_untied(e.reason) for e in timeline.set_aside),
        "hints": timeline.hints,
    }


def _set_aside_why(set_aside: Iterable[Event]) -> str:
    """Why the rows under "Not shown" are not rows: ``UNTIED``, and the lead-up deploys' own
    reasons when some are there (``leaddeploys``: tied only by their repository, they shipped
    a change not found relevant, or what they shipped is unknown)."""
    set_aside = list(set_aside)
    alerts = [e for e in set_aside if is_untied(e.reason)]  # another service's alert rule
    if alerts:
        rest = [e for e in set_aside if not is_untied(e.reason)]
        return (
            f"{_set_aside_why(rest)}; or, for alerts, {ALERTS_WHY}"
            if rest
            else f"alerts of {ALERTS_WHY}"
        )
    notes = {shipped_note(e.reason) for e in set_aside} - {None}
    unknown = UNKNOWN_NOTE in notes
    if not notes:
        return UNTIED
    what = []
    if notes - {UNKNOWN_NOTE}:
        what.append("that shipped a change not found relevant")
    if unknown:
        what.append(
            "whose content is unknown, not to production within a day before the first symptom"
        )
    return f"{UNTIED}; or, as each says, a deploy tied only by its repository {', or '.join(what)}"
