"""Records a parser leaves out because their time cannot be read as UTC (no offset, not a
timestamp at all). Nothing is guessed; the pipeline counts them per source and says so in the
draft, so a shorter timeline never passes silently for a complete one.

    with recording() as skipped:        # the pipeline, around one source's parse()
        events = list(source.parse(bundle))
    unreadable_time(value)              # a parser's time helper, where it gives up on a value

A record a parser reads but deliberately makes no event of (a channel join, a deleted message)
is counted by name instead: ``left_out(scope, reason)`` adds one to ``"<scope> (<reason>)"``,
which the pipeline adds to the timeline's ``omitted`` counts (and to the source's collected
count), so it is named in the coverage note and in JSON ``omitted``:

    with counting() as left:            # the pipeline, around parsing
        ...
    left_out("slack:#inc-1234", "channel joins and settings")

A record a parser knows lies outside the collection window (a thread's messages posted before the
window, read because a reply falls inside it) is counted with ``left_out(scope, OUTSIDE)``: the
pipeline adds it to the normalizer's ``outside window`` count (``omitted_key``), like every other
out-of-window record, and to its source's collected count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from reconstruct.normalize.utc import OUTSIDE

_SKIPPED: ContextVar[list[str] | None] = ContextVar("reconstruct_skipped", default=None)


def unreadable_time(value: Any) -> None:
    """Note a record left out because ``value`` is not a UTC-readable time."""
    skipped = _SKIPPED.get()
    if skipped is not None:
        skipped.append(repr(value)[:60])


@contextmanager
def recording() -> Iterator[list[str]]:
    skipped: list[str] = []
    token = _SKIPPED.set(skipped)
    try:
        yield skipped
    finally:
        _SKIPPED.reset(token)


_LEFT_OUT: ContextVar[Counter[str] | None] = ContextVar("reconstruct_left_out", default=None)


def left_out(scope: str, reason: str, count: int = 1) -> None:
    """Count ``count`` records of ``scope`` (``slack:#inc-1234``) left out for ``reason``."""
    left = _LEFT_OUT.get()
    if left is not None and count > 0:
        left[f"{scope} ({reason})"] += count


@contextmanager
def counting() -> Iterator[Counter[str]]:
    """Collects ``left_out`` counts: ``"<scope> (<reason>)"`` -> records."""
    left: Counter[str] = Counter()
    token = _LEFT_OUT.set(left)
    try:
        yield left
    finally:
        _LEFT_OUT.reset(token)


def omitted_key(key: str) -> str:
    """The ``omitted`` key a ``left_out`` count is shown under: ``"<scope> (outside window)"``
    joins the one ``outside window`` count; any other key is itself."""
    return OUTSIDE if key.endswith(f" ({OUTSIDE})") else key
