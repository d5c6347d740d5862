"""A chat app's post that reports an incident tool's record joins that record's row.

An incident tool's chat app repeats in the incident's channel what is recorded on the incident
(PagerDuty's Slack app: "Bob Stone added a note to #7302: <the note>", "Reassigned: #7302 <title>
to Mei Lin by Raj Patel", "Status update on #7302 <title> by Mei Lin: <the update>"). ``merge``
joins a post whose kind is the record's (an "Acknowledged" post and the acknowledgement, a
"Triggered" post and the trigger); a note or status update is free text whose kind ``classify``
reads from its words, and a reassignment post reads as no state change, so the post's kind may
differ from the record's and ``merge`` (same kind) cannot join them: this step does, after
``steps`` (which first joins a note with its author's own copy in chat, one person's words in two
tools).

A post joins a row when the post is a bot's (tag ``bot``, one source) and the row holds a record
the post reports: a record of the incident tool (not a bot's, not from chat alone,
``authority.chat_only``; a note, a status update, a reassignment, any kind) of the same incident
(an incident ref in common, ``merge.INCIDENT_PREFIXES``; the chat collector reads an app post's
plain-text "#7302" as that ref when the app is the tool), at most ``merge_window`` apart, whose
own text's words (at least ``MIN_WORDS``; its author's name and the words "note" and "by" aside:
a row may read "Note by Bob Stone: ...") are every one in the post. A record's own text is read
from ``records`` (the rows before ``steps``), so a note row that ``steps`` joined with its
author's copy in chat (which reads as the copy: "root cause: ... filled up, <PR link>") is still
recognised by the note's words. Each post joins the row of the record it reports most fully
(most words, then the closest); a row takes every post that reports it (one per channel). The row
keeps its kind, text, actor, key and tags, and gains the post's links, refs and source (the
app's name and ``bot`` tag stay out of it).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import timedelta

from reconstruct.model import Event, Link
from reconstruct.normalize.authority import chat_only
from reconstruct.normalize.evolve import new_event
from reconstruct.normalize.merge import INCIDENT_PREFIXES

NOTE = "note"
MIN_WORDS = 3
"""A record of fewer words says too little to be recognised in another text."""
_WORD = re.compile(r"\w+")
_NOTE_WORDS = frozenset({"note", "by"})
"""Words a note row's own framing adds ("Note by Kim Nguyen: ..."), not the note's."""


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.casefold()))


def _incident_refs(event: Event) -> frozenset[str]:
    return frozenset(r for r in event.refs if r.startswith(INCIDENT_PREFIXES))


def _said(event: Event) -> frozenset[str] | None:
    """The words of a record a chat app may report (``None`` when it is none): an incident
    tool's record of an incident, not a bot's, of at least ``MIN_WORDS`` words."""
    if "bot" in event.tags or event.sources in chat_only() or not _incident_refs(event):
        return None
    text = _words(event.summary) - _words(event.actor or "") - _NOTE_WORDS
    return text if len(text) >= MIN_WORDS else None


def merge_echoes(
    rows: list[Event], window: timedelta, records: Iterable[Event] = ()
) -> tuple[list[Event], int]:
    """The rows with each post reporting a record joined to that record's row, and how many
    posts joined. ``records``: the rows before ``steps`` joined them (each record's own text);
    a row is also read by its own text."""
    row_of_link: dict[Link, int] = {}
    shared: set[Link] = set()  # a link of several rows (the incident's page) says no row
    for i, e in enumerate(rows):
        for link in e.links:
            if row_of_link.setdefault(link, i) != i:
                shared.add(link)
    said: list[tuple[int, frozenset[str]]] = []
    for record in records:
        if (text := _said(record)) is None:
            continue
        found = {row_of_link[k] for k in record.links if k in row_of_link and k not in shared}
        if len(found) == 1 and "bot" not in rows[i := found.pop()].tags:
            said.append((i, text))
    for i, e in enumerate(rows):
        if (text := _said(e)) is not None:
            said.append((i, text))
    if not said:
        return rows, 0
    said.sort(key=lambda s: (rows[s[0]].time, s[0]))
    times = [rows[i].time for i, _ in said]
    echoes: dict[int, list[int]] = {}
    for index, post in enumerate(rows):
        if "bot" not in post.tags or NOTE in post.tags or len(post.sources) != 1:
            continue
        incident = _incident_refs(post)
        if not incident:
            continue
        heard = _words(post.summary)
        best: tuple[int, timedelta, int] | None = None
        low = bisect_left(times, post.time - window)
        high = bisect_right(times, post.time + window)
        for i, text in said[low:high]:
            if i == index or incident.isdisjoint(rows[i].refs) or not text <= heard:
                continue
            rank = (-len(text), abs(post.time - rows[i].time), i)
            if best is None or rank < best:
                best = rank
        if best is not None:
            echoes.setdefault(best[2], []).append(index)
    joined = {i: _joined(rows[i], [rows[k] for k in posts]) for i, posts in echoes.items()}
    taken = {k for posts in echoes.values() for k in posts}
    out = [joined.get(i, e) for i, e in enumerate(rows) if i not in taken]
    return out, len(taken)


def _joined(row: Event, posts: list[Event]) -> Event:
    links = list(row.links)
    for post in posts:
        links.extend(link for link in post.links if link not in links)
    return new_event(
        min(e.time for e in (row, *posts)),
        row.kind,
        row.summary,
        tuple(sorted({s for e in (row, *posts) for s in e.sources})),
        tuple(links),
        row.key,
        row.actor,
        frozenset().union(row.refs, *(p.refs for p in posts)),
        row.tags,
        row.scope,
        row.reason,
        row.members,
        row.edited_at,
    )
