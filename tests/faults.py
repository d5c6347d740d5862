"""The fault matrix: every fault a source's API can throw at a run, and what the tool promises.

Each source has ``tests/test_faults_<source>.py`` parametrized over ``FAULTS``, so a source that
misses a fault fails its matrix; the README's "Under faults" table states the same promises.

Outcomes:
    COMPLETE  the run ends with the full draft (exit 0); retries hid the fault
    WARNING   the draft is complete for what exists, with a visible warning (exit 0)
    PARTIAL   this source's evidence is missing or cut short: the other sources render, the draft
              and stderr name what is missing and how to fix it, the bundle's manifest records the
              failed fetch, and the run exits 3
Never: a hang past ``--timeout``, a traceback, a token in any output, a wrong time.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    COMPLETE = "complete"
    WARNING = "warning"
    PARTIAL = "partial"


FAULTS: dict[str, tuple[Outcome, str]] = {
    "rate_limited": (Outcome.COMPLETE, "429 with Retry-After, then success"),
    "server_error_burst": (Outcome.COMPLETE, "a burst of 5xx (3 in a row), then success"),
    "server_down": (Outcome.PARTIAL, "5xx on every request"),
    "connection_refused": (Outcome.PARTIAL, "nothing listens on the API's port"),
    "read_timeout_once": (Outcome.COMPLETE, "one response slower than the request timeout"),
    "truncated_json_once": (Outcome.COMPLETE, "one response body cut short, then success"),
    "invalid_json": (Outcome.PARTIAL, "every response is not JSON (an HTML error page)"),
    "repeating_cursor": (Outcome.WARNING, "pagination that returns to a page already seen"),
    "token_expired_midrun": (Outcome.PARTIAL, "401 after the first requests succeeded"),
    "permission_one": (
        Outcome.WARNING,
        "a permission error on one channel, repo, dashboard or endpoint; the rest is kept",
    ),
}
