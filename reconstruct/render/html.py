"""A small standalone HTML document with the Timeline as a ``<table>``, for pasting into Google Docs
or Confluence. Jinja2 autoescaping is on, in its sandboxed environment: every value is escaped;
link URLs are http(s) only."""

from __future__ import annotations

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from reconstruct.config import Config
from reconstruct.errors import RenderError
from reconstruct.model import Timeline
from reconstruct.render import context
from reconstruct.render.table import label_kind, time_label

TEMPLATE = "timeline.html.j2"


def render_html(timeline: Timeline, config: Config, *, why: bool, timeline_only: bool) -> str:
    """Expects a scrubbed Timeline."""
    env = SandboxedEnvironment(
        loader=jinja2.PackageLoader("reconstruct.render", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=True,
    )
    env.filters["hhmm"] = time_label
    env.filters["label_kind"] = label_kind
    ctx = context.build(timeline, config, why=why)
    ctx["timeline_only"] = timeline_only
    try:
        return env.get_template(TEMPLATE).render(ctx)
    except jinja2.TemplateError as exc:
        raise RenderError(f"{TEMPLATE}: template error: {exc}") from exc
