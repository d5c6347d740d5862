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
own clock by more than ``AHEAD``, half a day, was the day before: "23:55 UTC" posted at 00:10); a
time up to ``AHEAD`` past the message's clock is a time to come or a slip ("14:30 UTC" posted at
14:12) and is not read. Errors: none; an unreadable time is ``None``.

**When a step was done** (``step_utc``): a report of a mitigation or resolution may state when it
was done ("we rolled back at 14:05", "failed over at 14:07Z", "restarted the pods ~14:10 UTC",
"all clear since 15:02 UTC"). Only a time that is the report's own counts: outside quotes, in a
sentence that asks nothing, led to by ``at``/``~``/``around``/``about``/``approx.``/``done`` or
opening its clause, in a clause naming no alert, page, symptom, deploy or plan; without a zone,
only as ``recent_utc`` reads one and in a clause saying the step was done.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
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
AHEAD = timedelta(hours=12)
"""A clock time up to this after the message's own clock is a time to come or a slip ("rolled
back at 14:30 UTC" posted at 14:12), never the day before: it is not read. Further after, it is
the day before (a message just after midnight: "at 23:55 UTC" posted at 00:10)."""
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

    def past(self, posted: datetime) -> datetime | None:
        """``instant``, or None when this time lies up to ``AHEAD`` after ``posted`` on its
        clock (a time to come: "will fail over at 14:30 UTC" posted at 14:12)."""
        at = self.instant(posted)
        return None if posted - at > timedelta(days=1) - AHEAD else at


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
    latest not after ``posted``; one up to ``AHEAD`` after it is to come: skipped); None when it
    states none."""
    for stated in stated_times(text):
        at = stated.past(posted) if stated.offset is not None else None
        if at is not None:
            return at
    return None


def recent_utc(text: str, posted: datetime) -> datetime | None:
    """Like ``stated_utc``, and a time without a zone read as UTC when that puts it within
    ``RECENT`` before ``posted``: a local clock of another zone, whole hours off, would put a
    time of the last hour at least an hour away (a team an hour or more ahead of UTC reads as a
    time after the message, which is not read). A time whose clause names another event is
    that event's, not read ("rolled back checkout after the alert fired at 13:40 UTC": the
    alert's; ``_EVENT``). None when no time is readable so."""
    marks: _Marks | None = None
    for stated in stated_times(text)[:STEP_TIMES]:
        at = stated.past(posted)
        if at is None or (stated.offset is None and posted - at > RECENT):
            continue
        marks = marks or _Marks.of(text)
        clock = _CLOCK.search(text, stated.start)
        lo, hi = marks.segment(stated.start, clock.end() if clock else stated.end)
        if _EVENT.search(text, lo, hi) is None:
            return at
    return None


