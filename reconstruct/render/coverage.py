"""What the note under the Timeline table says about the evidence behind it.

* ``collected``: records read per source (``Timeline.collected``), sorted by source;
* ``omitted``: one sentence per source saying what became of its records
  (``Timeline.accounts``): how many are in the table and how many were left out, per named
  reason, so that shown + left out = collected can be checked (``account_sentence``); a
  Timeline without accounts gets one sentence per scope (``Timeline.omitted``);
* ``warnings``: each warning, plus each failed source no warning names;
* ``gaps``: silent stretches longer than ``[render] gap`` between consecutive rows inside the
  incident window (``window.start`` .. ``window.end``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from reconstruct.model import Account, Timeline
from reconstruct.normalize.steps import series_members
from reconstruct.timeutil import between, format_duration

_OUTSIDE = "outside window"


@dataclass(frozen=True, slots=True)
class Gap:
    start: datetime
    end: datetime

    @property
    def duration(self) -> str:
        return format_duration(between(self.start, self.end))


@dataclass(frozen=True, slots=True)
class Coverage:
    collected: tuple[tuple[str, int], ...]
    omitted: tuple[str, ...]
    warnings: tuple[str, ...]
    gaps: tuple[Gap, ...]
    accounts: tuple[tuple[str, Account], ...] = ()
    """Per source (sorted): ``collected``, ``shown``, ``omitted`` (reason -> records)."""

    @property
    def collected_total(self) -> int:
        return sum(n for _, n in self.collected)


def omitted_sentence(scope: str, count: int) -> str:
    """``412 other messages in slack:#inc-1234 not shown``."""
    if scope == _OUTSIDE:
        noun = "record" if count == 1 else "records"
        return f"{count:,} {noun} outside the collection window not shown"
    singular, plural = _nouns().get(scope.partition(":")[0], ("record", "records"))
    noun = singular if count == 1 else plural
    return f"{count:,} other {noun} in {scope} not shown"


def _nouns() -> dict[str, tuple[str, str]]:
    """Each source's record nouns, from its declared traits (no source is named here)."""
    from reconstruct.collectors import traits

    return {name: t.noun for name, t in traits().items()}


def account_sentence(source: str, account: Account) -> str:
    """``slack: 54 records collected, 14 shown in the table, 40 not shown (28 messages without
    a keyword, pin or reaction in slack:#inc-4821; 7 channel housekeeping ...)``."""
    noun = "record" if account.collected == 1 else "records"
    head = f"{source}: {account.collected:,} {noun} collected, {account.shown:,} shown in the table"
    left = [(reason, n) for reason, n in sorted(account.omitted.items()) if n > 0]
    if not left:
        return head
    total = sum(n for _, n in left)
    details = "; ".join(f"{n:,} {counted(reason, n)}" for reason, n in left)
    return f"{head}, {total:,} not shown ({details})"


_ONE: tuple[tuple[str, str], ...] = (
    ("copies of ", "copy of "),
    ("channel joins and settings", "channel join or setting"),
    ("edit and reply notices", "edit or reply notice"),
    ("pull requests ", "pull request "),
)
"""Reason openings whose singular is not their first plural noun less its ``s``."""
_PLURAL = re.compile(
    r"^((?:[a-z]+ )?)(messages|records|posts|changes|deploys|deployments|annotations|"
    r"alerts|entries|notes|replies|threads|events)\b"
)
"""A reason's counted noun: its first word, or its second after one qualifier ("bot posts",
"earlier deploys", "alert records")."""
_SINGULAR = {"entries": "entry", "replies": "reply"}


def counted(reason: str, count: int) -> str:
    """The reason as shown after ``count``: its noun singular for one record (``1 message
    without a keyword ...``). Only the shown text changes: the ``omitted`` keys (JSON) keep
    the plural reason whatever the count."""
    if count != 1:
        return reason
    for plural, singular in _ONE:
        if reason.startswith(plural):
            return singular + reason[len(plural) :]
    match = _PLURAL.match(reason)
    if match is None:
        return reason  # no counted noun: "not understood", "deleted", "outside the ..."
    noun = match.group(2)
    one = _SINGULAR.get(noun, noun[:-1])
    return f"{match.group(1)}{one}{reason[match.end() :]}"


def find_gaps(timeline: Timeline, longer_than: timedelta) -> tuple[Gap, ...]:
    window = timeline.window
    # A collapsed series row stands for records all along its span: their times count.
    # (a row of one step, ``steps.ONE_STEP``, stands at its own time)
    every = (t for e in timeline.events for t in (e.time, *(m.time for m in series_members(e))))
    times = sorted(t for t in every if window.contains(t))
    # to the second, as the note writes it: a Slack ``ts`` 15m 00.4s after the row before is
    # no gap "longer than 15m" (``between`` drops the sub-second part of both times)
    return tuple(Gap(a, b) for a, b in pairwise(times) if between(a, b) > longer_than)


def warning_lines(timeline: Timeline) -> tuple[str, ...]:
    lines = list(timeline.warnings)
    for source in sorted(set(timeline.failed_sources)):
        if not any(w.startswith(f"{source}:") or source in w.split() for w in lines):
            lines.append(f"{source}: collection failed; its events are missing from this timeline")
    return tuple(lines)


def compute(timeline: Timeline, gap: timedelta) -> Coverage:
    if timeline.accounts:
        collected = tuple(sorted((s, a.collected) for s, a in timeline.accounts.items()))
        omitted = tuple(account_sentence(s, a) for s, a in sorted(timeline.accounts.items()))
    else:
        collected = tuple(sorted((s, n) for s, n in timeline.collected.items()))
        omitted = tuple(
            omitted_sentence(scope, n) for scope, n in sorted(timeline.omitted.items()) if n > 0
        )
    return Coverage(
        collected=collected,
        omitted=omitted,
        warnings=warning_lines(timeline),
        gaps=find_gaps(timeline, gap),
        accounts=tuple(sorted(timeline.accounts.items())),
    )
