"""grafana, live: fetch ``GET /api/annotations`` over the incident window into the bundle.

What it asks for, how it pages and retries, and which errors it raises are described in
``reconstruct.collectors.grafana.parse`` (the source's module docstring); this module holds the
code that talks HTTP (httpx), imported only when a live run collects Grafana.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from reconstruct import __version__
from reconstruct.bundle import BundleWriter, loads_lenient
from reconstruct.collectors.base import CollectContext
from reconstruct.config import Config
from reconstruct.errors import (
    SourceAuthError,
    SourceError,
    SourceUnavailable,
)

if TYPE_CHECKING:
    import httpx


from reconstruct.collectors.grafana.parse import (
    ANNOTATIONS,
    MISSING_TOKEN,
    NAME,
    SOURCE_META,
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
    """Tries per request for 429, 5xx, network errors, timeouts and unreadable JSON bodies."""
    backoff: float = 1.0
    """First wait after a 5xx or network error without Retry-After; doubled per retry."""
    max_wait: float = 60.0
    """Longest single wait; a longer Retry-After fails the source at once."""
    timeout: float = 30.0
    """Per request; never past the ``--timeout`` deadline (``CollectContext.timeout``)."""
    workers: int = 4
    """Series fetched at once (one per dashboard, one for tags)."""


TUNING = Tuning()

DEADLINE_GRACE = 0.5
"""A request still hanging at the ``--timeout`` deadline is the orchestrator's to cut (it records
the timeout); ours ends this much later, so the thread never lingers."""


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


def series_label(uid: str | None, params: list[tuple[str, str]]) -> str:
    """How progress, warnings and errors name a series."""
    tags = [value for name, value in params if name == "tags"]
    if uid:
        return f"dashboard {uid}"
    return f"tagged {', '.join(tags)}" if tags else "all"


@dataclass
class _Series:
    """One series' outcome: its pages in order, and why it stopped early (if it did)."""

    uid: str | None
    label: str
    pages: list[Any] = field(default_factory=list)
    total: int = 0
    truncated: bool = False
    warnings: list[str] = field(default_factory=list)
    error: SourceError | None = None


def collect(
    ctx: CollectContext,
    out: BundleWriter,
    *,
    tuning: Tuning | None = None,
) -> dict[str, Any]:
    """Fetch the window's annotations into ``grafana/annotations.json``; returns manifest meta.

    Series run at once (``Tuning.workers``); their pages are written in series order, then page
    order, so the bundle's bytes do not depend on timing. Pages fetched before a failure are
    still written, so a failed source keeps its evidence. A 403 on one configured dashboard
    skips it with a warning when another series succeeded; any other failure fails the source,
    naming the series and page that failed.
    """
    import httpx

    tuning = tuning or TUNING
    if not ctx.source:
        ctx = replace(ctx, source=NAME)
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
    plans = query_series(ctx.config)
    results = [_Series(uid, series_label(uid, params)) for uid, params in plans]
    try:
        with httpx.Client(
            base_url=root + "/",
            headers=headers,
            verify=ctx.ssl_context(),
            timeout=tuning.timeout,
        ) as client:
            fetch = _Fetcher(client, ctx, tuning, root)
            jobs = [
                (result, params, start, end)
                for result, (_, params) in zip(results, plans, strict=True)
            ]
            if len(jobs) == 1:
                fetch.run(*jobs[0])
            else:
                with ThreadPoolExecutor(
                    max_workers=max(1, min(tuning.workers, len(jobs))),
                    thread_name_prefix="grafana",
                ) as pool:
                    for future in [pool.submit(fetch.run, *job) for job in jobs]:
                        future.result()
    finally:
        pages = [page for result in results for page in result.pages]
        if pages:
            out.add(ANNOTATIONS, pages)
    try:
        _settle(results, meta)
    except SourceError:
        if pages:
            out.add(SOURCE_META, [meta])
        raise
    if not pages:
        out.add(ANNOTATIONS, pages)
    return meta


def _settle(results: list[_Series], meta: dict[str, Any]) -> None:
    """Raise the failure of the source, or record the series' warnings and skips in ``meta``."""
    warnings: list[str] = []
    skipped: dict[str, str] = {}
    failed = [r for r in results if r.error is not None]
    fine = [r for r in results if r.error is None]
    for result in results:
        warnings.extend(result.warnings)
        if result.truncated:
            meta["truncated"] = True
    forbidden = [r for r in failed if isinstance(r.error, _Forbidden) and r.uid]
    if fine and len(forbidden) == len(failed):
        for result in forbidden:
            assert result.error is not None
            assert result.uid is not None
            skipped[result.uid] = result.error.detail
            warnings.append(
                f"skipped dashboard {result.uid}: the service account of {TOKEN_VAR} may not "
                f"read its annotations (403 Forbidden); give it the Viewer role "
                f"(annotations:read) on dashboard {result.uid}"
            )
        failed = []
    if failed:
        first = failed[0]
        assert first.error is not None
        error = first.error
        what = "the annotations" + ("" if first.label == "all" else f" of {first.label}")
        if first.pages:
            where = (
                f"{what} are cut short at page {len(first.pages) + 1} "
                f"({first.total} annotations kept)"
            )
        else:
            where = f"{what} were not fetched"
        others = [r.label for r in failed[1:]]
        also = f" (also failed: {', '.join(others)})" if others else ""
        kind = SourceAuthError if isinstance(error, SourceAuthError) else type(error)
        raise kind(NAME, f"{where}{also}: {error.detail}") from error
    if skipped:
        meta["dashboard_errors"] = skipped
    if warnings:
        meta["warnings"] = warnings


class _Forbidden(SourceAuthError):
    """403 on a series: for a dashboard, skippable when the other series were read."""


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