# -- when a step was done ----------------------------------------------------------------------
_SENTENCE = re.compile(r"[.!?;](?=\s|$)|\n")
"""Where a sentence ends (a sentence mark before a space, not ``v2.3.0``; a line break)."""
_SEGMENT = re.compile(
    r"[.!?;,](?=\s|$)|\n|\s[-\u2013\u2014]+\s|\(|\)"
    r"|\b(?:and|but|then|after|before|because|when|while|which|that|so|until|till|once|as)\b",
    re.IGNORECASE,
)
"""Where the words a time belongs to end: a clause mark, a bracket, or a word handing over to
another clause ("rolled back at 14:05 | after the alert at 14:01 UTC")."""
_QUOTED = re.compile(r"\"[^\"\n]*\"|\u201c[^\u201d\n]*\u201d|`[^`]*`|^\s*>.*$", re.MULTILINE)
"""Quoted words (``"..."``, ``“...”``, code, a ``>`` quote line): someone else's, an alert's or
a log's words, never the report's own time."""
_ABBREVIATED = re.compile(r"\b(?:approx|ca)\.", re.IGNORECASE)
"""A word whose dot ends no sentence ("at approx. 14:05 UTC")."""
_LEAD = frozenset(
    {"at", "around", "about", "approx", "approximately", "circa", "ca"}
    | {"done", "complete", "completed", "finished"}
)
"""The word right before a time that makes it the step's own time ("rolled back at 14:05",
"restarted the pool ~14:10 UTC", "failover done 14:07Z"); a time opening its clause needs none
("14:05 UTC: rolled back")."""
_OPENS = ",:;(-\u2013\u2014~@"
"""A mark before a time that opens its clause ("rolled back (14:05 UTC)", "update: 14:05Z ...")
or leads to it ("restarted the pool ~14:10 UTC", "@14:05Z")."""
_EVENT_WORDS = (
    r"alert\w*|alarm\w*|fired|firing|trigger\w*|paged?|pages|paging|errors?|errored|5xx"
    r"|latency|start(?:s|ed)?|began|begun|spik(?:e|es|ed|ing)|deploy(?:s|ed)?"
    r"|merged|shipped|released|detected|noticed|reported|seen"
)
_EVENT = re.compile(rf"\b(?:{_EVENT_WORDS})\b", re.IGNORECASE)
"""Words of a time's clause saying it is another event's time (an alert, a page, a symptom, a
deploy: "alert fired at 14:01 UTC", "errors started 13:58Z", "the deploy from 13:50")."""
_OTHER = re.compile(
    rf"\b(?:{_EVENT_WORDS}"
    r"|will|going to|gonna|plan\w*|schedul\w*|eta|expect\w*|next|tomorrow|later|should|would"
    r"|could|might|let's|if|unless|want to|need to|yesterday|last (?:time|week|night|month)"
    r"|usually|previous\w*)\b|'ll\b",
    re.IGNORECASE,
)
"""``_EVENT``, or a plan or another time ("will roll back at 14:30 UTC", "ETA 14:30Z", "last
time we rolled back at 14:05 UTC")."""
_DONE_WORD = re.compile(r"\b(?:\w+ed|done|complete|finished|all clear)\b", re.IGNORECASE)
"""A word saying the step was done, which a time needs in its clause (``classify`` reads a time
of a step from a match saying it was done: "rolled back", "failed over")."""
_LOCAL_AFTER = re.compile(r"\s*(?:(?i:local|[ap]\.?m)\b|[A-Z]{2}\b)")
"""Words after a time without a zone that say it is no UTC clock: "local", a two-letter zone
("ET", "PT"), "am"/"pm"."""
_SPACE = re.compile(r"\s+")
_CLOCK = re.compile(_TIME)
STEP_TIMES = 10
"""``step_utc`` reads a message's first this many times: a report states its step's time early,
and a pasted log of hundreds of times costs no more than ten."""


_MINUTE = timedelta(minutes=1)


def in_said_minute(stated: datetime, recorded: datetime) -> bool:
    """Whether ``recorded`` (UTC) lies in the minute ``stated`` names when ``stated`` is said to
    the minute, no seconds ("turned off at 15:31 UTC": 15:31:00, the annotation recorded at
    15:31:35): the record is then the exact time of what the words state."""
    return not stated.second and not stated.microsecond and stated <= recorded < stated + _MINUTE


def step_utc(text: str, posted: datetime, *, state: bool = False) -> datetime | None:
    """The UTC time a report of a step (a mitigation, a resolution) states the step was done, or
    None. ``posted``: the message's time (UTC). ``state``: the step is a state reached (a
    resolution), so ``since`` gives its time too ("all clear since 15:02 UTC").

    The first time (of the first ``STEP_TIMES``, ``stated_times``) that is the report's own:
    outside quotes (``"..."``, ``“...”``, code, a ``>`` line), in a sentence that asks nothing;
    right after ``at``, ``~``, ``around``, ``about``, ``approx.``, ``done``, ``complete(d)`` or
    ``finished``, or opening its clause; in a clause that names no other event or time
    (``_OTHER``: an alert, a page, a symptom, a deploy, a plan: "will roll back at 14:30 UTC",
    "alert fired at 14:01 UTC") and says a step was done (``_said_done``: "we rolled back at
    14:05", not "p99 3s at 14:00 UTC"). With a zone it reads as ``stated_utc`` does; without
    one, as ``recent_utc`` does (UTC only within ``RECENT`` before the message), when no word
    after it names another clock ("14:05 local", "ET", "pm"). A time up to ``AHEAD`` after the
    message's clock is a time to come, not read; one further after reads as the day before
    (``Stated.past``); the caller bounds it (the incident's start)."""
    if ":" not in text or not any(ch.isdigit() for ch in text):
        return None  # every time it reads is digits and a colon (``_TIME``)
    masked = _QUOTED.sub(lambda m: " " * len(m.group(0)), text)
    marks = _Marks.of(_ABBREVIATED.sub(lambda m: m.group(0)[:-1] + " ", masked))
    for stated in stated_times(marks.text)[:STEP_TIMES]:
        clock = _CLOCK.search(marks.text, stated.start)
        if clock is None or not _own_time(marks, clock.start(), clock.end(), state):
            continue
        at = stated.past(posted)
        if at is None:
            continue
        if stated.offset is None and (
            posted - at > RECENT or _LOCAL_AFTER.match(marks.text, clock.end())
        ):
            continue
        if _said_done(marks, clock.start(), clock.end()):
            return at
    return None


