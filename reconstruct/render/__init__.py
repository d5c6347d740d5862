"""Turn a Timeline into the post-mortem draft (Markdown), or JSON, HTML, CSV.

Every format first goes through ``prepare.scrub`` (secrets redacted, links http(s) only).

    markdown.py   the draft and the Timeline table (Jinja2; template context documented there)
    table.py      cell escaping, safe links, time labels
    context.py    the values templates receive
    metrics.py    milestones; time to detect / acknowledge / mitigate / resolve
    lede.py       the Summary's drafted lede
    coverage.py   the note under the table: counts, omissions, failed sources, stretches with no row
    jsonout.py    JSON contract · csvout.py  CSV · html.py  standalone HTML
    story.py      milestones, phases and the time axis the pictures share
    diagram.py    the Mermaid diagram (``--diagram``) · page.py  the timeline page (``page``)
    into.py       replace the Timeline inside an existing draft
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconstruct.config import Config
from reconstruct.errors import UsageError
from reconstruct.model import Timeline

FORMATS = ("markdown", "json", "html", "csv", "page")


@dataclass(frozen=True, slots=True)
class RenderOptions:
    fmt: str = "markdown"
    template: Path | None = None
    timeline_only: bool = False
    why: bool = False
    diagram: bool = False
    """A Mermaid diagram of the incident above the Timeline table (Markdown)."""


def render(timeline: Timeline, options: RenderOptions, config: Config) -> str:
    """The whole output for ``options.fmt``; same Timeline -> byte-identical text."""
    from reconstruct.normalize.gcpause import paused_gc
    from reconstruct.render.prepare import scrub

    if options.fmt not in FORMATS:
        raise UsageError(f"unknown format {options.fmt!r}; use one of {', '.join(FORMATS)}")
    if options.template is not None and options.fmt != "markdown":
        raise UsageError("--template works with --format markdown only")
    if options.template is not None and options.timeline_only:
        raise UsageError("--template and --timeline-only don't go together; pick one")
    with paused_gc():  # tens of thousands of acyclic rows: the collector's passes free nothing
        # series members: only the formats that print them get them cleaned (``scrub``)
        members = options.fmt not in ("markdown", "csv") or options.template is not None
        # mentions neutralised where a person pastes or a sink posts the text, not in data
        mentions = options.fmt not in ("json", "csv")
        return _render(scrub(timeline, config, members, mentions), options, config)


def _render(clean: Timeline, options: RenderOptions, config: Config) -> str:
    if options.fmt == "json":  # each format's module imported when it is asked for
        from reconstruct.render import jsonout

        return jsonout.render_json(clean)
    if options.fmt == "csv":
        from reconstruct.render import csvout

        return csvout.render_csv(clean)
    if options.fmt == "page":
        from reconstruct.render import page

        return page.render_page(clean, config, why=options.why)
    if options.fmt == "html":
        from reconstruct.render import html

        return html.render_html(clean, config, why=options.why, timeline_only=options.timeline_only)
    from reconstruct.render import markdown

    if options.timeline_only:
        ctx = markdown.values(clean, config, why=options.why, diagram=options.diagram)
        return markdown.timeline_section(ctx)
    return markdown.render_draft(
        clean, config, why=options.why, template=options.template, diagram=options.diagram
    )


def insert_into(draft: str, timeline: Timeline, options: RenderOptions, config: Config) -> str:
    """``draft`` with only its Timeline table (between the reconstruct markers, or under
    ``## Timeline``) replaced; every other byte unchanged. Raises RenderError without a place."""
    from reconstruct.normalize.gcpause import paused_gc
    from reconstruct.render import into, markdown
    from reconstruct.render.prepare import scrub

    with paused_gc():
        ctx = markdown.values(
            scrub(timeline, config), config, why=options.why, diagram=options.diagram
        )
    return into.insert(draft, str(ctx["timeline"]))
