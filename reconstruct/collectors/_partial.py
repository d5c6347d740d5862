"""What every source does when its collection stops part-way (the deadline of ``--timeout`` or
``[watch] timeout``, a failure in the middle of a listing): it writes the pages it already read,
and fails with one line naming the request in flight, the setting to raise and what it kept. The
pipeline renders those pages and marks the source partial (a warning, exit 3).

    asking = InFlight()                                    # the requests workers have in flight
    with asking("conversations.history #inc-1 page 3"): ...
    done = first_done(pace, futures, asking.said, "GitHub")   # finished ones, or SourceTimedOut
    raise timed_out(pace, "log_entries page at offset 200", "PagerDuty")
    raise keeping(exc, ["alerts (1)", "notes (2)"])       # "<exc's line> (kept: alerts (1), ...)"
    failed_parts(meta, {"C0DEPLOYS": "not_in_channel ..."})  # one channel, repo, dashboard lost

A worker that pages a listing appends each page to a list the collecting thread can see; at
the deadline that thread writes a copy (``list(pages)``), so pages an abandoned worker reads
later are never written (the bundle is finished by then anyway).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import contextmanager
from typing import Any

from reconstruct.collectors._http import Pace
from reconstruct.errors import SourceError, SourceTimedOut


class InFlight:
    """The request each worker thread has in flight, named when the deadline passes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._asking: dict[int, str] = {}

    @contextmanager
    def __call__(self, where: str) -> Iterator[None]:
        """While the block runs, this thread is asking ``where``."""
        me = threading.get_ident()
        with self._lock:
            self._asking[me] = where
        try:
            yield
        finally:
            with self._lock:
                self._asking.pop(me, None)

    def said(self) -> str:
        """``a, b and 3 more`` (sorted), or ``the next request`` when none is in flight."""
        with self._lock:
            asking = sorted(self._asking.values())
        more = f" and {len(asking) - 2} more" if len(asking) > 2 else ""
        return ", ".join(asking[:2]) + more if asking else "the next request"


FAILED_PARTS = "failed_parts"
"""The manifest meta of a source part of which failed while the rest was collected, one shape
for every source: ``{part: its one-line error}``, a part being what the source is configured
by (a Slack channel ID, a GitHub repository, a Grafana dashboard UID); each is a warning too.
Absent when every part was read."""


def failed_parts(meta: dict[str, Any], failed: dict[str, str]) -> None:
    """Record ``failed`` (part -> error) in ``meta`` under ``FAILED_PARTS``, if any."""
    if failed:
        meta[FAILED_PARTS] = dict(failed)


def timed_out(pace: Pace, asking: str, tool: str) -> SourceTimedOut:
    """The line of a source whose request ``asking`` was not answered by the deadline
    (``tool`` names the service: ``PagerDuty``)."""
    return SourceTimedOut(
        pace.source,
        f"{asking}: no complete answer by the {pace.setting} deadline ({tool} did not answer, "
        f"or kept sending); rerun later or with a larger {pace.setting}",
    )


def first_done(
    pace: Pace, futures: Iterable[Future[Any]], asking: Callable[[], str], tool: str
) -> set[Future[Any]]:
    """The futures finished once at least one is, waiting at most until the deadline; then
    ``timed_out`` naming ``asking()`` (the requests still in flight)."""
    done, _ = wait(list(futures), timeout=pace.remaining(), return_when=FIRST_COMPLETED)
    if not done:
        raise timed_out(pace, asking(), tool)
    return done


def kept_note(kept: Iterable[str]) -> str:
    """`` (kept: a, b)`` for what was written although the source failed; "" for nothing."""
    said = [k for k in kept if k]
    return f" (kept: {', '.join(said)})" if said else ""


def keeping(exc: SourceError, kept: Iterable[str]) -> SourceError:
    """A new error of ``exc``'s class and source, with what was kept added to its line (always
    a new one, so ``raise keeping(exc, kept) from exc`` never makes ``exc`` its own cause)."""
    return type(exc)(exc.source, f"{exc.detail}{kept_note(kept)}")
