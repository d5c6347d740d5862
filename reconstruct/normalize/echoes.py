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
keeps its time, kind, text, actor, key and tags, and gains the post's links, refs and source (the
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


def _reportable(event: Event, chat: frozenset[tuple[str, ...]]) -> bool:
    """A record a chat app may report: an incident tool's record of an incident, not a bot's
    and not a person's chat message (tag ``human``: a person's words take no post; a note row
    ``steps`` joined with its author's copy is found through the note's own record)."""
    return (
        not {"bot", "human"} & event.tags
        and event.sources not in chat
        and bool(_incident_refs(event))
    )


def _said(event: Event) -> frozenset[str]:
    """The words of a record's own text (its author's name and a note's framing aside)."""
    return _words(event.summary) - _words(event.actor or "") - _NOTE_WORDS


def merge_echoes(
    rows: list[Event], window: timedelta, records: Iterable[Event] = ()
) -> tuple[list[Event], int]:
    """The rows with each post reporting a record joined to that record's row, and how many
    posts joined. ``records``: the rows before ``steps`` joined them (each record's own text);
    a row is also read by its own text."""
    posts = [
        (index, incident)
        for index, post in enumerate(rows)
        if "bot" in post.tags
        and NOTE not in post.tags
        and len(post.sources) == 1
        and (incident := _incident_refs(post))
    ]
    if not posts:
        return rows, 0
    chat = chat_only()
    row_of_link: dict[Link, int] = {}
    shared: set[Link] = set()  # a link of several rows (the incident's page) says no row
    for i, e in enumerate(rows):
        for link in e.links:
            if row_of_link.setdefault(link, i) != i:
                shared.add(link)
    candidates: list[tuple[int, Event]] = []
    """(row, record): a record the row holds that a post may report; its words read lazily."""
    for record in records:
        if not _reportable(record, chat):
            continue
        found = {row_of_link[k] for k in record.links if k in row_of_link and k not in shared}
        if len(found) == 1 and "bot" not in rows[i := found.pop()].tags:
            candidates.append((i, record))
    candidates.extend((i, e) for i, e in enumerate(rows) if _reportable(e, chat))
    if not candidates:
        return rows, 0
    # by the record's own time: a row of one step may sit at an earlier time its report states
    candidates.sort(key=lambda c: (c[1].time, c[0]))
    times = [record.time for _, record in candidates]
    said: dict[int, frozenset[str]] = {}
    echoes: dict[int, list[int]] = {}
    for index, incident in posts:
        post = rows[index]
        heard = _words(post.summary)
        best: tuple[int, timedelta, int] | None = None
        low = bisect_left(times, post.time - window)
        high = bisect_right(times, post.time + window, low)
        for n in range(low, high):
            i, record = candidates[n]
            if incident.isdisjoint(rows[i].refs):
                continue
            text = said.get(n)
            if text is None:
                text = said[n] = _said(record)
            if len(text) < MIN_WORDS or not text <= heard:
                continue
            rank = (-len(text), abs(post.time - record.time), i)
            if best is None or rank < best:
                best = rank
        if best is not None:
            echoes.setdefault(best[2], []).append(index)
    joined = {i: _joined(rows[i], [rows[k] for k in found]) for i, found in echoes.items()}
    taken = {k for found in echoes.values() for k in found}
    out = [joined.get(i, e) for i, e in enumerate(rows) if i not in taken]
    return out, len(taken)


def _joined(row: Event, posts: list[Event]) -> Event:
    links = list(row.links)
    for post in posts:
        links.extend(link for link in post.links if link not in links)
    return new_event(
        row.time,  # the record's own time: a post never moves it (nor brings other posts near)
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
