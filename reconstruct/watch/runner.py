"""The watcher: queue resolved incidents, let them settle, then build each draft once and deliver
it to every sink exactly once.

Exactly once, with several runs at a time or a run killed anywhere:

- an incident is claimed with a lease (``state.claim``): a concurrent run skips it; a run that
  died leaves a lease that expires after ``LEASE`` and the next run takes over;
- the rendered draft is kept in the state once built, so a retry delivers the same bytes;
- a sink is recorded only after ``deliver`` returned; a retry skips recorded sinks and calls the
  others again (a sink must therefore be idempotent: the dir sink is);
- the lease is renewed before each sink; a run that lost it stops touching that incident.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from reconstruct.config import Config, token
from reconstruct.deliver.base import Draft, Sink
from reconstruct.errors import (
    BundleError,
    ConfigError,
    ReconstructError,
    SourceAuthError,
    SourceError,
)
from reconstruct.watch.state import OPEN, IncidentRow, State

LEASE = timedelta(minutes=30)
"""How long a claimed incident stays ours without renewal (a crashed run's claim expires)."""
OVERLAP = timedelta(minutes=10)
"""Each poll reaches this far behind the checkpoint: PagerDuty lists lag a little."""
SAME_RESOLUTION = timedelta(minutes=1)
PARTIAL_ATTEMPTS = 3
"""A draft missing a failed source is built again on the next runs; the last attempt delivers it
as it is (the draft names what is missing)."""

Clock = Callable[[], datetime]
Log = Callable[[str], None]


def hhmm(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


@dataclass
class Report:
    queued: int = 0
    delivered: int = 0
    failed: int = 0
    skipped: int = 0
    cancelled: int = 0
    waiting: int = 0

    def summary(self) -> str:
        return (
            f"{self.queued} queued, {self.delivered} delivered, {self.failed} failed, "
            f"{self.skipped} held by another run, {self.cancelled} cancelled, "
            f"{self.waiting} settling"
        )


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
        self.log = log
        self.bundles = bundles
        self.lease = lease
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    # -- polling -------------------------------------------------------------------------------
    def _since(self, now: datetime) -> datetime:
        checkpoint = self.state.checkpoint()
        return checkpoint - OVERLAP if checkpoint else now - self.config.watch.lookback

    def _resolved(self, now: datetime) -> list[tuple[str, int | None, str, datetime]]:
        from reconstruct.watch.poll import resolved_since

        try:
            found, cut = resolved_since(self.config, token("pagerduty"), self._since(now), now)
        except SourceAuthError as exc:
            raise ConfigError(str(exc)) from exc
        except SourceError as exc:
            raise ReconstructError(str(exc)) from exc
        if cut:
            self.log("pagerduty: the incident list was cut at 10,000 records; poll more often")
        return [(r.id, r.number, r.title, r.resolved_at) for r in found]

    def poll(self, report: Report | None = None) -> Report:
        """Queue every incident resolved since the checkpoint; move the checkpoint."""
        report = report or Report()
        now = self.now()
        settle = self.config.watch.settle
        for incident_id, number, title, resolved in self._resolved(now):
            outcome = self.state.enqueue(incident_id, number, title, resolved, settle, now)
            if outcome != "known":
                report.queued += 1
                label = f"{incident_id} (#{number})" if number is not None else incident_id
                self.log(
                    f"{label}: {outcome}: resolved {hhmm(resolved)}, "
                    f"draft due {hhmm(resolved + settle)}"
                )
        self.state.set_checkpoint(now)
        return report

    # -- work ----------------------------------------------------------------------------------
    def process_due(self, report: Report | None = None) -> Report:
        """Build and deliver every incident whose settle delay is over."""
        report = report or Report()
        now = self.now()
        for row in self.state.all():
            if row.status in OPEN and row.due_at > now:
                report.waiting += 1
        for row in self.state.due(now):
            self._work(row, report)
        return report

    def run_once(self) -> Report:
        report = self.poll()
        return self.process_due(report)

    def run_forever(self, interval: timedelta, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                report = self.run_once()
                self.log(f"watch: {report.summary()}")
            except ReconstructError as exc:
                self.log(f"watch: error: {exc}; trying again in {interval}")
            stop.wait(interval.total_seconds())

    def _work(self, row: IncidentRow, report: Report) -> None:
        claimed = self.state.claim(row.id, self.owner, self.now(), self.lease)
        if claimed is None:
            self.log(f"{row.label}: another run is working on it; skipped")
            report.skipped += 1
            return
        label = claimed.label
        try:
            draft = self._draft(claimed, report)
        except ReconstructError as exc:
            self.state.release(claimed.id, self.owner, self.now(), error=str(exc))
            self.log(f"{label}: not built: {exc}; retried on the next run")
            report.failed += 1
            return
        if draft is None:
            return
        done = self.state.delivered(claimed.id)
        errors: list[str] = []
        for sink in self.sinks:
            if sink.name in done:
                continue
            if not self.state.renew(claimed.id, self.owner, self.now(), self.lease):
                self.log(f"{label}: lost the claim (cancelled or taken over); stopped")
                report.skipped += 1
                return
            try:
                where = sink.deliver(draft)
            except ReconstructError as exc:
                errors.append(f"{sink.name}: {exc}")
                self.log(f"{label}: not delivered to {sink.name}: {exc}; retried on the next run")
                continue
            except Exception as exc:  # noqa: BLE001 (one sink's bug must not stop the others)
                errors.append(f"{sink.name}: {type(exc).__name__}: {exc}")
                self.log(
                    f"{label}: not delivered to {sink.name} (internal error "
                    f"{type(exc).__name__}: {exc}); retried on the next run"
                )
                continue
            self.state.record_delivery(claimed.id, self.owner, sink.name, where, self.now())
            self.log(f"{label}: delivered to {sink.name}: {where}")
        if errors:
            self.state.release(claimed.id, self.owner, self.now(), error="; ".join(errors))
            report.failed += 1
        else:
            self.state.release(claimed.id, self.owner, self.now(), status="delivered")
            report.delivered += 1

    def _draft(self, row: IncidentRow, report: Report) -> Draft | None:
        from reconstruct.watch.build import build, draft_from

        if row.status == "built" and row.markdown is not None and row.bundle_path:
            try:
                return draft_from(Path(row.bundle_path), row.markdown, row.slack_channel)
            except BundleError as exc:
                self.log(f"{row.label}: kept bundle unreadable ({exc}); collecting again")
        self.log(f"{row.label}: collecting evidence")
        now = self.now()
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", row.id)
        built = build(row.id, self.config, self.bundles / safe, now)
        incident = built.draft.incident
        if incident.status != "resolved" or incident.resolved_at is None:
            self.state.release(row.id, self.owner, self.now(), status="cancelled")
            self.log(f"{row.label}: reopened (now {incident.status}); draft cancelled")
            report.cancelled += 1
            return None
        if incident.resolved_at > row.resolved_at + SAME_RESOLUTION:
            due = incident.resolved_at + self.config.watch.settle
            if due > now:
                self.state.postpone(row.id, self.owner, incident.resolved_at, due)
                self.log(f"{row.label}: resolved again; draft due {hhmm(due)}")
                report.waiting += 1
                return None
        for warning in built.warnings:
            self.log(f"{row.label}: warning: {warning}")
        if built.failed_sources and row.attempts < PARTIAL_ATTEMPTS:
            missing = ", ".join(built.failed_sources)
            self.state.release(row.id, self.owner, self.now(), error=f"failed: {missing}")
            self.log(
                f"{row.label}: {missing} failed; built again on the next run "
                f"(attempt {row.attempts} of {PARTIAL_ATTEMPTS}, the last one delivers anyway)"
            )
            report.failed += 1
            return None
        if not self.state.save_built(
            row.id,
            self.owner,
            built.draft.bundle_path,
            built.draft.markdown,
            built.draft.slack_channel,
            self.now(),
        ):
            self.log(f"{row.label}: cancelled while it was being built; not delivered")
            report.cancelled += 1
            return None
        return built.draft

    # -- dry run -------------------------------------------------------------------------------
    def plan(self) -> list[str]:
        """What ``run_once`` would do, without collecting, delivering or changing the state."""
        now = self.now()
        settle = self.config.watch.settle
        names = ", ".join(s.name for s in self.sinks) or "no sink"
        lines: list[str] = []
        seen: set[str] = set()
        for incident_id, number, _title, resolved in self._resolved(now):
            row = self.state.get(incident_id)
            if row is not None and (row.resolved_at >= resolved or row.status == "delivered"):
                continue
            seen.add(incident_id)
            label = f"{incident_id} (#{number})" if number is not None else incident_id
            due = resolved + settle
            if due <= now:
                lines.append(f"{label}: would queue, build and deliver to {names}")
            else:
                lines.append(f"{label}: would queue; draft due {hhmm(due)}")
        for row in self.state.all():
            if row.status not in OPEN or row.id in seen:
                continue
            if row.due_at > now:
                lines.append(f"{row.label}: settling; draft due {hhmm(row.due_at)}")
                continue
            done = self.state.delivered(row.id)
            left = ", ".join(s.name for s in self.sinks if s.name not in done) or "no sink"
            verb = "deliver" if row.status == "built" else "build and deliver"
            lines.append(f"{row.label}: would {verb} to {left}")
        return lines
