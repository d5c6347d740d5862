"""A responder's observation that the service recovered is a status row (issue #11).

"5xx back to baseline", "lag is back to 0", "queue drained", "all 30 pods healthy": evidence an
author keeps, kind ``update`` (as "partial recovery: 18 of 30 pods healthy" is), never a
mitigation (nobody did anything) nor the resolution (PagerDuty's resolve is). A question, a
hope or a plan about it, a negation, another place's or an earlier incident's recovery set
none. A metric "recovered" ("latency recovered") is such an observation too, no resolution.

Slack ``conversations.history`` messages written here, as in ``test_figures_wire``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconstruct.model import Kind
from tests.classify_table import cases, kind_of
from tests.test_figures_wire import at, bundle, figures, log_entry, slack_message, timeline_of

RECOVERED = [
    "all 30 pods healthy, 5xx back to baseline",
    "error rate back to normal",
    "latency recovered",
    "p99 has recovered",
    "p99 back under 200ms",
    "p99 is back below 250 ms",
    "queue drained",
    "consumer lag drained from the brokers",
    "lag is back to 0",
    "consumers have caught up",
    "all 12 brokers are back up",
    "5xx are back to baseline after the rollback",
    "partial recovery: 18 of 30 pods healthy",
    "5xx until 14:05, back to baseline since",
]
NOT_RECOVERED = [
    # questions
    "is latency back to normal?",
    "all pods healthy?",
    "is the queue drained?",
    "eta for lag back to 0?",
    # hopes and plans
    "should be back to baseline once the cache warms",
    "hopefully back to normal",
    "fingers crossed lag back to 0",
    "expecting lag back to 0 in 10 min",
    "waiting for lag to get back to 0",
    "p99 will be back under 200ms once the cache warms",
    "if 5xx is back to baseline we can resolve",
    # negations
    "not back to normal yet",
    "lag isn't back to 0 yet",
    "not all pods are healthy",
    # another place, another incident
    "staging is back to normal",
    "unrelated, but search is back to baseline",
    "the other service is back to normal",
    "last time lag was back to 0 within minutes",
    "in INC-6120 lag was back to 0 after 20 min",
    "lag usually back to 0 in 5 min",
]
MILESTONES_FIRST = [
    ("rolled back checkout, error rate back to normal", Kind.MITIGATE),
    ("errors until 14:05, all clear since 14:06", Kind.RESOLVE),
    ("checkout recovered", Kind.RESOLVE),
    ("all clear, 5xx back to baseline", Kind.RESOLVE),
]


@pytest.mark.parametrize(
    ("text", "kind"),
    [*cases(Kind.UPDATE, RECOVERED), *cases(None, NOT_RECOVERED)],
)
def test_an_observation_that_the_service_recovered_is_a_status_row(
    text: str, kind: Kind | None
) -> None:
    assert kind_of(text) is kind


@pytest.mark.parametrize(("text", "kind"), MILESTONES_FIRST)
def test_a_milestone_in_the_same_message_keeps_its_kind(text: str, kind: Kind) -> None:
    assert kind_of(text) is kind


def test_recovery_observations_through_the_wire_are_rows_and_no_milestone(
    tmp_path: Path,
) -> None:
    """The observations are rows of kind ``update``; time to mitigate stays the rollback's and
    time to resolve PagerDuty's resolve, not the first "back to normal"; a question is no
    row."""
    start = at(14, 12)
    said = [
        (at(14, 30), "is latency back to normal?"),
        (at(14, 33), "all 30 pods healthy, 5xx back to baseline"),
        (at(14, 41), "rolled back checkout to v2.3.0"),
        (at(14, 44), "p99 back under 200ms"),
        (at(14, 46), "queue drained"),
    ]
    entries = [log_entry("R1", "trigger", start), log_entry("R2", "resolve", at(14, 59))]
    tl = timeline_of(
        bundle(
            tmp_path,
            start,
            at(14, 59),
            entries=entries,
            messages=[slack_message(when, text) for when, text in said],
        )
    )
    kinds = {e.summary: e.kind for e in tl.events if "slack" in e.sources}
    assert kinds == {
        "all 30 pods healthy, 5xx back to baseline": Kind.UPDATE,
        "rolled back checkout to v2.3.0": Kind.MITIGATE,
        "p99 back under 200ms": Kind.UPDATE,
        "queue drained": Kind.UPDATE,
    }
    assert figures(tl)["time_to_mitigate_s"] == 29 * 60  # 14:12 -> 14:41, not 14:33
    assert figures(tl)["time_to_resolve_s"] == 47 * 60  # PagerDuty's resolve at 14:59
    row = next(e for e in tl.events if e.summary == "queue drained")
    assert row.reason.startswith("keyword"), row.reason
