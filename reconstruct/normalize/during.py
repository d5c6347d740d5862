"""Changes during the incident: which deploys and merged PRs of the window are tied to it.

A busy organisation deploys all day: a deploy of another team's service in the middle of a DNS
incident is no step of it, and an author deletes its row. ``judge`` reads every tool record of
kind ``change`` or ``deploy`` of a repository (scope ``<source>:owner/name``) at or after
``window.start`` (``[github] window_changes = "related"``, the default) and keeps it as a row
when anything ties it to the incident; the first tie found is its reason's tail
(``; tie to the incident: ...``, shown with ``--why``):

1. it is a **revert** or a **rollback** (an undo is a step of a response);
2. its repository is one ``[github.services]`` maps an affected service to, or is **named like
   an affected service** (``concern.name_forms``: ``acme/checkout-api`` for "Checkout API",
   ``acme/platform-charts`` shares ``platform`` with ``platform-dns``);
3. it is **named in the evidence**: a record of the window about this incident (a row that is
   no change or deploy record itself, a message of the incident channel shown or not, a note,
   an annotation, an alert) names its PR (``#3310``, ``PR 3310``, a PR link,
   ``acme/web#3310``), its commit (7+ hex digits), or its repository (``acme/web``, or ``web`` as
   a word). A record not shown from elsewhere names it only with its repository (a PR link,
   ``acme/web#3310``, ``acme/web``), and a bot's post outside the incident channel names
   nothing but as an alert (a deploy bot's own post about the deploy is no tie);
4. its title or labels are **relevant** as a lead-up change's would be (``leadup.Relevance``:
   words and identifiers shared with the incident's title and notes, ``leadup_match`` terms),
   or **name an affected service** ("Show the web banner for checkout outages" in a checkout
   incident: during the incident, one such word is enough; before it, it is not);
5. it is a **production deploy before the first symptom** (the first alert of the window, or
   the incident's trigger) of one of the incident's repositories (``LeadupSettings.repos``; none
   configured: any): a possible trigger stays, whatever it says;
6. it shares a PR or commit with a change tied by the rules above, or a tied change's text
   names it (the deploy of a named PR, the PR a revert reverts).

When in doubt, the row stays: a single shared word of a repository's name is a tie. A change
with no tie is no row but a named count, per repository and kind: ``1 deploy of other services
during the incident in github:acme/web (91cc0de to production at 16:24)``; JSON lists each one
with its links (``set_aside``). A row of a timeline normalized again keeps its tie (its
reason's tail), whatever record named it.

The lead-up's deploys are judged by the same rule (``ties``, through ``judge_leadup``; read by
``leaddeploys``) but for rule 5 (every lead-up deploy is before the first alert: that says
nothing) and rule 4's single word naming an affected service; an untied one among the latest
``leadup_deploys`` is counted ``deploys in the lead-up with no tie to the incident in
github:acme/search-api (1a2b3c4 to production at 2026-11-16 10:05)``. Those tied only by their
repository (rule 2, or rule 3 naming the repository, not the PR or commit) are marked
(``Judged.repository_only``): ``leaddeploys.not_relevant`` sets aside the ones that shipped a
lead-up change not found relevant, ``leaddeploys.unknown_content`` those whose content is
unknown and that are no production deploy of the day before the first symptom
(``first_symptom``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from reconstruct.config import LeadupSettings
from reconstruct.model import Event, Incident, Kind
from reconstruct.normalize.authority import is_chat
from reconstruct.normalize.concern import name_forms, scope_place
from reconstruct.normalize.leadup import Named, Relevance, named_as, named_in, word_parts

TIE = "; tie to the incident: "
"""The tail of a kept change's reason (``--why``), read again by a later normalization."""
UNTIED = (
    "no tie to the incident: not an affected service's repository, no revert, no deploy before "
    "the first alert, its PR, commit and repository named by no record of the incident, no "
    "words in common with the incident's title and notes"
)
"""Why a change of the window is not a row (``--why`` says it under the table)."""
MAX_LISTED = 4
"""Changes a count's reason lists by name; more are "and N more"."""
_CHANGING = (Kind.CHANGE, Kind.DEPLOY)


@dataclass(frozen=True, slots=True)
class Judged:
    tied: Mapping[str, str]
    """Key -> the reason's tail (``TIE`` + why) of each change kept for a tie found now."""
    unrelated: Mapping[str, str]
    """Key -> the reason it is counted under (``... in github:acme/web (...)``)."""
    repository_only: frozenset[str] = frozenset()
    """Keys of the lead-up deploys (``judge_leadup``) whose only tie is their repository (rule
    2): no revert, named by nothing, no words in common (``leaddeploys.not_relevant``)."""
    worded: frozenset[str] = frozenset()
    """Keys of those tied by words alone (``ties``' ``worded``): no row the lede may name as
    the change that preceded (``leadup.WORDS_ONLY``)."""


