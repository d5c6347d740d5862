"""The one HTTP policy every source follows: when to retry, how long to wait, how long a request
may take. Each source's transport (its SDK, retries off) sends one request per attempt; this module
decides everything around it.

    policy = ctx.policy                       RetryPolicy: counts, backoff, waits, timeouts
    body = with_retries(ctx.pace, attempt)    attempt(timeout) -> body, or raises Retry
    raise Retry(why, final)                   a 5xx, a connection error, a timeout, a cut-short
                                              body: retried up to policy.retries times
    raise Retry(why, final, wait=s, rate_limited=True)
                                              a 429: waits Retry-After (or backoff), up to
                                              policy.rate_limit_retries times
    retry_after(value)                        Retry-After in seconds (delta-seconds or HTTP date)
    is_tls_failure(exc)                       certificate verification failed: never retried

Every wait goes through ``Pace.wait`` (a progress line; the source fails at once with
``SourceTimedOut`` rather than sleep past ``--timeout``); each attempt's timeout is
``Pace.request_timeout()``: the policy's, at most ``policy.share`` of the time left.
Retry-After is honoured as given (RFC 9110 §10.2.3); a longer one than ``policy.max_wait`` fails
the source at once. Backoff after a transient failure doubles from ``policy.backoff`` (capped at
``policy.max_backoff``) with jitter, so parallel workers do not retry in step (AWS Architecture
Blog, "Exponential Backoff And Jitter").

Tests shorten every wait and timeout by handing a ``RetryPolicy`` to the ``CollectContext`` (the
CLI takes one from ``click``'s context object), never by patching this module.
"""

from __future__ import annotations

