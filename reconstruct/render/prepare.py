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


def distinct_labels(links: list[Link]) -> tuple[Link, ...]:
    """The links with no label twice: a repeated label gets `` (2)``, `` (3)``... in link order
    (``PD log entry``, ``PD log entry (2)``), so a reader can tell the links of a row apart."""
    seen: dict[str, int] = {}
    out = []
    for link in links:
        base = link.label or link.source
        n = seen[base] = seen.get(base, 0) + 1
        out.append(link if n == 1 else Link(link.source, link.url, f"{base} ({n})"))
    return tuple(out)


def scrub(timeline: Timeline) -> Timeline:
    clean = cleaner(Redactor())
    seen: dict[str, str] = {}

    def clean_repeated(text: str) -> str:
        """``clean`` for text that repeats across events (reasons, actors, link labels)."""
        done = seen.get(text)
        if done is None:
            done = seen[text] = clean(text)
        return done

    labels: dict[str, str] = {}

    def clean_label(label: str) -> str:
        """A link label cleaned and made one line (labels repeat: ``slack``, ``PR #42``...)."""
        done = labels.get(label)
        if done is None:
            done = labels[label] = one_line(clean_repeated(label))
        return done

    def clean_links(links: tuple[Link, ...]) -> tuple[Link, ...]:
        """The links with http(s) URLs only (``safe_url``), without duplicates, URLs and labels
        cleaned; ``links`` itself when that changes nothing."""
        if len(links) == 1:  # the common case: no duplicate to look for
            link = links[0]
            url = safe_url(clean(link.url))
            if url is None:
                return ()
            label = clean_label(link.label)
            if url == link.url and label == link.label:
                return links
            return (Link(link.source, url, label),)
        kept: list[Link] = []
        urls: set[str] = set()
        same = True
        for link in links:
            url = safe_url(clean(link.url))
            if url is None or url in urls:
                same = False
                continue
            urls.add(url)
            label = clean_label(link.label)
            if url == link.url and label == link.label:
                kept.append(link)
            else:
                same = False
                kept.append(Link(link.source, url, label))
        if len({link.label or link.source for link in kept}) < len(kept):
            return distinct_labels(kept)
        return links if same else tuple(kept)

    def clean_event(event: Event) -> Event:
        """``event`` with its texts and links cleaned; ``event`` itself when that changes
        nothing (equal either way)."""
        summary = clean(event.summary)
        links = clean_links(event.links)
        actor = clean_repeated(event.actor) if event.actor else None
        reason = clean_repeated(event.reason)
        if (
            links is event.links
            and summary == event.summary
            and actor == event.actor
            and reason == event.reason
        ):
            return event
        return new_event(
            event.time,
            event.kind,
            summary,
            event.sources,
            links,
            event.key,
            actor,
            event.refs,
            event.tags,
            event.scope,
            reason,
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
