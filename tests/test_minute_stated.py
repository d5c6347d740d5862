"""A step said done "at 15:31" is said to the minute: when a record of that step was made within
that minute (a person's annotation recorded at 15:31:35, PagerDuty's note posted then), the
record's time is the exact one, for the row and for the figures (#11; tester nc16a: the switch
back showed 15:31:00 while the annotation says 15:31:35).

Inputs in the tools' wire formats: Grafana ``GET /api/annotations`` (``time`` in epoch ms,
``login``/``email`` of the person, ``alertId`` 0) and Slack ``conversations.history`` messages
(``ts``, ``user``); the incident from PagerDuty ``GET /incidents/{id}`` and its trigger log entry.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from reconstruct.model import Event, Kind
from reconstruct.render.metrics import step_time
from tests.test_figures_wire import figures
from tests.test_rows import LEE, T0, annotation, said, timeline, trigger

SECONDS = 35 / 60


def test_a_step_said_to_the_minute_counts_at_its_record_within_that_minute(
    tmp_path: Path,
) -> None:
    # 09:50:35 the annotation; 09:58 Lee's message reports it "done at 09:50 UTC"
    note = annotation(8 + SECONDS, "Rolled back checkout", "lee", "lee@acme.example")
    message = said("U02LEE", 16, "rolled back checkout, done at 09:50 UTC")
    tl = timeline(tmp_path, [trigger()], [message], [LEE], [note])
    (row,) = [e for e in tl.events if "olled back checkout" in e.summary]
    assert len(row.members or (row,)) == 2 or len(row.sources) == 2, "one step, one row"
    assert row.time == T0 + timedelta(minutes=8, seconds=35)
    assert figures(tl)["time_to_mitigate_s"] == 8 * 60 + 35


def test_a_time_said_to_the_minute_before_the_records_minute_is_kept(tmp_path: Path) -> None:
    # "at 09:48" said at 09:50:35: two minutes earlier than any record, the words are the time
    note = annotation(8 + SECONDS, "Rolled back checkout at 09:48 UTC", "lee", "lee@acme.example")
    tl = timeline(tmp_path, [trigger()], [], [LEE], [note])
    assert figures(tl)["time_to_mitigate_s"] == 6 * 60


def mitigation(text: str, recorded: datetime) -> Event:
    """A responder's chat row (kind ``mitigate``) recorded at ``recorded``."""
    return Event(time=recorded, kind=Kind.MITIGATE, summary=text, sources=("slack",), links=(),
                 key="slack:1")  # fmt: skip


def test_step_time_reads_a_minute_the_row_lies_in_as_the_rows_time() -> None:
    floor = T0
    recorded = T0 + timedelta(minutes=30, seconds=40)  # 10:12:40
    within = mitigation("flag off, done at 10:12 UTC", recorded)
    assert step_time(within, floor) == recorded, "said to its own minute: the record's time"
    to_the_second = mitigation("flag off, done at 10:12:10 UTC", recorded)
    assert step_time(to_the_second, floor) == recorded - timedelta(seconds=30)
    earlier = mitigation("flag off, done at 10:11 UTC", recorded)
    assert step_time(earlier, floor) == recorded - timedelta(minutes=1, seconds=40)
