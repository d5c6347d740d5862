"""Cross-tool merge: one occurrence reported by several tools becomes one event.

Two records are candidates when they have the same kind, share a merge ref (``refs.MERGE_PREFIXES``;
never time alone), lie within ``merge_window``, come from different sources and neither is a
person's message (tag ``human``). Candidates are found per ``(kind, ref)`` bucket, sorted by time,
looking only at the next ``NEIGHBOURS`` records of each other source within the window
(n log n, no all-pairs). Pairs are then joined greedily, closest first; a row holds at most one
record per scope (one per Slack channel, one per GitHub repo: a staging and a production deploy
of one SHA stay two rows, while the deploy bot's posts in #inc and #deploys both join the
deployment), spans at most ``merge_window`` and never joins two states of one alert rule.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reconstruct.model import Event, Kind
from reconstruct.normalize.authority import event_rank
from reconstruct.normalize.refs import MERGE_PREFIXES, merge_refs

NEIGHBOURS = 8
"""Per record and other source: how many of the next records in the bucket are candidates."""


@dataclass(slots=True)
class _Row:
    members: list[int]
    scopes: set[str]
    first: float
    last: float
    rules: dict[str, set[str]] = field(default_factory=dict)


def merge_tools(events: list[Event], merge_window: timedelta) -> list[Event]:
    """The events with every cross-tool occurrence folded into one row (keys must be unique).

    Records that cannot merge come first, unchanged: a person's message, a record without a merge
    ref, and a finished row (several sources: normalizing twice changes nothing). The order of
    the result is not the timeline's (``order`` sorts it).
    """
    out: list[Event] = []
    evs: list[Event] = []
    for event in events:
        if (
            "human" in event.tags
            or len(event.sources) != 1
            or not any(r.startswith(MERGE_PREFIXES) for r in event.refs)
        ):
            out.append(event)
        else:
            evs.append(event)
    evs.sort(key=_time_key)  # (time, key): indices are deterministic
    stamps = [e.time.timestamp() for e in evs]
    limit = merge_window.total_seconds()
    pairs = _candidate_pairs(evs, stamps, limit)
    row_of: list[_Row | None] = [None] * len(evs)
    """Each record's row once a pair names it: a row of one until it joins another."""
    for pair in pairs:
        i, j = (pair >> 32) & _LOW, pair & _LOW
        a = row_of[i]
        if a is None:
            a = row_of[i] = _single(evs, stamps, i)
        b = row_of[j]
        if b is None:
            b = row_of[j] = _single(evs, stamps, j)
        if a is b or not _joinable(a, b, limit):
            continue
        a.members += b.members
        a.scopes |= b.scopes
        a.first, a.last = min(a.first, b.first), max(a.last, b.last)
        for name, states in b.rules.items():
            a.rules.setdefault(name, set()).update(states)
        for member in b.members:
            row_of[member] = a
    for index, event in enumerate(evs):
        row = row_of[index]
        if row is None or len(row.members) == 1:
            out.append(event)
        elif index == min(row.members):
            out.append(combine([evs[m] for m in row.members]))
    return out


def _candidate_pairs(evs: list[Event], stamps: list[float], limit: float) -> list[int]:
    """The candidate pairs, closest first, each as one int that sorts like ``(gap, i, j)``
    (``_pair_key``; at a million records about twice as fast to sort as tuples)."""
    buckets: dict[tuple[Kind, str], list[int]] = defaultdict(list)
    for index, event in enumerate(evs):
        for ref in merge_refs(event.refs):
            buckets[(event.kind, ref)].append(index)
    gaps: list[float] = []
    los: list[int] = []
    his: list[int] = []
    for bucket in buckets.values():
        if len(bucket) < 2:
            continue
        by_sources: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for index in bucket:
            by_sources[evs[index].sources].append(index)
        if len(by_sources) < 2:
            continue
        groups = [(set(srcs), idx, [stamps[k] for k in idx]) for srcs, idx in by_sources.items()]
        for index in bucket:
            mine, when = evs[index].sources, stamps[index]
            for srcs, idx, times in groups:
                if not srcs.isdisjoint(mine):
                    continue
                pos = bisect_left(times, when)
                for k in range(pos, min(pos + NEIGHBOURS, len(idx))):
                    gap = times[k] - when
                    if gap > limit:
                        break
                    other = idx[k]
                    gaps.append(gap)
                    if index < other:
                        los.append(index)
                        his.append(other)
                    else:
                        los.append(other)
                        his.append(index)
    bits = array("Q", array("d", gaps).tobytes())
    return sorted({_pair_key(g, i, j) for g, i, j in zip(bits, los, his, strict=True)})


def _pair_key(gap_bits: int, i: int, j: int) -> int:
    """``(gap, i, j)`` as one int with the same order: a gap is >= 0, and a non-negative IEEE 754
    double orders like its bit pattern; ``i < j < 2**32``."""
    return (gap_bits << 64) | (i << 32) | j


_LOW = (1 << 32) - 1


def _time_key(event: Event) -> tuple[datetime, str]:
    return (event.time, event.key)


def _single(evs: list[Event], stamps: list[float], index: int) -> _Row:
    rules: dict[str, set[str]] = {}
    for ref in evs[index].refs:
        if ref.startswith("rule:"):
            name, _, state = ref.rpartition(":")
            rules.setdefault(name, set()).add(state)
    event = evs[index]
    scope = event.scope or event.sources[0]
    return _Row([index], {scope}, stamps[index], stamps[index], rules)


def _joinable(a: _Row, b: _Row, limit: float) -> bool:
    if not a.scopes.isdisjoint(b.scopes):
        return False
    if max(a.last, b.last) - min(a.first, b.first) > limit:
        return False
    return all(a.rules[name] == states for name, states in b.rules.items() if name in a.rules)


def combine(records: list[Event]) -> Event:
    """Records of one occurrence as one event: earliest time, the most authoritative record's
    summary, key, actor and scope; links, refs, tags and sources unioned (sorted)."""
    records = sorted(records, key=lambda e: (event_rank(e), e.time, e.key))
    primary = records[0]
    return Event(
        time=min(r.time for r in records),
        kind=primary.kind,
        summary=primary.summary,
        sources=tuple(sorted({s for r in records for s in r.sources})),
        links=tuple(sorted({link for r in records for link in r.links})),
        key=primary.key,
        actor=next((r.actor for r in records if r.actor), None),
        refs=frozenset().union(*(r.refs for r in records)),
        tags=frozenset().union(*(r.tags for r in records)),
        scope=primary.scope,
        reason=primary.reason,
    )
