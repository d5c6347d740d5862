"""The Markdown post-mortem draft, through Jinja2.

Built-in templates live in ``templates/`` (shipped in the wheel): ``postmortem.md.j2`` (the whole
draft) and ``timeline.md.j2`` (the Timeline table and the notes under it). ``--template FILE``
renders a team's own template with the same context; it may ``{% include "timeline.md.j2" %}``.

Template context (the same for the built-in and for ``--template FILE``):

``incident``
    ``title``, ``id``, ``number``, ``ref`` (``#1234``), ``url`` (http(s) or None),
    ``severity`` (``"P1"`` or None),
    ``severity_text`` (severity, or says it is unknown), ``services`` (tuple),
    ``services_text`` (comma separated), ``started_at`` / ``resolved_at`` (UTC datetimes,
    resolved_at None while ongoing), ``ongoing``, ``status``, ``date`` (``YYYY-MM-DD``),
    ``day`` (a date), ``duration_text`` (``09:42 – 10:29 UTC (47m)``).
``rows``
    The Timeline rows in time order. Each: ``time`` (UTC datetime), ``time_text`` (``HH:MM``, or
    ``YYYY-MM-DD HH:MM`` off the incident's start day), ``time_iso``, ``kind``, ``summary``
    (redacted, full), ``short_summary`` (one line, at most ``[render] max_summary``), ``actor``,
    ``sources``, ``reason``, ``links`` (``source``/``url``/``label``; http(s) only), ``text``
    (``actor: summary``), and Markdown-ready ``cell`` (escaped text + evidence links),
    ``links_md`` and ``why_cell``.
``table_lines(why)``
    The rows as the built-in table prints them (``| time_text | cell |`` plus ``| why_cell |``
    when ``why`` is true), one line each, joined; computed when first used.
``metrics``
    Time to acknowledge / mitigate / resolve. Each: ``key`` (``time_to_ack_s``...), ``label``,
    ``seconds`` (int or None), ``text`` (``2m 10s (09:42 → 09:44)`` or why there is none).
``coverage``
    ``collected`` ((source, count) pairs), ``collected_total``, ``omitted`` (sentences),
    ``warnings`` (lines), ``gaps`` (each ``start``, ``end``, ``duration``).
``gap_limit``
    ``[render] gap`` as text (``15m``).
``window``
    The collection window (``start``, ``end``, ``leadup_start``, ``ongoing``).
``why``
    True with ``--why`` (a ``Why`` column).
``diagram``
    With ``--diagram`` (or ``[render] diagram = true``), the fenced ```` ```mermaid ```` block of
    the incident's phases and milestones (``diagram.py``), already safe; else ``""``. The built-in
    Timeline section starts with it, inside the markers, so ``--into`` refreshes it too.
``timeline``
    The rendered Timeline table and its notes, between the markers ``--into`` looks for.
``marker_start`` / ``marker_end``
    Those markers.

Filters: ``md`` (plain text -> escaped one-line Markdown), ``md_links`` (links -> ``[slack](url) ·
...``), ``iso`` (datetime -> ``2026-03-14T09:42:07Z``), ``duration`` (timedelta -> ``4m 10s``),
``hhmm(incident.day)`` (datetime -> ``HH:MM``, with the date when not on that day).

Plain strings are not escaped automatically (``autoescape=False``): use ``| md`` on any text you
place in Markdown yourself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from reconstruct.config import Config
from reconstruct.errors import RenderError
from reconstruct.model import Timeline
from reconstruct.render import context
from reconstruct.render.diagram import block as diagram_block
from reconstruct.render.table import md_links, md_text, time_label
from reconstruct.timeutil import format_duration, iso_z

MARKER_START = "<!-- reconstruct:timeline:start -->"
MARKER_END = "<!-- reconstruct:timeline:end -->"
DRAFT_TEMPLATE = "postmortem.md.j2"
TIMELINE_TEMPLATE = "timeline.md.j2"


def environment(extra_dir: Path | None = None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if extra_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(extra_dir)))
    loaders.append(jinja2.PackageLoader("reconstruct.render", "templates"))
    # Markdown, not HTML: text is escaped in Python (table.md_text, the ``md`` filter).
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701
    )
    env.filters["md"] = md_text
    env.filters["md_links"] = md_links
    env.filters["iso"] = iso_z
    env.filters["duration"] = format_duration
    env.filters["hhmm"] = time_label
    return env


def _render(env: jinja2.Environment, name: str, values: dict[str, Any], where: str) -> str:
    try:
        return env.get_template(name).render(values)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(
            f"{where}: line {exc.lineno}: template syntax error: {exc.message}"
        ) from exc
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"{where}: template {exc.name!r} not found") from exc
    except jinja2.TemplateError as exc:
        raise RenderError(f"{where}: template error: {exc}") from exc


def values(
    timeline: Timeline, config: Config, *, why: bool, diagram: bool = False
) -> dict[str, Any]:
    """The full template context, ``timeline`` block included. Expects a scrubbed Timeline."""
    ctx = context.build(timeline, config, why=why)
    ctx["diagram"] = diagram_block(timeline) if diagram else ""
    ctx["marker_start"] = MARKER_START
    ctx["marker_end"] = MARKER_END
    table = timeline_section(ctx)
    ctx["timeline"] = f"{MARKER_START}\n{table}{MARKER_END}\n"
    return ctx


def timeline_section(ctx: dict[str, Any]) -> str:
    """The Timeline table and the notes under it (no markers)."""
    return _render(environment(), TIMELINE_TEMPLATE, ctx, TIMELINE_TEMPLATE)


def render_draft(
    timeline: Timeline,
    config: Config,
    *,
    why: bool,
    template: Path | None = None,
    diagram: bool = False,
) -> str:
    ctx = values(timeline, config, why=why, diagram=diagram)
    if template is None:
        return _render(environment(), DRAFT_TEMPLATE, ctx, DRAFT_TEMPLATE)
    if not template.is_file():
        raise RenderError(f"{template}: template file not found")
    env = environment(template.resolve().parent)
    return _render(env, template.name, ctx, str(template))
