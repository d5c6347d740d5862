"""Mitigation wordings fresh testers wrote that set no mitigation (``[classify] mitigate``).

Each class of wording is one table of people's messages, positive and negative: a feature flag
turned off or dialled back, a job suspended or paused, a database failover said as a promotion.
A wording that sets no mitigation leaves no row, and time to mitigate falls on a later step.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconstruct.model import Kind
from tests.classify_table import cases, kind_of
from tests.test_figures_stated_steps import mitigation_figure

FLAG_OFF = [
    "flag off",
    "checkout-pricing-v2 flag off",
    "turned off checkout-pricing-v2",
    "turning off checkout-pricing-v2 now",
    "turned the flag off",
    "switched the flag off",
    "switched checkout-pricing-v2 off in LaunchDarkly",
    "disabled checkout-pricing-v2",
    "checkout-pricing-v2 disabled",
    "checkout-pricing-v2 disabled at 14:20 UTC",
    "killed the flag",
    "flipped checkout-pricing-v2 off",
    "dialled checkout-pricing-v2 back to 25%",
    "dialed checkout-pricing-v2 back to 25%",
    "dialed checkout-pricing-v2 down to 0%",
    "rolled checkout-pricing-v2 back to 25%",
]
"""A feature flag turned off or its rollout dialled back, said done or under way."""

FLAG_NOT_OFF = [
    "should we turn the flag off?",
    "turn it off please",
    "turn the flag off please",
    "can someone disable the flag",
    "didn't turn it off",
    "we never disabled checkout-pricing-v2",
    "the SDK disabled streaming",
    "orders-api disabled streaming",
    "the flag was off in staging",
    "flag off in staging",
    "the flag was turned off by default",
    "turned alerts off for the maintenance",
    "disabled alerts for the maintenance",
    "turning off my laptop",
]
"""A question, request, negation, a system's doing, a state, or the responders' own tools."""

JOB_SUSPENDED = [
    "reconcile cronjob suspended",
    "cronjob suspended (14:29 UTC)",
    "orders-reconcile cronjob was suspended at 14:29",
    "suspended the reconcile cronjob",
    "Suspended CronJob orders-reconcile",
    "set suspend: true on cronjob/orders-reconcile",
    "patched cronjob/orders-reconcile with suspend: true",
    "paused the reconcile cronjob",
    "reconcile job paused, errors flattening",
]
"""A job suspended or paused: named first and said done, or the verb done with its object."""

JOB_NOT_SUSPENDED = [
    "is the cronjob suspended?",
    "suspend the cronjob",
    "should we set suspend: true on cronjob/orders-reconcile?",
    "the job was suspended last week",
    "the upgrade paused itself",
    "we could suspend the reconcile cronjob",
]
"""A question, an instruction, another time, the failing thing's own doing, a hedge."""

PROMOTED = [
    "orders-pg-replica-1 promoted to primary",
    "orders-pg-replica-1 is now promoted to primary",
    "promoted replica-1",
    "promoting orders-pg-replica-1 to primary",
    "promoted the standby",
    "Patroni leader moved to orders-pg-replica-1",
    "leader switched to orders-pg-replica-1",
]
"""A database failover said as a promotion, or an HA manager's leader change (the system's own
recovery, a mitigation, as "patroni triggered a failover" is)."""

NOT_PROMOTED = [
    "we could promote replica-1",
    "should we promote replica-1?",
    "promote replica-1",
    "don't promote replica-1 yet",
]
"""A hedge, a question, an instruction, a negation."""


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        *cases(Kind.MITIGATE, FLAG_OFF),
        *cases(None, FLAG_NOT_OFF),
        *cases(Kind.MITIGATE, JOB_SUSPENDED),
        *cases(None, JOB_NOT_SUSPENDED),
        *cases(Kind.MITIGATE, PROMOTED),
        *cases(None, NOT_PROMOTED),
    ],
)
def test_mitigation_wordings(text: str, kind: Kind | None) -> None:
    assert kind_of(text) is kind


def test_a_suspended_jobs_stated_time_counts(tmp_path: Path) -> None:
    """Posted at 14:12, the suspension stated at 14:05 UTC: 13:44 -> 14:05."""
    seconds, line = mitigation_figure(tmp_path, "reconcile cronjob suspended (14:05 UTC)")
    assert seconds == 21 * 60, line
    assert "mitigation as stated in the 14:12 message" in line
