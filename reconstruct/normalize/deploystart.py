"""A deploy bot's "deploy started" post joins the deployment row that went live.

A deploy bot posts when it starts a deploy ("Deploying checkout 4f2c9e1 to production, started by
@marco"); the deployment record the deploy tool keeps goes live minutes later, after the build and
rollout. ``merge`` joins only records within ``merge_window`` of each other, so the start stays a
row of its own beside the deployment's: the same deploy twice. This step folds such a post into
the deployment row:

- the row is a deploy (kind ``deploy``, not tagged ``failure`` nor ``human``) with a ``sha:``
  ref;
- the post is a bot's (tag ``bot``, never ``human``: a person's message never joins a deployment
  record), not itself a deploy, change, alert or page record, and every ``sha:`` ref it has is
  one of the row's (it names that commit and no other);
- the post lies at most ``START_WINDOW`` before the row (the deploy going live) and not after it;
  of several rows of that commit, the post joins the first one at or after it. When the row says
  when the deploy was requested (tag ``requested:<ISO 8601 UTC>``, which a collector sets from
  its deploy record: GitHub's deployment ``created_at``), the window runs from ``START_WINDOW``
  before the earlier of the two: a rollout that went live an hour after it started still takes
  its start post.

The joined row keeps the deployment's time (when it went live: a mitigation figure citing it
does not move), kind, key, text and actor, adds every link (labelled ``(start)``), source, ref and
tag of the post, and
says when the deploy started ("(started 10:13)", UTC) when that was in an earlier minute.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from datetime import timedelta

from reconstruct.model import Event, Kind, Link
from reconstruct.normalize.evolve import new_event
from reconstruct.timeutil import TimeFormatError, parse_iso

START_WINDOW = timedelta(minutes=30)
"""How long before a deployment went live the bot's start post may lie: a build and rollout
(GitHub keeps a deployment ``in_progress`` until its ``success`` status)."""
REQUESTED = "requested:"
"""Tag of a deploy row: when the deploy was requested (``requested:2026-11-20T14:24:35Z``), as the
deploy tool recorded it (GitHub: the deployment's ``created_at``); absent when unknown."""
_SHA = "sha:"
_RECORDS = {Kind.DEPLOY, Kind.CHANGE, Kind.ALERT, Kind.PAGE}


def _shas(event: Event) -> set[str]:
    return {ref for ref in event.refs if ref.startswith(_SHA)}


def _deployment(event: Event) -> bool:
    tags = event.tags
    return (
        event.kind is Kind.DEPLOY
        and "failure" not in tags
        and "human" not in tags  # a person's words take no post either
        and bool(_shas(event))
    )


def _since(event: Event) -> float:
    """The deploy's earliest known moment, epoch seconds: its ``requested:`` time when that is
    earlier than going live, else the row's time (an unreadable tag is no time)."""
    live = event.time.timestamp()
    for tag in event.tags:
        if tag.startswith(REQUESTED):
            try:
                live = min(live, parse_iso(tag[len(REQUESTED) :]).timestamp())
            except TimeFormatError:
                continue
    return live


def _start_post(event: Event) -> bool:
    tags = event.tags
    return (
        "bot" in tags
        and "human" not in tags
        and event.kind not in _RECORDS
        and not event.members
        and bool(_shas(event))
    )


def join_deploy_starts(rows: list[Event]) -> tuple[list[Event], frozenset[str]]:
    """``rows`` with each deploy bot's start post folded into its deployment's row (see the
    module doc), and the keys of the rows that took a post (for ``Ledger.fold``). Order is kept
    (a deployment's row stays in its place)."""
    by_sha: dict[str, list[tuple[float, str, int]]] = defaultdict(list)
    for i, row in enumerate(rows):
        if _deployment(row):
            for sha in _shas(row):
                by_sha[sha].append((row.time.timestamp(), row.key, i))
    if not by_sha:
        return rows, frozenset()
    for found in by_sha.values():
        found.sort()
    joins: dict[int, list[Event]] = defaultdict(list)
    folded: set[int] = set()
    limit = START_WINDOW.total_seconds()
    for i, post in enumerate(rows):
        if not _start_post(post) or _deployment(post):
            continue
        shas = _shas(post)
        when = post.time.timestamp()
        best: tuple[float, str, int] | None = None
        for sha in shas:
            found = by_sha.get(sha, [])
            at = bisect_left(found, (when, "", -1))
            if at < len(found) and _since(rows[found[at][2]]) - when <= limit:
                candidate = found[at]
                if best is None or candidate < best:
                    best = candidate
        if best is None or not shas <= _shas(rows[best[2]]):
            continue  # names another commit too, or no deployment of it went live soon after
        joins[best[2]].append(post)
        folded.add(i)
    out: list[Event] = []
    for i, row in enumerate(rows):
        if i in folded:
            continue
        posts = joins.get(i)
        out.append(_join(row, posts) if posts else row)
    return out, frozenset(rows[i].key for i in joins)


def _start_link(link: Link) -> Link:
    """The start post's link, labelled as such beside the deployment's own post in one channel
    ("#deploys (start)" and "#deploys")."""
    return Link(link.source, link.url, f"{link.label} (start)" if link.label else "deploy start")


def _join(row: Event, posts: list[Event]) -> Event:
    records = [row, *posts]
    start = min(p.time for p in posts)
    summary = row.summary
    if start.replace(second=0, microsecond=0) < row.time.replace(second=0, microsecond=0):
        summary += f" (started {start:%H:%M})"
    return new_event(
        row.time,
        row.kind,
        summary,
        tuple(sorted({s for r in records for s in r.sources})),
        tuple(sorted({*row.links, *(_start_link(link) for p in posts for link in p.links)})),
        row.key,
        row.actor,
        frozenset().union(*(r.refs for r in records)),
        frozenset().union(*(r.tags for r in records)),
        row.scope,
        row.reason,
    )