@dataclass(frozen=True, slots=True)
class _Marks:
    """A text and where its sentences and clauses end (``_SENTENCE``, ``_SEGMENT``), found once:
    each time's lookups are a bisection, so a long message with many times stays linear."""

    text: str
    sentence_starts: list[int]
    sentence_ends: list[int]
    segment_starts: list[int]
    segment_ends: list[int]

    @classmethod
    def of(cls, text: str) -> _Marks:
        sentences = [(m.start(), m.end()) for m in _SENTENCE.finditer(text)]
        segments = [(m.start(), m.end()) for m in _SEGMENT.finditer(text)]
        return cls(
            text,
            [a for a, _ in sentences],
            [b for _, b in sentences],
            [a for a, _ in segments],
            [b for _, b in segments],
        )

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        """Where the sentence holding ``text[start:end]`` begins, and where it ends (after its
        mark: "?" included)."""
        i = bisect_right(self.sentence_ends, start)
        j = bisect_left(self.sentence_starts, end)
        lo = self.sentence_ends[i - 1] if i else 0
        return lo, (self.sentence_ends[j] if j < len(self.sentence_starts) else len(self.text))

    def segment(self, start: int, end: int) -> tuple[int, int]:
        """Where the clause holding ``text[start:end]`` begins and ends (``_SEGMENT``)."""
        i = bisect_right(self.segment_ends, start)
        j = bisect_left(self.segment_starts, end)
        lo = self.segment_ends[i - 1] if i else 0
        return lo, (self.segment_starts[j] if j < len(self.segment_starts) else len(self.text))


def _said_done(marks: _Marks, start: int, end: int) -> bool:
    """Whether the clause of the time at ``text[start:end]`` says a step was done
    (``_DONE_WORD``: "rolled back at 14:05", "failover done at 14:07Z"), or, when the time opens
    its clause, the clause before it in its sentence does ("rolled back checkout (14:09 UTC)");
    not a value at a time ("p99 3s at 14:00 UTC")."""
    text = marks.text
    lo, hi = marks.segment(start, end)
    if _DONE_WORD.search(text, lo, hi):
        return True
    if any(word.lower() not in _LEAD for word in text[lo:start].split()):
        return False
    cut = _skip_back(text, lo, " ,:(-\u2013\u2014")
    if not cut or _SENTENCE.match(text, cut - 1) is not None or text[cut - 1] == "\n":
        return False
    prev_lo, _ = marks.segment(cut - 1, cut)
    return _DONE_WORD.search(text, prev_lo, cut) is not None


def _own_time(marks: _Marks, start: int, end: int, state: bool) -> bool:
    """Whether the time at ``text[start:end]`` (its digits on) is the step's own: its sentence
    asks nothing, the word before it leads to it (``_LEAD``, ``_OPENS``), its clause names
    nothing else (``_OTHER``)."""
    text = marks.text
    sentence_start, sentence_end = marks.sentence(start, end)
    if text[end:sentence_end].rstrip().endswith("?"):
        return False  # "anyone still seeing errors since 14:05?"
    last = _skip_back(text, start, " \t\n\r", sentence_start)
    if last > sentence_start and text[last - 1] not in _OPENS:
        words = text[max(sentence_start, last - 40) : last].split()
        lead = words[-1].lower()
        if lead not in _LEAD and not (state and lead == "since"):
            return False  # "the 13:50 deploy", "by 14:30", "from 13:58", "after 14:05"
    lo, hi = marks.segment(start, end)
    return _OTHER.search(_SPACE.sub(" ", text[lo:hi])) is None


def _skip_back(text: str, end: int, chars: str, lo: int = 0) -> int:
    """The position before ``end`` (not below ``lo``) once the ``chars`` right before it are
    skipped (an ``rstrip`` without copying the text)."""
    while end > lo and text[end - 1] in chars:
        end -= 1
    return end
