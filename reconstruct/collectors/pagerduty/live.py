"""Live PagerDuty collection through the official ``pagerduty`` client (``RestApiV2Client``).

The SDK is imported inside functions only, so ``reconstruct --help`` never pays for it.

Log entries, alerts and notes do not depend on each other: ``collect`` fetches the three series
at once, one client per series (a client is not shared between threads), at the API's largest
page size, and writes each series' pages exactly as returned, in request order, whatever order
they arrive in (the bundle's bytes do not depend on timing). Then the people they name, one
``GET /users/{id}`` each, for their emails (``pagerduty.users``; a failure there is a warning).

Retries are the shared loop's (``collectors._http.with_retries``, ``ctx.policy``); the SDK's own
retry and sleep loops are switched off (``make_client``): a 429 waits ``Retry-After`` or
``ratelimit-reset``; 500/502/503/504, a network error or timeout and a body that is not JSON
(cut short) are retried with backoff, then ``SourceUnavailable`` names the endpoint (and the
page). Every wait goes through ``Pace.wait`` (reported; a wait that would pass ``--timeout``
fails the source instead), and each request's timeout is ``Pace.request_timeout()``.

Degrading rather than failing: a key that may not read alerts or notes (402/403) skips that
series with a warning; pagination that returns records already seen (a repeating cursor) stops
with a warning. A failure of the log entries (or a 401 anywhere) fails the source; the pages
fetched until then are still written, so the draft keeps what was seen.

"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from reconstruct.bundle import loads_lenient
from reconstruct.collectors._http import (
    DEFAULT_POLICY,
    Counts,
    Pace,
    Retry,
    is_tls_failure,
    retry_after,
    seconds_text,
    still_rate_limited,
    with_retries,
)
from reconstruct.collectors._partial import keeping, timed_out
from reconstruct.config import Config, Secret, ssl_context
from reconstruct.errors import (
    ConfigError,
    SourceAuthError,
    SourceError,
    SourceNotFound,
    SourceSkipped,
    SourceUnavailable,
)
from reconstruct.wording import count_of

if TYPE_CHECKING:
    from reconstruct.bundle import BundleWriter
    from reconstruct.collectors.base import CollectContext
    from reconstruct.collectors.pagerduty.sdk import Client

NAME = "pagerduty"
TOKEN_ENV = "PAGERDUTY_TOKEN"  # noqa: S105 (a variable name, not a secret)
PAGE_SIZE = 100
"""The API's largest page."""
MAX_OFFSET = 10_000
"""PagerDuty refuses ``offset + limit`` above this (HTTP 400)."""
SERVER_STATUSES = (500, 502, 503, 504)

_SDK_LOG = logging.getLogger("reconstruct.pagerduty.sdk")
_SDK_LOG.addHandler(logging.NullHandler())  # the SDK's own retry chatter stays out of stderr


def make_client(
    config: Config, token: Secret | None, *, verify: ssl.SSLContext | None = None
) -> Client:
    """A ``pagerduty.RestApiV2Client`` for ``[pagerduty] base_url`` with bounded retries.

    Close it after use (``with make_client(...) as client``)."""
    if token is None:
        raise SourceAuthError(NAME, f"{TOKEN_ENV} is missing; set it to a read-only REST API key")
    import reconstruct.collectors.pagerduty.sdk as sdk

    base_url = config.pagerduty.base_url.rstrip("/")
    try:
        client = sdk.Client(token.reveal(), base_url=base_url, verify=verify or ssl_context(config))
    except sdk.UrlError as exc:
        raise ConfigError(
            f"[pagerduty] base_url: {base_url!r} must start with https:// "
            "(https://api.pagerduty.com, or https://api.eu.pagerduty.com for EU accounts)"
        ) from exc
    client.timeout = DEFAULT_POLICY.timeout  # type: ignore[assignment]  # httpx takes a float
    client.log = _SDK_LOG
    client.retry = {}  # 5xx come back to PagerDutyApi, which retries them (bounded, deadline-aware)
    client.max_network_attempts = 0  # network errors too: the SDK would sleep on its own
    return client


