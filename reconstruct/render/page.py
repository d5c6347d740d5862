"""``--format page``: one self-contained HTML file that draws the incident, with the table below.

What it draws (an inline SVG; geometry computed here, text placed by the template with Jinja2
autoescaping on):

- one swimlane per tool that reported rows (in ``LANE_ORDER``, then any other alphabetically);
- every row as a mark at its UTC time; a row several tools saw is ONE mark with a dot in each of
  their lanes, joined by a line; a collapsed series (a row with ``members``) is a span from its
  first to its last member with its count;
- the phases (``story.py``) as tinted bands behind the lanes, the milestones as labelled lines,
  and the figures (time to acknowledge, mitigate, resolve...) as spans between their rows' times;
- leadup rows before the axis as marks in a narrow "earlier" gutter, in order.

Hovering a mark shows its time, text and evidence links (an SVG ``<title>``); clicking it jumps to
its table row (``#row-N``), which is highlighted and holds the links (http and https only).

The file makes no request: no script, no external style, font or image; a Content-Security-Policy
meta tag (``default-src 'none'``, the one inline style allowed by its hash) forbids anything else.
It prints on A4 landscape and reads on a laptop screen.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from reconstruct.config import Config
from reconstruct.errors import RenderError
from reconstruct.model import Event, Timeline
from reconstruct.normalize.steps import series_members
from reconstruct.render import context
from reconstruct.render import metrics as metrics_mod
from reconstruct.render.diagram import axis_format, tick_step
from reconstruct.render.story import Story, story
from reconstruct.render.table import label_kind, names, one_line, shorten, time_label
from reconstruct.timeutil import between, ensure_utc, exact_duration

TEMPLATE = "page.html.j2"
LANE_ORDER = ("pagerduty", "slack", "github", "grafana")
LANE_NAMES = {"pagerduty": "PagerDuty", "slack": "Slack", "github": "GitHub", "grafana": "Grafana"}

WIDTH = 1100
LEFT = 96
"""Lane labels."""
EARLIER = 64
"""The gutter for rows before the axis (when there are any)."""
RIGHT = 16
TOP = 54
"""Milestone labels above the lanes."""
LANE = 30
FIGURE = 18
AXIS = 26
MAX_TITLE = 400

CSS = """\
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24;
  margin: 1.5rem auto; max-width: 1160px; padding: 0 1rem; }
