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
"""

from __future__ import annotations

from collections.abc import Iterable

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
