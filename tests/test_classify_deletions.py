"""Freeing capacity and lifting a block, as incident channels say them (``[classify] mitigate``,
nc16b: an Elasticsearch cluster at its flood-stage disk watermark, indices read-only).

Tables of people's words, positive and negative: data deleted, dropped, purged, truncated,
cleaned up, expired, force-merged or shrunk is a step (done, or under way: "deleting ... now");
a plan, a question, a negation, a store's own housekeeping ("ILM deleted the index at 02:00")
and data lost by accident are none. A block, limit or setting cleared, removed, reset, unset or
lifted is a step; the store lifting its own block is none. Then the figures through the real
parsers (Slack ``conversations.history`` messages, ``user``/``text``/``ts``; Grafana
``GET /api/annotations`` items a person wrote, ``login``/``email``/``tags``): the step said done
in Slack sets time to mitigate and joins the person's annotation of it minutes later, and a
Slack "cleared read_only_allow_delete on all indices" joins the annotation written 61 s later.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from reconstruct.model import Kind
from reconstruct.normalize.classify import under_way
from reconstruct.render import metrics
from tests.classify_table import CLASSIFIER, cases, kind_of
from tests.test_rows import KIM, LEE, T0, annotation, said, timeline, trigger

DELETED = [
    "deleted indices logs-2026.11.20..24, 1.2TB freed",
    "dropped logs-2026.11.20 to logs-2026.11.24",
    "old indices gone",
    "old log indices deleted, 1.2TB freed, disk down to ~82% on most nodes",
    "purged the dead-letter queue",
    "truncated the audit table",
    "cleaned up /var/log on db-3, 40GB free now",
    "cleared pg_log/*.log older than 2d on orders-pg-0 (freed 12G)",
    "expired old snapshots",
    "force-merged index logs-2026.11.19",
    "shrunk index logs-2026.11.19 to 1 shard",
    "removed old indices",
    "deleted logs-2026.11.25, 410GB freed",
    "Deleted indices logs-2026.11.20..24 (1.2TB freed) and cleared read_only_allow_delete.",
]
"""Data freed, said done: a mitigation."""

DELETING = [
    "deleting old indices now: logs-2026.11.20 .. logs-2026.11.24",
    "dropping logs-2026.11.20 through logs-2026.11.24 now",
    "also deleting logs-2026.11.25 now, 400GB of debug noise",
]
"""Data being freed: a mitigation under way."""

NOT_DELETED = [
    "we should delete old indices",
    "can we drop logs-2026.11.20?",
    "should we delete logs-2026.11.20?",
    "didn't delete anything yet",
    "not deleting anything yet",
    "delete logs-2026.11.20 please",
    "Advised by Elastic to delete some non-migrated indices",
    "ILM deleted the index at 02:00",
    "curator deleted logs-2026.11.19 overnight",
    "index deleted by ILM",
    "the cronjob deleted old snapshots at 02:00",
    "indices got deleted by accident",
    "someone accidentally deleted logs-2026.11.20",
    "oops, I deleted the wrong index logs-2026.11.26",
    "the logs are gone",
    "search page is back, 429s and 503s gone, p99 180ms",
    "error rate dropped to 1%",
    "latency dropped 40ms",
    "dropped the ball on that",
    "dropped off the call",
    "deleted my message",
    "kafka dropped messages",
]
"""A plan, a question, a negation, a request, a store's own housekeeping, data lost by accident,
or another sense of the verb: no kind."""

LIFTED = [
    "cleared read_only_allow_delete on all indices",
    "clearing read_only_allow_delete on all indices",
    "removed the index.blocks.write block",
    "reset cluster.routing.allocation.disk.watermark",
    "unset the maintenance flag",
    "lifted the rate limit",
    "read_only_allow_delete cleared on all indices",
    "rate limit lifted for tenant acme-42",
]
"""A block, limit or setting lifted: a mitigation."""

NOT_LIFTED = [
    "Elasticsearch automatically removed the block",
    "the block was removed automatically",
    "should we raise cluster.routing.allocation.disk.watermark.high to 93% temporarily?",
    "the rate limit resets hourly",
    "reset my password",
    "removed myself from the rotation",
    "cleared my calendar",
]
"""The store's own doing, a question, another sense of the verb: no kind."""


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        *cases(Kind.MITIGATE, DELETED),
        *cases(Kind.MITIGATE, DELETING),
        *cases(None, NOT_DELETED),
        *cases(Kind.MITIGATE, LIFTED),
        *cases(None, NOT_LIFTED),
    ],
)
def test_each_table_gets_its_kind(text: str, kind: Kind | None) -> None:
    assert kind_of(text) is kind


@pytest.mark.parametrize(("text", "going"), [*cases(True, DELETING), *cases(False, DELETED)])
def test_deleting_now_is_under_way_deleted_is_done(text: str, going: bool) -> None:
    found = CLASSIFIER.human_text(text)
    assert found is not None
    assert under_way(found[1], text) is going


def test_the_deletion_said_done_in_slack_sets_time_to_mitigate(tmp_path: Path) -> None:
    """nc16b (VARIANT=order): "deleting old indices now" at +33.5, "deleted indices
    logs-2026.11.20..24, 1.2TB freed" at +36.4 in Slack, Kim's annotation of the deletion at
    +50.3 (14 minutes later): one row at +36.4 with both links, and time to mitigate is the
    Slack record's, not the annotation's; the start joins it (``startdone``)."""
    messages = [
        said("U03KIM", 33.5, "deleting old indices now: logs-2026.11.20 .. logs-2026.11.24"),
        said("U03KIM", 36.4, "deleted indices logs-2026.11.20..24, 1.2TB freed"),
    ]
    marked = annotation(50.3, "deleted indices logs-2026.11.20..24", "kim", "kim@acme.example")
    marked["tags"] = ["mitigation", "elasticsearch"]
    tl = timeline(tmp_path, [trigger()], messages, [KIM, LEE], [marked])
    mark = metrics.milestones(tl).mitigated
    assert mark is not None and mark.time == T0 + timedelta(minutes=36.4)
    done = [e for e in tl.events if e.summary.startswith("deleted indices")]
    assert len(done) == 1
    assert done[0].sources == ("grafana", "slack")
    assert done[0].summary == "deleted indices logs-2026.11.20..24, 1.2TB freed (started 10:15)"
    assert not [e.summary for e in tl.events if e.summary.startswith("deleting")]


def test_a_block_cleared_in_slack_joins_the_annotation_a_minute_later(tmp_path: Path) -> None:
    """nc16b (ANN_CLR=61): the same words in Slack and, 61 s later (past ``step_window``), in
    Kim's annotation tagged ``mitigation``: one row with the Slack link, at the Slack time;
    no Slack record counted as chatter."""
    words = "cleared read_only_allow_delete on all indices"
    marked = annotation(44 + 61 / 60, words, "kim", "kim@acme.example")
    marked["tags"] = ["mitigation"]
    tl = timeline(tmp_path, [trigger()], [said("U03KIM", 44, words)], [KIM], [marked])
    rows = [e for e in tl.events if e.summary == words]
    assert len(rows) == 1
    assert rows[0].sources == ("grafana", "slack")
    assert rows[0].time == T0 + timedelta(minutes=44)
    assert tl.omitted.get("slack:#inc-4711", 0) == 0
