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


class Handover:
    """What a source hands over when the deadline cuts it off in the middle of a request.

    A status line, headers or body trickling in a byte at a time passes every per-read timeout,
    so the source's thread cannot end on its own by the deadline; the orchestrator
    (``collect.run_sources``) then abandons it. So that the pages read so far are not lost with
    it, a source that pages offers a writer for them, and names its requests through
    ``asking`` (the one ``CollectContext.handover`` of its run):

        ctx.handover.offer(lambda: write_pages(list(pages)))   # returns what it kept
        with ctx.handover.asking("annotations, page 2"): ...   # the request in flight
        finally:
            if ctx.handover.claim():                           # not cut off: write them itself
                write_pages(pages)

    Exactly one of the two writes: the source's own (``claim``) or the orchestrator's at the
    deadline (``cut``). The cut's line names the requests in flight and what was kept."""

    def __init__(self) -> None:
        self.asking = InFlight()
        self._lock = threading.Lock()
        self._write: Callable[[], list[str]] | None = None
        self._claimed = False
        self._cut = False

    def offer(self, write: Callable[[], list[str]]) -> None:
        """At the deadline, ``write()`` writes the pages read so far (a copy of the lists) and
        returns what it kept (``["acme/api (40 merged PRs)"]``); it runs in the orchestrator's
        thread, at most once."""
        with self._lock:
            self._write = write

    def claim(self) -> bool:
        """The source writes its pages itself: True unless the deadline already cut it off (then
        the orchestrator wrote them, and the source must not write any more)."""
        with self._lock:
            if self._claimed:
                return False
            self._claimed = True
            return True

    @property
    def cut_off(self) -> bool:
        """Whether the orchestrator cut this source off at the deadline."""
        with self._lock:
            return self._cut

    def cut(self) -> tuple[str, list[str]]:
        """At the deadline: (the requests in flight, what the offered writer kept); writes
        nothing when the source already claimed its own write."""
        with self._lock:
            write = None if self._claimed else self._write
            self._claimed = self._cut = True
        return self.asking.said(), (_tries(write) if write is not None else [])

    def line(self, setting: str) -> str:
        """The source's one line when cut off at the deadline (after ``cut``)."""
        asking, kept = self.cut()
        return (
            f"{asking}: no complete answer by the {setting} deadline (the server did not answer, "
            f"or kept sending); rerun later or with a larger {setting}{kept_note(kept)}"
        )


def _tries(write: Callable[[], list[str]]) -> list[str]:
    """``write()``, tried again when the abandoned thread changed a dict it walks meanwhile
    (``RuntimeError``: changed size during iteration); nothing kept if it keeps failing."""
    for _ in range(3):
        try:
            return write()
        except RuntimeError:
            continue
    return []
