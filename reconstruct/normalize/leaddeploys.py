"""The lead-up deploys: which deploys before ``window.start`` the timeline shows.

Two sets, both shown (``select``):

1. **The latest** ``LeadupSettings.deploys`` (``[github] leadup_deploys``, N) deploy rows before
   the window, newest first by time (ties by kind and key: ``order.order_key``), whatever they
   shipped. Every deploy row counts one: a deployment that went live and also failed (a
   success and a failure status) is two rows. N = 0 shows none of them; an N larger than
   the deploys there are shows them all. Raising N never removes a row.
2. **The deploy that shipped each lead-up change shown** (``leadup.choose``), beyond N: the
   first deploy row, not failed, that went live at or after the change was merged and carries
   one of its PR or commit refs (``pr:``, ``sha:``: the deployment's sha or PR equal to the PR's
   merge commit, never a guess from time alone). A change whose deploy is older than the
   latest N still shows the deploy that put it live.

A deploy of rule 1 needs a **tie to the incident** too (``during.judge_leadup``, the window's
rule of ties: an affected service's repository, a revert or rollback, named by anyone in the
incident, words in common with it), so rule 1 counts the latest N deploys *with a tie*; a
deploy of another team's repository (``acme/search-api`` in a checkout incident) is no row
however recent, but a named count with its links (``set_aside``: "1 deploy in the lead-up with
no tie to the incident in github:acme/search-api (1a2b3c4 to production at 2026-11-16 10:05)"),
when it is among the latest N deploys (those rule 1 would show untied: ``pick``). A deploy of
rule 2 needs no tie: the change it shipped is shown. With ``[github] window_changes = "all"``
no tie is asked for. Ties never depend on N (every lead-up deploy is judged at once), so
raising N never removes a row.

A deploy tied **only by its repository** (an affected service's, or named like it: no revert,
named by no record of the incident, no words in common with it) whose shipped change is known
and was judged no lead-up change (``not_relevant``: its ``pr:`` or ``sha:`` ref is that of a
lead-up change ``leadup.choose`` did not show, "docs: fix README typo") is set aside like an
untied one: "1 deploy in the lead-up in github:acme/checkout that shipped PR #2288, not found
relevant to this incident". It stays a row when it also shipped a lead-up change shown.

A deploy tied only by its repository whose shipped change is **unknown** (its sha is no
collected PR's merge commit nor a collected commit, or its PR was merged before the collection
range: ``unknown_content``) may have shipped anything, so it stays a row when it is what an SRE
asks about first: a deploy to production (tag ``production``, not ``transient``: the
environment the incident is in) that went live at most ``CLOSE`` (a day) before the first
symptom (``during.first_symptom``: the window's first alert, or the trigger), and when it is
the first deploy of its repository after a lead-up change shown that no deploy says it shipped
(``may_have_shipped``: a PR read from the search, its merge commit unknown). Any other (days
earlier, or to another environment) is set aside like an untied one: "1 deploy in the lead-up
in github:acme/checkout of unknown content, tied only by the repository (3b7c9d1 to production
at 2026-11-13 11:06)"; ``--why`` says why under the table. A stronger tie (its PR or commit
named, words in common, a revert) keeps it a row whatever its age. Deploys during the window
are ``during``'s, never this rule's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from reconstruct.model import Event, Kind
from reconstruct.normalize.during import MAX_LISTED, item
from reconstruct.normalize.order import order_key

_CHANGE_REFS = ("pr:", "sha:")


def latest(deploys: Iterable[Event], n: int) -> list[Event]:
    """The ``n`` latest deploy rows of ``deploys`` (rule 1), oldest first; all when fewer."""
    ordered = sorted((e for e in deploys if e.kind is Kind.DEPLOY), key=order_key)
    return ordered[max(len(ordered) - n, 0) :] if n > 0 else []


def shipping(deploys: Iterable[Event], changes: Iterable[Event]) -> dict[str, str]:
    """Deploy key -> the change it shipped (``PR #3310``, ``commit 5aa0d19``), of the first
    deploy of each change in ``changes`` (rule 2)."""
    candidates = sorted(
        (e for e in deploys if e.kind is Kind.DEPLOY and "failure" not in e.tags), key=order_key
    )
    out: dict[str, str] = {}
    for change in sorted(changes, key=order_key):
        refs = {r for r in change.refs if r.startswith(_CHANGE_REFS)}
        if not refs:
            continue
        first = next((d for d in candidates if d.time >= change.time and refs & d.refs), None)
        if first is not None:
            out.setdefault(first.key, _name(refs))
    return out


def _name(refs: set[str]) -> str:
    """``PR #3310`` for ``pr:owner/repo#3310``, else ``commit 5aa0d19``."""
    for ref in sorted(refs):
        if ref.startswith("pr:") and "#" in ref:
            return f"PR #{ref.rpartition('#')[2]}"
    return f"commit {min(refs)[4:]}"


NOT_RELEVANT = ", not found relevant to this incident"
"""The end of the reason a deploy tied only by its repository is counted under
(``not_relevant``)."""


def not_relevant(
    deploys: Iterable[Event],
    repository_only: Iterable[str],
    changes: Iterable[Event],
    shown: Iterable[str],
) -> dict[str, str]:
    """Deploy key -> the reason it is counted under, of each of ``deploys`` whose only tie is
    its repository (``repository_only``: keys, ``during.Judged``) and which shipped a lead-up
    change (among ``changes``: its ``pr:`` or ``sha:`` ref) but none of those ``shown`` (keys):
    ``deploys in the lead-up in github:acme/checkout that shipped PR #2288, not found relevant
    to this incident``. A deploy whose change is unknown is none of them."""
    weak = set(repository_only)
    shown = set(shown)
    by_ref: dict[str, list[Event]] = {}
    for change in changes:
        if change.kind is Kind.CHANGE:
            for ref in change.refs:
                if ref.startswith(_CHANGE_REFS):
                    by_ref.setdefault(ref, []).append(change)
    out: dict[str, str] = {}
    for deploy in deploys:
        if deploy.key not in weak or deploy.kind is not Kind.DEPLOY:
            continue
        found = {c.key: c for ref in deploy.refs for c in by_ref.get(ref, ())}
        if not found or shown.intersection(found):
            continue
        refs = {r for c in found.values() for r in c.refs if r.startswith(_CHANGE_REFS)}
        name = _name(refs)
        out[deploy.key] = (
            f"deploys in the lead-up in {deploy.scope} that shipped {name}{NOT_RELEVANT}"
        )
    return out


CLOSE = timedelta(days=1)
"""A production deploy of unknown content this close before the first symptom stays a row."""
UNKNOWN = " of unknown content, tied only by the repository ("
"""What the reason of a deploy ``unknown_content`` sets aside says after its repository."""
UNKNOWN_NOTE = (
    "unknown content: its commit is no collected PR's or commit's; tied only by its repository, "
    "not to production within a day before the first symptom"
)
"""``--why``'s note on such a deploy (``shipped_note``)."""


def known_refs(changes: Iterable[Event]) -> frozenset[str]:
    """The ``pr:`` and ``sha:`` refs of the collected changes (kind ``change``): what says what
    a deploy shipped."""
    return frozenset(
        r for c in changes if c.kind is Kind.CHANGE for r in c.refs if r.startswith(_CHANGE_REFS)
    )


def unknown_content(
    deploys: Iterable[Event],
    repository_only: Iterable[str],
    changes: Iterable[Event],
    first: datetime,
    start: datetime,
    shown: Iterable[Event] = (),
) -> dict[str, str]:
    """Deploy key -> the reason it is counted under, of each of ``deploys`` whose only tie is
    its repository (``repository_only``), whose ``pr:``/``sha:`` refs are no collected change's
    (among ``changes``) and which is no production deploy at most ``CLOSE`` before ``first``
    (the first symptom), nor the deploy that may have shipped a lead-up change ``shown``
    (``may_have_shipped``): ``deploys in the lead-up in github:acme/checkout of unknown
    content, tied only by the repository (3b7c9d1 to production at 2026-11-13 11:06)``, one
    reason per repository (``start``: the window's start, for the times' day)."""
    deploys = list(deploys)
    weak = set(repository_only)
    known = known_refs(changes)
    maybe = may_have_shipped(deploys, shown)
    groups: defaultdict[str, list[Event]] = defaultdict(list)
    for deploy in deploys:
        if deploy.key not in weak or deploy.kind is not Kind.DEPLOY or known & deploy.refs:
            continue
        if deploy.key in maybe:
            continue
        close = deploy.time < first and first - deploy.time <= CLOSE
        if close and "production" in deploy.tags and "transient" not in deploy.tags:
            continue  # it may have shipped anything, just before: what an SRE asks about first
        groups[deploy.scope].append(deploy)
    out: dict[str, str] = {}
    for scope, events in groups.items():
        events.sort(key=lambda e: (e.time, e.key))
        items = [item(e, start) for e in events]
        listed = ", ".join(items[:MAX_LISTED])
        if len(items) > MAX_LISTED:
            listed += f" and {len(items) - MAX_LISTED} more"
        reason = f"deploys in the lead-up in {scope}{UNKNOWN}{listed})"
        out.update((e.key, reason) for e in events)
    return out


def may_have_shipped(deploys: Iterable[Event], shown: Iterable[Event]) -> set[str]:
    """Keys of the deploys that may have put a lead-up change ``shown`` live when no deploy
    says it did (none carries its ``pr:`` or ``sha:`` ref: a PR read from the search, its merge
    commit unknown): the first deploy row of its repository, not failed, at or after its merge.
    Such a deploy is no "deploy that shipped" it (never a guess from time alone), but it stays
    a row: what it shipped is unknown and may be that change."""
    candidates = sorted(
        (e for e in deploys if e.kind is Kind.DEPLOY and "failure" not in e.tags), key=order_key
    )
    said = {r for d in candidates for r in d.refs if r.startswith(_CHANGE_REFS)}
    out: set[str] = set()
    for change in shown:
        refs = {r for r in change.refs if r.startswith(_CHANGE_REFS)}
        if change.kind is not Kind.CHANGE or refs & said:
            continue
        after = (d for d in candidates if d.scope == change.scope and d.time >= change.time)
        if (deploy := next(after, None)) is not None:
            out.add(deploy.key)
    return out


def shipped_note(reason: str) -> str | None:
    """``shipped PR #2288, not found relevant to this incident`` of a reason ``not_relevant``
    gave, ``UNKNOWN_NOTE`` of one ``unknown_content`` gave, else None (``--why``'s list of the
    rows not shown)."""
    if reason.startswith("deploys in the lead-up in ") and UNKNOWN in reason:
        return UNKNOWN_NOTE
    if not reason.endswith(NOT_RELEVANT) or " that shipped " not in reason:
        return None
    return "shipped " + reason.rpartition(" that shipped ")[2]


@dataclass(frozen=True, slots=True)
class Picked:
    shown: Mapping[str, str]
    """Deploy key -> the tail of its reason: ``""``, or ``; tie to the incident: ...``."""
    set_aside: Mapping[str, str]
    """Deploy key -> the reason it is counted under (no tie; among the latest N)."""


def pick(
    deploys: Iterable[Event],
    n: int,
    shipped: Mapping[str, str],
    tied: Mapping[str, str] | None,
    unrelated: Mapping[str, str],
    weakly: Iterable[str] = (),
) -> Picked:
    """The lead-up deploys shown by rule 1 (the latest ``n`` of those ``tied``: key -> the
    reason's tail; all deploys when ``tied`` is None, ``window_changes = "all"``), and those
    set aside: the untied ones among the latest ``n`` of all (``unrelated``'s reason) that
    shipped no change shown (``shipped``: they are rows of rule 2). ``weakly``: keys of
    deploys tied by their repository alone that ``not_relevant`` or ``unknown_content`` took
    out of ``tied``; one is set aside too when it is among the latest ``n`` of those tied with
    it (a row but for that rule)."""
    deploys = list(deploys)
    if tied is None:
        return Picked({e.key: "" for e in latest(deploys, n)}, {})
    shown = {e.key: tied[e.key] for e in latest((e for e in deploys if e.key in tied), n)}
    weak = set(weakly)
    but_for = {e.key for e in latest((e for e in deploys if e.key in tied or e.key in weak), n)}
    candidates = {e.key for e in latest(deploys, n)} | (but_for & weak)
    aside = {
        e.key: unrelated[e.key]
        for e in deploys
        if e.key in candidates and e.key not in tied and e.key not in shipped and e.key in unrelated
    }
    return Picked(shown, aside)
