"""The one choke point every format goes through: redact secrets and drop unsafe links.

``scrub(timeline, config)`` returns a copy of the Timeline whose summaries, actors, reasons, link
labels and URLs, incident title, services and warnings are stripped of control, bidirectional and
zero-width characters (``table.plain``) and then redacted (``reconstruct.redact``, with the
config's ``[redact] extra`` and ``allow``), whose mentions (``@here``, ``<!channel>``, ``<@U123>``)
are neutralised in what people and bots wrote (``table.no_mentions``: the formats a person pastes
or a sink posts, where a mention would notify: Markdown, HTML, the page; JSON and CSV are data and
keep the text as written, redacted, ``mentions=False``), and whose links are http(s) only. A
message longer than ``MAX_TEXT`` characters is cut there with a marker saying how much was left
out (the whole message stays behind its evidence link). No renderer reads the original Timeline.
The tool's own secrets are read once per scrub (one ``Redactor``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from reconstruct.config import CollapseConfig, Config
from reconstruct.model import Event, Incident, Link, Timeline
from reconstruct.normalize.evolve import new_event
from reconstruct.normalize.instances import TAG, VALUES
from reconstruct.redact import MARKER, Redactor, redact
from reconstruct.render.table import no_mentions as _no_mentions
from reconstruct.render.table import one_line, plain, safe_url

MAX_TEXT = 4000
"""Characters of one message (or title) kept in any format; the rest is cut with a marker."""


def cut(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut to ``limit`` characters (never inside a redaction marker) followed by
    `` [… cut: N more characters; the whole message is behind its evidence link]``."""
    if len(text) <= limit:
        return text
    end = limit
    for match in MARKER.finditer(text, max(0, limit - 80), limit + 80):
        if match.start() < end < match.end():
            end = match.start()
    rest = len(text) - end
    return (
        f"{text[:end].rstrip()} [… cut: {rest:,} more characters; "
        "the whole message is behind its evidence link]"
    )


def clean(text: str) -> str:
    """Without control, bidi or zero-width characters (newlines and tabs kept), then redacted."""
    return redact(plain(text))


def cleaner(redactor: Redactor) -> Callable[[str], str]:
    """``clean`` with the given redactor (its secrets read once)."""

    def clean_with(text: str) -> str:
        return redactor(plain(text)) if text else text

    return clean_with


def distinct_labels(links: list[Link], most: int | None = None) -> tuple[Link, ...]:
    """The links with no label twice. Links sharing a label are named for what each is
    (``Link.detail``: "PD alert RedisMemoryHigh redis-1", "PD push notification") when each has
    a detail none of the row's other links has, and they are ``most`` or fewer (more are shown
    grouped, first … last, by their numbers: ``table.link_groups``). Else, the last resort, a
    repeated label gets `` (2)``, `` (3)``... in link order (``PD log entry``, ``PD log entry
    (2)``), so a reader can tell the links of a row apart."""
    groups: dict[str, list[Link]] = {}
    for link in links:
        groups.setdefault(link.label or link.source, []).append(link)
    named: set[str] = set()
    for base, same in groups.items():
        details = {link.detail for link in same}
        if len(same) < 2 or (most is not None and len(same) > most) or "" in details:
            continue
        if len(details) == len(same) and not details & groups.keys():
            named.add(base)
    seen: dict[str, int] = {}
    out = []
    for link in links:
        base = link.label or link.source
        if base in named:
            out.append(Link(link.source, link.url, link.detail, link.detail))
            continue
        n = seen[base] = seen.get(base, 0) + 1
        out.append(link if n == 1 else Link(link.source, link.url, f"{base} ({n})", link.detail))
    return tuple(out)


def _texts(timeline: Timeline) -> Iterator[str]:
    """Every text of ``timeline`` people wrote and a render may show (rows, their members, the
    rows set aside, the incident's title): what ``Redactor.learn`` reads first."""
    yield timeline.incident.title
    for event in (*timeline.events, *timeline.set_aside):
        yield event.summary
        for member in event.members:
            yield member.summary


def _as_written(text: str) -> str:
    return text


