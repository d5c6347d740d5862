"""PagerDuty rows worded like each other (REST API v2 ``GET /incidents/{id}/log_entries``).

A ``resolve_log_entry`` no person made (``agent`` an Events API integration, or the service on
an auto-resolve timeout; ``channel.type`` ``api`` / ``timeout`` / ``auto``) reads like the other
resolve rows, not PagerDuty's "Resolved through the API."; an escalation's pages are named in the
order they went out. Inputs are log entries in the API's wire format, written here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.test_rows import entry, escalate, notify, one, timeline, trigger, user

GRAFANA = {
    "id": "PGRAF1",
    "type": "events_api_v2_inbound_integration_reference",
    "summary": "Grafana",
}
SERVICE = {"id": "PSVC", "type": "service_reference", "summary": "checkout"}


def resolve(channel: dict[str, Any], agent: dict[str, Any], summary: str) -> dict[str, Any]:
    return entry("resolve", 50, summary=summary, agent=agent, channel=channel)


def test_an_automatic_resolve_reads_like_a_resolve_row(tmp_path: Path) -> None:
    api = resolve({"type": "api", "summary": "[RESOLVED] HighLatency"}, GRAFANA,
                  "Resolved through the API.")  # fmt: skip
    tl = timeline(tmp_path / "api", [trigger(), api])
    assert one(tl, "Resolved").summary == "Resolved automatically by Grafana (API)"
    timeout = resolve({"type": "timeout"}, SERVICE, "Resolved by timeout.")
    tl = timeline(tmp_path / "timeout", [trigger(), timeout])
    assert one(tl, "Resolved").summary == "Resolved automatically (auto-resolve timeout)"


def test_a_persons_resolve_and_an_unknown_channel_keep_their_words(tmp_path: Path) -> None:
    person = resolve({"type": "website"}, user("Kim Nguyen"), "Resolved by Kim Nguyen.")
    tl = timeline(tmp_path / "web", [trigger(), person])
    assert one(tl, "Resolved").summary == "Resolved by Kim Nguyen"
    odd = resolve({"type": "carrier_pigeon"}, SERVICE, "Resolved by pigeon.")
    tl = timeline(tmp_path / "odd", [trigger(), odd])
    assert one(tl, "Resolved").summary == "Resolved by pigeon"  # its words, no full stop


def test_an_escalations_pages_are_named_in_time_order(tmp_path: Path) -> None:
    pages = [notify(5.02, "Kim Nguyen", "push"), notify(5.3, "Kim Nguyen", "phone"),
             notify(5.6, "Kim Nguyen", "email")]  # fmt: skip
    tl = timeline(tmp_path, [trigger(), escalate(5, "Priya Raman", "Kim Nguyen"), *pages])
    row = one(tl, "Escalated to Kim Nguyen")
    assert row.summary.endswith("; paged by push, phone and email"), row.summary
    reverse = [notify(5.02, "Lee Turner", "email"), notify(5.3, "Lee Turner", "push")]
    tl = timeline(tmp_path / "b", [trigger(), escalate(5, "Priya Raman", "Lee Turner"), *reverse])
    assert one(tl, "Escalated to Lee Turner").summary.endswith("; paged by email and push")


@pytest.mark.parametrize(
    ("summary", "row"),
    [
        ("Urgency changed to high by Omar Haddad.", "Urgency changed to high by Omar Haddad"),
        ("Priority changed to P1 by Omar Haddad.", "Priority changed to P1 by Omar Haddad"),
        # negatives: an ellipsis and a sentence with no full stop stay as they are
        ("Responders requested from Platform...", "Responders requested from Platform..."),
        ("Urgency changed to high", "Urgency changed to high"),
    ],
)
def test_pagerdutys_own_sentences_lose_their_full_stop(
    tmp_path: Path, summary: str, row: str
) -> None:
    """A log entry PagerDuty words itself (``urgency_change_log_entry``, ``priority_change``...)
    reads like every other row: no trailing period."""
    change = entry("urgency_change", 3, agent=user("Omar Haddad"), channel={"type": "website"})
    change["summary"] = summary
    tl = timeline(tmp_path, [trigger(), change])
    assert one(tl, row.split(" ", 1)[0]).summary == row