def is_candidate(event: Event, start: datetime) -> bool:
    """A tool's change or deploy record of a repository, in the window."""
    return (
        event.kind in _CHANGING
        and event.time >= start
        and "/" in scope_place(event.scope)
        and not is_chat(event.sources)
    )


def judge(
    kept: list[Event],
    said: Iterable[Event],
    linked: Iterable[Event],
    incident: Incident,
    start: datetime,
    settings: LeadupSettings,
) -> Judged:
    """The ties (and the counts of the rest) of the window's changes among ``kept`` (the rows
    selection keeps); ``said``: records of the incident channel not shown (every name counts);
    ``linked``: other records not shown (a name with its repository counts)."""
    if settings.window_changes == "all":
        return Judged({}, {})
    candidates = [e for e in kept if is_candidate(e, start) and TIE not in e.reason]
    if not candidates:
        return Judged({}, {})
    worded: set[str] = set()
    tied = ties(candidates, kept, said, linked, incident, start, settings, worded=worded)
    unrelated = _counted([e for e in candidates if e.key not in tied], start)
    return Judged({k: TIE + why for k, why in tied.items()}, unrelated, worded=frozenset(worded))


def judge_leadup(
    deploys: Iterable[Event],
    rows: list[Event],
    said: Iterable[Event],
    linked: Iterable[Event],
    incident: Incident,
    start: datetime,
    settings: LeadupSettings,
) -> Judged | None:
    """The ties of the deploys before the window (``leaddeploys``), by the rules above but the
    window's own (rule 5: every one is before the first alert; rule 4's single word naming an
    affected service), against the window's ``rows``, ``said`` and ``linked`` as ``judge``
    reads them; the untied ones are counted ``deploys in the lead-up with no tie to the
    incident in github:acme/search-api (1a2b3c4 to production at 2026-11-16 10:05)``. None
    with ``[github] window_changes = "all"``: every deploy may be shown. A row of a timeline
    normalized again keeps its tie."""
    if settings.window_changes == "all":
        return None
    early = [e for e in deploys if e.kind is Kind.DEPLOY and e.time < start]
    kept = {e.key: e.reason[e.reason.index(TIE) :] for e in early if TIE in e.reason}
    candidates = [e for e in early if e.key not in kept]
    weak: set[str] = set()
    worded: set[str] = set()
    tied = ties(
        candidates, rows, said, linked, incident, start, settings, before=True, weak=weak,
        worded=worded,
    )  # fmt: skip
    unrelated = _counted([e for e in candidates if e.key not in tied], start, before=True)
    return Judged(
        {**kept, **{k: TIE + why for k, why in tied.items()}},
        unrelated,
        frozenset(weak),
        frozenset(worded),
    )


