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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reconstruct.model import Event, Kind
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
) -> Picked:
    """The lead-up deploys shown by rule 1 (the latest ``n`` of those ``tied``: key -> the
    reason's tail; all deploys when ``tied`` is None, ``window_changes = "all"``), and those
    set aside: the untied ones among the latest ``n`` of all (``unrelated``'s reason) that
    shipped no change shown (``shipped``: they are rows of rule 2)."""
    deploys = list(deploys)
    if tied is None:
        return Picked({e.key: "" for e in latest(deploys, n)}, {})
    shown = {e.key: tied[e.key] for e in latest((e for e in deploys if e.key in tied), n)}
    aside = {
        e.key: unrelated[e.key]
        for e in latest(deploys, n)
        if e.key not in tied and e.key not in shipped and e.key in unrelated
    }
    return Picked(shown, aside)
