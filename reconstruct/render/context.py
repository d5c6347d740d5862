"""The values every Markdown template (built-in or ``--template FILE``) receives.

Built from a scrubbed Timeline (``prepare.scrub``: secrets redacted, links http(s) only). Fields
ending in ``_md`` / ``cell`` are already Markdown-escaped; all other strings are plain text (run
them through the ``md`` filter before putting them in Markdown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from reconstruct.config import Config
from reconstruct.model import Event, Incident, Link, Timeline
from reconstruct.render import coverage as coverage_mod
from reconstruct.render import metrics as metrics_mod
from reconstruct.render.table import (
    md_links,
    md_said,
    md_text,
    one_line,
    safe_url,
    shorten,
    time_label,
)
from reconstruct.timeutil import ensure_utc, format_duration, iso_z


def short_duration(delta: timedelta) -> str:
    """``47m``, ``1h 02m``, ``45s``: whole minutes once a minute has passed."""
    total = int(delta.total_seconds())
    if total >= 60:
        return format_duration(timedelta(seconds=total - total % 60)).removesuffix(" 00s")
    return format_duration(delta)


@dataclass(frozen=True, slots=True)
class IncidentView:
    incident: Incident

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
        return one_line(self.incident.title)

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
    def duration_text(self) -> str:
        """``09:42 – 10:29 UTC (47m)``; ``09:42 UTC – ongoing`` while unresolved."""
        start = self.started_at.strftime("%H:%M")
        end = self.resolved_at
        if end is None:
            return f"{start} UTC – ongoing"
        return (
            f"{start} – {time_label(end, self.day)} UTC ({short_duration(end - self.started_at)})"
        )


@dataclass(frozen=True, slots=True)
class Row:
    """One Timeline row."""

    event: Event
    day: date
    max_summary: int

    @property
    def time(self) -> datetime:
        return ensure_utc(self.event.time)

    @property
    def time_text(self) -> str:
        return time_label(self.event.time, self.day)

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
    def members(self) -> tuple[Event, ...]:
        """A collapsed series' records (time order); empty for any other row."""
        return self.event.members

    @property
    def text(self) -> str:
        """Plain ``actor: summary`` (shortened); the actor is left out when the summary names it."""
        summary = self.short_summary
        actor = one_line(self.event.actor or "")
        if actor and actor.casefold() not in summary.casefold():
            return f"{actor}: {summary}"
        return summary

    @property
    def links_md(self) -> str:
        if self.event.links:
            return md_links(self.event.links)
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
        text = (
            f"{actor}: {summary}"
            if actor and actor.casefold() not in summary.casefold()
            else summary
        )
        if event.links:
            links = md_links(event.links)
        else:
            links = md_text(", ".join(event.sources)) + " (no web link)"
        time_text = time_label(event.time, self.day)
        if why:
            return f"| {time_text} | {md_said(text)} — {links} | {md_said(event.reason)} |\n"
        return f"| {time_text} | {md_said(text)} — {links} |\n"


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
        """``2m 10s (09:42 → 09:44)``, or why there is no figure."""
        m = self.metric
        if m.end is None:
            if m.key == "time_to_resolve_s" and self.ongoing:
                return "not yet (the incident is ongoing)"
            return "not computable (no such row in the timeline)"
        span = format_duration(m.end - m.start)
        return f"{span} ({time_label(m.start, self.day)} → {time_label(m.end, self.day)})"


def build(timeline: Timeline, config: Config, *, why: bool) -> dict[str, object]:
    """Template context from a scrubbed Timeline (without the rendered ``timeline`` block)."""
    incident = IncidentView(timeline.incident)
    day = incident.day
    rows = tuple(Row(e, day, config.render.max_summary) for e in timeline.events)
    figures = tuple(MetricView(m, day, incident.ongoing) for m in metrics_mod.compute(timeline))
    return {
        "incident": incident,
        "rows": rows,
        "table_lines": TableLines(rows),
        "metrics": figures,
        "coverage": coverage_mod.compute(timeline, config.render.gap),
        "gap_limit": short_duration(config.render.gap),
        "window": timeline.window,
        "why": why,
    }
