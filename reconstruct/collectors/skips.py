"""What a parser did with every record it read: the parse side of the accounting invariant.

Every record a parser reads ends in an event, inside another event (``absorbed``: PagerDuty
alerts grouped under their trigger log entry), or in a count under a named reason
(``left_out``: a channel join, a deleted message, a record the parser does not understand, a
time it cannot read as UTC). Nothing is guessed and nothing is dropped silently; the pipeline
adds these counts to what the normalizer shows and omits, per source (``Timeline.accounts``).

    with recording() as ledger:           # the pipeline, around one source's parse()
        events = list(source.parse(bundle))
    left_out("slack:#inc-1234", "deleted")   # a parser, where it makes no event of a record
    absorbed(event_key)                   # a record folded into the event with that key
    unreadable_time(value)                # a time helper: a sample for the warning line
    for record in records(pages, "messages", scope): ...   # iter_records, non-objects counted

``counting()`` collects the same ``left_out`` counts as ``"<scope> (<reason>)"`` -> records
(what a test of one parser reads).

A record a parser knows lies outside the collection window is counted with ``left_out(scope,
OUTSIDE)``: it joins the normalizer's ``outside the collection window`` count (``omitted_key``,
``ParseLedger.reasons``), like every other out-of-window record. One it knows lies before the
incident window (a thread's messages posted before it, read because a reply falls inside it) is
counted with ``left_out(scope, BEFORE_REASON)``: "records before the incident window in
<scope>", the normalizer's words for every source's records before it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from reconstruct.bundle import iter_records
from reconstruct.normalize.ledger import DUPLICATE, OUTSIDE_REASON
from reconstruct.normalize.utc import OUTSIDE

NOT_UNDERSTOOD = "not understood"
"""A record of a shape the parser does not read (no id, no type, not an object...)."""
UNREADABLE_TIME = "time not readable as UTC"
"""A record whose time has no UTC offset or is not a timestamp (never guessed)."""
COPY = DUPLICATE
"""A record served again with the id of one already read (overlapping pages, a record in two
series, an export listing a message twice): counted, like the normalizer's copies."""


@dataclass
class ParseLedger:
    """One source's parse: samples of unreadable times, records left out per (scope, reason),
    and extra records folded into an event (per event key)."""

    unreadable: list[str] = field(default_factory=list)
    left_out: Counter[tuple[str, str]] = field(default_factory=Counter)
    absorbed: Counter[str] = field(default_factory=Counter)

    def reasons(self, source: str) -> dict[str, int]:
        """Reason -> records: ``<reason> in <scope>``, or the reason alone when the scope is
        the source itself (``not understood`` for ``pagerduty``)."""
        out: Counter[str] = Counter()
        for (scope, reason), n in self.left_out.items():
            if reason == OUTSIDE:
                out[OUTSIDE_REASON] += n
            else:
                out[reason if scope in ("", source) else f"{reason} in {scope}"] += n
        return dict(sorted(out.items()))

    def count(self, reason: str) -> int:
        return sum(n for (_, r), n in self.left_out.items() if r == reason)


_LEDGER: ContextVar[ParseLedger | None] = ContextVar("reconstruct_ledger", default=None)
_LEFT_OUT: ContextVar[Counter[str] | None] = ContextVar("reconstruct_left_out", default=None)


def unreadable_time(value: Any) -> None:
    """Note a time value that is not UTC-readable (a sample for the warning; the parser that
    drops the record counts it with ``left_out(scope, UNREADABLE_TIME)``)."""
    ledger = _LEDGER.get()
    if ledger is not None:
        ledger.unreadable.append(repr(value)[:60])


def left_out(scope: str, reason: str, count: int = 1) -> None:
    """Count ``count`` records of ``scope`` (``slack:#inc-1234``, ``pagerduty``) left out for
    ``reason``."""
    if count <= 0:
        return
    ledger = _LEDGER.get()
    if ledger is not None:
        ledger.left_out[(scope, reason)] += count
    left = _LEFT_OUT.get()
    if left is not None:
        left[f"{scope} ({reason})"] += count


def absorbed(key: str, count: int = 1) -> None:
    """Count ``count`` records folded into the event whose key is ``key``."""
    ledger = _LEDGER.get()
    if ledger is not None and count > 0:
        ledger.absorbed[key] += count


def records(pages: list[Any], key: str | None, scope: str) -> Iterator[dict[str, Any]]:
    """``bundle.iter_records``, with every item that is not a JSON object counted as not
    understood (under ``scope``) instead of skipped unseen."""
    return iter_records(pages, key, lambda: left_out(scope, NOT_UNDERSTOOD))


def first_copies(
    found: Iterable[dict[str, Any]], ident: Callable[[dict[str, Any]], Hashable], scope: str
) -> Iterator[dict[str, Any]]:
    """Records in order, each id once: every later record with an id already read is counted
    under ``COPY`` (in ``scope``). A record whose id is falsy (none) is passed on for the
    caller to judge."""
    seen: set[Hashable] = set()
    for record in found:
        key = ident(record)
        if key and key in seen:
            left_out(scope, COPY)
            continue
        if key:
            seen.add(key)
        yield record


@contextmanager
def recording() -> Iterator[ParseLedger]:
    ledger = ParseLedger()
    token = _LEDGER.set(ledger)
    try:
        yield ledger
    finally:
        _LEDGER.reset(token)


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
