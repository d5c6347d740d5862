"""GitHub HTTP for live collection: PyGithub's ``Requester`` with bounded, deadline-aware retries.

Raw JSON only (``Requester.requestJson``: no PyGithub objects, so no lazy "completion" GETs), and
``Link: rel="next"`` followed by ``_Client.pages`` itself, with loop detection and a page cap.

Threads: PyGithub's ``Requester`` keeps ONE shared connection object whose ``request()`` stores
the verb/URL/headers on itself and whose ``getresponse()`` then sends them: two threads sharing it
can send each other's requests. So every worker thread gets its own connection (its own
``requests.Session``), handed to ``requestJson(cnx=...)``; the rest of the ``Requester`` (auth
header, URL building, rate-limit bookkeeping) is safe to share.

Retries (all bounded, every wait through ``ctx.wait``, so nothing sleeps past ``--timeout``):

- urllib3/PyGithub retries are off (``retry=0`` on our connections): PyGithub's default
  ``GithubRetry`` retries 5xx ten times and sleeps on 403s by itself, without reporting;
- 5xx, connection errors, timeouts and a cut-short JSON body: ``Settings.server_retries`` retries,
  exponential backoff (``backoff_factor * 2**n``);
- 403/429 rate limits: ``Retry-After``, the primary reset, or the secondary-limit backoff, at most
  ``Settings.rate_limit_retries`` waits, none longer than ``Settings.max_rate_limit_wait``;
- per-request timeout: ``ctx.timeout(...)`` of at most ``Settings.timeout`` and at most half of
  the time left, so one stalled response still leaves time for its retry.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from reconstruct.collectors.base import CollectContext
from reconstruct.errors import SourceAuthError, SourceError, SourceNotFound, SourceUnavailable
from reconstruct.timeutil import format_duration, now_utc

if TYPE_CHECKING:
    from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass

    Connection = HTTPRequestsConnectionClass | HTTPSRequestsConnectionClass

NAME = "github"
TOKEN_ENV = "GITHUB_TOKEN"  # noqa: S105 (a variable name, not a secret)
PER_PAGE = 100
MAX_PAGES = 100
"""No listing is followed past this many pages (10,000 records at ``per_page=100``)."""
PERMISSIONS = (
    "a fine-grained token needs read access to Metadata, Deployments and Pull requests "
    "(or Contents) on the repository; a classic token needs the `repo` scope"
)


@dataclass(frozen=True)
class Settings:
    """Client knobs; the defaults are for real use, tests shorten the waits."""

    timeout: float = 30.0
    """Per-request timeout in seconds (also capped by ``--timeout``, see the module doc)."""
    server_retries: int = 3
    backoff_factor: float = 0.25
    rate_limit_retries: int = 3
    max_rate_limit_wait: float = 120.0
    secondary_wait: float = 60.0
    sleep: Callable[[float], None] | None = None
    """How waits sleep; None: the context's (``CollectContext.sleep``)."""


class AllRepos:
    """Marks an error that would fail every repository: raised at once, not per repository."""


class BadCredentials(SourceAuthError, AllRepos):
    pass


class RateLimited(SourceUnavailable, AllRepos):
    pass


class Unreachable(SourceUnavailable, AllRepos):
    pass


@dataclass(frozen=True)
class Listing:
    pages: list[Any]
    note: str | None = None
    """Why paging stopped early (a next link that loops, the page cap), as a warning."""


class _Retryable(Exception):
    def __init__(self, kind: str, final: SourceError) -> None:
        super().__init__(kind)
        self.kind = kind
        self.final = final


