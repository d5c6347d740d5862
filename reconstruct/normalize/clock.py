"""Clock times a person's words state ("impact started 08:12 UTC"), read as UTC instants.

A stated time is ``H:MM`` or ``HH:MM`` (optionally ``:SS``), optionally after ``at``, ``since``,
``from``, ``around``, ``about``, ``approx.``, ``~``, and its zone right after it:

- ``UTC``, ``GMT``, ``Z`` (``08:12Z``): UTC;
- an abbreviation that names one offset wherever it is used (``ABBREVIATIONS``: ``CET`` is UTC+1,
  ``PDT`` UTC-7, ...): converted. One that names several (``IST``: India, Ireland or Israel;
  ``CST``: US Central or China; ``BST``: British Summer or Bangladesh) is not read;
- a local time with its UTC in brackets ("09:12 CET (08:12 UTC)", "10:12 local (08:12Z)"): the
  bracketed UTC one;
- no zone: not read (``stated_utc``), never guessed; ``recent_utc`` reads it as UTC only when that
  puts it within ``RECENT`` before the message (see there).

The day is the message's: the latest such instant not after the message (a time past the message's
own clock was the day before). Errors: none; an unreadable time is ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

ABBREVIATIONS: dict[str, float] = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": 1,
    "CET": 1,
    "CEST": 2,
    "MET": 1,
    "MEST": 2,
    "EET": 2,
    "EEST": 3,
    "MSK": 3,
    "JST": 9,
    "KST": 9,
    "HKT": 8,
    "SGT": 8,
    "AWST": 8,
    "ACST": 9.5,
    "ACDT": 10.5,
    "AEST": 10,
    "AEDT": 11,
    "NZST": 12,
    "NZDT": 13,
    "EST": -5,
    "EDT": -4,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "AKST": -9,
    "AKDT": -8,
    "HST": -10,
}
"""Zone abbreviations that name one UTC offset (hours) wherever they are used (the IANA tz
database's abbreviations for these offsets). Absent on purpose: ``IST`` (India +5:30, Irish +1,
Israel +2), ``CST`` (US Central -6, China +8, Cuba -5), ``BST`` (British Summer +1, Bangladesh
+6), ``AST`` (Atlantic -4, Arabia +3): a time in them is not read."""
RECENT = timedelta(hours=1)
"""``recent_utc``: a time without a zone is read as UTC only within this before the message."""

_TIME = r"(?<![\w:.])([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(?![\d:])"
_ZONE = r"\s*(Z\b|[A-Za-z]{1,5}\b)?"
_STATED = re.compile(
    r"(?:\b(?:at|since|from|around|about|approx\.?)\s+|~\s*)?~?\s*"
    + _TIME
    + _ZONE
    + r"(?:\s*\(\s*(?:at\s+)?"
    + _TIME
    + r"\s*(?:UTC|GMT|Z)\s*\))?",
)
"""A clock time, its zone word, and an optional bracketed UTC time."""
_ANY_CASE = frozenset({"utc", "gmt", "z"})
"""Zones read in any case ("08:12 utc"); other abbreviations only in capitals ("CET", not
"cet"... or "at", "on")."""


@dataclass(frozen=True, slots=True)
class Stated:
    """One clock time a text states: the hour, minute, second and the zone's UTC offset
    (None: no zone written), and where it lies in the text."""

    hour: int
    minute: int
    second: int
    offset: timedelta | None
    start: int
    end: int

    def instant(self, posted: datetime) -> datetime:
        """This time on the message's day, in UTC: the latest not after ``posted`` (UTC)."""
        offset = self.offset or timedelta(0)
        at = posted.replace(hour=self.hour, minute=self.minute, second=self.second, microsecond=0)
        at -= offset
        while at > posted:
            at -= timedelta(days=1)
        while at + timedelta(days=1) <= posted:
            at += timedelta(days=1)
        return at


def stated_times(text: str) -> list[Stated]:
    """Every clock time ``text`` states, in order; a bracketed UTC time replaces the local one
    before it. A zone word that is no known abbreviation (``ABBREVIATIONS``) or names several
    offsets makes the time unreadable: it is left out."""
    found: list[Stated] = []
    for match in _STATED.finditer(text):
        groups = match.groups()
        if groups[4] is not None:  # "09:12 CET (08:12 UTC)": the UTC one
            hour, minute, second = (int(g) if g else 0 for g in groups[4:7])
            found.append(Stated(hour, minute, second, timedelta(0), match.start(), match.end()))
            continue
        hour, minute, second = (int(g) if g else 0 for g in groups[:3])
        zone = groups[3]
        offset: timedelta | None = None
        if zone is not None:
            known = zone.isupper() or zone.lower() in _ANY_CASE
            hours = ABBREVIATIONS.get(zone.upper()) if known else None
            if hours is None:
                if zone.isupper() and len(zone) >= 3:
                    continue  # a zone we cannot read (IST, CST): never guessed
                zone = None  # an ordinary word after the time ("08:10 and ...")
            else:
                offset = timedelta(hours=hours)
        found.append(Stated(hour, minute, second, offset, match.start(), match.end()))
    return found


def stated_utc(text: str, posted: datetime) -> datetime | None:
    """The first time with a zone ``text`` states, as a UTC instant on the message's day (the
    latest not after ``posted``); None when it states none."""
    for stated in stated_times(text):
        if stated.offset is not None:
            return stated.instant(posted)
    return None


def recent_utc(text: str, posted: datetime) -> datetime | None:
    """Like ``stated_utc``, and a time without a zone read as UTC when that puts it within
    ``RECENT`` before ``posted``: a local clock of another zone, whole hours off, would put a
    time of the last hour at least an hour away (a team an hour or more ahead of UTC reads as a
    time after the message, which is not read). None when no time is readable so."""
    for stated in stated_times(text):
        at = stated.instant(posted)
        if stated.offset is not None or posted - at <= RECENT:
            return at
    return None
