"""``serve``'s worker: a thread that builds and delivers due drafts every ``[watch] interval``.

It survives anything one pass raises: an incident's own failure is handled by the watcher
(logged with the incident, counted in the state, lease given back, backed off); a failure of the
pass itself (the state file unwritable, say) is logged, shown by ``/healthz`` as the problem, and
the pass is tried again after ``interval`` (doubling while it keeps failing, at most
``MAX_PAUSE``). Only a ``BaseException`` that is not an ``Exception`` ends the thread, and then
``/healthz`` says the worker stopped.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from reconstruct.watch.logline import Line
from reconstruct.watch.runner import Log, Watcher, describe
from reconstruct.watch.webhook import Health

MAX_PAUSE = timedelta(minutes=30)


class Worker:
    def __init__(self, watcher: Watcher, health: Health, log: Log, interval: timedelta) -> None:
        self.watcher = watcher
        self.health = health
        self.log = log
        self.interval = interval
        self.passes = 0
        self.thread: threading.Thread | None = None

    def pass_once(self) -> bool:
        """One pass; True when it ran (an incident may still have failed)."""
        self.passes += 1
        try:
            report = self.watcher.process_due()
        except Exception as exc:  # noqa: BLE001 (the worker must outlive any one pass)
            problem = f"the worker's last pass failed: {describe(exc)}"
            self.health.failing(problem)
            self.log(Line(f"serve: worker: {problem}", level="error"))
            return False
        self.health.failing(None)
        if report.delivered or report.failed or report.cancelled:
            self.log(Line(f"serve: worker: {report.summary()}"))
        return True

    def run(self, stop: threading.Event) -> None:
        pause = self.interval
        try:
            while not stop.is_set():
                ok = self.pass_once()
                pause = self.interval if ok else min(pause * 2, max(MAX_PAUSE, self.interval))
                stop.wait(pause.total_seconds())
        except BaseException as exc:  # noqa: BLE001 (recorded for /healthz; the thread ends)
            self.health.failing(f"the worker stopped ({type(exc).__name__})")
            self.log(Line(f"serve: worker stopped ({type(exc).__name__})", level="error"))

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(
            target=self.run, args=(stop,), name="reconstruct-worker", daemon=True
        )
        self.thread = thread
        self.health.watch(thread)
        thread.start()
        return thread
