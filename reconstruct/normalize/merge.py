"""Cross-tool merge: one occurrence reported by several tools becomes one event.

Two records are candidates when they have the same kind, share a merge ref (``refs.MERGE_PREFIXES``;
never time alone), lie within ``merge_window``, come from different sources and neither is a
person's message (tag ``human``). Candidates are found per ``(kind, ref)`` bucket, sorted by time,
looking only at the next ``NEIGHBOURS`` records of each other source within the window
(n log n, no all-pairs). Pairs are then joined greedily, closest first; a row holds at most one
record per scope (one per Slack channel, one per GitHub repo: a staging and a production deploy
of one SHA stay two rows, while the deploy bot's posts in #inc and #deploys both join the
deployment), spans at most ``merge_window`` and never joins two states of one alert rule, nor
two instances of one (``instances``: a row's instance labels, ``label:pod=web-00``, agree; two
records joined on a rule alone have the same labels, or one has none and its text names the
other's values, ``same_instance``; an alert rule's refs are also bucketed per instance, so a storm
of 100 pods pairs pod with pod).

An incident reference (``pd:``, ``pd#``) is shared by every record of the incident (its trigger,
alerts, pages, acknowledgements, the chat app's posts), so it is never enough on its own: two
alerts whose only shared refs are incident refs join only when both state the same incident
state (``stated``: a ``state:`` tag, or the verb a tool's post says: "Triggered", "Resolved").
So the PagerDuty app's "Triggered #4711" post joins the trigger log entry, never an alert record
of the incident 15 s earlier. (Other kinds say it by their kind: an "Acknowledged" post is an
``ack`` like the acknowledgement it reports.)
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from reconstruct.model import Event, Kind
from reconstruct.normalize.authority import event_rank
from reconstruct.normalize.evolve import new_event
from reconstruct.normalize.groupposts import group_post
from reconstruct.normalize.instances import LABEL, instance_of
from reconstruct.normalize.order import argsort
from reconstruct.normalize.refs import MERGE_PREFIXES, merge_refs

NEIGHBOURS = 8
"""Per record and other source: how many of the next records in the bucket are candidates."""
INSTANCE_WINDOW = timedelta(minutes=6)
"""Default ``[normalize] instance_window``: how far apart a tool's record of one alert instance
and a chat notification of it (same rule, state and instance labels) may lie. Alertmanager,
also Grafana's, holds a group's first notification ``group_wait`` (default 30 s) and notifies
an alert that joins a group already notified at the group's next flush, up to
``group_interval`` (default 5 m) later: 5 m 30 s, plus 30 s for delivery
(https://prometheus.io/docs/alerting/latest/configuration/#route)."""
_INSTANCE_SEP = "|"


@dataclass(slots=True)
class _Row:
    members: list[int]
    scopes: set[str]
    first: float
    last: float
    rules: dict[str, set[str]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    """Instance labels (``pod`` -> ``web-00``) of the row's records: a row is one instance."""


def merge_tools(
    events: list[Event], merge_window: timedelta, instance_window: timedelta | None = None
) -> list[Event]:
    """The events with every cross-tool occurrence folded into one row. Keys must be unique
    for the result not to depend on the input's order (records of one time are ordered by key).

    ``instance_window`` (at least ``merge_window``): how far apart two records of one alert
    instance may lie, both with its instance labels and the same rule and state
    (``INSTANCE_WINDOW``: a chat notification Alertmanager held back by its grouping).

    Records that cannot merge come first, unchanged: a person's message, a record without a merge
    ref, and a finished row (several sources: normalizing twice changes nothing, repeated keys
    or not: ``tests/test_merge_properties.py``; unless more than ``NEIGHBOURS`` records of one
    source at one time crowd a record's candidates, and joining rows leaves it fewer on the
    second pass). The order of the result is not the timeline's (``order`` sorts it).
    """
    out: list[Event] = []
    evs: list[Event] = []
    has_merge_ref: dict[frozenset[str], bool] = {}
    """Per distinct set of refs (records repeat them): does it hold a merge ref?"""
    for event in events:
        refs = event.refs
        mergeable = has_merge_ref.get(refs)
        if mergeable is None:
            mergeable = has_merge_ref[refs] = any(r.startswith(MERGE_PREFIXES) for r in refs)
        if not mergeable or len(event.sources) != 1 or "human" in event.tags:
            out.append(event)
        else:
            evs.append(event)
    # (time, key) order, so indices are deterministic: sorted on the float timestamps (a
    # timestamp never decreases with the time), runs of equal timestamps by (time, key).
    times = [e.time.timestamp() for e in evs]
    by_time = argsort(times, lambda k: (evs[k].time, evs[k].key))
    evs = [evs[k] for k in by_time]
    stamps = [times[k] for k in by_time]
    limit = merge_window.total_seconds()
    wide = max(limit, (instance_window or INSTANCE_WINDOW).total_seconds())
    pairs = _candidate_pairs(evs, stamps, limit, wide)
    strong: dict[frozenset[str], frozenset[str]] = {}
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
        # _joinable(a, b, limit), inlined: most pairs fail on the scopes (a row is full).
        if a is b or not a.scopes.isdisjoint(b.scopes):
            continue
        first = a.first if a.first <= b.first else b.first
        last = a.last if a.last >= b.last else b.last
        if last - first > limit and (last - first > wide or not _one_instance(a, b)):
            continue
        if b.rules and a.rules and not _rules_agree(a.rules, b.rules):
            continue
        if not _labels_agree(a.labels, b.labels):
            continue
        if not _says_the_same(evs[i], evs[j], strong):
            continue
        a.members += b.members
        a.scopes |= b.scopes
        a.first, a.last = first, last
        for name, states in b.rules.items():
            a.rules.setdefault(name, set()).update(states)
        a.labels.update(b.labels)
        for member in b.members:
            row_of[member] = a
    for index, event in enumerate(evs):
        row = row_of[index]
        if row is None or len(row.members) == 1:
            out.append(event)
        elif index == min(row.members):
            out.append(combine([evs[m] for m in row.members]))
    return out


def _candidate_pairs(evs: list[Event], stamps: list[float], limit: float, wide: float) -> list[int]:
    """The candidate pairs, closest first, each as one int that sorts like ``(gap, i, j)``:
    ``gap_bits << 64 | i << 32 | j``. A gap is >= 0, and a non-negative IEEE 754 double orders
    like its bit pattern; ``i < j < 2**32``. At a million records this sorts about twice as fast
    as tuples (a float sort by index costs as much: its random reads of the scattered floats).

    Per record and other source: the next ``NEIGHBOURS`` records at or after its time whose gap
    (``later - earlier``) is at most ``limit`` (``wide`` in an alert instance's bucket, whose
    ref carries the instance labels), found by bisection and taken as slices."""
    buckets: dict[tuple[Kind, str], list[int]] = defaultdict(list)
    refs_of: dict[tuple[frozenset[str], frozenset[str]], list[str]] = {}
    for index, event in enumerate(evs):
        both = (event.refs, event.tags)
        mine = refs_of.get(both)
        if mine is None:
            mine = refs_of[both] = _bucket_refs(event)
        kind = event.kind
        for ref in mine:
            buckets[(kind, ref)].append(index)
    gaps: list[float] = []
    pairs: list[int] = []
    for (_kind, ref), bucket in buckets.items():
        if len(bucket) < 2:
            continue
        span = wide if _INSTANCE_SEP + LABEL in ref else limit
        by_sources: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for index in bucket:
            by_sources[evs[index].sources].append(index)
        if len(by_sources) < 2:
            continue
        groups = [(set(srcs), idx, [stamps[k] for k in idx]) for srcs, idx in by_sources.items()]
        for index in bucket:
            mine_sources, when = evs[index].sources, stamps[index]
            high = index << 32
            for srcs, idx, times in groups:
                if not srcs.isdisjoint(mine_sources):
                    continue
                pos = bisect_left(times, when)
                cap = min(pos + NEIGHBOURS, len(idx))
                end = bisect_right(times, when + span, pos, cap)
                # The exact test is "times[k] - when <= span" (monotone in k): fix the rounding
                # of "when + span" at the boundary.
                while end > pos and times[end - 1] - when > span:
                    end -= 1
                while end < cap and times[end] - when <= span:
                    end += 1
                if end == pos:
                    continue
                gaps += [t - when for t in times[pos:end]]
                pairs += [high | o if index < o else (o << 32) | index for o in idx[pos:end]]
    bits = array("Q", array("d", gaps).tobytes())
    # Built inline: a function call per pair costs a tenth of this step at a million.
    return sorted({(g << 64) | p for g, p in zip(bits, pairs, strict=True)})


INCIDENT_PREFIXES = ("pd:", "pd#")
"""Refs every record of one incident carries: never enough to merge on alone."""
_STATE_VERB = re.compile(r"\b(triggered|unacknowledged|acknowledged|resolved|reopened)\b", re.I)
_VERB_STATE = {
    "triggered": "triggered",
    "unacknowledged": "triggered",
    "reopened": "triggered",
    "acknowledged": "acknowledged",
    "resolved": "resolved",
}


def stated(event: Event) -> str | None:
    """The incident state a record says it records: its ``state:`` tag, else (a tool's or bot's
    post) the first state verb of its text (``Triggered: #4711 ...`` -> ``triggered``)."""
    states = sorted(tag[6:] for tag in event.tags if tag.startswith("state:"))
    if states:
        return states[0]
    if "bot" in event.tags:
        match = _STATE_VERB.search(event.summary)
        if match is not None:
            return _VERB_STATE[match.group(1).lower()]
    return None


def _says_the_same(a: Event, b: Event, strong: dict[frozenset[str], frozenset[str]]) -> bool:
    """A ref other than the incident's in common (when that is an alert rule's only, the same
    instance labels, ``instances``); else, for alerts, the same stated incident state. (Other
    kinds already say the same thing: "Acknowledged", "Escalated" and "Resolved" posts and log
    entries have one kind each, while kind ``alert`` holds an incident's trigger
    and every alert record of it.)"""
    shared = _strong(a.refs, strong) & _strong(b.refs, strong)
    if shared:
        # an alert rule's name (and the time) alone: only for the same instance
        rule_only = all(r.startswith("rule:") for r in shared)
        return not rule_only or same_instance(a, b)
    if a.kind is not Kind.ALERT:
        return True
    state = stated(a)
    return state is not None and state == stated(b)


def _strong(refs: frozenset[str], memo: dict[frozenset[str], frozenset[str]]) -> frozenset[str]:
    """The merge refs that are not incident refs (remembered per distinct set of refs)."""
    found = memo.get(refs)
    if found is None:
        found = memo[refs] = frozenset(
            r for r in merge_refs(refs) if not r.startswith(INCIDENT_PREFIXES)
        )
    return found


def _bucket_refs(event: Event) -> list[str]:
    """The merge refs a record is bucketed by; an alert rule's refs carry the record's instance
    labels (``rule:x:firing|label:pod=web-00``) too, so the records of one instance are
    neighbours however many instances of the rule fire at once. (The bare ref stays: a chat
    title that names its instance by value only, ``[FIRING:1] Cache hit ratio (cache-07)``.)"""
    mine = merge_refs(event.refs)
    instance = instance_of(event.tags)
    if not instance:
        return mine
    suffix = _INSTANCE_SEP + ",".join(instance)
    return mine + [ref + suffix for ref in mine if ref.startswith("rule:")]


def same_instance(a: Event, b: Event) -> bool:
    """The same instance labels; or one record has none and its text names each of the other's
    instance label values as a word (Grafana's default notification title lists the values
    only: ``[FIRING:1] Cache hit ratio (cache-07)``), and is no post of several alerts
    (``groupposts``: ``[RESOLVED] X`` listing twelve pods names each, and is none of them)."""
    ia, ib = instance_of(a.tags), instance_of(b.tags)
    if ia == ib:
        return True
    if ia and ib:
        return False
    labeled, text = (ia, b.summary) if ia else (ib, a.summary)
    if (post := group_post(text)) is not None and post.several:
        return False
    return all(_names_value(text, tag.partition("=")[2]) for tag in labeled)


def _names_value(text: str, value: str) -> bool:
    return bool(value) and re.search(rf"(?<![\w.-]){re.escape(value)}(?![\w.-])", text) is not None


def _one_instance(a: _Row, b: _Row) -> bool:
    """Both rows name an alert instance (labels) of a rule they share: they may lie as far
    apart as ``instance_window``."""
    return bool(a.labels and b.labels and a.rules.keys() & b.rules.keys())


def _labels_agree(a: dict[str, str], b: dict[str, str]) -> bool:
    """No instance label with different values in the two rows."""
    return all(a[k] == v for k, v in b.items() if k in a)


def _rules_agree(a: dict[str, set[str]], b: dict[str, set[str]]) -> bool:
    """No alert rule with different states in the two rows."""
    return all(a[name] == states for name, states in b.items() if name in a)


_LOW = (1 << 32) - 1


def _single(evs: list[Event], stamps: list[float], index: int) -> _Row:
    rules: dict[str, set[str]] = {}
    for ref in evs[index].refs:
        if ref.startswith("rule:"):
            name, _, state = ref.rpartition(":")
            rules.setdefault(name, set()).add(state)
    event = evs[index]
    scope = event.scope or event.sources[0]
    labels = dict(t[len(LABEL) :].partition("=")[::2] for t in instance_of(event.tags))
    return _Row([index], {scope}, stamps[index], stamps[index], rules, labels)


def combine(records: list[Event]) -> Event:
    """Records of one occurrence as one event: earliest time, the most authoritative record's
    summary, key, actor and scope; links, refs, tags and sources unioned (sorted). Without an
    actor of its own, the row takes another record's, never a bot's: the PagerDuty app's name
    on PagerDuty's own trigger says nothing ("PagerDuty: Incident #4711 triggered")."""
    records = sorted(records, key=lambda e: (event_rank(e), e.time, e.key))
    primary = records[0]
    actor = primary.actor or next(
        (r.actor for r in records if r.actor and "bot" not in r.tags), None
    )
    return new_event(
        min(r.time for r in records),
        primary.kind,
        primary.summary,
        tuple(sorted({s for r in records for s in r.sources})),
        tuple(sorted({link for r in records for link in r.links})),
        primary.key,
        actor,
        frozenset().union(*(r.refs for r in records)),
        frozenset().union(*(r.tags for r in records)),
        primary.scope,
        primary.reason,
    )
