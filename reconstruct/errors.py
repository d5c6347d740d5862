"""Every error a user can cause, grouped by what the caller should do about it.

    ReconstructError                 one line for the user: what went wrong and how to fix it
    ├── UsageError                   exit 2: a bad argument (unknown incident, clashing flags)
    ├── ConfigError                  exit 2: a bad config file, key or value; names file and key
    ├── BundleError                  exit 1: a bundle file is missing, corrupt or altered
    ├── SourceError                  one source failed; the others still render (exit 3)
    │   ├── SourceAuthError          the token is missing, invalid or lacks a scope: fix and rerun
    │   │   └── SourceSkipped        403/402 on one channel, repo, dashboard or endpoint: that
    │   │                            scope is skipped with a warning when others were read
    │   ├── SourceNotFound           the thing asked for does not exist in that source
    │   └── SourceUnavailable        the source is down or rate limited too long: retry
    │       └── SourceTimedOut       the run's --timeout deadline passed: stop every scope
    ├── RenderError                  exit 1: a template or output file could not be written
    └── DeliveryError                exit 1: a sink could not deliver a draft

Third-party exceptions are translated where they are caught (``raise ... from exc``); the CLI is
the only place that turns these into exit codes (see ``reconstruct.cli``).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3


class ReconstructError(Exception):
    """Base class: ``str(err)`` is the single line shown to the user."""

    exit_code = EXIT_ERROR


class UsageError(ReconstructError):
    exit_code = EXIT_USAGE


class ConfigError(ReconstructError):
    exit_code = EXIT_USAGE


class BundleError(ReconstructError):
    pass


class SourceError(ReconstructError):
    """A failure of one source during collection; ``source`` names it (pagerduty, slack, ...)."""

    exit_code = EXIT_PARTIAL

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.detail = message


class SourceAuthError(SourceError):
    pass


class SourceSkipped(SourceAuthError):
    """The token may not read one scope (a channel, repo, dashboard or endpoint; HTTP 403/402):
    a source that read others skips it with a warning instead of failing."""


class SourceNotFound(SourceError):
    pass


class SourceUnavailable(SourceError):
    pass


class SourceTimedOut(SourceUnavailable):
    """The run's ``--timeout`` deadline passed (or a wait would pass it): no scope of the source
    can go on, so it is raised at once, not recorded per scope."""


class RenderError(ReconstructError):
    pass


class DeliveryError(ReconstructError):
    pass
