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
tag of the post, a tag ``started:<ISO 8601 UTC>`` (``STARTED``: when the post said it started;
``started_at`` reads the deploy's start from it and ``requested:``), a tag
``started-by:<name>`` for each name the post credits with the deploy
("started by @raj": ``deployer.credits``; ``deployer.credit_starters`` makes that person the
actor once people are resolved), and
says when the deploy started ("(started 10:13)", UTC) when that was in an earlier minute.

A start post may say more than the service, commit and environment ("triggered by @marcus",
"requested by", "via pipeline #123", "(by @marco)", an emoji, a link): whatever kind a word of it
gave the post (a bot's "triggered" reads as an alert, "Deployment ... started" as a deploy), a
bot's post that says a deploy is starting (``STARTING``: "Deploying", "Rolling out", "Deploy
started", "Starting deployment") and names the row's commit is that deploy's start.

The bot's post that the deploy finished ("search-api c0ffee1 is live in production", "✅
search-api@c0ffee1 is live in prod", ``FINISHED``: is live, deployed, rolled out, released,
shipped, finished, succeeded, completed, ✅) joins the row of its commit nearest to it within
``merge_window`` (either side: the deploy tool and the bot record one moment): ``merge`` joins
only records of one kind, and a bot's finish post that says no "deployed" has none. It adds its
links, sources, refs and tags, and the row keeps its text and time. A post that says the deploy
failed (``FAILED``) joins nothing.

A post naming a service or environment picks among the rows of its commit: when it names the
repository of some of them ("search-api", a monorepo deploying one sha as several services),
only those; when it names none of them exactly, the rows whose repository it names a part of or
the whole of ("orders-batch" for repository ``orders``, "checkout" for ``checkout-service``: the
name-parts split at ``-``, ``_``, ``.`` of one begin with those of the other), and no row of
another service ("billing 4f2c9e1" for a ``checkout`` deploy stays a row); when it names
production ("production", "prod", "prd"), no row of another environment it names ("staging",
"canary", ...); when it names another environment, no row tagged ``production`` or naming it.
A post that names where production now is ("production now at 9e3b1c2") names no service.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from datetime import datetime, timedelta

from reconstruct.model import Event, Kind, Link
from reconstruct.normalize.deployer import STARTED_BY, credits
from reconstruct.normalize.evolve import new_event
from reconstruct.timeutil import TimeFormatError, iso_z, parse_iso

START_WINDOW = timedelta(minutes=30)
"""How long before a deployment went live the bot's start post may lie: a build and rollout
(GitHub keeps a deployment ``in_progress`` until its ``success`` status)."""
REQUESTED = "requested:"
"""Tag of a deploy row: when the deploy was requested (``requested:2026-11-20T14:24:35Z``), as the
deploy tool recorded it (GitHub: the deployment's ``created_at``); absent when unknown."""
STARTED = "started:"
"""Tag of a deploy row a start post joined: when that post says the deploy started
(``started:2026-11-20T14:24:41Z``, UTC)."""
_SHA = "sha:"
_RECORDS = {Kind.DEPLOY, Kind.CHANGE, Kind.ALERT, Kind.PAGE}
_POSTS = {Kind.MESSAGE, Kind.MITIGATE, Kind.RESOLVE, Kind.UPDATE}
"""Kinds a bot's finish post may have been given by a word of it ("… rolled out (revert #512)"
reads as a mitigation, "… healthy in prod" as a resolution): it is the deploy's post all the
same."""
STARTING = re.compile(
    r"\b(?:deploying|rolling out|releasing|shipping|promoting)\b"
    r"|\bdeploy(?:ment)?\b.*\b(?:started|starting|in progress|kicked off|began|begun)\b"
    r"|\bstart(?:ed|ing) (?:a |the )?(?:deploy(?:ment)?|rollout|release)\b"
    r"|\bsync(?:ing)? (?:operation )?of application\b.*\b(?:has )?started\b"
    r"|\bstart syncing\b",
    re.IGNORECASE,
)
"""A deploy bot's words that a deploy is starting (Argo CD's ``app-sync-running`` template:
"The sync operation of application X has started at …"; its notifications catalog,
argo-cd docs/operator-manual/notifications/catalog.md)."""
FINISHED = re.compile(
    r"\b(?:is|went|now) live\b|\bdeployed\b|\brolled out\b|\breleased\b|\bshipped\b"
    r"|\b(?:finished|succeeded|successful|successfully|completed|complete|done|synced)\b"
    r"|\bnow running (?:the |a )?new version\b|\bis up and running\b"
    r"|\b(?:is|now|is now)[ \t]+(?:at|on|running|serving)[ \t]*[@:`*]*[ \t]*"
    r"(?:<[^|>\s]*\|)?[0-9a-fA-F]{7,40}(?!\w)"
    r"|\u2705|:white_check_mark:|:heavy_check_mark:|\u2714",
    re.IGNORECASE,
)
"""A deploy bot's words that a deploy finished (went live). GitOps tools say it their way: Argo
CD's ``app-sync-succeeded`` ("Application X has been successfully synced at …") and
``app-deployed`` ("Application X is now running new version of deployments manifests"; the
Slack forms start with ``:white_check_mark:``), "X synced to production". A bot may word it as
the environment's new state, the commit right after: "checkout: production now at 9e3b1c2",
"Production for checkout is on 9e3b1c2 now", "prod is running 9e3b1c2" (a past state, "was
at 9e3b1c2", is not)."""
FAILED = re.compile(
    r"\b(?:fail(?:ed|ure|s)?|errored|error|aborted|cancel(?:l)?ed|timed out|rolled back|rollback)\b"
    r"|\u274c|:x:|:rotating_light:",
    re.IGNORECASE,
)
"""A deploy bot's words that a deploy did not go live: such a post joins nothing."""
_PRODUCTION = re.compile(r"\b(?:production|prod|prd)\b", re.IGNORECASE)
_OTHER_ENV = re.compile(
    r"\b(?:staging|stage|stg|canary|dev|development|qa|test|testing|sandbox|preview|uat)\b",
    re.IGNORECASE,
)


def _shas(event: Event) -> set[str]:
    return {ref for ref in event.refs if ref.startswith(_SHA)}


def _deployment(event: Event) -> bool:
    tags = event.tags
    return (
        event.kind is Kind.DEPLOY
        and "failure" not in tags
        and "human" not in tags  # a person's words take no post either
        and bool(_shas(event))
        and not _starting(event)  # a bot's "Deployment of ... started" is the start's post
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


def started_at(event: Event) -> datetime:
    """When a deploy row's deploy started (UTC): the earliest of its ``requested:`` and
    ``started:`` times, else the row's own time (an unreadable tag is no time)."""
    found = event.time
    for tag in event.tags:
        if tag.startswith((REQUESTED, STARTED)):
            try:
                found = min(found, parse_iso(tag.partition(":")[2]))
            except TimeFormatError:
                continue
    return found


def _bot_post(event: Event) -> bool:
    tags = event.tags
    return "bot" in tags and "human" not in tags and not event.members and bool(_shas(event))


def _starting(event: Event) -> bool:
    """A bot's post saying a deploy is starting, whatever kind a word of it gave it."""
    text = event.summary
    return (
        _bot_post(event)
        and event.kind in {Kind.MESSAGE, Kind.ALERT, Kind.DEPLOY}
        and STARTING.search(text) is not None
        and FINISHED.search(text) is None
        and FAILED.search(text) is None
    )


def _start_post(event: Event) -> bool:
    return _bot_post(event) and (event.kind not in _RECORDS or _starting(event))


def _finish_post(event: Event) -> bool:
    """A bot's post saying a deploy finished (not failed, not starting)."""
    text = event.summary
    return (
        _bot_post(event)
        and (event.kind in _POSTS or event.kind is Kind.DEPLOY)
        and FINISHED.search(text) is not None
        and FAILED.search(text) is None
        and STARTING.search(text) is None
    )


def _repo(row: Event) -> str:
    """The repository name of a row's scope (``github:acme/search-api`` -> ``search-api``)."""
    return row.scope.rpartition(":")[2].rpartition("/")[2].lower() if row.scope else ""


def _names(text: str, word: str) -> bool:
    return (
        bool(word) and re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, re.I) is not None
    )


_BEFORE_SHA = re.compile(r"([A-Za-z][\w.-]*)[ \t]*[@:(\[`*]*[ \t]*([0-9a-fA-F]{7,40})(?!\w)")
_NO_SERVICE = frozenset(
    "deploying deploy deployed deployment rolling out releasing release released shipping "
    "promoting commit sha revision rev version build image tag branch ref at of to for with on "
    "from main master head is the a new latest hotfix fix patch revert reverting rollback "
    "production prod prd staging stage canary running serving now back was".split()
)
"""Words before a commit that name no service ("Deploying hotfix c0ffee1", "commit c0ffee1",
"prod is running c0ffee1")."""


def _no_service(word: str) -> bool:
    """A word before a commit that says what happened, not which service ("deploy finished:
    8a3394c", "succeeded: 8a3394c"): ``_NO_SERVICE`` or a word of the start, finish or failure
    patterns."""
    return word in _NO_SERVICE or any(
        pattern.fullmatch(word) for pattern in (STARTING, FINISHED, FAILED)
    )


def _services(text: str, shas: set[str]) -> set[str]:
    """The service names the post puts right before its commits ("search-api c0ffee1",
    "search-api@c0ffee1", "search-api:c0ffee1"), lower-case."""
    found = set()
    for match in _BEFORE_SHA.finditer(text):
        word = match.group(1).lower().rstrip(".-")
        if f"{_SHA}{match.group(2)[:7].lower()}" in shas and not _no_service(word):
            found.add(word)
    return found


def _aimed(post: Event, rows: list[Event], candidates: list[int]) -> list[int]:
    """The candidates (indices into ``rows``) the post's service and environment words allow:
    a service it names before the commit is the row's (``_serves``) or, when it is no row's,
    a part of the row's repository or the whole of it (``_part_of``)."""
    text = post.summary
    found = candidates
    for service in _services(text, _shas(post)):
        found = [i for i in found if _serves(rows[i], service)] or [
            i for i in found if _part_of(service, _repo(rows[i]))
        ]
    if _PRODUCTION.search(text):
        found = [i for i in found if not _elsewhere(rows[i])]
    elif _OTHER_ENV.search(text):
        found = [i for i in found if not _in_production(rows[i])]
    return found


def _serves(row: Event, service: str) -> bool:
    """The row is a deploy of ``service``: its repository, or a word of its text or of a link
    (a monorepo's deploy run ``https://deploy.acme.example/search-api/runs/77``)."""
    return (
        service == _repo(row)
        or _names(row.summary, service)
        or any(_names(link.url, service) for link in row.links)
    )


_PARTS = re.compile(r"[-_.]")


def _part_of(service: str, repo: str) -> bool:
    """The service is a part of the repository's deploy or the reverse: the name-parts of one
    (split at ``-``, ``_``, ``.``) begin with all those of the other ("orders-batch" of repo
    ``orders``, "checkout" of repo ``checkout-service``; not "order" of ``orders``)."""
    if not service or not repo:
        return False
    ours, theirs = _PARTS.split(service), _PARTS.split(repo)
    n = min(len(ours), len(theirs))
    return ours[:n] == theirs[:n]


def _in_production(row: Event) -> bool:
    return "production" in row.tags or _PRODUCTION.search(row.summary) is not None


def _elsewhere(row: Event) -> bool:
    """The row is a deploy to another environment than production (one it names)."""
    return not _in_production(row) and _OTHER_ENV.search(row.summary) is not None


def join_deploy_starts(
    rows: list[Event], merge_window: timedelta = timedelta(minutes=5)
) -> tuple[list[Event], frozenset[str]]:
    """``rows`` with each deploy bot's start and finish post folded into its deployment's row
    (see the module doc; ``merge_window``: how far a finish post may lie from the row), and the
    keys of the rows that took a post (for ``Ledger.fold``). Order is kept (a deployment's row
    stays in its place)."""
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
    finishes: set[str] = set()  # keys of the finish posts
    folded: set[int] = set()
    limit = START_WINDOW.total_seconds()
    near = merge_window.total_seconds()
    for i, post in enumerate(rows):
        finish = post.kind in _POSTS and _finish_post(post)
        if not finish and (not _start_post(post) or _deployment(post)):
            continue
        shas = _shas(post)
        when = post.time.timestamp()
        candidates: list[tuple[float, str, int]] = []
        for sha in shas:
            found = by_sha.get(sha, [])
            if finish:
                lo = bisect_left(found, (when - near, "", -1))
                candidates += [c for c in found[lo:] if c[0] <= when + near]
            else:
                at = bisect_left(found, (when, "", -1))
                candidates += [c for c in found[at:] if _since(rows[c[2]]) - when <= limit]
        allowed = set(_aimed(post, rows, [c[2] for c in candidates]))
        fits = sorted(
            (abs(c[0] - when) if finish else 0.0, c)
            for c in set(candidates)
            if c[2] in allowed and c[2] != i and shas <= _shas(rows[c[2]])
        )
        if not fits:
            continue  # another commit or service too, or no deployment of it near enough
        best = fits[0][1][2]
        joins[best].append(post)
        folded.add(i)
        if finish:
            finishes.add(post.key)
    out: list[Event] = []
    for i, row in enumerate(rows):
        if i in folded:
            continue
        posts = joins.get(i)
        out.append(_join(row, posts, finishes) if posts else row)
    return out, frozenset(rows[i].key for i in joins)


def _start_link(link: Link) -> Link:
    """The start post's link, labelled as such beside the deployment's own post in one channel
    ("#deploys (start)" and "#deploys")."""
    return Link(link.source, link.url, f"{link.label} (start)" if link.label else "deploy start")


def _join(row: Event, posts: list[Event], finishes: set[str]) -> Event:
    records = [row, *posts]
    starts = [p for p in posts if p.key not in finishes]
    summary = row.summary
    start = min((p.time for p in starts), default=row.time)
    if start.replace(second=0, microsecond=0) < row.time.replace(second=0, microsecond=0):
        summary += f" (started {start:%H:%M})"
    return new_event(
        row.time,
        row.kind,
        summary,
        tuple(sorted({s for r in records for s in r.sources})),
        tuple(
            sorted(
                {
                    *row.links,
                    *(_start_link(link) for p in starts for link in p.links),
                    *(link for p in posts if p.key in finishes for link in p.links),
                }
            )
        ),
        row.key,
        row.actor,
        frozenset().union(*(r.refs for r in records)),
        frozenset().union(
            *(r.tags for r in records),
            (STARTED_BY + name for p in posts for name in credits(p.summary)),
            {f"{STARTED}{iso_z(start)}"} if starts else (),
        ),
        row.scope,
        row.reason,
    )
