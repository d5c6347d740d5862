"""The contract every source implements, and what a live collection run hands it.

A source is one module in ``reconstruct.collectors`` exposing ``SOURCE = Source(...)``:

- ``parse(bundle) -> Iterable[Event]`` reads only the bundle (no network, no SDK import);
- ``collect(ctx, out) -> meta`` fetches raw records through the tool's SDK and writes them with
  ``out.add(relpath, pages)``; it imports its SDK inside the function so ``--help`` stays fast,
  and translates SDK exceptions into ``SourceError`` subclasses (``raise ... from exc``).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.config import Config, Secret
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

    @property
    def ca_bundle(self) -> Path | None:
        return self.config.tls.ca_bundle

    def ssl_context(self) -> ssl.SSLContext:
        """Default trust plus ``[tls] ca_bundle`` when set."""
        context = ssl.create_default_context()
        if self.ca_bundle is not None:
            context.load_verify_locations(cafile=str(self.ca_bundle))
        return context


ParseFn = Callable[[Bundle], Iterable[Event]]
CollectFn = Callable[[CollectContext, BundleWriter], Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    parse: ParseFn
    collect: CollectFn | None = None
    """None where live collection is not available for the source."""
