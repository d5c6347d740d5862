"""Pages that failed for different reasons say each reason with its count (#11).

PagerDuty writes one ``notify_log_entry`` per notification, its ``channel.notification`` =
``{type, status, address}`` with ``status`` one of ``success``, ``failed``, ``no_answer``,
``busy`` (REST API v1 log entries reference, "Notification" object). A row joining several
failed ones says why each failed, counted: "all 3 phone pages failed (2 no answer, 1 line
busy)"; one reason shared by all is said once; a plain ``failed`` gives no reason ("other" when
others have one).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_rows import ack, one, timeline, trigger
from tests.test_rows_series import page

ANA = "Ana Silva"


def rounds(*phone: str) -> list[dict[str, object]]:
    """One round of Ana's notification rules every 5 minutes from 09:42: push delivered, then a
    phone call 20 s later with the given ``status``."""
    out: list[dict[str, object]] = [trigger()]
    for n, status in enumerate(phone):
        out.append(page(0.2 + 5 * n, ANA, "push_notification", address="Pixel 9"))
        out.append(page(0.5 + 5 * n, ANA, "phone_notification", status, "+1 555 0100"))
    return out


@pytest.mark.parametrize(
    ("statuses", "why"),
    [
        (("no_answer", "busy", "no_answer"), "all 3 phone pages failed (2 no answer, 1 line busy)"),
        (("busy", "no_answer", "busy"), "all 3 phone pages failed (2 line busy, 1 no answer)"),
        (("failed", "no_answer", "no_answer"), "all 3 phone pages failed (2 no answer, 1 other)"),
        (("no_answer", "busy"), "both phone pages failed (1 line busy, 1 no answer)"),
        # negatives: one reason is said once; plain failures say none
        (("no_answer", "no_answer", "no_answer"), "all 3 phone pages failed (no answer)"),
        (("failed", "failed"), "both phone pages failed"),
    ],
)
def test_each_reason_is_counted_when_they_differ(
    tmp_path: Path, statuses: tuple[str, ...], why: str
) -> None:
    tl = timeline(tmp_path, rounds(*statuses))
    times = ["09:42", "09:47", "09:52"][: len(statuses)]
    at = " and ".join(times) if len(times) == 2 else f"{times[0]}, {times[1]} and {times[2]}"
    assert one(tl, "Paged Ana").summary == f"Paged {ANA} by push at {at}; {why}"


def test_two_numbers_of_one_round_that_failed_differently(tmp_path: Path) -> None:
    entries = [
        trigger(),
        page(0.2, ANA, "push_notification", address="Pixel 9"),
        page(0.5, ANA, "phone_notification", "no_answer", "+1 555 0100"),
        page(0.5, ANA, "phone_notification", "busy", "+1 555 0199"),
        ack(3, ANA),
    ]
    tl = timeline(tmp_path, entries)
    assert one(tl, "Paged Ana").summary.endswith("phone pages failed (1 line busy, 1 no answer)"), (
        one(tl, "Paged Ana").summary
    )


def test_a_series_counts_each_reason_of_its_failed_notifications(tmp_path: Path) -> None:
    statuses = ["no_answer", "busy", "no_answer", "failed", "no_answer", "busy", "no_answer"]
    tl = timeline(tmp_path, rounds("no_answer", *statuses))
    # the first page and its repeats are one row: nothing came between them
    assert one(tl, "paged 8 times").summary == (
        "Ana Silva paged 8 times, 09:42–10:17 (16 notifications: 8 push;"
        " 8 by phone failed: 5 no answer, 2 line busy, 1 other)"
    )
    # negative: one reason for all is said once, as before
    tl = timeline(tmp_path / "same", rounds(*["no_answer"] * 8))
    assert one(tl, "paged 8 times").summary.endswith("; 8 by phone failed, no answer)")


def test_a_status_other_than_success_is_never_read_as_delivered(tmp_path: Path) -> None:
    """A carrier's status outside the documented four (``undeliverable``), or a log entry whose
    own summary is PagerDuty's "Failed to notify …" with no status, is a failed page said in
    its own words: never "Paged … by SMS" as if it reached the person."""
    entries: list[dict[str, object]] = [trigger()]
    entries.append(page(0.2, ANA, "sms_notification", "undeliverable", "+1 555 0188"))
    entries.append(page(5.2, ANA, "sms_notification", "carrier_blocked", "+1 555 0188"))
    silent = page(10.2, ANA, "sms_notification", "", "+1 555 0188")
    silent["summary"] = f"Failed to notify {ANA} on +1 555 0188 by SMS."
    entries.append(silent)
    tl = timeline(tmp_path, entries)
    row = one(tl, ANA)
    assert "Paged Ana Silva by SMS" not in row.summary, row.summary
    assert "failed (1 carrier blocked, 1 undeliverable, 1 other)" in row.summary, row.summary


def test_a_delivered_sms_stays_a_page(tmp_path: Path) -> None:
    entries = [trigger(), page(0.2, ANA, "sms_notification", "success", "+1 555 0188")]
    tl = timeline(tmp_path, entries)
    assert "failed" not in one(tl, ANA).summary
