"""Turn each tool's time format into timezone-aware UTC ``datetime`` values.

Every function returns a stdlib ``datetime`` whose tzinfo is ``UTC``; naive input is rejected,
because guessing a zone is how a timeline ends up an hour off. The forms the APIs write
(RFC 3339: ``2026-03-14T09:42:07Z``, ``...07.123+01:00``; Slack's ``ts``) are read by the
standard library; anything else ISO 8601 allows goes through pendulum, imported only then.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pendulum

_DURATION = re.compile(r"(?:\d+\s*[wdhms]\s*)+")
_DURATION_PART = re.compile(r"(\d+)\s*([wdhms])")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
_UNIT_ORDER = "wdhms"
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
DURATION_FORMS = "a number and a unit, or several from largest to smallest: 30s, 5m, 1h30m, 14d"
MAX_DURATION = timedelta(days=3650)
"""The longest duration any setting or option takes (ten years): beyond it a window or a timeout
means nothing, and date arithmetic would overflow (``OverflowError``) far later."""
MAX_DURATION_TEXT = "3650d"
# Epoch values above this are milliseconds (1e11 s is the year 5138).
_MS_THRESHOLD = 100_000_000_000


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TimeFormatError(ValueError):
    """A timestamp that cannot be read as an unambiguous UTC instant."""


def _stdlib(dt: pendulum.DateTime) -> datetime:
    u = dt.in_timezone("UTC")
    return datetime(u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond, tzinfo=UTC)


_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(Z|[+-]\d\d:\d\d)?", re.ASCII)
"""The form PagerDuty, GitHub and the bundle's manifest write (``datetime.fromisoformat`` reads
it exactly as pendulum does), or that form without its offset (refused)."""


def _pendulum() -> Any:
    import pendulum

    return pendulum


def parse_iso(value: str) -> datetime:
    """ISO 8601 with a ``Z`` or an explicit offset (PagerDuty, GitHub) -> UTC."""
    if not isinstance(value, str) or not value:
        raise TimeFormatError(f"not a timestamp: {value!r}")
    form = _RFC3339.fullmatch(value)
    if form is not None:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            pass  # out of range (month 13, hour 24...): pendulum says why
        else:
            if form.group(1) is None:
                raise TimeFormatError(f"timestamp has no UTC offset: {value!r}")
            return when.astimezone(UTC)
    pendulum = _pendulum()
    try:
        parsed = pendulum.parse(value, exact=True)
    except (ValueError, pendulum.parsing.exceptions.ParserError) as exc:
        raise TimeFormatError(f"not an ISO 8601 timestamp: {value!r}") from exc
    if not isinstance(parsed, datetime):
        raise TimeFormatError(f"not a date and time: {value!r}")
    if parsed.tzinfo is None or not re.search(r"(Z|[+-]\d\d:?\d\d)$", value.strip()):
        raise TimeFormatError(f"timestamp has no UTC offset: {value!r}")
    return _stdlib(pendulum.instance(parsed))


_SLACK_TS = re.compile(r"\d{9,10}(?:\.\d{1,6})?")


def slack_ts_micros(ts: object) -> int | None:
    """Slack ``ts`` as exact integer microseconds since the epoch, or None when it is not one
    (the chatter tally compares it with the window without building a ``datetime``)."""
    if type(ts) is str and len(ts) == 17 and ts[10] == "." and ts.isascii():
        digits = ts[:10] + ts[11:]  # the form Slack writes: 10 + 6 digits (the hot path)
        if digits.isdigit():
            return int(digits)
    if not isinstance(ts, str) or _SLACK_TS.fullmatch(ts) is None:
        return None
    seconds, _, micros = ts.partition(".")
    return int(seconds) * 1_000_000 + int(micros.ljust(6, "0") or 0)


def parse_slack_ts(ts: str) -> datetime:
    """Slack ``ts`` (``"1710409327.000100"``, epoch seconds and microseconds) -> UTC.

    Exact integer arithmetic in the standard library (no float, no pendulum): the hot path of a
    large channel, one call per message."""
    micros = slack_ts_micros(ts)
    if micros is None:
        raise TimeFormatError(f"not a Slack ts: {ts!r}")
    return _EPOCH + timedelta(microseconds=micros)


def parse_epoch(value: int | float) -> datetime:
    """Epoch milliseconds (Grafana) -> UTC; values small enough to be seconds are read as such."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise TimeFormatError(f"not an epoch timestamp: {value!r}")
    if isinstance(value, int):
        micros_total = value * 1000 if value >= _MS_THRESHOLD else value * 1_000_000
    else:
        micros_total = round(value * 1000 if value >= _MS_THRESHOLD else value * 1_000_000)
    whole, micros = divmod(micros_total, 1_000_000)
    return _stdlib(_pendulum().from_timestamp(whole, tz="UTC")) + timedelta(microseconds=micros)