import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from reconstruct.errors import SourceError, SourceTimedOut, SourceUnavailable

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Request limits of a live collection, one for every source; the defaults are for real use."""

    retries: int = 3
    """Retries per request after a 5xx, a connection error, a timeout or a cut-short body."""
    rate_limit_retries: int = 5
    """Waits per request after a 429 (or a source's own rate-limit answer)."""
    backoff: float = 1.0
    """First wait in seconds after a transient failure (or a 429 without Retry-After)."""
    max_backoff: float = 30.0
    """Backoff doubles up to this many seconds."""
    jitter: float = 0.25
    """Each backoff is shortened by a random share of up to this fraction (0: exact)."""
    max_wait: float = 120.0
    """Longest single Retry-After honoured; a longer one fails the source at once."""
    timeout: float = 30.0
    """Seconds one request may take (connect, every read and the whole body)."""
    share: float = 0.5
    """With a deadline, one request may use at most this share of the time left, so a retry
    still fits."""
    floor: float = 0.2
    """The shortest request timeout, even right before the deadline."""
    max_pages: int = 500
    """Pages one listing may have (``collectors._pages.PageGuard``); more stops it, with a
    warning that later records are missing."""

    def delay(self, attempt: int) -> float:
        """The backoff before retry ``attempt`` (1-based; 0 or less: none): doubling from
        ``backoff``, capped at ``max_backoff``, with jitter. The one backoff of the tool: the
        sources' retries and ``watch``'s retry of a failed incident (``watch.runner.backoff``)."""
        if attempt <= 0:
            return 0.0
        base = min(self.backoff * 2 ** min(attempt - 1, 62), self.max_backoff)
        if self.jitter <= 0:
            return float(base)
        return float(base * (1 - self.jitter * random.random()))  # noqa: S311 - not crypto

    def request_timeout(self, remaining: float | None) -> float:
        """Seconds the next request may take, given the seconds left before the deadline."""
        if remaining is None:
            return self.timeout
        return max(self.floor, min(self.timeout, remaining * self.share))


DEFAULT_POLICY = RetryPolicy()


def _silent(source: str, message: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Pace:
    """When one source's requests may run: its policy, the run's deadline, how waits sleep and
    are reported. ``CollectContext.pace`` gives a collector's; the incident fetch and ``watch``'s
    poll build their own."""

    source: str
    policy: RetryPolicy = DEFAULT_POLICY
    deadline: float | None = None
    """``time.monotonic()`` value by which the work must end (``--timeout``); None: no limit."""
    sleep: Callable[[float], None] = time.sleep
    """How waits sleep (tests pass a fake clock's sleep; never patch our own functions)."""
    progress: Callable[[str, str], None] = _silent
    """``progress(source, message)``: every wait is reported."""
    setting: str = "--timeout"
    """The setting that sets ``deadline``, named in advice (the poll: ``[watch] timeout``)."""

    def remaining(self) -> float | None:
        """Seconds left before the deadline (never negative), or None without a deadline."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def request_timeout(self) -> float:
        """Seconds the next request may take: the policy's, within the deadline."""
        return self.policy.request_timeout(self.remaining())

    def wait(self, seconds: float, why: str) -> None:
        """Wait before a retry: report it, and fail the source at once if the wait would pass
        the deadline (``--timeout``) instead of sleeping past it."""
        left = self.remaining()
        if left is not None and seconds >= left:
            raise SourceTimedOut(
                self.source or "collect",
                f"{why}, but waiting {seconds:.0f}s would pass the {self.setting} deadline; "
                f"rerun later or with a larger {self.setting}",
            )
        said = f"{seconds:.0f}s" if seconds >= 1 or seconds == 0 else f"{seconds:.1f}s"
        self.progress(self.source, f"{why}, waiting {said}")
        self.sleep(seconds)


class Retry(Exception):
    """One attempt failed in a way worth trying again.

    ``why`` names it in progress (``HTTP 503``, ``no answer within 2s``); ``final`` is the error
    raised when the retries are used up; ``wait`` is the server's Retry-After in seconds, if any;
    ``rate_limited`` counts it against ``rate_limit_retries`` instead of ``retries``; without a
    ``wait``, the policy's backoff times ``scale`` is waited (an API that asks for longer)."""

    def __init__(
        self,
        why: str,
        final: SourceError,
        *,
        wait: float | None = None,
        rate_limited: bool = False,
        scale: float = 1.0,
    ) -> None:
        super().__init__(why)
        self.why = why
        self.final = final
        self.wait = wait
        self.rate_limited = rate_limited
        self.scale = scale


@dataclass
class Counts:
    """What the loop did, for a source's manifest meta (summed over its requests)."""

    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0


def with_retries(
    pace: Pace,
    attempt: Callable[[float], T],
    *,
    counts: Counts | None = None,
    label: str = "",
) -> T:
    """``attempt(timeout)`` until it returns, retrying each ``Retry`` as ``pace.policy`` allows.

    ``label`` prefixes progress lines (``log_entries page 3``). Raises the last ``Retry.final``
    when the retries are used up, ``SourceUnavailable`` when a Retry-After is longer than
    ``policy.max_wait``, ``SourceTimedOut`` when a wait would pass the deadline, and whatever
    ``attempt`` raises otherwise."""
    policy = pace.policy
    counts = counts if counts is not None else Counts()
    failures = limited = 0
    began = time.monotonic()
    while True:
        timeout = pace.request_timeout()
        counts.requests += 1
        try:
            return attempt(timeout)
        except Retry as exc:
            where = f"{label}: {exc.why}" if label else exc.why
            if exc.rate_limited:
                limited += 1
                wait = exc.wait if exc.wait is not None else policy.delay(limited) * exc.scale
                if limited > policy.rate_limit_retries:
                    raise exc.final from exc.__cause__
                if wait > policy.max_wait:
                    raise SourceUnavailable(
                        exc.final.source,
                        f"{where}: asked to wait {wait:.0f}s (more than {policy.max_wait:.0f}s); "
                        "rerun later",
                    ) from exc.__cause__
                counts.rate_limit_waits += 1
                pace.wait(wait, f"{where} (retry {limited} of {policy.rate_limit_retries})")
                continue
            failures += 1
            if failures > policy.retries:
                raise exc.final from exc.__cause__
            counts.retries += 1
            wait = exc.wait if exc.wait is not None else policy.delay(failures) * exc.scale
            wait = min(wait, policy.max_wait)
            left = pace.remaining()
            if left is not None and wait >= left:
                spent = time.monotonic() - began  # the last try's timeout is not all it took
                raise SourceTimedOut(
                    exc.final.source,
                    f"{where} (try {failures} of {policy.retries + 1}, {spent:.0f}s after the "
                    f"first), but waiting {wait:.0f}s would pass the {pace.setting} deadline; "
                    f"rerun later or with a larger {pace.setting}",
                ) from exc.__cause__
            pace.wait(wait, f"{where} (retry {failures} of {policy.retries})")


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` value: delta-seconds (``"3"``, also ``"2.5"``) or an HTTP
    date (RFC 9110 §10.2.3); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def is_tls_failure(exc: BaseException) -> bool:
    """Whether certificate verification failed anywhere in ``exc``'s chain (retrying cannot
    help; the fix is ``[tls] ca_bundle``)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        text = f"{seen} {getattr(seen, 'reason', '')}"
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text:
            return True
        if "certificate verify failed" in text:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def seconds_text(seconds: float) -> str:
    """A wait or timeout as users read it: ``3s``, ``12s``; below 10 s to a tenth (``0.2s``,
    ``2.5s``), so a short timeout never reads ``0s``."""
    return f"{seconds:.0f}s" if seconds >= 10 else f"{seconds:.1f}".removesuffix(".0") + "s"


def still_rate_limited(policy: RetryPolicy, tool: str) -> str:
    """The one wording, for every source, of a request still rate limited once its
    ``policy.rate_limit_retries`` waits are used up (``tool`` names the service)."""
    return (
        f"{tool} still rate limited it after {policy.rate_limit_retries} waits (HTTP 429); "
        "wait a few minutes and rerun"
    )
