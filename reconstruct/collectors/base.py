"""The contract every source implements, and what a live collection run hands it.

A source is one package in ``reconstruct.collectors`` whose ``__init__`` declares
``SOURCE = Source(name, parse, collect, token_env, skip_reason, traits)``:

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
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors._http import DEFAULT_POLICY, Pace, RetryPolicy
from reconstruct.collectors._partial import Handover
from reconstruct.config import Config, Secret, ssl_context
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
    setting: str = "--timeout"
    """The setting that sets ``deadline``, named in advice (``watch``: ``[watch] timeout``)."""
    handover: Handover = field(default_factory=Handover)
    """The pages read and requests in flight, taken if the deadline cuts the source off
    (``collectors._partial.Handover``)."""

    @property
    def pace(self) -> Pace:
        """This source's requests' policy, deadline, sleep and progress (``collectors._http``)."""
        return Pace(
            self.source or "collect",
            self.policy,
            self.deadline,
            self.sleep,
            self.progress,
            self.setting,
        )

    def remaining(self) -> float | None:
        """Seconds left before the deadline (never negative), or None without a deadline."""
        return self.pace.remaining()

    def request_timeout(self) -> float:
        """Seconds the next request may take: the policy's, within the deadline."""
        return self.pace.request_timeout()

    def wait(self, seconds: float, why: str) -> None:
        """Wait before a retry (``Pace.wait``): fails the source at once rather than sleep past
        the deadline."""
        self.pace.wait(seconds, why)

    @property
    def ca_bundle(self) -> Path | None:
        return self.config.tls.ca_bundle

    def ssl_context(self) -> ssl.SSLContext:
        """Default trust plus ``[tls] ca_bundle`` (``config.ssl_context``)."""
        return ssl_context(self.config)


ParseFn = Callable[[Bundle], Iterable[Event]]
CollectFn = Callable[[CollectContext, BundleWriter], Mapping[str, Any]]
SkipFn = Callable[[Config, Mapping[str, Any]], "str | None"]
"""``skip_reason(config, options)``: why the source is not collected on this run, or None."""


class Role(StrEnum):
    """What a source's records are, for the normalizer."""

    CHAT = "chat"
    """People talking (Slack): a plain message is kept only for a reason (keyword, pin...)."""
    TOOL = "tool"
    """A tool's records (pages, deploys, alerts): kept, merged across tools."""


@dataclass(frozen=True, slots=True)
class SourceTraits:
    """What the normalizer and the renderer need to know of a source, so neither names one."""

    role: Role = Role.TOOL
    authority: int = 100
    """Which source speaks for a merged row: the lowest number wins (ties: by name)."""
    noun: tuple[str, str] = ("record", "records")
    """Its records, singular and plural (``412 other messages in slack:#inc-1 not shown``)."""
    reasons: tuple[tuple[str, str], ...] = ()
    """Why a kept row this source speaks for is in the timeline (``--why``), first match:
    ``(what, wording)``, ``what`` an event kind (``page``), ``tag:<tag>`` (``tag:note``) or
    ``*`` (any). Deploys are worded alike for every source; with no match, the normalizer's
    own wording (``change``, ``alert state change``, ``<kind> from <source>``)."""


def _always(config: Config, options: Mapping[str, Any]) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class Source:
    """One source, declared in its package's ``__init__`` (``SOURCE = Source(...)``)."""

    name: str
    parse: ParseFn
    collect: CollectFn | None = None
    """None where live collection is not available for the source."""
    token_env: str | None = None
    """The environment variable holding its token (``GITHUB_TOKEN``); None: none needed."""
    skip_reason: SkipFn = _always
    """Why it is not collected on a run (not configured, no token), or None: collect it."""
    traits: SourceTraits = SourceTraits()
    config_model: type[BaseModel] | None = None
    """Its own config table ``[<name>]``, if it has one: a pydantic model (``extra="forbid"``,
    like the built-in tables), validated when the config is loaded; the source reads it as
    ``config.table(name)``, and ``RECONSTRUCT_<NAME>__<KEY>`` sets its keys."""
