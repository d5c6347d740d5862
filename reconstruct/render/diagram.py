"""A Mermaid ``gantt`` block for the Markdown draft (``--diagram``, ``[render] diagram = true``).

GitHub, GitLab and other Markdown renderers that support Mermaid draw a fenced ```` ```mermaid ````
block natively (https://mermaid.js.org/syntax/gantt.html). The block shows the incident's phases
(``story.PHASES``, plus the leadup) as bars and its milestone rows as milestones, one section per
phase, on a UTC time axis whose tick and label format follow the incident's length (``HH:MM`` for
a short incident, ``MM-DD HH:MM`` across days). Leadup rows before the axis start are one
milestone at the axis start (``3 earlier changes since 2026-03-03``) so that days of leadup do not
squash the incident itself; the changes and deploys among them are named there too, with their
date (``Mar 03 Merged PR 1187 ...``), as many as the section has room for (the latest).

Times are written as UTC wall-clock times (``dateFormat YYYY-MM-DD HH:mm:ss``): Mermaid reads and
prints them in the same zone, so the axis shows the UTC times the table shows.

Text is reduced to an alphabet Mermaid's gantt grammar gives no meaning to (``mermaid_text``):
letters, digits, spaces and ``. , ' ( ) / + - ! ? =``; ``:`` ``;`` ``#`` ``%`` backticks, quotes,
angle brackets and newlines become spaces, and a label that would start with a gantt keyword
(``section``, ``click``, ``title``...) is prefixed, so message text can neither end a task, start
a statement (a ``click ... href``), add a comment, nor leave the code fence.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from reconstruct.model import Event, Kind, Timeline
from reconstruct.render.story import Milestone, Story, story
from reconstruct.render.table import names, one_line, shorten
from reconstruct.render.title import written_title
from reconstruct.timeutil import ensure_utc

MAX_LABEL = 48
MAX_PER_SECTION = 6
"""Milestone rows drawn per section at most (the table lists every row)."""

_UNSAFE = re.compile(r"[^\w .,'()/+\-!?=]")
_KEYWORDS = frozenset(
    (
        "accdescr",
        "accdescription",
        "acctitle",
        "after",
        "active",
        "axisformat",
        "call",
        "click",
        "crit",
        "dateformat",
        "displaymode",
        "done",
        "excludes",
        "gantt",
        "href",
        "inclusiveenddates",
        "includes",
        "milestone",
        "section",
        "tickinterval",
        "title",
        "todaymarker",
        "topaxis",
        "vert",
        "weekday",
        "weekend",
    )
)
"""Words Mermaid's gantt lexer reads as a statement when a line starts with them (its ``rules``:
``gantt``, ``call``, ``click``, ``section``, ``title``, ``weekday``..., checked against Mermaid
11's lexer) or that carry meaning in a task's data; a label starting with one is prefixed."""
_DATE_START = re.compile(r"\d{4}-\d\d-\d\d")
"""A label starting like a date is lexed as a date, not text."""
_TICKS = (
    (timedelta(minutes=1), "1minute"),
    (timedelta(minutes=5), "5minute"),
    (timedelta(minutes=10), "10minute"),
    (timedelta(minutes=15), "15minute"),
    (timedelta(minutes=30), "30minute"),
    (timedelta(hours=1), "1hour"),
    (timedelta(hours=2), "2hour"),
    (timedelta(hours=3), "3hour"),
    (timedelta(hours=6), "6hour"),
    (timedelta(hours=12), "12hour"),
    (timedelta(days=1), "1day"),
    (timedelta(days=7), "1week"),
)
MAX_TICKS = 12

SECTION_OF = {
    "impact": "Detection",
    "detected": "Detection",
    "ack": "Response",
    "mitigated": "Mitigation",
    "recovered": "Recovery",
    "resolved": "Recovery",
}
SECTION_ORDER = ("Leadup", "Detection", "Response", "Mitigation", "Recovery")
_PHASE_SECTION = {
    "leadup": "Leadup",
    "detection": "Detection",
    "response": "Response",
    "mitigation": "Mitigation",
    "recovery": "Recovery",
}
_ROW_KINDS = {
    Kind.DECLARE: "Response",
    Kind.ESCALATE: "Response",
    Kind.IDENTIFY: "Response",
    Kind.MITIGATE: "Mitigation",
    Kind.DEPLOY: "Mitigation",
}


def mermaid_text(text: str, limit: int = MAX_LABEL) -> str:
    """``text`` as a label no Mermaid gantt statement can be made of (see the module doc)."""
    safe = " ".join(_UNSAFE.sub(" ", one_line(text)).split())
    if len(safe) > limit:
        safe = shorten(safe, limit - 2).replace("…", "...")
    if not safe:
        return "(no text)"
    head = re.split(r"[^\w]", safe, maxsplit=1)[0].casefold()
    if head in _KEYWORDS or head.startswith("acc") or _DATE_START.match(safe):
        safe = "- " + safe
    return safe


def _stamp(when: datetime) -> str:
    return ensure_utc(when).strftime("%Y-%m-%d %H:%M:%S")


def _tick(span: timedelta) -> tuple[timedelta, str]:
    for step, name in _TICKS:
        if span / step <= MAX_TICKS:
            return step, name
    weeks = -(-span // (timedelta(days=7) * MAX_TICKS))  # whole weeks, rounded up
    return timedelta(days=7 * weeks), f"{weeks}week"


def tick_step(span: timedelta) -> timedelta:
    """The axis tick interval for an axis of ``span``: at most ``MAX_TICKS`` ticks."""
    return _tick(span)[0]


def axis_format(shape: Story) -> str:
    """``%H:%M`` within a day, ``%m-%d %H:%M`` across days, ``%Y-%m-%d`` across months."""
    if shape.axis_start.date() == shape.axis_end.date():
        return "%H:%M"
    if shape.span > timedelta(days=45):
        return "%Y-%m-%d"
    return "%m-%d %H:%M"


def _row_label(event: Event) -> str:
    actor = one_line(event.actor or "")
    summary = one_line(event.summary)
    if actor and not names(actor, summary):
        summary = f"{actor}: {summary}"
    return mermaid_text(summary)


def _section_rows(timeline: Timeline, shape: Story) -> dict[str, list[tuple[datetime, str]]]:
    """Per section, the rows drawn as milestones: every milestone, then other rows of the kinds
    in ``_ROW_KINDS`` inside the axis, while the section has room."""
    out: dict[str, list[tuple[datetime, str]]] = {name: [] for name in SECTION_ORDER}
    used: set[int] = set()
    for mark in shape.milestones:
        section = SECTION_OF[mark.name]
        label = mark.label
        if mark.row is not None:
            used.add(mark.row)
            said = _row_label(timeline.events[mark.row])
            head = mark.label.split(" ", 1)[0].casefold()
            label = said if head in said.casefold() else f"{mark.label} - {said}"
        out[section].append((mark.time, mermaid_text(label)))
    earlier = set(shape.earlier)
    lead = set(shape.leadup)
    leadup = [i for i in shape.leadup if i not in earlier and i not in used]
    if shape.earlier:
        first = ensure_utc(timeline.events[shape.earlier[0]].time)
        n = len(shape.earlier)
        noun = "row" if n == 1 else "rows"
        out["Leadup"].append(
            (shape.axis_start, f"{n} earlier {noun} since {first:%Y-%m-%d} (see the table)")
        )
        # the earlier changes and deploys by name (with their date), the latest ones when many
        named = [i for i in shape.earlier if i in lead]
        room = max(MAX_PER_SECTION - 1 - len(leadup), 0)
        for i in named[-room:] if room else []:
            event = timeline.events[i]
            label = f"{ensure_utc(event.time):%b %d} {_row_label(event)}"
            out["Leadup"].append((shape.axis_start, mermaid_text(label)))
    for i in leadup[-MAX_PER_SECTION:]:
        out["Leadup"].append((ensure_utc(timeline.events[i].time), _row_label(timeline.events[i])))
    more: dict[str, list[datetime]] = {name: [] for name in SECTION_ORDER}
    for i, event in enumerate(timeline.events):
        kind_section = _ROW_KINDS.get(event.kind)
        if kind_section is None or i in used or i in earlier or i in lead:
            continue
        if kind_section == "Mitigation":  # a step or deploy is in the phase it happened in
            kind_section = _phase_at(shape, ensure_utc(event.time)) or kind_section
        if len(out[kind_section]) < MAX_PER_SECTION:
            out[kind_section].append((ensure_utc(event.time), _row_label(event)))
        else:
            more[kind_section].append(ensure_utc(event.time))
    for section, times in more.items():
        if times:  # said, never dropped silently
            noun = "row" if len(times) == 1 else "rows"
            out[section].append((max(times), f"{len(times)} more {noun} (see the table)"))
    return out


def _phase_at(shape: Story, when: datetime) -> str | None:
    """The section of the drawn phase (response, mitigation, recovery) ``when`` falls in: a
    deploy of another service while responders investigate is in Response, a switch back after
    the recovery in Recovery; None when no such phase holds it."""
    for phase in shape.phases:
        if phase.name in ("response", "mitigation", "recovery") and (
            phase.start <= when < phase.end
        ):
            return _PHASE_SECTION[phase.name]
    return None


def mermaid(timeline: Timeline) -> str:
    """The diagram's Mermaid source (no code fence). Expects a scrubbed Timeline."""
    shape = story(timeline)
    incident = timeline.incident
    ref = f"#{incident.number}" if incident.number is not None else incident.id
    lines = [
        "gantt",
        f"    title {mermaid_text(f'Incident {ref} {written_title(incident.title)}', 80)} (UTC)",
        "    dateFormat YYYY-MM-DD HH:mm:ss",
        f"    axisFormat {axis_format(shape)}",
        f"    tickInterval {_tick(shape.span)[1]}",
        "    todayMarker off",
    ]
    rows = _section_rows(timeline, shape)
    bars = {_PHASE_SECTION[p.name]: p for p in shape.phases}
    n = 0
    for section in SECTION_ORDER:
        bar = bars.get(section)
        if bar is not None and bar.end <= shape.axis_start:
            bar = None  # all of it lies before the axis: the "earlier" milestone stands for it
        marks = rows[section]
        if bar is None and not marks:
            continue
        lines.append(f"    section {section}")
        if bar is not None:
            start = max(bar.start, shape.axis_start)
            seconds = max(int((bar.end - start).total_seconds()), 1)
            n += 1
            lines.append(f"    {section} :p{n}, {_stamp(start)}, {seconds}s")
        for when, label in sorted(marks):
            n += 1
            lines.append(f"    {label} :milestone, m{n}, {_stamp(max(when, shape.axis_start))}, 0s")
    if shape.open_since is not None:
        n += 1
        seconds = max(int((shape.axis_end - shape.open_since).total_seconds()), 1)
        lines.append("    section Ongoing")
        lines.append(
            f"    Still open when collected {ensure_utc(timeline.window.end):%Y-%m-%d} "
            f":active, p{n}, {_stamp(shape.open_since)}, {seconds}s"
        )
    return "\n".join(lines) + "\n"


def block(timeline: Timeline) -> str:
    """The fenced block for the draft: ```` ```mermaid ```` ... ```` ``` ````."""
    return f"```mermaid\n{mermaid(timeline)}```\n"


__all__ = ["Milestone", "axis_format", "block", "mermaid", "mermaid_text", "tick_step"]