class PagerDutyApi:
    """GETs through one client, retried by the shared loop (``collectors._http``) as
    ``pace.policy`` allows, errors translated, requests counted. One thread at a time."""

    def __init__(self, client: Client, pace: Pace | None = None) -> None:
        self.client = client
        self.pace = pace or Pace(NAME)
        self.counts = Counts()

    @property
    def requests(self) -> int:
        """HTTP responses received so far, retries included."""
        return self.client.responses

    @property
    def waits(self) -> int:
        return self.counts.rate_limit_waits

    @property
    def retries(self) -> int:
        return self.counts.retries

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        what: str = "",
        label: str = "",
        where: str = "",
    ) -> Any:
        """The JSON body of ``GET path``. ``what`` names the endpoint in error texts, ``label``
        (e.g. ``log_entries page at offset 200``) prefixes them; ``where`` (default: ``label``)
        prefixes only the retries' progress lines and the deadline's error."""
        what = what or path
        try:
            return with_retries(
                self.pace,
                lambda timeout: self._attempt(path, params, what, timeout),
                counts=self.counts,
                label=where or label,
            )
        except SourceError as exc:
            if not label or exc.detail.startswith(f"{label}: "):
                raise
            raise type(exc)(NAME, f"{label}: {exc.detail}") from exc

    def _attempt(
        self, path: str, params: Mapping[str, Any] | None, what: str, timeout: float
    ) -> Any:
        import reconstruct.collectors.pagerduty.sdk as sdk

        policy = self.pace.policy
        self.client.timeout = timeout  # type: ignore[assignment]  # httpx takes a float
        try:
            response = self.client.get(path, params=dict(params or {}))
        except sdk.RateLimited as exc:
            headers = exc.response.headers
            raise Retry(
                "rate limited",
                SourceUnavailable(
                    NAME,
                    still_rate_limited(policy, "PagerDuty"),
                ),
                wait=retry_after(headers.get("retry-after") or headers.get("ratelimit-reset")),
                rate_limited=True,
            ) from exc
        except sdk.HttpError as exc:  # 401 (the SDK raises it) or a redirect
            raise _status_error(exc.response, what) from exc
        except sdk.Error as exc:
            cause = exc.__cause__ or exc
            problem = SourceUnavailable(
                NAME, _network_problem(cause, timeout, self.client.url, self.pace.setting)
            )
            if is_tls_failure(cause):
                raise problem from exc
            raise Retry(_short(cause, timeout), problem) from exc
        if response.status_code in SERVER_STATUSES:
            raise Retry(f"PagerDuty answered {response.status_code}", _status_error(response, what))
        if not response.is_success:
            raise _status_error(response, what)
        if not response.content:  # every GET answers JSON: closed right after the headers
            raise Retry(
                "the answer was cut short (no body)",
                SourceUnavailable(
                    NAME,
                    f"GET {what}: PagerDuty's answer was cut short (HTTP "
                    f"{response.status_code} without a body, {policy.retries + 1} tries); "
                    "retry later, or check any proxy in between",
                ),
            )
        try:
            return loads_lenient(response.content)  # a bad byte costs one character
        except ValueError as exc:
            raise Retry(
                "the answer was not JSON",
                SourceUnavailable(
                    NAME,
                    f"GET {what}: the answer is not JSON ({_describe_body(response)}); "
                    "check [pagerduty] base_url and any proxy in between",
                ),
            ) from exc

    def pages(self, path: str, key: str, params: Mapping[str, Any]) -> tuple[list[Any], bool]:
        """Every page of a classic offset-paginated list, as returned; True when cut short (at
        the API's 10,000-record ceiling, or by a repeating cursor)."""
        series = _Series(key, path, params)
        _paginate(self, series, lambda _s: None)
        return series.pages, series.truncated


def _short(cause: BaseException, timeout: float) -> str:
    import reconstruct.collectors.pagerduty.sdk as sdk

    if isinstance(cause, sdk.Timeout):
        return f"no answer within {_secs(timeout)}"
    if isinstance(cause, sdk.CutShort):
        return "the answer was cut short"
    return type(cause).__name__


def _network_problem(
    cause: BaseException, timeout: float, url: str, setting: str = "--timeout"
) -> str:
    import reconstruct.collectors.pagerduty.sdk as sdk

    if isinstance(cause, sdk.Timeout):
        return (
            f"{url} did not answer within {_secs(timeout)} ({type(cause).__name__}); "
            f"retry later or with a larger {setting}"
        )
    if isinstance(cause, sdk.CutShort):
        return (
            f"{url} closed the connection before its answer was complete ({cause}); "
            "retry later, or check any proxy in between"
        )
    return (
        f"cannot reach {url} ({type(cause).__name__}: {cause}); "
        "check the network, proxy and [pagerduty] base_url"
    )


def _describe_body(response: Any) -> str:
    kind = str(response.headers.get("content-type") or "no content type").split(";")[0]
    return f"HTTP {response.status_code}, {kind}, {len(response.content)} bytes"


def _secs(seconds: float) -> str:
    return seconds_text(seconds)