def ties(
    candidates: list[Event],
    kept: list[Event],
    said: Iterable[Event],
    linked: Iterable[Event],
    incident: Incident,
    start: datetime,
    settings: LeadupSettings,
    *,
    before: bool = False,
    weak: set[str] | None = None,
    worded: set[str] | None = None,
) -> dict[str, str]:
    """Key -> why (the first tie found, rules 1 to 6) of each of ``candidates`` (changes and
    deploys) tied to the incident, read against ``kept`` (the window's rows), ``said`` and
    ``linked`` (``judge``); ``before``: the candidates are the lead-up's (rules 5 and 4's
    single word naming an affected service do not apply). The one rule of what ties a change
    to this incident, in the window and before it. ``weak``, when given: filled with the keys
    tied only by their repository (rule 2, or rule 3 naming their repository, not their PR or
    commit; rules 3, 4 and 6 are read for them too, the reason stays the first tie found).
    ``worded``, when given: filled with the keys tied by words alone (rule 4, its repository
    too before the window; or rule 6 from such a change only): words in common say a change may
    be relevant, not that anything ties it to the incident (the lede names none of them)."""
    if not candidates:
        return {}
    keys = {e.key for e in candidates}
    evidence = [e for e in kept if e.key not in keys and _speaks(e, start)]
    said = [e for e in said if _speaks(e, start)]
    linked = [e for e in linked if e.time >= start and _speaks(e, start) and "bot" not in e.tags]
    tied: dict[str, str] = {}
    repository: set[str] = set()
    for event in candidates:  # rules 1, 2
        if (why := _own_tie(event, settings, incident)) is not None:
            tied[event.key] = why
            if weak is not None and "revert" not in event.tags and "rollback" not in event.tags:
                repository.add(event.key)
    texts = [*evidence, *said]
    repos = _RepoNames.of(candidates)
    places = repos.said(texts, qualified_only=False) | repos.said(linked, qualified_only=True)
    named = named_in(texts, start, incident, linked)
    first = first_symptom(kept, incident, start)
    relevance: Relevance | None = None
    for event in candidates:  # rules 3, 4, 5
        if event.key in tied and event.key not in repository:
            continue
        why = _named_why(event, named, places)
        # its repository named is no stronger a tie than rule 2 (``weak``): its words are read too
        by_place = weak is not None and why is not None and named_as(event, named) is None
        words = False
        if why is None or by_place:
            relevance = relevance or Relevance.of(
                kept, incident, start, settings, frozenset(_places(candidates))
            )
            found = relevance.judge(event)
            if found is not None:
                words = why is None or before
                why, by_place = why or "; ".join(found[1]), False
            elif not before and (service := relevance.names_service(event)) is not None:
                words = why is None
                why = why or f'naming the affected service "{service}"'
        if not before and _possible_trigger(event, first, settings):
            words = False
            why = why or "deployed before the first alert (a possible trigger)"
        if why is None:
            continue
        if words and worded is not None:
            worded.add(event.key)
        if by_place:
            tied.setdefault(event.key, why)
            repository.add(event.key)
        elif event.key in repository:
            repository.discard(event.key)  # a stronger tie than its repository
        else:
            tied[event.key] = why
    grown = bool(tied)
    while grown:  # rule 6: a tied change's PR, commit, or text (a revert names what it reverts)
        grown = False
        tied_events = [e for e in candidates if e.key in tied]
        by_tied = named_in(tied_events, start, incident)
        tied_refs = frozenset(
            r for e in tied_events for r in e.refs if r.startswith(("pr:", "sha:"))
        )
        firm = [e for e in tied_events if worded is None or e.key not in worded]
        for event in candidates:
            if event.key in tied:
                continue
            if tied_refs.intersection(event.refs):
                tied[event.key] = "the PR or commit of a change tied to the incident"
            elif (how := named_as(event, by_tied)) is not None:
                tied[event.key] = f"{how} by a change tied to the incident"
            else:
                continue
            grown = True
            if worded is not None and not _from_any(event, firm, start, incident):
                worded.add(event.key)  # only words tie what ties it
    if weak is not None:  # rule 6 for those tied by their repository: a strongly tied PR/commit
        strong = {
            r
            for e in candidates
            if e.key in tied and e.key not in repository
            for r in e.refs
            if r.startswith(("pr:", "sha:"))
        }
        weak.update(e.key for e in candidates if e.key in repository and not strong & e.refs)
    return tied


def _from_any(event: Event, tied: list[Event], start: datetime, incident: Incident) -> bool:
    """Rule 6 from one of ``tied``: a PR or commit shared, or named by its text."""
    refs = {r for e in tied for r in e.refs if r.startswith(("pr:", "sha:"))}
    return bool(refs & event.refs) or named_as(event, named_in(tied, start, incident)) is not None


_HEX = re.compile(
    r"(?<![0-9a-zA-Z])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}(?![0-9a-zA-Z])",
    re.IGNORECASE,
)
"""A commit as people write it: 7 to 40 hex digits, a letter and a digit among them."""


def mentions(events: Iterable[Event]) -> Callable[[str], bool] | None:
    """A test of a message's text: does it name a commit or one of the repositories of these
    events' changes and deploys (rule 3)? Such a message of the incident channel is read here
    even when it is no row (``chatter.set_aside`` and the parsers' tally keep it). None when no
    change or deploy of a repository is among ``events``."""
    places = {
        scope_place(e.scope) for e in events if e.kind in _CHANGING and "/" in scope_place(e.scope)
    }
    if not places:
        return None
    repos = _RepoNames.of_places(places)

    def says(text: str) -> bool:
        if _HEX.search(text):
            return True
        lower = text.lower()
        return bool(repos.short and repos.short.search(lower)) or bool(
            repos.full and repos.full.search(lower)
        )

    return says


def _speaks(event: Event, start: datetime) -> bool:
    """Whether a record may name a change: not a change or deploy record itself (a person's
    message classified so still speaks), not a bot's post outside the incident channel unless
    it is an alert."""
    if event.time < start:
        return False
    tags = event.tags
    if event.kind in _CHANGING and "human" not in tags:
        return False
    return not ("bot" in tags and "incident-channel" not in tags and event.kind is not Kind.ALERT)


def first_symptom(kept: Iterable[Event], incident: Incident, start: datetime) -> datetime:
    """The first alert of the window, or the incident's trigger when earlier."""
    first = incident.started_at
    for event in kept:
        if event.kind is Kind.ALERT and start <= event.time < first:
            first = event.time
    return first


def _places(events: Iterable[Event]) -> set[str]:
    return {scope_place(e.scope) for e in events}


