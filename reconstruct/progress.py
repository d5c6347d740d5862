"""Progress on stderr while collecting: one status line per source, only on a terminal.

It appears once collection has taken ``SHOW_AFTER_S`` (even when no source has said anything new,
so one long wait never looks hung), shows each source's latest message (pages fetched, rate-limit
waits), and disappears when collection ends. Silent with ``--quiet`` or when stderr is not a
terminal, so logs and pipes stay clean.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.live import Live
    from rich.text import Text

SHOW_AFTER_S = 2.0


class ProgressDisplay:
    """``display(source, message)`` records the latest message per source and redraws."""

    def __init__(self, enabled: bool, show_after: float = SHOW_AFTER_S) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.show_after = show_after
        self._latest: dict[str, str] = {}
        self._lock = threading.Lock()
        self._live: Live | None = None
        self._timer: threading.Timer | None = None
        self._closed = False

    def __call__(self, source: str, message: str) -> None:
        with self._lock:
            self._latest[source] = message
            if self._live is not None:
                self._live.update(self._render())

    def _render(self) -> Text:
        from rich.text import Text

        text = Text()
        for index, (source, message) in enumerate(sorted(self._latest.items())):
            if index:
                text.append("\n")
            text.append(source, style="bold")
            text.append(f": {message}")  # plain text: "[github] url" is not markup
        if not self._latest:
            text.append("collecting…")
        return text

    def _show(self) -> None:
        from rich.console import Console
        from rich.live import Live

        with self._lock:
            if self._closed or self._live is not None:
                return
            self._live = Live(
                self._render(), console=Console(stderr=True), transient=True, refresh_per_second=4
            )
            self._live.start()

    def __enter__(self) -> ProgressDisplay:
        if self.enabled:
            self._timer = threading.Timer(self.show_after, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._closed = True
            if self._live is not None:
                self._live.stop()
                self._live = None
