"""The customers' side of an incident (``[classify] update`` and ``impact``, issue #11): a status
page post or customer comms said done, and support tickets stopping, are status rows (kind
``update``), never a mitigation; support seeing tickets is a candidate impact start. A question
or a plan about them, a running tally and the status page vendor's own trouble are no row.

Slack ``conversations.history`` messages written here, as in ``test_figures_wire``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconstruct.model import Kind
from reconstruct.render import metrics
from tests.classify_table import cases, is_impact, kind_of
from tests.test_figures_wire import at, bundle, figures, log_entry, slack_message, timeline_of

COMMUNICATIONS = [
    "status page updated: investigating",
    "status page updated: <https://status.northwind.example/incidents/x7716|Public API degraded>",
    "posted to statuspage",
    "Posted an incident on the status page",
    "updated the status page with the ETA",
    "updating the status page now",
    "statuspage: monitoring",
    "status page post is up",
    "status page incident closed",
    "customer comms sent",
    "external communication is out",
    "sent the customer email to the affected merchants",
    "notified affected customers by email",
]
TICKETS_STOPPED = [
    "tickets have stopped",
    "tickets have stopped coming in, customers confirming orders go through",
    "no new tickets in the last 20 min",
    "tickets dried up",
]
NOT_COMMUNICATIONS = [
    "I'll update the status page later?",
    "I'll update the status page later",
    "will post to statuspage once we know more",
    "do we need a status page post?",
    "status page is down lol",
    "any customer comms needed beyond the status page?",
    "should we update the status page?",
    "can someone update the status page",
    "I can take comms",
    "@priya can you take comms with support?",
    "status page update failed, retrying",
    "have tickets stopped?",
    "tickets haven't stopped",
    "need to send customer comms",
    "customer comms pending legal review",
]
STEPS_BEFORE_COMMS = [
    "rolled back checkout, status page updated",
    "failed over to replica-1. posted to statuspage",
]
IMPACT = [
    "support is seeing tickets about failed checkouts",
    "support is seeing tickets: checkout spinning for 10s+ then timing out, started ~13:00 UTC",
    "customer support is getting reports of failed payments",
    "tickets are coming in about checkout timeouts",
]
NO_IMPACT = [
    "is support seeing tickets?",
    "support is not seeing tickets",
    "support has 40 tickets so far",
    "customer tickets still coming in",
    "if support sees tickets, ping me",
]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        *cases(Kind.UPDATE, COMMUNICATIONS),
        *cases(Kind.UPDATE, TICKETS_STOPPED),
        *cases(None, NOT_COMMUNICATIONS),
        *cases(Kind.MITIGATE, STEPS_BEFORE_COMMS),
    ],
)
def test_customer_communication_is_a_status_row(text: str, kind: Kind | None) -> None:
    assert kind_of(text) is kind


@pytest.mark.parametrize(("text", "impact"), [*cases(True, IMPACT), *cases(False, NO_IMPACT)])
def test_support_seeing_tickets_is_an_impact_candidate(text: str, impact: bool) -> None:
    assert is_impact(text) is impact
    assert kind_of(text) in ((Kind.MESSAGE,) if impact else (None,))


def test_the_customers_side_through_the_wire(tmp_path: Path) -> None:
    """Tickets before the page are the impact start, at the time they state; a status page post
    and tickets stopping are rows but no mitigation; the rollback sets time to mitigate."""
    start = at(14, 12)
    said = [
        (at(14, 10), "support is seeing tickets about failed checkouts since 14:03 UTC"),
        (at(14, 15), "do we need a status page post?"),
        (at(14, 16), "status page updated: investigating"),
        (at(14, 30), "customer comms sent"),
        (at(14, 41), "rolled back checkout to v2.3.0"),
        (at(14, 50), "tickets have stopped coming in"),
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
        "support is seeing tickets about failed checkouts since 14:03 UTC": Kind.MESSAGE,
        "status page updated: investigating": Kind.UPDATE,
        "customer comms sent": Kind.UPDATE,
        "rolled back checkout to v2.3.0": Kind.MITIGATE,
        "tickets have stopped coming in": Kind.UPDATE,
    }
    marks = metrics.milestones(tl)
    assert marks.impact_start is not None and marks.impact_start.time == at(14, 3)
    assert figures(tl)["time_to_detect_s"] == 9 * 60  # 14:03 -> 14:12
    assert figures(tl)["time_to_mitigate_s"] == 29 * 60  # 14:12 -> 14:41, not the 14:16 post