class Client:
    def __init__(self, ctx: CollectContext, settings: Settings) -> None:
        from github import Auth, Github

        assert ctx.token is not None
        self.ctx = ctx
        self.settings = settings
        self.base_url = ctx.config.github.base_url.rstrip("/")
        self._base = urlsplit(self.base_url)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._connections: list[Connection] = []
        self.requests = 0
        self.rate_limit_waits = 0
        self.github = Github(
            auth=Auth.Token(ctx.token.reveal()),
            base_url=self.base_url,
            timeout=int(settings.timeout),
            per_page=PER_PAGE,
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        self.requester = self.github.requester

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        self.github.close()

    # -- paging ----------------------------------------------------------------------------------
    def pages(
        self,
        path: str,
        params: dict[str, Any],
        *,
        what: str,
        repo: str,
        stop: Callable[[Any], bool] | None = None,
        on_page: Callable[[int], None] | None = None,
    ) -> Listing:
        """Every page: the first request with ``params``, then ``Link: rel="next"`` verbatim.

        Stops (with a note) when a next link leads back to a page already read, by page number or
        by content, and after ``MAX_PAGES`` pages."""
        url: str | None = path
        query: dict[str, Any] | None = params
        pages: list[Any] = []
        seen_keys = {_page_key(path, params)}
        seen_bodies: set[str] = set()
        while url is not None:
            number = len(pages) + 1
            label = what if number == 1 else f"{what} (page {number})"
            headers, body = self.get(url, query, what=label, repo=repo)
            digest = _digest(body)
            if digest is not None and digest in seen_bodies:
                return Listing(pages, _loop_note(what, len(pages)))
            if digest is not None:
                seen_bodies.add(digest)
            pages.append(body)
            if on_page is not None:
                on_page(number)
            if stop is not None and stop(body):
                break
            url, query = self._next_link(headers, what), None
            if url is None:
                break
            key = _page_key(url, None)
            if key in seen_keys:
                return Listing(pages, _loop_note(what, len(pages)))
            seen_keys.add(key)
            if len(pages) >= MAX_PAGES:
                return Listing(
                    pages,
                    f"{what}: stopped after {MAX_PAGES} pages; later records were skipped",
                )
        return Listing(pages)

    def _next_link(self, headers: Mapping[str, Any], what: str) -> str | None:
        import requests

        for link in requests.utils.parse_header_links(str(headers.get("link") or "")):
            if link.get("rel") == "next" and link.get("url"):
                url = link["url"]
                parts = urlsplit(url)
                if (parts.scheme, parts.hostname, parts.port) != (
                    self._base.scheme,
                    self._base.hostname,
                    self._base.port,
                ):
                    raise SourceUnavailable(
                        NAME,
                        f"the next page of {what} points to {parts.scheme}://{parts.netloc}, not "
                        f"{self.base_url}; check [github] base_url",
                    )
                return str(url)
        return None

    # -- one GET, with bounded retries ---------------------------------------------------------
    def get(
        self, url: str, params: dict[str, Any] | None = None, *, what: str, repo: str
    ) -> tuple[dict[str, Any], Any]:
        """One GET with bounded, reported, deadline-aware retries: (headers, parsed JSON body)."""
        s = self.settings
        failures = 0
        rate_waits = 0
        for _ in range(1 + s.server_retries + s.rate_limit_retries):
            try:
                headers, data = self._attempt(url, params, what, repo, rate_waits)
                return headers, data
            except _Retryable as exc:
                if exc.kind == "rate limited":
                    rate_waits += 1
                    continue
                failures += 1
                if failures > s.server_retries:
                    raise exc.final from None
                delay = s.backoff_factor * (2 ** (failures - 1))
                self._wait(
                    delay, f"{exc.kind} reading {what} (retry {failures}/{s.server_retries})"
                )
        raise SourceUnavailable(NAME, f"gave up reading {what} after too many retries")

    def _attempt(
        self, url: str, params: dict[str, Any] | None, what: str, repo: str, rate_waits: int
    ) -> tuple[dict[str, Any], Any]:
        s = self.settings
        status, headers, body = self._request(url, params, what)
        if status >= 500:
            raise _Retryable(
                f"HTTP {status}",
                Unreachable(
                    NAME,
                    f"GitHub answered {what} with server errors (5xx) {s.server_retries + 1} "
                    "times; it may be down, try again later",
                ),
            )
        data = self._json(body, status, what)
        if status < 400:
            return headers, data
        wait = self._rate_limit_wait(status, headers, data, rate_waits)
        if wait is None:
            raise _http_error(status, data, what, repo)
        if wait > s.max_rate_limit_wait:
            lifts = now_utc() + timedelta(seconds=wait)
            raise RateLimited(
                NAME,
                f"GitHub rate limit reached while reading {what}; it lifts at "
                f"{lifts:%H:%M} UTC (in {format_duration(timedelta(seconds=round(wait)))}); "
                "rerun then",
            )
        if rate_waits >= s.rate_limit_retries:
            raise RateLimited(
                NAME,
                f"GitHub kept rate limiting requests for {what} after "
                f"{s.rate_limit_retries} waits; rerun in a few minutes",
            )
        with self._lock:
            self.rate_limit_waits += 1
        self._wait(float(math.ceil(wait)), "rate limited")
        raise _Retryable("rate limited", RateLimited(NAME, f"rate limited reading {what}"))

    def _wait(self, seconds: float, why: str) -> None:
        try:
            self.ctx.wait(seconds, why)
        except SourceUnavailable as exc:
            raise _DeadlineReached(NAME, exc.detail) from None

    def _json(self, body: str, status: int, what: str) -> Any:
        if not body:
            return None
        try:
            return json.loads(body)
        except ValueError:
            if status >= 400:
                return None  # an error page: the status says enough
            if body.lstrip().startswith("<"):
                raise Unreachable(
                    NAME,
                    f"GitHub sent an HTML page, not JSON, for {what}; check [github] base_url "
                    "(GitHub Enterprise: https://HOST/api/v3)",
                ) from None
            raise _Retryable(
                "a cut-short answer",
                Unreachable(
                    NAME,
                    f"GitHub sent a cut-short or non-JSON answer for {what} "
                    f"{self.settings.server_retries + 1} times; try again later, or check "
                    "[github] base_url and any proxy in between",
                ),
            ) from None

    def request_timeout(self) -> float:
        """At most ``Settings.timeout`` and half of what is left before ``--timeout``."""
        left = self.ctx.remaining()
        wanted = self.settings.timeout if left is None else min(self.settings.timeout, left / 2)
        return self.ctx.timeout(wanted)

    def _connection(self) -> Connection:
        """This thread's own connection (see the module doc: PyGithub's shared one is not
        thread-safe); retries off, so every retry is ours, bounded and reported."""
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass

            cls = (
                HTTPSRequestsConnectionClass
                if self._base.scheme == "https"
                else HTTPRequestsConnectionClass
            )
            ca = self.ctx.ca_bundle
            connection = cls(
                str(self._base.hostname),
                self._base.port,
                retry=0,
                pool_size=1,
                timeout=None,
                verify=str(ca) if ca is not None else True,
            )
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def _request(
        self, url: str, params: dict[str, Any] | None, what: str
    ) -> tuple[int, dict[str, Any], str]:
        import requests

        with self._lock:
            self.requests += 1
        connection = self._connection()
        timeout = self.request_timeout()
        connection.timeout = timeout  # type: ignore[assignment]  # requests takes a float
        try:
            status, headers, body = self.requester.requestJson(
                "GET", url, parameters=params, cnx=connection
            )
        except requests.exceptions.SSLError as exc:
            raise Unreachable(
                NAME,
                f"TLS verification failed for {self.base_url}; for a proxy or GitHub Enterprise "
                "with a private CA set [tls] ca_bundle",
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise _Retryable(
                f"no answer within {timeout:.1f}s",
                Unreachable(
                    NAME,
                    f"GitHub did not answer {what} within {timeout:.1f}s "
                    f"({self.settings.server_retries + 1} attempts); try again later, or give "
                    "the run a larger --timeout",
                ),
            ) from exc
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            raise _Retryable(
                f"connection failed ({type(exc).__name__})",
                Unreachable(
                    NAME,
                    f"cannot reach {self.base_url} ({type(exc).__name__}) reading {what}; check "
                    "[github] base_url and the network",
                ),
            ) from exc
        except RuntimeError as exc:  # PyGithub: a redirect to another host or scheme
            raise Unreachable(
                NAME, f"GitHub redirected {what} elsewhere; check [github] base_url"
            ) from exc
        if status == 202:  # PyGithub would sleep 2 s and retry without a bound; never expected
            raise SourceUnavailable(NAME, f"GitHub answered {what} with 202 (not ready); rerun")
        return status, headers, body

    def _rate_limit_wait(
        self, status: int, headers: Mapping[str, Any], data: Any, attempt: int
    ) -> float | None:
        """Seconds to wait before retrying, or None when this is not a rate limit."""
        if status not in (403, 429):
            return None
        message = str(data.get("message") or "") if isinstance(data, dict) else ""
        retry_after = str(headers.get("retry-after") or "").strip()
        remaining = str(headers.get("x-ratelimit-remaining") or "").strip()
        reset = str(headers.get("x-ratelimit-reset") or "").strip()
        if retry_after.isdigit():
            return float(retry_after)
        if remaining == "0" and reset.isdigit():
            return max(int(reset) - now_utc().timestamp(), 0.0) + 1.0
        if "rate limit" in message.lower() or status == 429:
            return float(self.settings.secondary_wait * (2**attempt))
        return None


class _DeadlineReached(SourceUnavailable, AllRepos):
    pass


def _page_key(url: str, params: Mapping[str, Any] | None) -> str:
    """What identifies a page of one listing: its ``page`` number (1 when absent), or else its
    query without ``per_page`` (cursor paging)."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items() if v}
    query.update({k: str(v) for k, v in (params or {}).items()})
    query.pop("per_page", None)
    if "page" in query or not any(k in query for k in ("after", "before", "cursor")):
        return f"page={query.get('page', '1')}"
    return "&".join(f"{k}={v}" for k, v in sorted(query.items()))


def _digest(body: Any) -> str | None:
    """A page's records, hashed (None for an empty page): the same records twice is a loop."""
    items = body.get("items") if isinstance(body, dict) else body
    if not isinstance(items, list) or not items:
        return None
    return hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()


def _loop_note(what: str, pages: int) -> str:
    return (
        f"{what}: GitHub's next-page link led back to a page already read; stopped after "
        f"{pages} page{'s' if pages != 1 else ''}, any later records were skipped"
    )


def _http_error(status: int, data: Any, what: str, repo: str) -> SourceError:
    message = str(data.get("message") or "") if isinstance(data, dict) else ""
    said = f" (GitHub: {message})" if message else ""
    if status == 401:
        return BadCredentials(
            NAME,
            f"{TOKEN_ENV} was rejected (401 Bad credentials) reading {what}; it is wrong, "
            f"expired or revoked: create a new token and export {TOKEN_ENV}",
        )
    if status == 403:
        if "saml" in message.lower() or "sso" in message.lower():
            return SourceAuthError(
                NAME,
                f"{TOKEN_ENV} is not authorized for the organization's SAML SSO, needed to read "
                f"{what}; authorize the token for SSO in GitHub's token settings{said}",
            )
        return SourceAuthError(NAME, f"{TOKEN_ENV} may not read {what} (403){said}; {PERMISSIONS}")
    if status == 404:
        return SourceNotFound(
            NAME,
            f"{what}: not found (404), or {TOKEN_ENV} cannot see it; check [github] repos "
            f"(owner/name) and the token's repository access",
        )
    if status == 422:
        return SourceNotFound(
            NAME,
            f"GitHub refused the query for {what} (422){said}; check that {repo} exists and "
            f"{TOKEN_ENV} can read it",
        )
    return SourceUnavailable(NAME, f"GitHub answered {what} with HTTP {status}{said}; try again")
