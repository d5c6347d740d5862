"""grafana, live: fetch ``GET /api/annotations`` over the incident window into the bundle.

What it asks for, how it pages and retries, and which errors it raises are described in
``reconstruct.collectors.grafana`` (the source's module docstring); this module holds the code that
talks HTTP (httpx), imported only when a live run collects Grafana.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from reconstruct import __version__
from reconstruct.bundle import BundleWriter
from reconstruct.collectors.base import CollectContext
from reconstruct.config import Config
from reconstruct.errors import (
    SourceAuthError,
    SourceError,
    SourceUnavailable,
)

if TYPE_CHECKING:
    import httpx


from reconstruct.collectors.grafana import (
    ANNOTATIONS,
    MISSING_TOKEN,
    NAME,
    TOKEN_VAR,
    _int,
    _is_http_url,
    _ms,
    _str,
)


@dataclass(frozen=True, slots=True)
class Tuning:
    """Request limits of a live collection (tests shrink them)."""

    page_size: int = 1000
    """``limit`` per request; a full page means there may be more."""
    max_pages: int = 100
    """Per series; beyond it the collection stops, says so and sets meta ``truncated``."""
    attempts: int = 5
    """Tries per request for 429, 5xx and network errors."""
    backoff: float = 1.0
    """First wait after a 5xx or network error without Retry-After; doubled per retry."""
    max_wait: float = 60.0
    """Longest single wait; a longer Retry-After fails the source at once."""
    timeout: float = 30.0


TUNING = Tuning()


def root_url(config: Config) -> str:
    """``[grafana] url`` without a trailing slash, checked to be an http(s) URL."""
    url = _str(config.grafana.url).rstrip("/")
    if not url:
        raise SourceError(
            NAME,
            "[grafana] url is not set; add it to the config (url = "
            '"https://grafana.example.com") to include dashboard annotations',
        )
    parts = urlsplit(url)
    if not _is_http_url(url) or parts.query or parts.fragment:
        raise SourceError(
            NAME,
            f"[grafana] url {url!r} is not an http(s) URL of Grafana's root; use e.g. "
            '"https://grafana.example.com" or "https://example.com/grafana"',
        )
    return url


def query_series(config: Config) -> list[tuple[str | None, list[tuple[str, str]]]]:
    """The request series: (dashboard UID or None, extra query params) each."""
    cfg = config.grafana
    series: list[tuple[str | None, list[tuple[str, str]]]] = [
        (uid, [("dashboardUID", uid)]) for uid in dict.fromkeys(cfg.dashboards) if uid
    ]
    if cfg.tags:
        params = [("tags", tag) for tag in dict.fromkeys(cfg.tags)]
        series.append((None, [*params, ("matchAny", "true")]))
    if not series:
        series.append((None, []))
    return series


def collect(
    ctx: CollectContext,
    out: BundleWriter,
    *,
    tuning: Tuning = TUNING,
    sleep: Callable[[float], None] = _time.sleep,
) -> dict[str, Any]:
    """Fetch the window's annotations into ``grafana/annotations.json``; returns manifest meta.

    Pages fetched before a failure are still written, so a failed source keeps its evidence.
    """
    import httpx

    root = root_url(ctx.config)
    if ctx.token is None:
        raise SourceAuthError(NAME, MISSING_TOKEN)
    headers = {
        "Authorization": f"Bearer {ctx.token.reveal()}",
        "Accept": "application/json",
        "User-Agent": f"reconstruct/{__version__}",
    }
    meta: dict[str, Any] = {"url": root}
    org_id = ctx.config.grafana.org_id
    if org_id is not None:
        headers["X-Grafana-Org-Id"] = str(org_id)
        meta["org_id"] = org_id
    start, end = _ms(ctx.window.start), _ms(ctx.window.end)
    pages: list[Any] = []
    try:
        with httpx.Client(
            base_url=root + "/",
            headers=headers,
            verify=ctx.ssl_context(),
            timeout=tuning.timeout,
        ) as client:
            fetch = _Fetcher(client, ctx, tuning, sleep, root)
            for uid, params in query_series(ctx.config):
                if not fetch.series(uid, params, start, end, pages):
                    meta["truncated"] = True
    except BaseException:
        if pages:
            out.add(ANNOTATIONS, pages)
        raise
    out.add(ANNOTATIONS, pages)
    return meta


def _oldest(items: list[Any]) -> int | None:
    """The smallest ``max(time, timeEnd)`` of a page, in the API's milliseconds."""
    found: list[int] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        marks = [_int(item.get("time")), _int(item.get("timeEnd"))]
        values = [m for m in marks if m is not None]
        if values:
            found.append(max(values))
    return min(found) if found else None


