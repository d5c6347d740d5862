"""The contract every source implements, and what a live collection run hands it.

A source is one module in ``reconstruct.collectors`` exposing ``SOURCE = Source(...)``:

- ``parse(bundle) -> Iterable[Event]`` reads only the bundle (no network, no SDK import);
- ``collect(ctx, out) -> meta`` fetches raw records through the tool's SDK and writes them with
  ``out.add(relpath, pages)``; it imports its SDK inside the function so ``--help`` stays fast,
  and translates SDK exceptions into ``SourceError`` subclasses (``raise ... from exc``).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors._http import DEFAULT_POLICY, RetryPolicy
from reconstruct.config import Config, Secret, ssl_context
from reconstruct.errors import SourceUnavailable
from reconstruct.model import Event, Incident, Window


class Progress(Protocol):
    def __call__(self, source: str, message: str) -> None: ...


def _silent(source: str, message: str) -> None:
    return None


@dataclass(frozen=True)
class CollectContext:
    config: Config
    incident: Incident
    """The PagerDuty incident being reconstructed (PagerDuty is collected first)."""
    incident_raw: Mapping[str, Any]
    window: Window
    token: Secret | None
    progress: Progress = _silent
    options: Mapping[str, Any] = field(default_factory=dict)
    """Per-run CLI options a source may read (``slack_channel``, ``slack_export``)."""
    source: str = ""
    """The source this context is for (names it in deadline errors)."""
    deadline: float | None = None
    """``time.monotonic()`` value by which collection must end (``--timeout``); None: no limit."""
    sleep: Callable[[float], None] = time.sleep
    """How waits sleep (tests pass a fake clock's sleep; never patch our own functions)."""
    policy: RetryPolicy = DEFAULT_POLICY
    """Retries, waits and request timeouts (``collectors._http``); tests hand in shorter ones."""

    def remaining(self) -> float | None:
        """Seconds left before the deadline (never negative), or None without a deadline."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def request_timeout(self) -> float:
        """Seconds the next request may take: the policy's, within the deadline."""
        return self.policy.request_timeout(self.remaining())

    def timeout(self, default: float) -> float:
        """A per-request timeout that never runs past the deadline (at least 0.1 s)."""
        left = self.remaining()
        return default if left is None else max(0.1, min(default, left))

    def wait(self, seconds: float, why: str) -> None:
        """Wait before a retry: report it, and fail the source at once if the wait would pass
        the deadline (``--timeout``) instead of sleeping past it."""
        left = self.remaining()
        if left is not None and seconds >= left:
            raise SourceUnavailable(
                self.source or "collect",
                f"{why}, but waiting {seconds:.0f}s would pass the --timeout deadline; "
                "rerun later or with a larger --timeout",
            )
        said = f"{seconds:.0f}s" if seconds >= 1 or seconds == 0 else f"{seconds:.1f}s"
        self.progress(self.source, f"{why}, waiting {said}")
        self.sleep(seconds)

    @property
    def ca_bundle(self) -> Path | None:
        return self.config.tls.ca_bundle

    def ssl_context(self) -> ssl.SSLContext:
        """Default trust plus ``[tls] ca_bundle`` (``config.ssl_context``)."""
        return ssl_context(self.config)


ParseFn = Callable[[Bundle], Iterable[Event]]
CollectFn = Callable[[CollectContext, BundleWriter], Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    parse: ParseFn
    collect: CollectFn | None = None
    """None where live collection is not available for the source."""
