"""grafana, live: fetch ``GET /api/annotations`` over the incident window into the bundle.

What it asks for, how it pages and retries, and which errors it raises are described in
``reconstruct.collectors.grafana.parse`` (the source's module docstring); this module decides
what to ask and how to page, ``transport`` (httpx, imported on use) sends each request, and the
shared loop (``collectors._http``) retries it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from reconstruct import __version__
from reconstruct.bundle import BundleWriter, loads_lenient
from reconstruct.collectors._http import (
    Retry,
    is_tls_failure,
    retry_after,
    seconds_text,
    still_rate_limited,
    with_retries,
)
from reconstruct.collectors._pages import PageGuard
from reconstruct.collectors._partial import failed_parts, keeping
from reconstruct.collectors.base import CollectContext
from reconstruct.collectors.grafana import transport
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
from reconstruct.collectors.grafana.transport import Reply
from reconstruct.config import Config
from reconstruct.errors import (
    SourceAuthError,
    SourceError,
    SourceSkipped,
    SourceUnavailable,
)
from reconstruct.wording import count_of

WORKERS = 4
"""Series fetched at once (one per dashboard, one for tags)."""


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


def collect(ctx: CollectContext, out: BundleWriter) -> dict[str, Any]:
    """Fetch the window's annotations into ``grafana/annotations.json``; returns manifest meta.

    Series run at once (``WORKERS``); their pages are written in series order, then page
    order, so the bundle's bytes do not depend on timing. Pages fetched before a failure are
    still written, so a failed source keeps its evidence. A 403 on one configured dashboard
    skips it with a warning when another series succeeded; any other failure fails the source,
    naming the series and page that failed.
    """

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

    def hand_over() -> list[str]:  # the deadline cut the source off (``_partial.Handover``)
        kept = [(r.label, list(r.pages), r.total) for r in results]
        pages = [page for _, read, _ in kept for page in read]
        if pages:
            out.add(ANNOTATIONS, pages)
            out.add(SOURCE_META, [meta])
        return [f"{label} ({count_of(total, 'annotation')})" for label, read, total in kept if read]

    ctx.handover.offer(hand_over)
    try:
        with transport.client(root, headers, ctx.ssl_context(), ctx.policy.timeout) as client:
            fetch = _Fetcher(client, ctx, root)
            jobs = [
                (result, params, start, end)
                for result, (_, params) in zip(results, plans, strict=True)
            ]
            if len(jobs) == 1:
                fetch.run(*jobs[0])
            else:
                with ThreadPoolExecutor(
                    max_workers=max(1, min(WORKERS, len(jobs))),
                    thread_name_prefix="grafana",
                ) as pool:
                    for future in [pool.submit(fetch.run, *job) for job in jobs]:
                        future.result()
    finally:
        pages = [page for result in results for page in result.pages]
        mine = ctx.handover.claim()  # False: cut off at the deadline, its pages handed over
        if mine and pages:
            out.add(ANNOTATIONS, pages)
    if not mine:
        return meta
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
    forbidden = [r for r in failed if isinstance(r.error, SourceSkipped) and r.uid]
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
            where = f"{what} are cut short at page {len(first.pages) + 1}"
        else:
            where = f"{what} were not fetched"
        others = [r.label for r in failed[1:]]
        also = f" (also failed: {', '.join(others)})" if others else ""
        kind = SourceAuthError if isinstance(error, SourceAuthError) else type(error)
        kept = [f"{r.label} ({count_of(r.total, 'annotation')})" for r in results if r.pages]
        raise keeping(kind(NAME, f"{where}{also}: {error.detail}"), kept) from error
    failed_parts(meta, skipped)
    if warnings:
        meta["warnings"] = warnings


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
    def __init__(self, client: Any, ctx: CollectContext, root: str) -> None:
        self.client = client
        self.ctx = ctx
        self.root = root
        self.size = ctx.config.grafana.page_size

    def run(self, result: _Series, params: list[tuple[str, str]], start: int, end: int) -> None:
        """Fetch one series into ``result``; its failure is kept there, never raised."""
        try:
            self.series(result, params, start, end)
        except SourceError as exc:
            result.error = exc

    def series(self, result: _Series, params: list[tuple[str, str]], start: int, end: int) -> None:
        """Page backwards through one series (at most ``policy.max_pages`` requests)."""
        what = result.label
        size = self.size
        to = end
        guard = PageGuard(self.ctx.policy.max_pages, repeats=3)
        while True:
            if guard.full():
                result.truncated = True
                message = (
                    f"{what}: stopped after {count_of(guard.max_pages, 'page')} "
                    f"({count_of(result.total, 'annotation')} kept); older annotations in the "
                    "window may be missing"
                )
                result.warnings.append(message)
                self.ctx.progress(NAME, message)
                return
            page = guard.pages + 1
            query = [("from", str(start)), ("to", str(to)), ("limit", str(size)), *params]
            items = self.get(query, result.uid, f"{what}, page {page}")
            newest = _newest_start(items)
            stuck = page > 1 and newest is not None and newest > to
            if stuck or (items and guard.repeated(_identity(items))):
                # Grafana selects time <= to: a record newer than ``to``, or the same full page a
                # third time, means the server ignores ``to`` and paging can never move on.
                result.warnings.append(
                    f"{what}: Grafana returned page {page} again (paging by time made no "
                    f"progress at {_iso(to)}); kept {count_of(result.total, 'annotation')}, older "
                    "ones in the window may be missing"
                )
                self.ctx.progress(NAME, f"{what}: page {page} repeats a page already seen")
                return
            result.pages.append(items)
            result.total += len(items)
            self.ctx.progress(NAME, f"{what}: {count_of(result.total, 'annotation')}")
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

    def get(self, query: list[tuple[str, str]], uid: str | None, where: str) -> list[Any]:
        """One page, retried as ``ctx.policy`` allows (``collectors._http``)."""
        endpoint = f"{self.root}/api/annotations"
        with self.ctx.handover.asking(f"annotations ({where})"):
            return with_retries(
                self.ctx.pace,
                lambda timeout: self._attempt(query, uid, endpoint, timeout),
                label=where,
            )

    def _attempt(
        self, query: list[tuple[str, str]], uid: str | None, endpoint: str, timeout: float
    ) -> list[Any]:
        attempts = self.ctx.policy.retries + 1
        try:
            reply = transport.send(self.client, query, timeout)
        except transport.NoAnswer as exc:
            raise Retry(
                f"no answer within {seconds_text(timeout)}",
                SourceUnavailable(
                    NAME,
                    f"{endpoint} did not answer within {seconds_text(timeout)} "
                    f"({attempts} attempts); check that Grafana is up and retry",
                ),
            ) from exc
        except transport.Unreachable as exc:
            if is_tls_failure(exc):
                raise SourceError(
                    NAME,
                    f"cannot verify the TLS certificate of {self.root} ({exc}); if a private "
                    "CA signs it, set [tls] ca_bundle to that CA's PEM file",
                ) from exc
            if isinstance(exc, transport.CutShort):
                raise Retry(
                    "the answer was cut short",
                    SourceUnavailable(
                        NAME,
                        f"{self.root} closed the connection before its answer was complete "
                        f"({exc}; {attempts} attempts); check that Grafana (or a proxy in front "
                        "of it) is up, then retry",
                    ),
                ) from exc
            raise Retry(
                "network error",
                SourceUnavailable(
                    NAME,
                    f"cannot reach {self.root} ({exc}); check [grafana] url and that "
                    "Grafana is up, then retry",
                ),
            ) from exc
        status, headers = reply.status, reply.headers
        if 200 <= status < 300:
            return _body(reply, endpoint, attempts)
        if status == 429:
            raise Retry(
                "rate limited (429)",
                SourceUnavailable(
                    NAME,
                    still_rate_limited(self.ctx.policy, "Grafana"),
                ),
                wait=retry_after(headers.get("Retry-After")),
                rate_limited=True,
            )
        if status >= 500:
            raise Retry(
                f"HTTP {status}",
                SourceUnavailable(
                    NAME,
                    f"Grafana answered HTTP {status} {attempts} times for {endpoint}"
                    f"{_message_suffix(reply)}; check the Grafana server and retry",
                ),
                wait=retry_after(headers.get("Retry-After")),
            )
        raise _status_error(reply, endpoint, uid, self.ctx.config)


def _body(reply: Reply, endpoint: str, attempts: int) -> list[Any]:
    """The page; a JSON body that does not decode (cut short) is worth a retry."""
    kind = reply.headers.get("Content-Type", "no Content-Type")
    try:
        body = loads_lenient(reply.body)  # a byte that is not UTF-8 costs one character
    except ValueError as exc:
        if "json" in kind.lower():
            raise Retry(
                "invalid JSON body",
                SourceUnavailable(
                    NAME,
                    f"{endpoint} returned a cut-short or invalid JSON body {attempts} times; "
                    "check the Grafana server (or a proxy in front of it) and retry",
                ),
            ) from exc
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


def _message(response: Reply) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str):
        return ""
    message = " ".join(message.split())
    return message[:200]


def _message_suffix(response: Reply) -> str:
    message = _message(response)
    return f" ({message})" if message else ""


def _status_error(response: Reply, endpoint: str, uid: str | None, config: Config) -> SourceError:
    status = response.status
    message = _message(response)
    said = f": {message}" if message and message.lower() != response.reason.lower() else ""
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
        return SourceSkipped(
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