class _Fetcher:
    def __init__(
        self,
        client: httpx.Client,
        ctx: CollectContext,
        tuning: Tuning,
        sleep: Callable[[float], None],
        root: str,
    ) -> None:
        self.client = client
        self.ctx = ctx
        self.tuning = tuning
        self.sleep = sleep
        self.root = root

    def series(
        self,
        uid: str | None,
        params: list[tuple[str, str]],
        start: int,
        end: int,
        pages: list[Any],
    ) -> bool:
        """Page backwards through one series; False when it stopped at ``max_pages``."""
        tags = [value for name, value in params if name == "tags"]
        what = f"dashboard {uid}" if uid else f"tagged {', '.join(tags)}" if tags else "all"
        to = end
        total = 0
        for _ in range(self.tuning.max_pages):
            query = [
                ("from", str(start)),
                ("to", str(to)),
                ("limit", str(self.tuning.page_size)),
                *params,
            ]
            items = self.get(query, uid)
            pages.append(items)
            total += len(items)
            self.ctx.progress(NAME, f"{what}: {total} annotations")
            if len(items) < self.tuning.page_size:
                return True
            oldest = _oldest(items)
            if oldest is None:
                return True
            if oldest >= to:
                self.ctx.progress(
                    NAME,
                    f"{what}: more than {self.tuning.page_size} annotations at {to} ms; "
                    "some of them may be missing",
                )
                oldest = to - 1
            if oldest < start:
                return True
            to = oldest
        self.ctx.progress(
            NAME,
            f"{what}: stopped after {self.tuning.max_pages} pages; older annotations in the "
            "window are missing",
        )
        return False

    def get(self, query: list[tuple[str, str]], uid: str | None) -> list[Any]:
        import httpx

        attempts = self.tuning.attempts
        endpoint = f"{self.root}/api/annotations"
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            try:
                response = self.client.get("api/annotations", params=tuple(query))
            except httpx.TimeoutException as exc:
                if last:
                    raise SourceUnavailable(
                        NAME,
                        f"{endpoint} did not answer within {self.tuning.timeout:g}s "
                        f"({attempts} attempts); check that Grafana is up and retry",
                    ) from exc
                self._wait(self._backoff(attempt), f"timed out ({exc.__class__.__name__})", attempt)
                continue
            except httpx.TransportError as exc:
                if _tls_failure(exc):
                    raise SourceError(
                        NAME,
                        f"cannot verify the TLS certificate of {self.root} ({exc}); if a private "
                        "CA signs it, set [tls] ca_bundle to that CA's PEM file",
                    ) from exc
                if last:
                    raise SourceUnavailable(
                        NAME,
                        f"cannot reach {self.root} ({exc}); check [grafana] url and that "
                        "Grafana is up, then retry",
                    ) from exc
                self._wait(self._backoff(attempt), f"network error ({exc})", attempt)
                continue
            status = response.status_code
            if 200 <= status < 300:
                return self._body(response, endpoint)
            if status == 429 or status >= 500:
                what = "rate limited (429)" if status == 429 else f"HTTP {status}"
                wait = _retry_after(response.headers.get("Retry-After"))
                if wait is not None and wait > self.tuning.max_wait:
                    raise SourceUnavailable(
                        NAME,
                        f"{what}: Grafana asked to wait {wait:g}s (more than "
                        f"{self.tuning.max_wait:g}s); retry later",
                    )
                if last:
                    if status == 429:
                        raise SourceUnavailable(
                            NAME, f"still rate limited (429) after {attempts} attempts; retry later"
                        )
                    raise SourceUnavailable(
                        NAME,
                        f"Grafana answered HTTP {status} {attempts} times for {endpoint}"
                        f"{_message_suffix(response)}; check the Grafana server and retry",
                    )
                self._wait(wait if wait is not None else self._backoff(attempt), what, attempt)
                continue
            raise _status_error(response, endpoint, uid, self.ctx.config)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        return float(min(self.tuning.backoff * 2 ** (attempt - 1), self.tuning.max_wait))

    def _wait(self, seconds: float, why: str, attempt: int) -> None:
        self.ctx.progress(
            NAME, f"{why}; waiting {seconds:g}s (attempt {attempt} of {self.tuning.attempts})"
        )
        if seconds > 0:
            self.sleep(seconds)

    @staticmethod
    def _body(response: httpx.Response, endpoint: str) -> list[Any]:
        try:
            body = response.json()
        except ValueError as exc:
            kind = response.headers.get("Content-Type", "no Content-Type")
            raise SourceUnavailable(
                NAME,
                f"{endpoint} did not return JSON ({kind}); check that [grafana] url points at "
                "Grafana's root (with its sub-path, if any)",
            ) from exc
        if not isinstance(body, list):
            raise SourceUnavailable(
                NAME,
                f"{endpoint} returned {type(body).__name__} instead of a JSON array of "
                "annotations; check that [grafana] url points at Grafana",
            )
        return body


