"""The one choke point every format goes through: redact secrets and drop unsafe links.

``scrub(timeline)`` returns a copy of the Timeline whose summaries, actors, link labels and URLs,
incident title and warnings are redacted (``reconstruct.redact``) and stripped of control and
bidirectional-override characters (``table.plain``), and whose links are http(s) only. No renderer
reads the original Timeline. The tool's own secrets are read once per scrub (one ``Redactor``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from reconstruct.model import Event, Incident, Link, Timeline
from reconstruct.normalize.evolve import new_event
from reconstruct.redact import Redactor, redact
from reconstruct.render.table import one_line, plain, safe_url


def clean(text: str) -> str:
    """Redacted, without control or bidi characters (newlines and tabs kept)."""
    return plain(redact(text))


def cleaner(redactor: Redactor) -> Callable[[str], str]:
    """``clean`` with the given redactor (its secrets read once)."""

    def clean_with(text: str) -> str:
        return plain(redactor(text)) if text else text

    return clean_with


def scrub(timeline: Timeline) -> Timeline:
    clean = cleaner(Redactor())
    seen: dict[str, str] = {}

    def clean_repeated(text: str) -> str:
        """``clean`` for text that repeats across events (reasons, actors, link labels)."""
        done = seen.get(text)
        if done is None:
            done = seen[text] = clean(text)
        return done

    def clean_links(links: tuple[Link, ...]) -> tuple[Link, ...]:
        """``safe_links`` of the links with their URLs and labels cleaned."""
        kept: list[Link] = []
        urls: set[str] = set()
        for link in links:
            url = safe_url(clean(link.url))
            if url is None or url in urls:
                continue
            urls.add(url)
            kept.append(Link(link.source, url, one_line(clean_repeated(link.label))))
        return tuple(kept)

    def clean_event(event: Event) -> Event:
        return new_event(
            event.time,
            event.kind,
            clean(event.summary),
            event.sources,
            clean_links(event.links),
            event.key,
            clean_repeated(event.actor) if event.actor else None,
            event.refs,
            event.tags,
            event.scope,
            clean_repeated(event.reason),
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
