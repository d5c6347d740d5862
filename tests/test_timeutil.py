"""Each tool's time format becomes one UTC instant; anything ambiguous is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconstruct.timeutil import (
    TimeFormatError,
    ensure_utc,
    exact_duration,
    format_duration,
    iso_z,
    parse_duration,
    parse_epoch,
    parse_iso,
    parse_slack_ts,
    to_epoch_ms,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-10-06T21:30:42Z", datetime(2015, 10, 6, 21, 30, 42, tzinfo=UTC)),
        ("2013-03-06T15:28:51-05:00", datetime(2013, 3, 6, 20, 28, 51, tzinfo=UTC)),
        ("2026-03-29T03:30:00+02:00", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        ("2024-01-01T00:00:00.123456+00:00", datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_iso_offsets_become_utc(text: str, expected: datetime) -> None:
    result = parse_iso(text)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize("text", ["2015-10-06T21:30:42", "2015-10-06", "yesterday", ""])
def test_iso_without_offset_is_refused(text: str) -> None:
    with pytest.raises(TimeFormatError):
        parse_iso(text)


def test_slack_ts_keeps_microseconds() -> None:
    assert parse_slack_ts("1512085950.000216") == datetime(
        2017, 11, 30, 23, 52, 30, 216, tzinfo=UTC
    )
    with pytest.raises(TimeFormatError):
        parse_slack_ts("1512085950000")


def test_epoch_milliseconds_and_seconds_agree() -> None:
    assert parse_epoch(1507266395000) == parse_epoch(1507266395)
    assert parse_epoch(1507266395123).microsecond == 123000
    for bad in (-1, True, "1507266395000"):
        with pytest.raises(TimeFormatError):
            parse_epoch(bad)  # type: ignore[arg-type]


def test_naive_datetime_refused() -> None:
    with pytest.raises(TimeFormatError):
        ensure_utc(datetime(2026, 1, 1))


@given(
    st.datetimes(
        min_value=datetime(2001, 1, 1),
        max_value=datetime(2099, 1, 1),
        timezones=st.just(timezone(timedelta(hours=-5))),
    )
)
def test_iso_round_trip(when: datetime) -> None:
    assert parse_iso(iso_z(when)) == when
    assert iso_z(when).endswith("Z")


@given(st.integers(min_value=100_000_000_000, max_value=4_000_000_000_000))
def test_epoch_ms_round_trip_exact(ms: int) -> None:
    assert to_epoch_ms(parse_epoch(ms)) == ms


@given(st.integers(min_value=0, max_value=4_000_000_000_000))
def test_epoch_ms_round_trip(ms: int) -> None:
    assume_ms = ms if ms >= 100_000_000_000 else ms * 1000
    assert to_epoch_ms(parse_epoch(ms)) == assume_ms


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("14d", timedelta(days=14)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2d 12h", timedelta(days=2, hours=12)),
        ("1w1d1h1m1s", timedelta(weeks=1, days=1, hours=1, minutes=1, seconds=1)),
        (" 90s ", timedelta(seconds=90)),
    ],
)
def test_durations(text: str, delta: timedelta) -> None:
    assert parse_duration(text) == delta


@pytest.mark.parametrize(
    "text", ["5", "m", "1.5h", "-1h", "1y", "30m1h", "1h1h", "1h 30", "", "h30m"]
)
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_format_duration() -> None:
    assert format_duration(timedelta(minutes=47)) == "47m 00s"
    assert format_duration(timedelta(seconds=130)) == "2m 10s"
    assert format_duration(timedelta(hours=1, minutes=2)) == "1h 02m"
    assert format_duration(timedelta(seconds=45)) == "45s"


def test_exact_duration_keeps_the_seconds_at_any_length() -> None:
    assert exact_duration(timedelta(hours=1, minutes=35, seconds=12)) == "1h 35m 12s"
    assert exact_duration(timedelta(hours=2)) == "2h 00m 00s"
    assert exact_duration(timedelta(days=1, seconds=5)) == "1d 0h 00m 05s"
    assert exact_duration(timedelta(minutes=4, seconds=10)) == "4m 10s"  # as format_duration
    assert exact_duration(timedelta(seconds=-3605)) == "-1h 00m 05s"