h1 { font-size: 1.4rem; margin: 0 0 .4rem; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
.facts { display: flex; flex-wrap: wrap; gap: .3rem 1.4rem; padding: 0; list-style: none; }
.facts li { white-space: nowrap; }
.picture { overflow-x: auto; }
svg { width: 100%; min-width: 880px; height: auto; display: block; }
svg text { font: 11px system-ui, sans-serif; fill: #1b1f24; }
svg .lane-name { font-weight: 600; }
svg .tick { fill: #57606a; }
svg .phase-name { fill: #57606a; font-size: 10px; }
svg .milestone-name { font-size: 10px; font-weight: 600; }
svg .figure-name { font-size: 10px; }
svg a:hover circle, svg a:focus circle { stroke: #000; stroke-width: 2; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #d0d7de; padding: 4px 8px; text-align: left;
  vertical-align: top; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
tr:target { background: #fff8c5; }
.kind { color: #57606a; font-size: 12px; }
.warning { color: #a40e26; font-weight: 600; }
@media print {
  @page { size: A4 landscape; margin: 10mm; }
  body { margin: 0; max-width: none; font-size: 10pt; }
  svg { min-width: 0; }
  tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""

KIND_COLOURS = {
    "alert": "#cf222e",
    "page": "#bc4c00",
    "ack": "#8250df",
    "escalate": "#8250df",
    "declare": "#0550ae",
    "update": "#57606a",
    "identify": "#0550ae",
    "mitigate": "#1a7f37",
    "resolve": "#1a7f37",
    "deploy": "#0969da",
    "change": "#0969da",
    "annotation": "#6e7781",
    "message": "#6e7781",
}
PHASE_COLOURS = {
    "leadup": "#ddf4ff",
    "detection": "#ffebe9",
    "response": "#fff8c5",
    "mitigation": "#dafbe1",
    "recovery": "#eaeef2",
}


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Mark:
    """One row drawn once: a dot in each of its tools' lanes (joined), or a span for a series."""

    row: int
    kind: str
    colour: str
    dots: tuple[Dot, ...]
    span_end: float | None
    """x of the last member of a collapsed series, else None."""
    count: int
    title: str
    milestone: str | None

    @property
    def y_top(self) -> float:
        return min(d.y for d in self.dots)

    @property
    def y_bottom(self) -> float:
        return max(d.y for d in self.dots)


@dataclass(frozen=True, slots=True)
class Band:
    name: str
    x: float
    width: float
    colour: str


@dataclass(frozen=True, slots=True)
class Line:
    name: str
    label: str
    x: float
    label_y: float
    row: int | None


@dataclass(frozen=True, slots=True)
class Figure:
    key: str
    label: str
    x: float
    width: float
    y: float

    @property
    def label_left(self) -> bool:
        """The label goes left of the bar when the bar ends in the right third."""
        return self.x + self.width > WIDTH * 2 / 3


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    label: str


class Scale:
    """UTC time -> x on the drawing, with a gutter for rows before the axis."""

    def __init__(self, shape: Story, earlier: int) -> None:
        self.start = shape.axis_start
        self.span = max(shape.span.total_seconds(), 1.0)
        self.gutter = EARLIER if earlier else 0
        self.x0 = LEFT + self.gutter
        self.width = WIDTH - RIGHT - self.x0
        self.earlier = earlier

    def x(self, when: datetime) -> float:
        seconds = (ensure_utc(when) - self.start).total_seconds()
        return round(self.x0 + self.width * min(max(seconds / self.span, 0.0), 1.0), 1)

    def gutter_x(self, index: int) -> float:
        step = (self.gutter - 12) / max(self.earlier, 1)
        return round(LEFT + 6 + step * (index + 0.5), 1)


def lanes(timeline: Timeline) -> tuple[str, ...]:
    present = {s for e in timeline.events for s in e.sources}
    first = [s for s in LANE_ORDER if s in present]
    return (*first, *sorted(present - set(first)))


def _title(event: Event, day: datetime) -> str:
    when = time_label(event.time, day.date())
    actor = one_line(event.actor or "")
    text = one_line(event.summary)
    if actor and not names(actor, text):
        text = f"{actor}: {text}"
    links = "\n".join(f"{ln.label or ln.source}: {ln.url}" for ln in event.links)
    return shorten(f"{when} UTC  {text}", MAX_TITLE) + ("\n" + links if links else "")


def _ticks(scale: Scale, shape: Story) -> tuple[Tick, ...]:
    step = tick_step(shape.span)
    start = shape.axis_start
    anchor = datetime(start.year, start.month, start.day, tzinfo=start.tzinfo)
    n = -(-(start - anchor) // step)
    when = anchor + step * n
    fmt = axis_format(shape)
    out = []
    while when <= shape.axis_end:
        label = when.strftime(fmt)
        out.append(Tick(scale.x(when), label))
        when += step
    return tuple(out)


def layout(timeline: Timeline) -> dict[str, object]:
    """Everything the template draws, in drawing units. Expects a scrubbed Timeline."""
    shape = story(timeline)
    names = lanes(timeline)
    lane_y = {name: TOP + LANE * i + LANE / 2 for i, name in enumerate(names)}
    lanes_bottom = TOP + LANE * len(names)
    earlier = {row: i for i, row in enumerate(shape.earlier)}
    scale = Scale(shape, len(earlier))
    start = ensure_utc(timeline.incident.started_at)
    milestone_of = {m.row: m.name for m in shape.milestones if m.row is not None}
    marks = []
    for i, event in enumerate(timeline.events):
        x = scale.gutter_x(earlier[i]) if i in earlier else scale.x(event.time)
        members = series_members(event)  # a row of one step is a point, not a span
        span_end = scale.x(max(m.time for m in members)) if members and i not in earlier else None
        marks.append(
            Mark(
                row=i,
                kind=str(event.kind),
                colour=KIND_COLOURS.get(str(event.kind), "#6e7781"),
                dots=tuple(Dot(x, lane_y[s]) for s in event.sources if s in lane_y),
                span_end=span_end,
                count=len(members),
                title=_title(event, start),
                milestone=milestone_of.get(i),
            )
        )
    bands = tuple(
        Band(
            p.name,
            scale.x(p.start),
            max(scale.x(p.end) - scale.x(p.start), 1.0),
            PHASE_COLOURS.get(p.name, "#eaeef2"),
        )
        for p in shape.phases
        if p.end > shape.axis_start
    )
    if shape.open_since is not None:  # still open when the evidence was collected
        x = scale.x(shape.open_since)
        bands = (*bands, Band("ongoing", x, max(WIDTH - RIGHT - x, 1.0), "#fff1e5"))
    lines = tuple(
        Line(m.name, m.label, scale.x(m.time), 14.0 + 13.0 * (n % 3), m.row)
        for n, m in enumerate(shape.milestones)
    )
    figures = []
    y = lanes_bottom + 10
    for metric in metrics_mod.compute(timeline):
        if metric.end is None or metric.end < metric.start:
            continue
        x0, x1 = scale.x(metric.start), scale.x(metric.end)
        text = f"{metric.label} {exact_duration(between(metric.start, metric.end))}"
        figures.append(Figure(metric.key, text, x0, max(x1 - x0, 1.0), y))
        y += FIGURE
    height = y + AXIS
    return {
        "width": WIDTH,
        "height": round(height),
        "left": LEFT,
        "top": TOP,
        "lane_height": LANE,
        "lanes": tuple((LANE_NAMES.get(n, n), lane_y[n]) for n in names),
        "lanes_bottom": lanes_bottom,
        "axis_y": y + 14,
        "gutter": (LEFT, scale.gutter) if scale.gutter else None,
        "marks": tuple(sorted(marks, key=lambda m: m.milestone is not None)),  # milestones on top
        "bands": bands,
        "lines": lines,
        "figures": tuple(figures),
        "ticks": _ticks(scale, shape),
        "story": shape,
    }


def style_hash(css: str = CSS) -> str:
    """The CSP source for the page's one inline style: ``'sha256-<base64>'``."""
    digest = hashlib.sha256(css.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def render_page(timeline: Timeline, config: Config, *, why: bool) -> str:
    """The page for a scrubbed Timeline; same Timeline -> byte-identical text."""
    env = SandboxedEnvironment(
        loader=jinja2.PackageLoader("reconstruct.render", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=True,
    )
    env.filters["hhmm"] = time_label
    env.filters["label_kind"] = label_kind
    ctx = context.build(timeline, config, why=why)
    ctx["draw"] = layout(timeline)
    ctx["css"] = CSS
    ctx["csp"] = (
        f"default-src 'none'; style-src {style_hash()}; img-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )
    try:
        return env.get_template(TEMPLATE).render(ctx)
    except jinja2.TemplateError as exc:
        raise RenderError(f"{TEMPLATE}: template error: {exc}") from exc
