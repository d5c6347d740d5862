"""Steps said done after their object (issue #11): a step named as a noun and said done
("scaling done", "scale-out done"), a setting said given a new value without the doer
("maxmemory raised to 16gb"), a step done by hand ("archiving manually with the new key"), and
a failover an HA manager made ("patroni triggered a failover": the system's own recovery). The
failing thing's doing stays a description ("it's draining 6 nodes", "the upgrade triggered a
failover"). Whether a step is under way is a tag ``classify`` gives the row
(``step:under-way``), which ``render.metrics`` reads.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconstruct.model import Event, Kind, Link
from reconstruct.normalize.classify import UNDER_WAY, classify
from reconstruct.render import metrics
from tests.classify_table import CLASSIFIER, cases, kind_of
from tests.test_classify_bots import rows
from tests.test_figures_under_way import mitigated
from tests.test_slack_parse import ts

NAMED_DONE = [
    "scaling done",
    "scale-out done",
    "scale out of pool-b is complete",
    "scale up finished, 18 nodes ready",
    "scaled out to 12 pods",
    "restart done on all 3 shards",
]
SET_WITHOUT_DOER = [
    "maxmemory raised to 16gb",
    "redis maxmemory raised to 16gb",
    "pool size increased from 20 to 50",
    "max_connections bumped to 200",
    "memory limit raised to 4Gi on checkout",
    "redis-checkout maxmemory was raised 12gb -> 16gb",
    "replicas bumped to 12",
]
BY_HAND = [
    "archiving manually with the new key from a shell, pg_wal down to 81%, replica lag 30s",
    "manually archived the stuck WAL segments",
    "we're purging the bad keys manually",
]
HA_FAILOVERS = [
    "patroni triggered a failover",
    "Patroni automatically failed over to orders-pg-replica-1",
    "patroni failed over payments-db to replica-2, writes are back",
]
NOT_STEPS = [
    "it's draining 6 nodes",
    "it's draining 6 nodes at a time and evicting everything",
    "the upgrade is evicting",
    "the upgrade triggered a failover",
    "patroni is restarting postgres",
    "patroni failover happened at 08:10, that's what kicked this off",
    "is scaling done?",
    "scaling not done yet",
    "scale-out done last time and it didn't help",
    "latency increased to 3s",
    "error rate bumped to 5%",
    "memory usage raised to 95%",
    "p99 latency increased from 300ms to 2s",
    "connections increased to 5000",
    "queue size increased to 10k",
    "threads increased to 500",
    "should we archive manually?",
    "manually paged Kim",
    "checked the replica manually",
    "the HPA keeps scaling up",
]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        *cases(Kind.MITIGATE, NAMED_DONE),
        *cases(Kind.MITIGATE, SET_WITHOUT_DOER),
        *cases(Kind.MITIGATE, BY_HAND),
        *cases(Kind.MITIGATE, HA_FAILOVERS),
        *cases(None, NOT_STEPS),
    ],
)
def test_a_step_said_done_after_its_object_is_a_step(text: str, kind: Kind | None) -> None:
    assert kind_of(text) is kind


def test_the_setting_keeps_its_value_in_the_reason() -> None:
    assert CLASSIFIER.human_text("maxmemory raised to 16gb") == (
        Kind.MITIGATE,
        "maxmemory raised to 16gb",
    )


AT = datetime(2026, 10, 14, 10, 12, tzinfo=UTC)


def message(text: str, *tags: str) -> Event:
    return Event(
        AT,
        Kind.MESSAGE,
        text,
        ("slack",),
        (Link("slack", "https://acme.slack.com/archives/C1/p1"),),
        f"slack:C1:{text}",
        tags=frozenset({"human", "incident-channel", *tags}),
    )


@pytest.mark.parametrize(
    ("text", "under_way"),
    [
        ("archiving manually with the new key, pg_wal down to 81%", True),
        ("rolling back checkout to v2.3.0 now", True),
        ("revert in progress, raising maxmemory as stopgap", True),
        ("kicked off the failover to replica-1", True),
        ("scaling done", False),
        ("finished rolling back checkout", False),
        ("maxmemory raised to 16gb", False),
        ("failover completed at 10:42 UTC", False),
    ],
)
def test_classify_tags_a_step_under_way(text: str, under_way: bool) -> None:
    (event,), words = classify([message(text)], CLASSIFIER)
    assert event.kind is Kind.MITIGATE and event.key in words
    assert (UNDER_WAY in event.tags) is under_way
    assert metrics.under_way(event) is under_way


def test_metrics_reads_the_tag_not_the_reason() -> None:
    """The reason's words are prose for the reader; the figure reads the tag."""
    said = replace(message("rolling back checkout"), kind=Kind.MITIGATE)
    assert not metrics.under_way(replace(said, reason='keyword "rolling back"'))
    assert metrics.under_way(replace(said, tags=said.tags | {UNDER_WAY}, reason="pinned"))
    bot = replace(said, tags=frozenset({"bot", UNDER_WAY}))
    assert not metrics.under_way(bot)  # no person's words: a tool says what happened


def test_a_manual_step_under_way_counts_only_without_one_done(tmp_path: Path) -> None:
    """nc12c's words: the manual archiving (under way) comes first, the failover done counts."""
    seconds, line = mitigated(
        tmp_path,
        (5, "archiving manually with the new key from a shell, pg_wal down to 81%"),
        (12, "failover to orders-pg-replica-1 completed"),
    )
    assert seconds == 28 * 60, line
    seconds, line = mitigated(tmp_path / "alone", (5, "archiving manually with the new key"))
    assert seconds == 21 * 60, line


def test_an_ha_managers_post_of_its_failover_is_a_mitigation_not_an_alert(tmp_path: Path) -> None:
    """Slack ``conversations.history`` bot posts (``subtype: bot_message``): "triggered" with a
    step as its object names who took the step, as "triggered by @marco" names who started a
    deploy; neither is an alert firing (``bot_kinds`` alert word ``triggered``)."""
    patroni = {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B0PATRONI",
        "username": "patroni",
        "ts": ts(12),
        "text": "Patroni triggered a failover of orders-pg to orders-pg-replica-1",
    }
    deploying = {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B0SHIPIT1",
        "username": "shipit",
        "ts": ts(14),
        "text": "Deploying checkout 4f2c9e1 to production, triggered by <@U2>",
    }
    paged = {**deploying, "ts": ts(16), "text": "HighErrorRate triggered on checkout-api"}
    got, timeline = rows(tmp_path, [patroni, deploying, paged])
    assert got[ts(12)].kind is Kind.MITIGATE
    assert got[ts(14)].kind is Kind.MESSAGE
    assert got[ts(16)].kind is Kind.ALERT  # an alert triggered: still an alert
    figures = {m.key: m.seconds for m in metrics.compute(timeline)}
    assert figures["time_to_mitigate_s"] == 12 * 60