def _own_tie(event: Event, settings: LeadupSettings, incident: Incident) -> str | None:
    """Rules 1 and 2 of the module docstring: what the change itself says."""
    if "revert" in event.tags:
        return "a revert"
    if "rollback" in event.tags:
        return "a rollback"
    place = scope_place(event.scope)
    if place in settings.service_repos:
        return f"repository of an affected service ({place})"
    name = f" {word_parts(place.rpartition('/')[2])} "
    for service in incident.services:
        for form in sorted(name_forms(service), key=lambda f: (-len(f), f)):
            parts = word_parts(form)
            if parts and f" {parts} " in name:
                return f'repository named like the affected service "{service}"'
    return None


def _possible_trigger(event: Event, first: datetime, settings: LeadupSettings) -> bool:
    """Rule 5: a production deploy before the first symptom, of the incident's repositories."""
    if event.kind is not Kind.DEPLOY or event.time >= first or "production" not in event.tags:
        return False
    return not settings.repos or scope_place(event.scope) in settings.repos


@dataclass(frozen=True, slots=True)
class _RepoNames:
    full: re.Pattern[str] | None
    short: re.Pattern[str] | None

    @classmethod
    def of(cls, events: Iterable[Event]) -> _RepoNames:
        return cls.of_places(_places(events))

    @classmethod
    def of_places(cls, found: Iterable[str]) -> _RepoNames:
        places = sorted(set(found), key=lambda p: (-len(p), p))
        shorts = sorted(
            {p.rpartition("/")[2] for p in places if len(p.rpartition("/")[2]) >= 3},
            key=lambda s: (-len(s), s),
        )
        full = (
            re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, places)) + r")(?![\w-])")
            if places
            else None
        )
        short = (
            re.compile(r"(?<![\w./-])(" + "|".join(map(re.escape, shorts)) + r")(?![\w-])")
            if shorts
            else None
        )
        return cls(full, short)

    def said(self, texts: Iterable[Event], qualified_only: bool) -> set[str]:
        """The repositories (``owner/name``) and names (``name``) the texts say, lower case."""
        out: set[str] = set()
        for event in texts:
            text = event.summary.lower()
            if self.full is not None:
                out.update(m.group(1) for m in self.full.finditer(text))
            if self.short is not None and not qualified_only:
                out.update(m.group(1) for m in self.short.finditer(text))
        return out


def _named_why(event: Event, named: Named, said: set[str]) -> str | None:
    """Rule 3: a name of the change in the evidence: its PR or commit (``named``), or its
    repository (among ``said``)."""
    how = named_as(event, named)
    if how is not None:
        return f"{how} in the evidence"
    place = scope_place(event.scope)
    if place in said:
        return f'"{place}" named in the evidence'
    short = place.rpartition("/")[2]
    if short in said:
        return f'"{short}" named in the evidence'
    return None


def _counted(unrelated: list[Event], start: datetime, before: bool = False) -> dict[str, str]:
    """Key -> reason, one reason per repository and kind, naming each change (up to
    ``MAX_LISTED``): ``deploys of other services during the incident in github:acme/web
    (91cc0de to production at 16:24)``; ``before``: ``deploys in the lead-up with no tie to the
    incident in github:acme/search-api (...)``."""
    groups: defaultdict[tuple[str, Kind], list[Event]] = defaultdict(list)
    for event in unrelated:
        groups[(event.scope, event.kind)].append(event)
    out: dict[str, str] = {}
    for (scope, kind), events in groups.items():
        events.sort(key=lambda e: (e.time, e.key))
        items = [item(e, start) for e in events]
        listed = ", ".join(items[:MAX_LISTED])
        if len(items) > MAX_LISTED:
            listed += f" and {len(items) - MAX_LISTED} more"
        if before:
            reason = f"deploys in the lead-up with no tie to the incident in {scope} ({listed})"
        elif kind is Kind.DEPLOY:
            reason = f"deploys of other services during the incident in {scope} ({listed})"
        else:
            reason = f"changes of other services merged during the incident in {scope} ({listed})"
        for event in events:
            out[event.key] = reason
    return out


def item(event: Event, start: datetime) -> str:
    """``91cc0de to production at 16:24``, ``PR #3312 at 14:40`` (the day too when it is not
    the window's first)."""
    day = event.time.date() == start.date()
    when = f"{event.time:%H:%M}" if day else f"{event.time:%Y-%m-%d %H:%M}"
    refs = sorted(event.refs)
    pr = next((r.partition("#")[2] for r in refs if r.startswith("pr:")), None)
    sha = next((r[4:] for r in refs if r.startswith("sha:")), None)
    if event.kind is Kind.DEPLOY:
        what = sha or (f"PR #{pr}" if pr else "a deploy")
        if "production" in event.tags:
            what += " to production"
        if "failure" in event.tags:
            what += " (failed)"
    else:
        what = f"PR #{pr}" if pr else (sha or "a change")
    return f"{what} at {when}"
