"""Plans, attributes and cache flushes, as incident channels and PagerDuty notes say them
(``[classify]``, nc11i/nc11j).

Tables of people's words, positive and negative, for each kind of fault: a step to come is a plan
("Revert of #2291 coming", "revert first, capacity later"); "recovered" describing some things
("on the recovered nodes") is no resolution, a partial recovery a status; a cache or queue
flushed, purged, evicted or cleared is a mitigation. Then one figure test through the real
parsers: a PagerDuty ``annotate_log_entry`` (``GET /incidents/{id}/log_entries``, the note's
text in ``channel.summary``) and Slack ``conversations.history`` messages (``user``, ``text``,
``ts``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from reconstruct.model import Kind
from reconstruct.render import metrics
from tests.classify_table import cases, kind_of
from tests.test_rows import KIM, T0, entry, said, timeline, trigger, user

PLANS = [
    "Revert of #2291 coming.",
    "revert of #2291 coming",
    "revert first, capacity later",
    "rollback next",
    "going to roll back checkout",
    "we will revert #2291",
    "I'll roll back checkout",
    "I\u2019ll fail over to the replica",
    "failing over soon",
    "the revert will go out after CI",
    "plan: revert #2291, then scale out",
]
"""A step to come: no kind (a plan is no mitigation)."""

TAKEN = [
    "rolling back now",
    "reverted #2291, errors dropping",
    "rolling back the change coming from #123",
    "reverting now, will watch the graphs",
    "rolled back and we'll monitor",
    "rolled back first, then scaled out",
    "scaling out, rollback next",
    "Flushing expired keys; revert of #2291 coming.",
]
"""A step said done or under way, whatever is planned next: a mitigation."""


ATTRIBUTES = [
    "nodelocaldns still has the stale upstream in its cache on the recovered nodes",
    "errors on recovered nodes are gone",
    "the recovered pods are serving again",
]
""""recovered" describing some things: no resolution (no kind)."""

PARTIAL = [
    "partial recovery: 30 of 44 nodes resolving cleanly, 14 still failing",
    "half the pods recovered",
    "partially recovering, EU still failing",
]
"""Part of the service recovered: a status (``update``)."""

RESOLVED = ["checkout recovered", "the service has recovered", "we're fully recovered"]


FLUSHES = [
    "Flushed expired sessions on redis-sessions-2",
    "flushed the expired sessions on redis-sessions-2 :broom:",
    "purged the cache",
    "purging the CDN cache",
    "CDN cache purged",
    "cleared the queue",
    "cleared the stuck queue on orders-worker",
    "evicting stale keys from redis-sessions-2",
]
NOT_FLUSHES = [
    "cache flush is scheduled nightly",
    "should we purge?",
    "should we purge the cache?",
    "redis is evicting keys",
    "cache cleared nightly",
    "do they need to clear cookies?",
    "flush the cache",
    "not flushing the cache yet",
]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        *cases(None, PLANS),
        *cases(Kind.MITIGATE, TAKEN),
        *cases(None, ATTRIBUTES),
        *cases(Kind.UPDATE, PARTIAL),
        *cases(Kind.RESOLVE, RESOLVED),
        *cases(Kind.MITIGATE, FLUSHES),
        *cases(None, NOT_FLUSHES),
    ],
)
def test_each_table_gets_its_kind(text: str, kind: Kind | None) -> None:
    assert kind_of(text) is kind


def test_a_planned_revert_sets_no_time_to_mitigate_the_flush_does(tmp_path: Path) -> None:
    """The nc11i incident: a PagerDuty note planning a revert and a reply "revert first, capacity
    later" come before the flush said done; time to mitigate is the flush's."""
    planned = "redis-sessions at maxmemory (noeviction). Revert of #2291 coming."
    note = entry(
        "annotate",
        10,
        agent={**user("Kim Nguyen"), "id": "PKIM001"},
        channel={"type": "note", "summary": planned},
    )
    messages = [
        said("U03KIM", 12, "revert first, capacity later"),
        said("U03KIM", 19.5, "flushed the expired sessions on redis-sessions-2 :broom:"),
        said("U03KIM", 40, "nodelocaldns still has the stale upstream on the recovered nodes"),
    ]
    tl = timeline(tmp_path, [trigger(), note], messages, [KIM])
    mark = metrics.milestones(tl).mitigated
    assert mark is not None and mark.time == T0 + timedelta(minutes=19.5)
    figures = metrics.as_json(metrics.compute(tl))
    assert figures["time_to_mitigate_s"] == 19 * 60 + 30
    assert not any(e.kind is Kind.RESOLVE and "slack" in e.sources for e in tl.events)