def to_epoch_ms(when: datetime) -> int:
    """Exact integer milliseconds (no float rounding)."""
    return (ensure_utc(when) - _EPOCH) // timedelta(milliseconds=1)


def ensure_utc(when: datetime) -> datetime:
    """Reject naive datetimes; convert aware ones to UTC."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise TimeFormatError(f"naive datetime {when.isoformat()} has no timezone")
    return when.astimezone(UTC)


def iso_z(when: datetime) -> str:
    """``2026-03-14T09:42:07Z`` (microseconds kept only when present)."""
    u = ensure_utc(when)
    text = u.strftime("%Y-%m-%dT%H:%M:%S")
    if u.microsecond:
        text += f".{u.microsecond:06d}"
    return text + "Z"


def parse_duration(text: str, *, least: str = "0s") -> timedelta:
    """``30s``, ``5m``, ``1h``, ``14d``, ``2w``, or several from the largest unit to the smallest
    (``1h30m``, ``2d 12h``, ``1m30s``) -> timedelta. Raises ValueError otherwise (a bare number,
    a fraction, a sign, a unit given twice or out of order, or more than ``MAX_DURATION``).
    ``least`` is the shortest the caller accepts, named with the bound (``--timeout``: 1s)."""
    if not isinstance(text, str):
        raise ValueError(f"invalid duration {text!r} (write it in quotes: {DURATION_FORMS})")
    stripped = text.strip()
    if not _DURATION.fullmatch(stripped):
        raise ValueError(f"invalid duration {text!r} (use {DURATION_FORMS})")
    parts = _DURATION_PART.findall(stripped)
    order = [_UNIT_ORDER.index(unit) for _, unit in parts]
    if order != sorted(set(order)):
        raise ValueError(
            f"invalid duration {text!r} (give each unit once, largest first: 1h30m, not 30m1h)"
        )
    seconds = sum(int(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"duration {text!r} is too long (use {least} to {MAX_DURATION_TEXT})")
    return timedelta(**{_UNITS[unit]: int(number) for number, unit in parts})


def between(start: datetime, end: datetime) -> timedelta:
    """``end - start`` in whole seconds of each time: sub-second parts (Slack's ``ts`` carries
    microseconds) are dropped from both before subtracting, so a figure always agrees with the
    ``HH:MM:SS`` times it cites (14:08:00.0001 -> 15:10:00 is 1h 02m, not 1h 01m 59.9999s)."""
    return end.replace(microsecond=0) - start.replace(microsecond=0)


def format_duration(delta: timedelta) -> str:
    """``1h 02m``, ``4m 10s``, ``45s``: for durations people read."""
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h {minutes:02d}m"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m {seconds:02d}s"
    return f"{sign}{seconds}s"


def exact_duration(delta: timedelta) -> str:
    """``1h 35m 12s``, ``4m 10s``, ``45s``, ``2d 1h 00m 05s``: ``format_duration`` to the second
    at any length (a figure, whose two cited times are to the second)."""
    total = int(delta.total_seconds())
    if abs(total) < 3600:
        return format_duration(delta)
    sign = "-" if total < 0 else ""
    minutes, seconds = divmod(abs(total), 60)
    return f"{sign}{format_duration(timedelta(minutes=minutes))} {seconds:02d}s"


def now_utc() -> datetime:
    return datetime.now(UTC)
