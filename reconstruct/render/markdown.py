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
    ``day`` (a date), ``impact_start`` / ``resolution`` (the milestones' times, else
    PagerDuty's), ``duration_text`` (impact start to resolution, with PagerDuty's own times when
    they differ; the span exact to the second: ``09:40 – 10:29 UTC (49m 30s; PagerDuty incident
    09:42 – 10:29 UTC)``),
    ``pagerduty_text`` (``09:42 – 10:29 UTC (47m 20s)``).
``rows``
    The Timeline rows in time order. Each: ``time`` (UTC datetime), ``time_text`` (``HH:MM``, or
    ``YYYY-MM-DD HH:MM`` off the incident's start day), ``time_iso``, ``kind``, ``summary``
    (redacted, full), ``short_summary`` (one line, at most ``[render] max_summary``), ``actor``,
    ``sources``, ``reason``, ``links`` (``source``/``url``/``label``; http(s) only), ``members``
    (a collapsed series' records, each an event with ``time``, ``summary``, ``links``...), ``text``
    (``actor: summary``, then ``edited_text``: `` (edited 14:50)`` for an edited record), and
    Markdown-ready ``cell`` (escaped text + evidence links), ``links_md`` and ``why_cell``.
``table_lines(why)``
    The rows as the built-in table prints them (``| time_text | cell |`` plus ``| why_cell |``
    when ``why`` is true), one line each, joined; computed when first used.
``metrics``
    Time to detect / acknowledge / mitigate / resolve. Each: ``key`` (``time_to_detect_s``...),
    ``label``, ``seconds`` (int or None), ``text`` (``2m 10s (09:42:07 → 09:44:17)`` or why there is
    none; notes an edit, a reopen, no symptom before detection).
``milestones``
    ``render.metrics.Milestones``: ``impact_start``, ``detected``, ``acknowledged``,
    ``mitigated``, ``resolved`` (each ``time`` and its row ``event``, or None), ``reopened``.
``lede_md`` / ``lede_note``
    The Summary's drafted lede (Markdown, every time linked to its row) and the line marking it
    as a draft.
``coverage``
    ``collected`` ((source, count) pairs), ``collected_total``, ``omitted`` (sentences),
    ``warnings`` (lines), ``gaps`` (each ``start``, ``end``, ``duration``), ``accounts``
    ((source, account) pairs; each ``collected``, ``shown``, ``omitted``: reason -> records).
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

Every string a template prints is escaped for Markdown on its way out (the environment's
``finalize``: ``table.md_said``, mentions neutralised), unless it is already Markdown: the values
above ending in ``_md`` (``lede_md`` included) or ``cell``, ``timeline``, ``table_lines(...)``
and what the ``md`` and ``md_links`` filters return (``Md``). ``{{ incident.title }}`` and
``{{ incident.title | md }}`` print the same. Every string was redacted before the template sees
it (``prepare.scrub``), and templates run in Jinja2's ``SandboxedEnvironment``, so a team template
can neither print a secret or live markup nor reach Python internals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from reconstruct.config import Config
from reconstruct.errors import RenderError
from reconstruct.model import Timeline
from reconstruct.render import context
from reconstruct.render.diagram import block as diagram_block
from reconstruct.render.table import md_links, md_said, md_text, safe_url, time_label
from reconstruct.timeutil import format_duration, iso_z

MARKER_START = "<!-- reconstruct:timeline:start -->"
MARKER_END = "<!-- reconstruct:timeline:end -->"
DRAFT_TEMPLATE = "postmortem.md.j2"
TIMELINE_TEMPLATE = "timeline.md.j2"


class Md(str):
    """Text already escaped for Markdown (printed as is)."""

    __slots__ = ()


def _finalize(value: Any) -> Any:
    """What a template prints: strings escaped for Markdown unless already ``Md`` (or an http(s)
    URL that ``safe_url`` leaves unchanged, as in ``[x]({{ incident.url }})``)."""
    if not isinstance(value, str) or isinstance(value, Md):
        return value
    if value.startswith(("http://", "https://")) and safe_url(value) == value:
        return value
    core = value.strip(" ")
    if core == value:
        return md_said(value)
    lead = value[: len(value) - len(value.lstrip(" "))]
    trail = value[len(value.rstrip(" ")) :]
    return lead + md_said(core) + trail  # ``", "`` between items keeps its space


def _md_filter(value: Any) -> Md:
    return value if isinstance(value, Md) else Md(md_text(str(value)))


def _md_links_filter(links: Any) -> Md:
    return Md(md_links(links))


_ESCAPED_FIELDS = frozenset({"cell", "links_md", "why_cell"})


class _EscapedRow:
    """A context row whose Markdown-ready fields are marked ``Md``; every other field as is."""

    __slots__ = ("_row",)

    def __init__(self, row: Any) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._row, name)
        return Md(value) if name in _ESCAPED_FIELDS and isinstance(value, str) else value


def _md_table_lines(table_lines: Any) -> Any:
    def lines(why: bool) -> Md:
        return Md(table_lines(why))

    return lines


def environment(extra_dir: Path | None = None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if extra_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(extra_dir)))
    loaders.append(jinja2.PackageLoader("reconstruct.render", "templates"))
    # Markdown, not HTML: every printed string is escaped by ``_finalize`` (table.md_said).
    env = _Sandbox(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        finalize=_finalize,
    )
    env.filters["md"] = _md_filter
    env.filters["md_links"] = _md_links_filter
    env.filters["iso"] = iso_z
    env.filters["duration"] = format_duration
    env.filters["hhmm"] = time_label
    return env


