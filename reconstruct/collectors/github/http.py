"""GitHub HTTP for live collection: PyGithub's ``Requester`` with bounded, deadline-aware retries.

Raw JSON only (``Requester.requestJson``: no PyGithub objects, so no lazy "completion" GETs), and
``Link: rel="next"`` followed by ``_Client.pages`` itself, with loop detection and a page cap.

Threads: PyGithub's ``Requester`` keeps ONE shared connection object whose ``request()`` stores
the verb/URL/headers on itself and whose ``getresponse()`` then sends them: two threads sharing it
can send each other's requests. So every worker thread gets its own connection (its own
``requests.Session``), handed to ``requestJson(cnx=...)``; the rest of the ``Requester`` (auth
header, URL building, rate-limit bookkeeping) is safe to share.

Retries are the shared loop's (``collectors._http.with_retries``, ``ctx.policy``); urllib3's and
PyGithub's are off (``retry=0`` on our connections; PyGithub's default ``GithubRetry`` retries 5xx
ten times and sleeps on 403s by itself, without reporting). 5xx, connection errors, timeouts and
a cut-short JSON body are retried with backoff; 403/429 rate limits wait ``Retry-After``, the
primary reset (``x-ratelimit-reset``), or for a secondary limit without either a minute times
the policy's backoff, doubling (GitHub: "wait for at least one minute before retrying",
docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api). Each request's
timeout is ``ctx.request_timeout()``.
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

from reconstruct.collectors._http import (
    Counts,
    Retry,
    retry_after,
    seconds_text,
    still_rate_limited,
    with_retries,
)
from reconstruct.collectors._pages import PageGuard
from reconstruct.collectors._partial import InFlight
from reconstruct.collectors.base import CollectContext
from reconstruct.errors import SourceAuthError, SourceError, SourceNotFound, SourceUnavailable
from reconstruct.timeutil import format_duration, now_utc

if TYPE_CHECKING:
    from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass

    Connection = HTTPRequestsConnectionClass | HTTPSRequestsConnectionClass

NAME = "github"
TOKEN_ENV = "GITHUB_TOKEN"  # noqa: S105 (a variable name, not a secret)
PER_PAGE = 100
PERMISSIONS = (
    "a fine-grained token needs read access to Metadata, Deployments and Pull requests "
    "(or Contents) on the repository; a classic token needs the `repo` scope"
)


NO_BODY = (204, 205, 304)
"""Statuses that carry no body (RFC 9110 §15.3.5, §15.3.6, §15.4.5); any other success without
one was cut short."""

SECONDARY_WAIT = 60.0
"""A secondary rate limit without Retry-After: wait this many times the policy's backoff (GitHub
asks for at least a minute), doubling per wait."""


class AllRepos:
    """Marks an error that would fail every repository: raised at once, not per repository."""


class BadCredentials(SourceAuthError, AllRepos):
    pass


class RateLimited(SourceUnavailable, AllRepos):
    pass


class Unreachable(SourceUnavailable, AllRepos):
    pass


class ServerFailed(SourceUnavailable):
    """5xx, cut-short or unanswered requests (its retries used up): only the repository it was
    for fails (what was read of it is kept); another repository may well answer."""


@dataclass(frozen=True)
class Listing:
    pages: list[Any]
    note: str | None = None
    """Why paging stopped early (a next link that loops, the page cap), as a warning."""


class Client:
    def __init__(self, ctx: CollectContext) -> None:
        from github import Auth, Github

        assert ctx.token is not None
        self.ctx = ctx
        self.base_url = ctx.config.github.base_url.rstrip("/")
        self._base = urlsplit(self.base_url)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._connections: list[Connection] = []
        self.requests = 0
        self.rate_limit_waits = 0
        self.asking: InFlight = ctx.handover.asking
        """The request each worker has in flight (named when the deadline passes)."""
        self.github = Github(
            auth=Auth.Token(ctx.token.reveal()),
            base_url=self.base_url,
            timeout=int(ctx.policy.timeout),
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
        into: list[Any] | None = None,
    ) -> Listing:
        """Every page: the first request with ``params``, then ``Link: rel="next"`` verbatim.

        Stops (with a note) when a next link leads back to a page already read, by page number or
        by content, and after ``ctx.policy.max_pages`` pages. Each page is appended to ``into``
        as it is read, so a listing cut short (the deadline) keeps the pages before
        (``collectors._partial``)."""
        url: str | None = path
        query: dict[str, Any] | None = params
        pages: list[Any] = into if into is not None else []
        links = PageGuard(self.ctx.policy.max_pages)
        bodies = PageGuard(self.ctx.policy.max_pages)
        links.repeated(_page_key(path, params))
        while url is not None:
            number = len(pages) + 1
            label = what if number == 1 else f"{what} (page {number})"
            headers, body = self.get(url, query, what=label, repo=repo)
            digest = _digest(body)
            if digest is not None and bodies.repeated(digest):
                return Listing(pages, _loop_note(what, len(pages)))
            pages.append(body)
            if on_page is not None:
                on_page(number)
            if stop is not None and stop(body):
                break
            url, query = self._next_link(headers, what), None
            if url is None:
                break
            if links.repeated(_page_key(url, None)):
                return Listing(pages, _loop_note(what, len(pages)))
            if len(pages) >= self.ctx.policy.max_pages:
                return Listing(
                    pages,
                    f"{what}: stopped after {len(pages)} pages; later records were skipped",
                )
        return Listing(pages)

    def next_link(self, headers: Mapping[str, Any], what: str) -> str | None:
        """The ``rel="next"`` URL of an answer's headers (None on the last page)."""
        return self._next_link(headers, what)

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

    # -- one GET, retried by the shared loop ----------------------------------------------------
    def get(
        self, url: str, params: dict[str, Any] | None = None, *, what: str, repo: str
    ) -> tuple[dict[str, Any], Any]:
        """One GET with bounded, reported, deadline-aware retries: (headers, parsed JSON body)."""
        counts = Counts()
        try:
            with self.asking(what):
                return with_retries(
                    self.ctx.pace,
                    lambda timeout: self._attempt(url, params, what, repo, timeout),
                    counts=counts,
                )
        finally:
            with self._lock:
                self.rate_limit_waits += counts.rate_limit_waits

    def _attempt(
        self, url: str, params: dict[str, Any] | None, what: str, repo: str, timeout: float
    ) -> tuple[dict[str, Any], Any]:
        attempts = self.ctx.policy.retries + 1
        status, headers, body = self._request(url, params, what, timeout)
        if status >= 500:
            raise Retry(
                f"HTTP {status} reading {what}",
                ServerFailed(
                    NAME,
                    f"GitHub answered {what} with server errors (5xx) {attempts} times; it may "
                    "be down, try again later",
                ),
            )
        data = self._json(body, status, what)
        if status < 400:
            return headers, data
        limited, wait = self._rate_limit_wait(status, headers, data)
        if not limited:
            raise _http_error(status, data, what, repo)
        if wait is not None and wait > self.ctx.policy.max_wait:
            now = now_utc()
            # to the nearest minute, both: the seconds the request took (or a margin added to
            # the reset) never turn "in 1d 0h 00m" into "in 23h 59m"
            within = timedelta(minutes=round(wait / 60))
            lifts = now.replace(second=0, microsecond=0) + within
            if now.second >= 30:
                lifts += timedelta(minutes=1)
            at = f"{lifts:%H:%M}" if lifts.date() == now.date() else f"{lifts:%Y-%m-%d %H:%M}"
            raise RateLimited(
                NAME,
                f"GitHub rate limit reached while reading {what}; it lifts at "
                f"{at} UTC (in {format_duration(within)}); rerun then",
            )
        raise Retry(
            f"rate limited reading {what}",
            RateLimited(
                NAME,
                f"{what}: {still_rate_limited(self.ctx.policy, 'GitHub')}",
            ),
            wait=None if wait is None else float(math.ceil(wait)),
            rate_limited=True,
            scale=SECONDARY_WAIT,
        )

    def _json(self, body: str, status: int, what: str) -> Any:
        if status >= 400 and not body.strip():
            return None  # an error without a body: the status says enough
        if not body.strip() and status in NO_BODY:
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
            # An empty body too: every GET we send answers JSON ([] for an empty list), so
            # nothing after the status line (the connection closed inside or right after the
            # headers, which http.client reads as a body up to the close) is a cut-short answer.
            raise Retry(
                f"a cut-short answer reading {what}",
                ServerFailed(
                    NAME,
                    f"GitHub sent a cut-short or non-JSON answer for {what} "
                    f"{self.ctx.policy.retries + 1} times; try again later, or check "
                    "[github] base_url and any proxy in between",
                ),
            ) from None

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
        self, url: str, params: dict[str, Any] | None, what: str, timeout: float
    ) -> tuple[int, dict[str, Any], str]:
        import requests

        with self._lock:
            self.requests += 1
        connection = self._connection()
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
            raise Retry(
                f"no answer within {seconds_text(timeout)} reading {what}",
                ServerFailed(
                    NAME,
                    f"GitHub did not answer {what} within {seconds_text(timeout)} "
                    f"({self.ctx.policy.retries + 1} attempts); try again later, or give "
                    f"the run a larger {self.ctx.pace.setting}",
                ),
            ) from exc
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            if _stalled(exc):  # the body stopped coming: a read timeout, not a lost connection
                raise Retry(
                    f"no answer within {seconds_text(timeout)} reading {what}",
                    ServerFailed(
                        NAME,
                        f"GitHub stopped sending {what} for {seconds_text(timeout)} "
                        f"({self.ctx.policy.retries + 1} attempts); try again later, or give "
                        f"the run a larger {self.ctx.pace.setting}",
                    ),
                ) from exc
            if _cut(exc):
                raise Retry(
                    f"a cut-short answer reading {what}",
                    ServerFailed(
                        NAME,
                        f"{self.base_url} closed the connection before its answer for {what} "
                        f"was complete ({self.ctx.policy.retries + 1} attempts); try again "
                        "later, or check any proxy in between",
                    ),
                ) from exc
            raise Retry(
                f"connection failed ({type(exc).__name__}) reading {what}",
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
        self, status: int, headers: Mapping[str, Any], data: Any
    ) -> tuple[bool, float | None]:
        """Whether this is a rate limit, and the seconds GitHub asks to wait (None: a secondary
        limit without a hint, ``SECONDARY_WAIT`` times the policy's backoff)."""
        if status not in (403, 429):
            return False, None
        message = str(data.get("message") or "") if isinstance(data, dict) else ""
        after = retry_after(str(headers.get("retry-after") or ""))
        remaining = str(headers.get("x-ratelimit-remaining") or "").strip()
        reset = str(headers.get("x-ratelimit-reset") or "").strip()
        if after is not None:
            return True, after
        if remaining == "0" and reset.isdigit():
            return True, max(int(reset) - now_utc().timestamp(), 0.0) + 1.0
        if "rate limit" in message.lower() or status == 429:
            return True, None
        return False, None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    at: BaseException | None = exc
    while at is not None and len(seen) < 8:
        seen.append(at)
        nested = at.args[0] if at.args and isinstance(at.args[0], BaseException) else None
        at = at.__cause__ or at.__context__ or nested
    return seen


def _stalled(exc: BaseException) -> bool:
    """A read timeout inside ``exc`` (requests wraps one met while reading the body in a
    ``ConnectionError``)."""
    return any(isinstance(e, TimeoutError) or _is(e, "ReadTimeoutError") for e in _chain(exc))


def _is(exc: BaseException, name: str) -> bool:
    """``exc`` is a ``name`` of urllib3 (requests' transport; not imported here: it is
    requests' dependency, not ours)."""
    return any(c.__name__ == name and c.__module__.startswith("urllib3") for c in type(exc).__mro__)


def _cut(exc: BaseException) -> bool:
    """The answer was cut short: an incomplete body or chunk, or a closed connection before
    the status line (``http.client.RemoteDisconnected``, ``IncompleteRead``)."""
    import http.client

    import requests

    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return True
    return any(
        isinstance(e, http.client.IncompleteRead | http.client.RemoteDisconnected)
        or _is(e, "ProtocolError")
        for e in _chain(exc)
    )


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