def _error_text(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ""
    parts = [str(error.get("message") or "")]
    details = error.get("errors")
    if isinstance(details, list):
        parts.extend(str(d) for d in details[:3])
    return "; ".join(p for p in parts if p)[:300]


def _status_error(response: Any, what: str) -> SourceError:
    status = int(response.status_code)
    detail = _error_text(response)
    said = f": {detail}" if detail else ""
    if status == 401:
        return SourceAuthError(
            NAME,
            f"{TOKEN_ENV} was rejected (401): the key is invalid or revoked; "
            "create a read-only REST API key and set it",
        )
    if status in (402, 403):
        return SourceSkipped(
            NAME,
            f"{TOKEN_ENV} lacks access to {what} ({status}{said}); use a key that can read "
            "incidents",
        )
    if status == 404:
        return SourceNotFound(NAME, f"{what} not found (404)")
    if status // 100 == 3:
        return SourceUnavailable(
            NAME, f"unexpected redirect ({status}) for {what}; check [pagerduty] base_url"
        )
    if status >= 500:
        return SourceUnavailable(
            NAME, f"PagerDuty is unavailable ({status} for {what}{said}); retry later"
        )
    return SourceUnavailable(NAME, f"PagerDuty refused the request for {what} ({status}{said})")


def incident_path(ref: str) -> str:
    """``/incidents/<id or number>``; a PagerDuty incident URL or ``#1234`` also works."""
    text = ref.strip()
    if "://" in text:
        parts = [p for p in urlsplit(text).path.split("/") if p]
        if "incidents" in parts[:-1]:
            text = parts[parts.index("incidents") + 1]
    return f"/incidents/{quote(text.lstrip('#'), safe='')}"


def resolve_incident(
    config: Config,
    token: Secret | None,
    ref: str,
    *,
    pace: Pace | None = None,
) -> dict[str, Any]:
    """``{"incident": {...}}`` for an incident ID or number (GET /incidents/{ref}); ``pace``
    carries the run's deadline and retry policy."""
    with make_client(config, token) as client:
        api = PagerDutyApi(client, pace)
        try:
            body = api.get(incident_path(ref), what=f"incident {ref}", where=f"incident {ref}")
        except SourceNotFound as exc:
            raise SourceNotFound(
                NAME,
                f"incident {ref} not found; check the ID or number "
                "(and [pagerduty] base_url for EU accounts)",
            ) from exc
    if not isinstance(body, dict) or not isinstance(body.get("incident"), dict):
        raise SourceUnavailable(NAME, f"unexpected answer for incident {ref} (no 'incident')")
    return body


LOG_ENTRY_PARAMS: dict[str, Any] = {
    "time_zone": "UTC",
    "is_overview": "false",
    "include[]": ["channels"],
}


@dataclass
class _Series:
    """One independent list of the incident: what to ask and what came back."""

    key: str
    """``log_entries``, ``alerts`` or ``notes`` (the body's list and the bundle file's name)."""
    path: str
    params: Mapping[str, Any]
    paginated: bool = True
    optional: bool = False
    """A 402/403 skips it with a warning instead of failing the source."""
    pages: list[Any] = field(default_factory=list)
    records: int = 0
    truncated: bool = False
    warnings: list[str] = field(default_factory=list)
    error: SourceError | None = None
    requests: int = 0
    waits: int = 0
    retries: int = 0
    asking: str = ""
    """The request in flight (``log_entries page at offset 200``), named if the deadline
    passes while it runs."""

    @property
    def file(self) -> str:
        return f"pagerduty/{self.key}.json"


class _Fetcher:
    """Fetches the series of one incident concurrently and reports pages per series."""

    def __init__(self, ctx: CollectContext) -> None:
        self.ctx = ctx
        self.verify = ctx.ssl_context()  # one context for every client (loading CAs is slow)
        self._lock = threading.Lock()
        self._pages: dict[str, int] = {}

    def run(self, series: list[_Series]) -> None:
        self._pages = {s.key: 0 for s in series}
        threads = [
            threading.Thread(target=self._one, args=(s,), name=f"pagerduty-{s.key}", daemon=True)
            for s in series
        ]
        for thread in threads:
            thread.start()
        deadline = self.ctx.deadline
        for i, (thread, one) in enumerate(zip(threads, series, strict=True)):
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if thread.is_alive():  # still reading (a trickling answer): keep what came before
                pages = list(one.pages)  # a copy: the abandoned worker's later pages are not kept
                series[i] = replace(
                    one,
                    pages=pages,
                    records=sum(len(p.get(one.key) or []) for p in pages),
                    warnings=list(one.warnings),
                    error=timed_out(self.ctx.pace, one.asking or one.key, "PagerDuty"),
                )

    def _one(self, series: _Series) -> None:
        try:
            with make_client(self.ctx.config, self.ctx.token, verify=self.verify) as c:
                api = PagerDutyApi(c, self.ctx.pace)
                try:
                    if series.paginated:
                        _paginate(api, series, self._fetched)
                    else:
                        self._single(api, series)
                finally:
                    series.requests = api.requests
                    series.waits = api.waits
                    series.retries = api.retries
        except SourceSkipped as exc:
            if not series.optional:
                series.error = exc
                return
            series.pages = []
            inner = exc.__cause__ if isinstance(exc.__cause__, SourceError) else exc
            series.warnings.append(
                f"{series.key} skipped: {inner.detail}; the rest of the incident is kept"
            )
        except SourceError as exc:
            series.error = exc
        except Exception as exc:  # noqa: BLE001 - reported as this series' failure
            series.error = SourceUnavailable(
                NAME, f"{series.key}: internal error: {type(exc).__name__}: {exc}"
            )

    def _fetched(self, series: _Series) -> None:
        with self._lock:  # reported under the lock: the last message has the final counts
            self._pages[series.key] += 1
            said = ", ".join(f"{k} {n}" for k, n in self._pages.items())
            self.ctx.progress(NAME, f"pages fetched: {said}")

    def _single(self, api: PagerDutyApi, series: _Series) -> None:
        series.asking = series.key
        body = api.get(series.path, series.params, what=series.path, label=series.key)
        items = body.get(series.key) if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise SourceUnavailable(
                NAME, f"{series.key}: unexpected answer (no {series.key!r} list)"
            )
        series.pages.append(body)
        series.records = len(items)
        self._fetched(series)


def _paginate(api: PagerDutyApi, series: _Series, on_page: Callable[[_Series], None]) -> None:
    """Every page of a classic offset-paginated list, as returned. Stops at the API's
    10,000-record ceiling (``truncated``) and when a page brings nothing new (a repeating
    cursor: warned, as the list may be incomplete)."""
    seen: set[str] = set()
    offset = 0
    while True:
        limit = min(PAGE_SIZE, MAX_OFFSET - offset)
        if limit <= 0:
            series.truncated = True
            series.warnings.append(
                f"{series.key}: stopped at PagerDuty's {MAX_OFFSET:,}-record limit; "
                "later records are missing"
            )
            return
        label = f"{series.key} page at offset {offset}"
        series.asking = label
        params = {**series.params, "limit": limit, "offset": offset, "total": "false"}
        body = api.get(series.path, params, what=series.path, label=label)
        items = body.get(series.key) if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise SourceUnavailable(NAME, f"{label}: unexpected answer (no {series.key!r} list)")
        ids = {_identity(item) for item in items}
        if items and ids <= seen:
            series.truncated = True
            series.warnings.append(
                f"{series.key}: pagination repeated itself at offset {offset} (the page "
                f"held only records already seen); kept {count_of(len(series.pages), 'page')}, "
                f"{count_of(series.records, 'record')}; the list may be incomplete"
            )
            return
        seen |= ids
        series.pages.append(body)
        series.records += len(items)
        on_page(series)
        if not body.get("more") or not items:
            return
        offset += len(items)


def _identity(record: Any) -> str:
    if isinstance(record, dict) and record.get("id"):
        return f"id:{record['id']}"
    return json.dumps(record, sort_keys=True, default=str)


def collect(ctx: CollectContext, out: BundleWriter) -> dict[str, Any]:
    """Log entries (every page), alerts (every page) and notes of ``ctx.incident``, fetched
    concurrently, written in request order."""
    base = incident_path(ctx.incident.id)
    series = [
        _Series("log_entries", f"{base}/log_entries", LOG_ENTRY_PARAMS),
        _Series("alerts", f"{base}/alerts", {}, optional=True),
        _Series("notes", f"{base}/notes", {}, paginated=False, optional=True),
    ]
    _Fetcher(ctx).run(series)
    for s in series:
        if s.pages:
            out.add(s.file, s.pages)
    warnings = [w for s in series for w in s.warnings]
    failures = [s for s in series if s.error is not None]
    if failures:
        first = failures[0].error
        assert first is not None
        detail = "; ".join(s.error.detail for s in failures if s.error is not None)
        kept = [f"{s.key} ({s.records})" for s in series if s.pages]
        raise keeping(type(first)(NAME, detail), kept)
    from reconstruct.collectors.pagerduty.users import USERS_FILE, fetch_users, user_ids

    named = {uid for s in series for uid in user_ids(s.pages, s.key)}
    users, user_requests, user_warnings, unfinished = fetch_users(ctx, named)
    if users:
        out.add(USERS_FILE, users)
    warnings += user_warnings
    meta: dict[str, Any] = {s.key: s.records for s in series}
    if unfinished:  # the people lookup could not finish: partial, exit 3
        meta["incomplete"] = list(user_warnings)
    if users:
        meta["users"] = len(users)
    meta["requests"] = sum(s.requests for s in series) + user_requests
    if waits := sum(s.waits for s in series):
        meta["rate_limited_waits"] = waits
    if retries := sum(s.retries for s in series):
        meta["retries"] = retries
    if any(s.truncated for s in series):
        meta["truncated"] = True
    if warnings:
        meta["warnings"] = warnings
    return meta
