"""Testers' messages the clause model read wrong (``[classify]``, q21cls): a request or a plan
beside a step, a limit raised to a new value, a declaration with its description after a colon,
a failover named as a noun (a patronictl command, "the failover to replica-1 completed"), and a
non-ASCII letter whose lower case is longer than itself before the prefilter's words."""

from __future__ import annotations

import re

import pytest

from reconstruct.config import Config
from reconstruct.model import Kind
from reconstruct.normalize.classify import compile_classifier
from tests.classify_table import cases, kind_of

REQUESTS_AND_PLANS = [
    "yes, revert PR please. meanwhile I will bump maxmemory as a stopgap",
    "revert PR please",
    "please roll back checkout",
    "can someone please revert #2291",
    "I will bump maxmemory as a stopgap",
    "meanwhile I'll raise the pool size to 50",
    "we will fail over to replica-1 after the backup",
    "yes, revert PR please. meanwhile I will bump maxmemory to 16gb as a stopgap",
    "I will be bumping maxmemory to 16gb",
]
STEPS_BESIDE_REQUESTS = [
    "reverted #2291, please keep an eye on p99",
    "rolled back checkout. please confirm errors dropping",
    "please note we rolled back checkout at 10:40",
    "yes, revert PR please. meanwhile I'm bumping maxmemory to 16gb as a stopgap",
]
LIMITS_RAISED = [
    "raised redis-checkout maxmemory 12gb -> 16gb",
    "increased redis-checkout maxmemory to 16gb",
    "bumped maxmemory to 16gb",
    "bumped max_connections from 100 to 200",
    "raised the pool size to 50",
    "increased pgbouncer default_pool_size 20 → 40",
    "bumped replicas to 2x",
]
METRICS_RISING = [
    "error rate increased to 5%",
    "latency bumped to 3s",
    "memory raised to 95%",
    "p99 increased from 300ms to 2s",
    "consumer lag increased to 40k",
    "the error rate has increased to 5%",
    "raised a ticket to 16gb of logs? no",
    "should we bump maxmemory to 16gb?",
    "cpu usage increased to 90%",
    "traffic increased 3x to 12k rps",
    "requests increased 40% to 12k rps",
    "we increased the error rate to 5%? no, it rose by itself",
    "bumped the p99 to 3s",
]
DECLARATIONS = [
    "declaring SEV-1",
    "declaring SEV-1: orders writes failing on orders-pg primary",
    "Declaring SEV-2 — checkout latency p99 over 3s",
]
NOT_DECLARATIONS = [
    "declaring SEV-1: not yet",
    "declaring SEV-1 failed: the bot is down",
    "should we declare SEV-1: orders writes failing?",
]
FAILOVERS = [
    "completed the failover to redis-checkout-1",  # a last tester's words (nc12f)
    "failover's done",
    "starting patronictl failover orders-pg --candidate orders-pg-replica-1 now",
    "starting the failover to replica-1 now",
    "kicked off patroni failover to replica-1",
    "failover completed at 10:42 UTC",
    "failover done",
    "triggered a switchover to orders-pg-replica-1",
    "ran patronictl switchover orders-pg",
    "initiated the failover to us-west-2",
    "failover to orders-pg-replica-1 completed",
    "switchover completed successfully",
    "the failover is done",
    "manual failover completed, writes are back",
]
NOT_FAILOVERS = [
    "should we start a failover?",
    "failover didn't help",
    "patroni failover happened at 08:10, that's what kicked this off",
    "automatic failover is disabled",
    "failover not done yet",
    "I will start the failover after the backup",
    "the upgrade triggered a failover",
    "it kicked off a failover at 08:10",
    "running a failover drill next week is on my list",
    "auto failover completed at 08:10, that is what started it",
    "failover to replica-1 not done yet",
]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        *cases(None, REQUESTS_AND_PLANS),
        *cases(Kind.MITIGATE, STEPS_BESIDE_REQUESTS),
        *cases(Kind.MITIGATE, LIMITS_RAISED),
        *cases(None, METRICS_RISING),
        *cases(Kind.DECLARE, DECLARATIONS),
        *cases(None, NOT_DECLARATIONS),
        *cases(Kind.MITIGATE, FAILOVERS),
        *cases(None, NOT_FAILOVERS),
    ],
)
def test_a_message_gets_the_kind_its_clauses_state(text: str, kind: Kind | None) -> None:
    assert kind_of(text) is kind


NON_ASCII = [
    "drained İ SEV-1",
    "flipped İ off",
    "İ drained node-1",
    "root cause İ",
    "declared SEV-1 İ",
]


@pytest.mark.parametrize("text", NON_ASCII)
def test_a_letter_whose_lower_case_is_longer_passes_the_prefilter_as_a_pattern_does(
    text: str,
) -> None:
    config = Config().classify
    prefilter = compile_classifier(config).human_any
    assert prefilter is not None
    groups = [config.declare, config.identify, config.mitigate, config.resolve, config.impact]
    expected = any(re.search(p, text, re.IGNORECASE) for group in groups for p in group)
    assert prefilter.search(text) == expected
