"""A chat app's post that reports a note joins that note's row.

An incident tool's chat app repeats a note added to the incident in the incident's channel
(PagerDuty's Slack app: "Bob Stone added a note to #7302" with the note's text as the
attachment's text), as it repeats the incident's state changes (which ``merge`` joins by kind
and stated state). A note is a free text whose kind ``classify`` reads from its words, and the
post's kind is read from other words ("added a note"), so ``merge`` (same kind) cannot join
them: this step does, after ``steps`` (which first joins the note with its author's own copy in
chat, one person's words in two tools).

A post joins a note row when it is a bot's post (tag ``bot``) and the row a note (tag ``note``,
not a bot's) of the same incident (an incident ref in common, ``merge.INCIDENT_PREFIXES``; the
chat collector reads an app post's plain-text "#7302" as that ref when the app is the tool), at
most ``merge_window`` apart, and the post's words hold every word of the note's text (at least
``MIN_WORDS``; the author's name and the words "note" and "by" aside: the row may read "Note
by Bob Stone: ..."). A note row that ``steps`` joined with its author's copy (several sources)
reads as the copy, which may add a word or two ("Status: ..."): up to ``COPY_SLACK`` of its words
(and at most a fifth of them) may be missing from the post. Each post joins the closest such
note; a note takes every post that reports it (one per channel). The row keeps the note's kind,
text, actor, key and tags, and gains the post's links, refs and source (the app's name and
``bot`` tag stay out of it).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from datetime import timedelta

from reconstruct.model import Event
from reconstruct.normalize.evolve import new_event
from reconstruct.normalize.merge import INCIDENT_PREFIXES

NOTE = "note"
MIN_WORDS = 3
"""A note of fewer words says too little to be recognised in another text."""
COPY_SLACK = 3
"""Words an author's copy of a note may add that the chat app's post of the note lacks."""
_WORD = re.compile(r"\w+")
_NOTE_WORDS = frozenset({"note", "by"})
"""Words a note row's own framing adds ("Note by Kim Nguyen: ..."), not the note's."""


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.casefold()))


def _incident_refs(event: Event) -> frozenset[str]:
    return frozenset(r for r in event.refs if r.startswith(INCIDENT_PREFIXES))


def merge_echoes(rows: list[Event], window: timedelta) -> tuple[list[Event], int]:
    """The rows with each post reporting a note joined to it, and how many posts joined."""
    said: dict[int, frozenset[str]] = {}
    for i, e in enumerate(rows):
        if NOTE in e.tags and "bot" not in e.tags:
            text = _words(e.summary) - _words(e.actor or "") - _NOTE_WORDS
            if len(text) >= MIN_WORDS:
                said[i] = text
    if not said:
        return rows, 0
    notes = sorted(said, key=lambda i: (rows[i].time, i))
    times = [rows[i].time for i in notes]
    echoes: dict[int, list[int]] = {}
    for index, post in enumerate(rows):
        if "bot" not in post.tags or NOTE in post.tags or len(post.sources) != 1:
            continue
        incident = _incident_refs(post)
        if not incident:
            continue
        heard = _words(post.summary)
        best: tuple[timedelta, int] | None = None
        low = bisect_left(times, post.time - window)
        high = bisect_right(times, post.time + window)
        for i in notes[low:high]:
            gap = abs(post.time - rows[i].time)
            if incident.isdisjoint(rows[i].refs) or not _reports(said[i], heard, rows[i]):
                continue
            if best is None or gap < best[0]:
                best = (gap, i)
        if best is not None:
            echoes.setdefault(best[1], []).append(index)
    joined = {i: _joined(rows[i], [rows[k] for k in posts]) for i, posts in echoes.items()}
    taken = {k for posts in echoes.values() for k in posts}
    out = [joined.get(i, e) for i, e in enumerate(rows) if i not in taken]
    return out, len(taken)


def _reports(note: frozenset[str], heard: frozenset[str], row: Event) -> bool:
    """Whether a post of words ``heard`` holds the note row's words ``note``: every one, or, for
    a row read as its author's copy (more than one source), all but ``COPY_SLACK`` (and at most
    a fifth), with ``MIN_WORDS`` in common."""
    missing = len(note - heard)
    if missing == 0:
        return True
    if len(row.sources) < 2 or missing > COPY_SLACK or missing * 5 > len(note):
        return False
    return len(note & heard) >= MIN_WORDS


def _joined(note: Event, posts: list[Event]) -> Event:
    links = list(note.links)
    for post in posts:
        links.extend(link for link in post.links if link not in links)
    return new_event(
        min(e.time for e in (note, *posts)),
        note.kind,
        note.summary,
        tuple(sorted({s for e in (note, *posts) for s in e.sources})),
        tuple(links),
        note.key,
        note.actor,
        frozenset().union(note.refs, *(p.refs for p in posts)),
        note.tags,
        note.scope,
        note.reason,
        note.members,
        note.edited_at,
    )
