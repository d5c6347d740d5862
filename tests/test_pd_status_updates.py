"""A PagerDuty status update's row says what was sent to the stakeholders.

A ``status_update_log_entry`` (REST API v2, List log entries; sent with ``POST
/incidents/{id}/status_updates``) carries the text sent in ``message`` — PagerDuty's Go client
prints it under the entry's ``summary`` (``LogEntry.Message``) — and the web UI's entries also in
``channel.summary``; its own ``summary`` may only say that an update was sent. The inputs are
written in that shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.test_rows import entry, one, timeline, trigger, user

SENT = "Orders are delayed by up to 20 minutes; we are expanding the broker's disk"


def update(**fields: Any) -> dict[str, Any]:
    return entry("status_update", 5, agent=user("Mei Lin"), **fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"summary": "Status update sent.", "message": SENT},
        {"summary": "Status update sent.", "channel": {"type": "website", "summary": SENT}},
        {"summary": "Status update sent.", "message": SENT, "channel": {"type": "website"}},
    ],
)
def test_the_row_quotes_the_update_that_was_sent(tmp_path: Path, fields: dict[str, Any]) -> None:
    row = one(timeline(tmp_path, [trigger(), update(**fields)]), "Orders are delayed")
    assert row.summary == f"Status update: {SENT}"


def test_a_summary_that_already_quotes_it_is_kept(tmp_path: Path) -> None:
    own = f"Status update: {SENT}."
    row = one(timeline(tmp_path, [trigger(), update(summary=own, message=SENT)]), "Orders")
    assert row.summary == own.removesuffix("."), "PagerDuty's words, without its full stop"


def test_an_update_without_its_text_keeps_pagerdutys_words(tmp_path: Path) -> None:
    row = one(timeline(tmp_path, [trigger(), update(summary="Status update sent.")]), "sent")
    assert row.summary == "Status update sent"