def _newest_start(items: list[Any]) -> int | None:
    """The largest ``time`` of a page (Grafana only returns records with ``time <= to``)."""
    found = [_int(item.get("time")) for item in items if isinstance(item, dict)]
    values = [t for t in found if t is not None]
    return max(values) if values else None


def _identity(items: list[Any]) -> tuple[str, ...]:
    """What a page holds, to notice a page served again."""
    return tuple(
        str(item.get("id")) if isinstance(item, dict) and item.get("id") is not None else repr(item)
        for item in items
    )


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


class _Fetcher:
    def __init__(
        self,
        client: httpx.Client,
        ctx: CollectContext,
        tuning: Tuning,
        root: str,
    ) -> None:
        self.client = client
        self.ctx = ctx
        self.tuning = tuning
        self.root = root

    def run(self, result: _Series, params: list[tuple[str, str]], start: int, end: int) -> None:
        """Fetch one series into ``result``; its failure is kept there, never raised."""
        try:
            self.series(result, params, start, end)
        except SourceError as exc:
            result.error = exc

    def series(self, result: _Series, params: list[tuple[str, str]], start: int, end: int) -> None:
        """Page backwards through one series (at most ``max_pages`` requests)."""
        what = result.label
        size = self.tuning.page_size
        to = end
        seen: dict[tuple[str, ...], int] = {}
        for page in range(1, self.tuning.max_pages + 1):
            query = [("from", str(start)), ("to", str(to)), ("limit", str(size)), *params]
            items = self.get(query, result.uid, f"{what}, page {page}")
            identity = _identity(items)
            newest = _newest_start(items)
            stuck = page > 1 and newest is not None and newest > to
            if stuck or (items and seen.get(identity, 0) >= 2):
                # Grafana selects time <= to: a record newer than ``to``, or the same full page a
                # third time, means the server ignores ``to`` and paging can never move on.
                result.warnings.append(
                    f"{what}: Grafana returned page {page} again (paging by time made no "
                    f"progress at {_iso(to)}); kept {result.total} annotations, older ones in "
                    "the window may be missing"
                )
                self.ctx.progress(NAME, f"{what}: page {page} repeats a page already seen")
                return
            seen[identity] = seen.get(identity, 0) + 1
            result.pages.append(items)
            result.total += len(items)
            self.ctx.progress(NAME, f"{what}: {result.total} annotations")
            if len(items) < size:
                return
            oldest = _oldest(items)
            if oldest is None:
                return
            if oldest >= to:
                message = (
                    f"{what}: more than {size} annotations at {_iso(to)}; some of them "
                    "may be missing"
                )
                result.warnings.append(message)
                self.ctx.progress(NAME, message)
                oldest = to - 1
            if oldest < start:
                return
            to = oldest
        result.truncated = True
        message = (
            f"{what}: stopped after {self.tuning.max_pages} pages ({result.total} annotations "
            "kept); older annotations in the window are missing"
        )
        result.warnings.append(message)
        self.ctx.progress(NAME, message)

    def _timeout(self) -> float:
        timeout = self.ctx.timeout(self.tuning.timeout)
        left = self.ctx.remaining()
        if left is not None and timeout >= left:
            timeout = min(self.tuning.timeout, left + DEADLINE_GRACE)
        return timeout

    def get(self, query: list[tuple[str, str]], uid: str | None, where: str) -> list[Any]:
        import httpx

        attempts = self.tuning.attempts
        endpoint = f"{self.root}/api/annotations"
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            timeout = self._timeout()
            try:
                response = self.client.get("api/annotations", params=tuple(query), timeout=timeout)
            except httpx.TimeoutException as exc:
                if last:
                    raise SourceUnavailable(
                        NAME,
                        f"{endpoint} did not answer within {timeout:g}s "
                        f"({attempts} attempts); check that Grafana is up and retry",
                    ) from exc
                self._wait(self._backoff(attempt), f"timed out ({where})", attempt)
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
                self._wait(self._backoff(attempt), f"network error ({where})", attempt)
                continue
            status = response.status_code
            if 200 <= status < 300:
                body = self._body(response, endpoint)
                if body is not None:
                    return body
                if last:
                    raise SourceUnavailable(
                        NAME,
                        f"{endpoint} returned a cut-short or invalid JSON body {attempts} times; "
                        "check the Grafana server (or a proxy in front of it) and retry",
                    )
                self._wait(self._backoff(attempt), f"invalid JSON body ({where})", attempt)
                continue
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
                delay = wait if wait is not None else self._backoff(attempt)
                self._wait(delay, f"{what} ({where})", attempt)
                continue
            raise _status_error(response, endpoint, uid, self.ctx.config)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        return float(min(self.tuning.backoff * 2 ** (attempt - 1), self.tuning.max_wait))

    def _wait(self, seconds: float, why: str, attempt: int) -> None:
        self.ctx.wait(seconds, f"{why}: attempt {attempt} of {self.tuning.attempts} failed")

    @staticmethod
    def _body(response: httpx.Response, endpoint: str) -> list[Any] | None:
        """The page; None for a JSON body that does not decode (cut short: worth a retry)."""
        kind = response.headers.get("Content-Type", "no Content-Type")
        try:
            body = loads_lenient(response.content)  # a byte that is not UTF-8 costs one character
        except ValueError as exc:
            if "json" in kind.lower():
                return None
            raise SourceUnavailable(
                NAME,
                f"{endpoint} did not return JSON ({kind.split(';')[0]}); check that "
                "[grafana] url points at Grafana's root (with its sub-path, if any)",
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
    said = f": {message}" if message and message.lower() != response.reason_phrase.lower() else ""
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
        return _Forbidden(
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
