"""The one choke point every format goes through: redact secrets and drop unsafe links.

``scrub(timeline)`` returns a copy of the Timeline whose summaries, actors, link labels and URLs,
incident title and warnings are redacted (``reconstruct.redact``) and stripped of control and
bidirectional-override characters (``table.plain``), and whose links are http(s) only. No renderer
reads the original Timeline.
"""

from __future__ import annotations

from dataclasses import replace

from reconstruct.model import Event, Incident, Link, Timeline
from reconstruct.redact import redact
from reconstruct.render.table import plain, safe_links


def clean(text: str) -> str:
    """Redacted, without control or bidi characters (newlines and tabs kept)."""
    return plain(redact(text))


def scrub(timeline: Timeline) -> Timeline:
    def clean_link(link: Link) -> Link:
        return Link(source=link.source, url=clean(link.url), label=clean(link.label))

    def clean_event(event: Event) -> Event:
        return replace(
            event,
            summary=clean(event.summary),
            actor=clean(event.actor) if event.actor else None,
            reason=clean(event.reason),
            links=safe_links(clean_link(link) for link in event.links),
        )

    inc = timeline.incident
    incident: Incident = replace(
        inc,
        title=clean(inc.title),
        services=tuple(clean(s) for s in inc.services),
        url=clean(inc.url) if inc.url else None,
    )
    return replace(
        timeline,
        incident=incident,
        events=tuple(clean_event(e) for e in timeline.events),
        warnings=tuple(clean(w) for w in timeline.warnings),
    )
