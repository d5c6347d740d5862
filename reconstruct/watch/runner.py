"""The watcher: queue resolved incidents, let them settle, then build each draft once and deliver
it to every sink exactly once.

Exactly once, with several runs at a time or a run killed anywhere:

- an incident is claimed with a lease (``state.claim``): a concurrent run skips it; a run that
  died leaves a lease that expires after ``LEASE`` and the next run takes over; a run stopped by
  Ctrl-C or SIGTERM gives its leases back before it exits;
- the rendered draft is kept in the state once built, so a retry delivers the same bytes;
- a sink is recorded only after ``deliver`` returned; a retry skips recorded sinks and calls the
  others again (a sink must therefore be idempotent: the dir sink is);
- the lease is renewed before each sink; a run that lost it stops touching that incident.

Failures (anything raised while one incident is worked on, our errors or not) never stop the
run: the lease is given back, the failure counted in the state, and the incident retried after
a backoff (``backoff``). A transient one (``transient``: PagerDuty or a sink unreachable, a
timeout, a full disk) is tried ``PARK_AFTER_TRANSIENT`` times in a row, any other
``PARK_AFTER`` times; then the incident is parked with its last error until ``watch retry``.

Time: PagerDuty's clock decides. Each poll measures how far the local clock is off PagerDuty's
(its ``Date`` header); beyond ``SKEW_TOLERANCE`` the difference is logged and taken off the local
time everywhere a PagerDuty time is compared (settle delays, backoffs, the first lookback).
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import socket
import sqlite3
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from reconstruct.collectors._http import RetryPolicy
from reconstruct.config import Config, token
from reconstruct.deliver.base import Draft, Sink
from reconstruct.errors import (
    BundleError,
    ConfigError,
    DeliveryError,
    ReconstructError,
    SourceAuthError,
    SourceError,
    SourceUnavailable,
)
from reconstruct.timeutil import iso_z
from reconstruct.watch.logline import Line
from reconstruct.watch.state import OPEN, SAME_RESOLUTION, IncidentRow, State

LEASE = timedelta(minutes=30)
"""How long a claimed incident stays ours without renewal (a crashed run's claim expires)."""
OVERLAP = timedelta(hours=1)
"""Each poll reaches this far behind the checkpoint: PagerDuty may list an incident a while after
it resolved, and queueing one twice changes nothing."""
PARTIAL_ATTEMPTS = 3
"""A draft missing a failed source is built again on the next runs; the last attempt delivers it
as it is (the draft names what is missing)."""
BACKOFF_FIRST = timedelta(minutes=2)
BACKOFF_MAX = timedelta(hours=2)
"""After the n-th failure in a row an incident waits ``BACKOFF_FIRST * 2**(n-1)``, at most this."""
RETRY_POLICY = RetryPolicy(
    backoff=BACKOFF_FIRST.total_seconds(), max_backoff=BACKOFF_MAX.total_seconds(), jitter=0
)
"""The sources' backoff (``RetryPolicy.delay``) on ``watch``'s scale, exact: the state records
``retry_at`` and every run of watch must agree on it."""
PARK_AFTER_TRANSIENT = 10
"""Transient failures in a row before an incident is parked (about 8 hours of retries)."""
PARK_AFTER = 3
"""Other failures in a row (not found, a bad bundle, a bug) before it is parked."""
SKEW_TOLERANCE = timedelta(seconds=30)
"""A difference from PagerDuty's clock below this is noise (``Date`` has whole seconds)."""
DATE_JUMP = timedelta(minutes=5)
"""A ``Date`` header this far from PagerDuty's time as last measured is not believed until the
next poll reads the same: one wrong header cannot move the checkpoint past incidents."""
PARTIAL_PREFIX = ".partial-"
PRUNE_EVERY = timedelta(days=1)
"""A long-running ``watch`` or ``serve`` tidies up again this often."""

if TYPE_CHECKING:
    from reconstruct.watch.poll import Listing

Clock = Callable[[], datetime]
Log = Callable[[str], None]


def hhmm(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


def span(delta: timedelta) -> str:
    """``1h 5m``, ``10m 0s``, ``45s``: a duration for a log line."""
    seconds = int(abs(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def transient(exc: BaseException) -> bool:
    """A failure that goes away by itself: a service down or unreachable, a timeout, a full disk
    or another OS-level error, a busy state file, a sink that could not deliver. Follows
    ``__cause__`` (collection wraps SourceUnavailable in a plain ReconstructError)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, SourceUnavailable | DeliveryError | OSError | sqlite3.OperationalError):
            return True
        if isinstance(seen, SourceError):
            return False
        seen = seen.__cause__
    return False


def describe(exc: BaseException) -> str:
    """Our errors are one line already; anything else is named by its type."""
    if isinstance(exc, ReconstructError):
        return str(exc)
    if isinstance(exc, sqlite3.Error):
        return f"the state file failed ({type(exc).__name__}: {exc})"
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{type(exc).__name__}: {exc.strerror}{where}"
    return f"internal error {type(exc).__name__}: {exc}"


def backoff(failures: int) -> timedelta:
    """How long an incident waits after ``failures`` failures in a row (``RETRY_POLICY``)."""
    return timedelta(seconds=RETRY_POLICY.delay(failures))


@dataclass
class Report:
    queued: int = 0
    delivered: int = 0
    failed: int = 0
    skipped: int = 0
    cancelled: int = 0
    waiting: int = 0
    parked: int = 0
    """Incidents parked in the state (after the run)."""
    backing_off: int = 0
    poll_error: str | None = None

    def summary(self) -> str:
        text = (
            f"{self.queued} queued, {self.delivered} delivered, {self.failed} failed, "
            f"{self.skipped} held by another run, {self.cancelled} cancelled, "
            f"{self.waiting} settling"
        )
        if self.backing_off:
            text += f", {self.backing_off} waiting to retry"
        if self.parked:
            text += f", {self.parked} parked (see `reconstruct watch status`)"
        return text


class Watcher:
    def __init__(
        self,
        config: Config,
        state: State,
        sinks: Sequence[Sink],
        *,
        now: Clock,
        log: Log,
        bundles: Path,
        lease: timedelta = LEASE,
        owner: str | None = None,
    ) -> None:
        self.config = config
        self.state = state
        self.sinks = list(sinks)
        self.now = now
        """The local clock (injected; tests control it)."""
        self.log = log
        self.bundles = bundles
        self.lease = lease
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.skew: timedelta | None = None
        """Local clock minus PagerDuty's, once known (from the last poll, kept in the state)."""
        self._tidied: datetime | None = None

    def pd_now(self) -> datetime:
        """The local time less the last measured skew: PagerDuty's time, as near as known."""
        if self.skew is None:
            self.skew = self.state.skew()
        return self.now() - self.skew

    def _say(
        self,
        message: str,
        row: IncidentRow | None = None,
        *,
        sink: str | None = None,
        level: str = "info",
    ) -> None:
        if row is None:
            self.log(Line(message, sink=sink, level=level))
            return
        self.log(
            Line(
                f"{row.label}: {message}",
                incident=row.id,
                number=row.number,
                sink=sink,
                level=level,
            )
        )

    # -- polling -------------------------------------------------------------------------------
    def _listing(
        self, local: datetime, estimate: datetime, *, move: bool = True
    ) -> list[tuple[str, int | None, str, datetime]]:
        """What PagerDuty lists as resolved since the checkpoint (less ``OVERLAP``); ``move``:
        record the new checkpoint and the measured skew (a dry run does not)."""
        checkpoint = self.state.checkpoint()
        since = checkpoint - OVERLAP if checkpoint else estimate - self.config.watch.lookback
        listing = self._list(since, estimate)
        if listing.cut:
            self._say("pagerduty: the incident list was cut at 10,000 records; poll more often")
        server = listing.server_time
        if server is not None and not self._date_trusted(local, server, keep=move):
            # Polled from the earlier of the two readings until they agree again.
            earlier = min(server, local - (self.state.skew_known() or timedelta(0)))
            if move:
                self.state.lower_checkpoint(earlier)
            if earlier - OVERLAP < since:  # the checkpoint itself came from a wrong header
                listing = self._list(earlier - OVERLAP, estimate)
        elif move:
            self.state.set_checkpoint(server or estimate)
        return [(r.id, r.number, r.title, r.resolved_at) for r in listing.resolved]

    def _list(self, since: datetime, estimate: datetime) -> Listing:
        from reconstruct.watch.poll import resolved_since

        try:
            return resolved_since(self.config, token("pagerduty"), since, estimate)
        except SourceAuthError as exc:
            raise ConfigError(str(exc)) from exc
        except SourceError as exc:
            raise ReconstructError(str(exc)) from exc

    def _date_trusted(self, local: datetime, server: datetime, *, keep: bool) -> bool:
        """Check one ``Date`` header against the skew in use: False (logged; the skew in use is
        kept) when it is more than ``DATE_JUMP`` away from it and the poll before did not read
        the same (one wrong header, a proxy's stale cache). Two polls in a row that agree are
        believed (the local clock itself jumped)."""
        reading = local - server
        prior = self.state.skew_known()
        last = self.state.last_reading()
        if keep:
            self.state.set_last_reading(reading)
        if (
            prior is None
            or abs(reading - prior) <= DATE_JUMP
            or (last is not None and abs(reading - last) <= SKEW_TOLERANCE)
        ):
            self._measured(reading, keep=keep)
            return True
        way = "ahead of" if prior > reading else "behind"
        self._say(
            f"clock: PagerDuty's Date header ({iso_z(server)}) is {span(prior - reading)} {way} "
            "its time as last measured; not moving the checkpoint by it until the next poll "
            "agrees",
            level="warning",
        )
        return False

    def _measured(self, skew: timedelta, *, keep: bool) -> None:
        if abs(skew) < SKEW_TOLERANCE:
            skew = timedelta(0)
        else:
            way = "ahead of" if skew > timedelta(0) else "behind"
            self._say(
                f"clock: the local clock is {span(skew)} {way} PagerDuty's (its Date header); "
                "using PagerDuty's time for settle delays and retries",
                level="warning",
            )
        self.skew = skew
        if keep:
            self.state.set_skew(skew)

    def poll(self, report: Report | None = None) -> Report:
        """Queue every incident resolved since the checkpoint; move the checkpoint to PagerDuty's
        time of this poll."""
        report = report or Report()
        local = self.now()
        estimate = self.pd_now()
        settle = self.config.watch.settle
        found = self._listing(local, estimate)
        now = self.pd_now()
        for incident_id, number, title, resolved in found:
            outcome = self.state.enqueue(
                incident_id, number, title, resolved, settle, now, exact=True
            )
            if outcome == "known":
                continue
            report.queued += 1
            label = f"{incident_id} (#{number})" if number is not None else incident_id
            what = (
                "resolved again after its draft was delivered; an update"
                if outcome == ("update")
                else outcome
            )
            self.log(
                Line(
                    f"{label}: {what}: resolved {hhmm(resolved)}, "
                    f"draft due {hhmm(resolved + settle)}",
                    incident=incident_id,
                    number=number,
                )
            )
        return report

    # -- housekeeping --------------------------------------------------------------------------
    def tidy(self) -> None:
        """At the start (and, for a long-running process, once every ``PRUNE_EVERY``): remove
        ``.partial-`` folders a killed run left (older than a lease, so a concurrent run's are
        spared) beside the bundles and in the dir sink, and prune closed incidents older than
        ``[watch] retention`` with their kept bundles."""
        now = self.now()
        if self._tidied is not None and now - self._tidied < PRUNE_EVERY:
            return
        self._tidied = now
        places = [self.bundles]
        if self.config.deliver.dir is not None:
            places.append(self.config.deliver.dir.expanduser())
        for place in places:
            for leftover in _partials(place, now - self.lease):
                shutil.rmtree(leftover, ignore_errors=True)
                self._say(f"removed {leftover.name}, left by an interrupted run in {place}")
        for row in self.state.prune(self.pd_now() - self.config.watch.retention):
            shutil.rmtree(self.bundles / _safe(row.id), ignore_errors=True)
            days = self.config.watch.retention.days
            self._say(
                f"pruned: {row.status}, last changed {hhmm(row.updated_at or now)}, "
                f"more than the {days}-day retention ago",
                row,
            )

    # -- work ----------------------------------------------------------------------------------
    def process_due(self, report: Report | None = None) -> Report:
        """Build and deliver every incident whose settle delay (and backoff) is over."""
        report = report or Report()
        self.tidy()
        now = self.pd_now()
        for row in self.state.all():
            if row.status in OPEN and row.due_at > now:
                report.waiting += 1
        for row in self.state.due(now):
            self._work(row, report)
        for row in self.state.all():  # after the work: what failed in it is counted too
            if row.status == "parked":
                report.parked += 1
            elif row.status in OPEN and row.due_at <= now and row.retry_at and row.retry_at > now:
                report.backing_off += 1
        return report

    def run_once(self) -> Report:
        """Poll, then work on what is due. A poll that fails (PagerDuty down) is reported and the
        drafts already queued are still worked on; a config problem stops the run."""
        report = Report()
        self.tidy()
        try:
            self.poll(report)
        except ConfigError:
            raise
        except ReconstructError as exc:
            report.failed += 1
            report.poll_error = str(exc)
            self._say(f"poll failed: {exc}; queued drafts are still worked on", level="error")
        return self.process_due(report)

    def run_forever(self, interval: timedelta, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                report = self.run_once()
                self._say(f"watch: {report.summary()}")
            except Exception as exc:  # noqa: BLE001 (the loop outlives any one run)
                self._say(
                    f"watch: error: {describe(exc)}; trying again in {interval}", level="error"
                )
            stop.wait(interval.total_seconds())

    def release_all(self) -> int:
        """Give back every lease this process holds (Ctrl-C, SIGTERM)."""
        return self.state.release_all(self.owner, self.now())

    def _work(self, row: IncidentRow, report: Report) -> None:
        claimed = self.state.claim(row.id, self.owner, self.pd_now(), self.lease)
        if claimed is None:
            self._say("another run is working on it; skipped", row)
            report.skipped += 1
            return
        try:
            self._deliver(claimed, report)
        except (KeyboardInterrupt, SystemExit):
            self.state.release(claimed.id, self.owner, self.pd_now(), error=claimed.last_error)
            raise
        except Exception as exc:  # noqa: BLE001 (one incident's failure must not stop the run)
            self._failed(claimed, describe(exc), transient(exc), report)

    def _failed(self, row: IncidentRow, error: str, passing: bool, report: Report) -> None:
        now = self.pd_now()
        failures = row.failures + 1
        limit = PARK_AFTER_TRANSIENT if passing else PARK_AFTER
        report.failed += 1
        if failures >= limit:
            self.state.failed(row.id, self.owner, now, error=error, retry_at=None)
            self._say(
                f"parked after {failures} failures in a row: {error}; fix the cause, then run "
                f"`reconstruct watch retry {row.id}` (or `forget` it)",
                row,
                level="error",
            )
            return
        retry_at = now + backoff(failures)
        self.state.failed(row.id, self.owner, now, error=error, retry_at=retry_at)
        kind = "transient" if passing else "failure"
        self._say(
            f"failed: {error}; {kind} {failures} of {limit}, retried from {hhmm(retry_at)}",
            row,
            level="error",
        )

    def _deliver(self, claimed: IncidentRow, report: Report) -> None:
        draft = self._draft(claimed, report)
        if draft is None:
            return
        if claimed.revision > 1:
            draft = dataclasses.replace(draft, revision=claimed.revision)
        done = self.state.delivered(claimed.id)
        errors: list[str] = []
        passing = True
        for sink in self.sinks:
            if sink.name in done:
                continue
            if not self.state.renew(claimed.id, self.owner, self.pd_now(), self.lease):
                self._say("lost the claim (cancelled or taken over); stopped", claimed)
                report.skipped += 1
                return
            try:
                where = sink.deliver(draft)
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:  # noqa: BLE001 (one sink's failure must not stop the others)
                why = describe(exc).removeprefix(f"{sink.name}: ")  # a sink's error names it
                errors.append(f"{sink.name}: {why}")
                passing = passing and transient(exc)
                self._say(
                    f"not delivered to {sink.name}: {why}",
                    claimed,
                    sink=sink.name,
                    level="error",
                )
                continue
            self.state.record_delivery(claimed.id, self.owner, sink.name, where, self.pd_now())
            verb = "update delivered" if draft.revision > 1 else "delivered"
            self._say(f"{verb} to {sink.name}: {where}", claimed, sink=sink.name)
        if errors:
            self._failed(claimed, "; ".join(errors), passing, report)
        else:
            self.state.release(claimed.id, self.owner, self.pd_now(), status="delivered")
            report.delivered += 1

    def _draft(self, row: IncidentRow, report: Report) -> Draft | None:
        from reconstruct.watch.build import build, draft_from

        if row.status == "built" and row.markdown is not None and row.bundle_path:
            try:
                return draft_from(Path(row.bundle_path), row.markdown, row.slack_channel)
            except BundleError as exc:
                self._say(f"kept bundle unreadable ({exc}); collecting again", row)
        self._say("collecting evidence", row)
        now = self.pd_now()
        built = build(row.id, self.config, self.bundles / _safe(row.id), now)
        incident = built.draft.incident
        if incident.status != "resolved" or incident.resolved_at is None:
            self.state.release(row.id, self.owner, self.pd_now(), status="cancelled")
            self._say(f"reopened (now {incident.status}); draft cancelled", row)
            report.cancelled += 1
            return None
        if incident.resolved_at > row.resolved_at + SAME_RESOLUTION:
            due = incident.resolved_at + self.config.watch.settle
            if due > now:
                self.state.postpone(row.id, self.owner, incident.resolved_at, due)
                self._say(f"resolved again; draft due {hhmm(due)}", row)
                report.waiting += 1
                return None
        for warning in built.warnings:
            self._say(f"warning: {warning}", row, level="warning")
        if built.failed_sources and row.attempts < PARTIAL_ATTEMPTS:
            missing = ", ".join(built.failed_sources)
            self.state.release(row.id, self.owner, self.pd_now(), error=f"failed: {missing}")
            self._say(
                f"{missing} failed; built again on the next run "
                f"(attempt {row.attempts} of {PARTIAL_ATTEMPTS}, the last one delivers anyway)",
                row,
                level="warning",
            )
            report.failed += 1
            return None
        if not self.state.save_built(
            row.id,
            self.owner,
            built.draft.bundle_path,
            built.draft.markdown,
            built.draft.slack_channel,
            self.pd_now(),
        ):
            self._say("cancelled while it was being built; not delivered", row)
            report.cancelled += 1
            return None
        return built.draft

    # -- dry run -------------------------------------------------------------------------------
    def plan(self) -> list[str]:
        """What ``run_once`` would do, without collecting, delivering or changing the queue
        (the checkpoint and the measured skew are kept)."""
        local = self.now()
        settle = self.config.watch.settle
        names = ", ".join(s.name for s in self.sinks) or "no sink"
        lines: list[str] = []
        seen: set[str] = set()
        found = self._listing(local, self.pd_now(), move=False)
        now = self.pd_now()
        for incident_id, number, _title, resolved in found:
            row = self.state.get(incident_id)
            if row is not None and (
                row.event_at >= resolved
                or (
                    row.status in ("delivered", "forgotten")
                    and row.event_at <= row.resolved_at  # no reopen known since
                    and not row.resolved_exact  # else a different resolved_at is a new one
                    and resolved <= row.resolved_at + SAME_RESOLUTION
                )
            ):
                continue
            seen.add(incident_id)
            label = f"{incident_id} (#{number})" if number is not None else incident_id
            due = resolved + settle
            if due <= now:
                lines.append(f"{label}: would queue, build and deliver to {names}")
            else:
                lines.append(f"{label}: would queue; draft due {hhmm(due)}")
        for row in self.state.all():
            if row.status == "parked":
                lines.append(
                    f"{row.label}: parked after {row.failures} failures ({row.last_error}); "
                    f"left alone until `reconstruct watch retry {row.id}`"
                )
                continue
            if row.status not in OPEN or row.id in seen:
                continue
            if row.due_at > now:
                lines.append(f"{row.label}: settling; draft due {hhmm(row.due_at)}")
                continue
            if row.retry_at is not None and row.retry_at > now:
                lines.append(f"{row.label}: failed; retried from {hhmm(row.retry_at)}")
                continue
            done = self.state.delivered(row.id)
            left = ", ".join(s.name for s in self.sinks if s.name not in done) or "no sink"
            verb = "deliver" if row.status == "built" else "build and deliver"
            lines.append(f"{row.label}: would {verb} to {left}")
        return lines


def _safe(incident_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", incident_id)


def _partials(place: Path, older_than: datetime) -> list[Path]:
    """``.partial-`` folders directly in ``place`` last changed before ``older_than``."""
    try:
        entries = list(place.iterdir())
    except OSError:
        return []
    found: list[Path] = []
    for entry in entries:
        if PARTIAL_PREFIX not in entry.name or not entry.name.startswith("."):
            continue
        try:
            changed = datetime.fromtimestamp(entry.lstat().st_mtime, older_than.tzinfo)
        except OSError:
            continue
        if entry.is_dir() and not entry.is_symlink() and changed < older_than:
            found.append(entry)
    return sorted(found)