def _quoted(timeline: Timeline) -> set[int]:
    """The series members (by ``id``) the Summary may quote: the records detection and impact
    start come from (``metrics.detection``; chosen by kind, tags, refs and time, never by
    text, so the scrubbed timeline's marks are the same records). Empty without series rows."""
    if not any(e.members for e in timeline.events):
        return set()
    from reconstruct.render.metrics import detection

    return {id(m.event) for m in detection(timeline) if m is not None and m.event is not None}


_SHOWN_TAGS = (VALUES, TAG)
"""Tags whose words JSON shows (``jsonout``: ``values``, ``tags``): cleaned like any text."""


def _shown_tag(tag: str, clean: Callable[[str], str]) -> str:
    prefix = next(p for p in _SHOWN_TAGS if tag.startswith(p))
    return prefix + clean(tag[len(prefix) :])


def scrub(
    timeline: Timeline, config: Config | None = None, members: bool = True, mentions: bool = True
) -> Timeline:
    """The Timeline every renderer reads. ``members=False``: a series row's records are left as
    they are, for a format that never prints them (the built-in Markdown and CSV read only
    their times), all but the row's own record and the record detection comes from
    (``metrics.milestones``: the Summary quotes them); JSON, HTML, the page and a
    ``--template`` (``rows[].members``) get them cleaned like every row.
    ``mentions=False``: mentions are left as written (JSON, CSV: data, not a text a sink posts),
    still redacted."""
    scrub_members = members
    no_mentions = _no_mentions if mentions else _as_written
    redactor = Redactor.from_config(config) if config is not None else Redactor()
    redactor.learn(plain(text) for text in _texts(timeline))
    clean = cleaner(redactor)
    most = (config.collapse if config is not None else CollapseConfig()).max_links
    seen: dict[str, str] = {}
    quoted = set() if members else _quoted(timeline)

    def clean_repeated(text: str) -> str:
        """``clean`` for text that repeats across events (reasons, actors, link labels)."""
        done = seen.get(text)
        if done is None:
            done = seen[text] = no_mentions(clean(text))
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
            detail = clean_label(link.detail) if link.detail else ""
            if url == link.url and label == link.label and detail == link.detail:
                kept.append(link)
            else:
                same = False
                kept.append(Link(link.source, url, label, detail))
        if len({link.label or link.source for link in kept}) < len(kept):
            return distinct_labels(kept, most)
        return links if same else tuple(kept)

    def clean_event(event: Event) -> Event:
        """``event`` with its texts and links cleaned; ``event`` itself when that changes
        nothing (equal either way)."""
        summary = cut(no_mentions(clean(event.summary)))
        links = clean_links(event.links)
        actor = clean_repeated(event.actor) if event.actor else None
        reason = clean_repeated(event.reason)
        tags = event.tags
        if any(t.startswith(_SHOWN_TAGS) for t in tags):  # words JSON shows (values, tags)
            tags = frozenset(
                _shown_tag(t, clean_repeated) if t.startswith(_SHOWN_TAGS) else t for t in tags
            )
        members = event.members
        if members:  # a row's own record among them (a storm joined to it) is always cleaned
            own = event.key
            members = tuple(
                clean_event(m) if scrub_members or m.key == own or id(m) in quoted else m
                for m in members
            )
        if (
            links is event.links
            and summary == event.summary
            and actor == event.actor
            and reason == event.reason
            and tags == event.tags
            and members == event.members
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
            tags,
            event.scope,
            reason,
            members,
            event.edited_at,
        )

    inc = timeline.incident
    incident: Incident = replace(
        inc,
        title=cut(no_mentions(clean(inc.title))),
        services=tuple(no_mentions(clean(s)) for s in inc.services),
        url=clean(inc.url) if inc.url else None,
    )
    return replace(
        timeline,
        incident=incident,
        events=tuple(clean_event(e) for e in timeline.events),
        warnings=tuple(clean(w) for w in timeline.warnings),
        hints=tuple(clean(h) for h in timeline.hints),
        set_aside=tuple(clean_event(e) for e in timeline.set_aside),
    )