def _tls_failure(exc: Exception) -> bool:
    text = str(exc)
    return "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
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


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str):
        return ""
    message = " ".join(message.split())
    return message[:200]


def _message_suffix(response: httpx.Response) -> str:
    message = _message(response)
    return f" ({message})" if message else ""


def _status_error(
    response: httpx.Response, endpoint: str, uid: str | None, config: Config
) -> SourceError:
    status = response.status_code
    message = _message(response)
    said = f": {message}" if message else ""
    if status == 401:
        return SourceAuthError(
            NAME,
            f"{TOKEN_VAR} was rejected (401 Unauthorized{said}); it may be expired or revoked: "
            f"create a new service account token (Viewer role) and export it as {TOKEN_VAR}",
        )
    if status == 403:
        where = (
            "on dashboards " + ", ".join(config.grafana.dashboards)
            if config.grafana.dashboards
            else "in this organisation"
        )
        return SourceAuthError(
            NAME,
            f"the service account of {TOKEN_VAR} may not read annotations (403 Forbidden{said}); "
            f"give it the Viewer role (annotations:read) {where}",
        )
    if status == 400 and uid is not None:
        return SourceError(
            NAME,
            f"Grafana does not know dashboard UID {uid!r} (400{said}); fix or remove it in "
            "[grafana] dashboards (the UID is the part after /d/ in the dashboard's URL)",
        )
    if status == 400:
        return SourceError(NAME, f"Grafana rejected the annotations query (400{said})")
    if status == 404:
        return SourceError(
            NAME,
            f"{endpoint} was not found (404); check [grafana] url, including the sub-path when "
            "Grafana is served under one (https://example.com/grafana)",
        )
    if 300 <= status < 400:
        location = response.headers.get("Location", "?")
        return SourceError(
            NAME,
            f"{endpoint} redirected to {location} ({status}); set [grafana] url to the address "
            "Grafana is served at",
        )
    return SourceError(NAME, f"unexpected HTTP {status} from {endpoint}{said}")
