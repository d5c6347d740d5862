"""Records a parser leaves out because their time cannot be read as UTC (no offset, not a
timestamp at all). Nothing is guessed; the pipeline counts them per source and says so in the
draft, so a shorter timeline never passes silently for a complete one.

    with recording() as skipped:        # the pipeline, around one source's parse()
        events = list(source.parse(bundle))
    unreadable_time(value)              # a parser's time helper, where it gives up on a value
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

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