def _render(env: jinja2.Environment, name: str, values: dict[str, Any], where: str) -> str:
    """``name`` rendered; every way a template can fail is one ``RenderError`` line naming
    ``where`` (the template file) and the line, and saying what to do (exit 1)."""
    try:
        return env.get_template(name).render(values)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(
            f"{where}: line {exc.lineno}: template syntax error: {exc.message}"
        ) from exc
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"{where}: template {exc.name!r} not found") from exc
    except jinja2.TemplateError as exc:  # UndefinedError, the sandbox's SecurityError...
        raise RenderError(_failure(exc, where, str(exc))) from exc
    except _TEMPLATE_FAULTS as exc:  # raised by an expression of the template itself
        raise RenderError(_failure(exc, where, f"{type(exc).__name__}: {exc}")) from exc


_TEMPLATE_FAULTS = (
    ArithmeticError,  # OverflowError (the sandbox's range limit), ZeroDivisionError
    LookupError,
    TypeError,
    ValueError,
    AttributeError,
    MemoryError,
    RecursionError,
)
MAX_ERROR = 200
"""Characters of an exception's own text kept in the one line."""


def _failure(exc: BaseException, where: str, what: str) -> str:
    """``FILE: line N: template error: WHAT; fix the template ...`` on one line."""
    what = " ".join(what.split())
    if len(what) > MAX_ERROR:
        what = what[: MAX_ERROR - 1] + "…"
    line = _template_line(exc, where)
    at = f"line {line}: " if line else ""
    return (
        f"{where}: {at}template error: {what}; fix the template "
        "(README: Team templates lists the variables)"
    )


def _template_line(exc: BaseException, where: str) -> int | None:
    """The line of ``where`` (a template file, or a built-in template's name) the error was
    raised on: Jinja2 rewrites the traceback so that template frames carry the template's file
    name and line. None when no frame is the template's."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename == where or filename.endswith(("/" + where, "\\" + where)):
            found = tb.tb_lineno
        tb = tb.tb_next
    return found


MAX_REPEAT = 1_000_000
"""The longest string or list a template may build with ``*``."""
MAX_EXPONENT = 10_000


class _Sandbox(SandboxedEnvironment):
    """Jinja2's sandbox, also refusing ``*`` and ``**`` results too large to build (``"x" *
    10**10`` would exhaust memory before any error): a ``SecurityError`` like the sandbox's own
    ``range`` limit."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is larger than {MAX_EXPONENT}")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(times, int)
                    and len(seq) * times > MAX_REPEAT
                ):
                    raise SecurityError(f"a repetition longer than {MAX_REPEAT:,} items")
        return super().call_binop(context, operator, left, right)


def values(
    timeline: Timeline, config: Config, *, why: bool, diagram: bool = False
) -> dict[str, Any]:
    """The full template context, ``timeline`` block included. Expects a scrubbed Timeline."""
    ctx = context.build(timeline, config, why=why)
    ctx["rows"] = tuple(_EscapedRow(row) for row in ctx["rows"])  # type: ignore[attr-defined]
    ctx["set_aside"] = tuple(_EscapedRow(row) for row in ctx["set_aside"])  # type: ignore[attr-defined]
    ctx["table_lines"] = _md_table_lines(ctx["table_lines"])
    ctx["diagram"] = Md(diagram_block(timeline)) if diagram else ""  # a fenced block, made safe
    ctx["lede_md"] = Md(ctx["lede_md"])  # escaped part by part in ``lede.Lede.markdown``
    ctx["marker_start"] = Md(MARKER_START)
    ctx["marker_end"] = Md(MARKER_END)
    table = timeline_section(ctx)
    ctx["timeline"] = Md(f"{MARKER_START}\n{table}{MARKER_END}\n")
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
