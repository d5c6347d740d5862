"""Progress on stderr while collecting: one status line per source, only on a terminal.

Silent with ``--quiet`` or when stderr is not a terminal, so logs and pipes stay clean.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.live import Live

SHOW_AFTER_S = 2.0


class ProgressDisplay:
    """``display(source, message)`` records the latest message per source and redraws."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._latest: dict[str, str] = {}
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._live: Live | None = None

    def __call__(self, source: str, message: str) -> None:
        with self._lock:
            self._latest[source] = message
            if not self.enabled:
                return
            if self._live is None and time.monotonic() - self._started >= SHOW_AFTER_S:
                self._start()
            if self._live is not None:
                self._live.update(self._render())

    def _render(self) -> str:
        return "\n".join(f"[bold]{s}[/bold]: {m}" for s, m in sorted(self._latest.items()))

    def _start(self) -> None:
        from rich.console import Console
        from rich.live import Live

        self._live = Live(self._render(), console=Console(stderr=True), transient=True)
        self._live.start()

    def __enter__(self) -> ProgressDisplay:
        self._started = time.monotonic()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            if self._live is not None:
                self._live.stop()
                self._live = None
