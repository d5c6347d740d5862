"""Live PagerDuty collection through the official ``pagerduty`` client (``RestApiV2Client``).

The SDK is imported inside functions only, so ``reconstruct --help`` never pays for it.

Retries, all bounded (the SDK alone retries 429 forever):

- 429: up to ``RATE_LIMIT_RETRIES`` waits per request, each honouring ``Retry-After`` or
  ``ratelimit-reset`` when given (else doubling from ``BACKOFF``); a wait longer than
  ``MAX_RATE_LIMIT_WAIT`` fails at once. Every wait is reported through ``progress``.
- 500/502/503/504: ``SERVER_RETRIES`` retries per request (the SDK's ``retry`` table), then
  ``SourceUnavailable``; network errors: the SDK's 3 attempts, then ``SourceUnavailable``.

``TIME_SCALE`` multiplies every sleep (tests set it near zero; messages keep the real seconds).
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from reconstruct.config import Config, Secret
from reconstruct.errors import ConfigError, SourceAuthError, SourceNotFound, SourceUnavailable
from reconstruct.timeutil import now_utc

if TYPE_CHECKING:
    from reconstruct.bundle import BundleWriter
    from reconstruct.collectors.base import CollectContext
    from reconstruct.collectors.pagerduty_sdk import Client

NAME = "pagerduty"
TOKEN_ENV = "PAGERDUTY_TOKEN"  # noqa: S105 (a variable name, not a secret)
PAGE_SIZE = 100
MAX_OFFSET = 10_000
"""PagerDuty refuses ``offset + limit`` above this (HTTP 400)."""
TIMEOUT = 30
RATE_LIMIT_RETRIES = 5
MAX_RATE_LIMIT_WAIT = 120.0
SERVER_RETRIES = 3
BACKOFF = 1.0
TIME_SCALE = 1.0
SERVER_STATUSES = (500, 502, 503, 504)

Progress = Callable[[str, str], None]
_SDK_LOG = logging.getLogger("reconstruct.pagerduty.sdk")
_SDK_LOG.addHandler(logging.NullHandler())  # the SDK's own retry chatter stays out of stderr


def _silent(source: str, message: str) -> None:
    return None


def ssl_context(config: Config) -> ssl.SSLContext:
    """Default trust plus ``[tls] ca_bundle`` (the same trust as ``CollectContext``)."""
    context = ssl.create_default_context()
    if config.tls.ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=str(config.tls.ca_bundle))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"[tls] ca_bundle: cannot load {config.tls.ca_bundle} ({exc}); "
                "point it at a PEM file of CA certificates"
            ) from exc
    return context


def make_client(
    config: Config, token: Secret | None, *, verify: ssl.SSLContext | None = None
) -> Client:
    """A ``pagerduty.RestApiV2Client`` for ``[pagerduty] base_url`` with bounded retries.

    Close it after use (``with make_client(...) as client``)."""
    if token is None:
        raise SourceAuthError(NAME, f"{TOKEN_ENV} is missing; set it to a read-only REST API key")
    from reconstruct.collectors import pagerduty_sdk as sdk

    base_url = config.pagerduty.base_url.rstrip("/")
    try:
        client = sdk.Client(token.reveal(), base_url=base_url, verify=verify or ssl_context(config))
    except sdk.UrlError as exc:
        raise ConfigError(
            f"[pagerduty] base_url: {base_url!r} must start with https:// "
            "(https://api.pagerduty.com, or https://api.eu.pagerduty.com for EU accounts)"
        ) from exc
    client.timeout = TIMEOUT
    client.log = _SDK_LOG
    client.retry = dict.fromkeys(SERVER_STATUSES, SERVER_RETRIES)
    client.sleep_timer = BACKOFF * TIME_SCALE
    return client


class _Api:
    """GETs through one client: rate-limit waits, error translation, request counting."""

    def __init__(self, client: Client, progress: Progress = _silent) -> None:
        self.client = client
        self.progress = progress
        self.waits = 0

    @property
    def requests(self) -> int:
        """HTTP responses received so far, retries included."""
        return self.client.responses

    def get(self, path: str, params: Mapping[str, Any] | None = None, *, what: str = "") -> Any:
        from reconstruct.collectors import pagerduty_sdk as sdk

        tries = 0
        while True:
            tries += 1
            try:
                response = self.client.get(path, params=dict(params or {}))
            except sdk.RateLimited as limited:
                self._wait(limited.response, tries)
                continue
            except sdk.HttpError as exc:  # 401 (the SDK raises it) or a redirect
                raise _status_error(exc.response, what or path) from exc
            except sdk.Error as exc:
                cause = exc.__cause__ or exc
                raise SourceUnavailable(
                    NAME,
                    f"cannot reach {self.client.url} ({type(cause).__name__}: {cause}); "
                    "check the network, proxy and [pagerduty] base_url",
                ) from exc
            if not response.is_success:
                raise _status_error(response, what or path)
            try:
                return response.json()
            except ValueError as exc:
                raise SourceUnavailable(NAME, f"GET {path}: the answer is not JSON") from exc

    def _wait(self, response: Any, tries: int) -> None:
        wait = _retry_after(response.headers, tries)
        if tries > RATE_LIMIT_RETRIES or wait > MAX_RATE_LIMIT_WAIT:
            raise SourceUnavailable(
                NAME,
                f"rate limited by PagerDuty ({tries} times; asked to wait {_secs(wait)}); "
                "retry in a few minutes",
            )
        self.waits += 1
        self.progress(NAME, f"rate limited, waiting {_secs(wait)}")
        time.sleep(wait * TIME_SCALE)

    def pages(self, path: str, key: str, params: Mapping[str, Any]) -> tuple[list[Any], bool]:
        """Every page of a classic offset-paginated list, as returned; True when cut at the
        API's 10,000-record ceiling."""
        pages: list[Any] = []
        offset = 0
        while True:
            limit = min(PAGE_SIZE, MAX_OFFSET - offset)
            if limit <= 0:
                return pages, True
            body = self.get(path, {**params, "limit": limit, "offset": offset, "total": "false"})
            items = body.get(key) if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise SourceUnavailable(NAME, f"GET {path}: unexpected answer (no {key!r} list)")
            pages.append(body)
            if not body.get("more") or not items:
                return pages, False
            offset += len(items)


def _retry_after(headers: Mapping[str, str], tries: int) -> float:
    value = headers.get("retry-after") or headers.get("ratelimit-reset")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, (parsedate_to_datetime(value) - now_utc()).total_seconds())
            except (TypeError, ValueError):
                pass
    return float(BACKOFF * 2**tries)


def _secs(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds >= 1 or seconds == 0 else f"{seconds:.1f}s"


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


def _status_error(response: Any, what: str) -> Exception:
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
        return SourceAuthError(
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


def resolve_incident(config: Config, token: Secret | None, ref: str) -> dict[str, Any]:
    """``{"incident": {...}}`` for an incident ID or number (GET /incidents/{ref})."""
    with make_client(config, token) as client:
        api = _Api(client)
        try:
            body = api.get(incident_path(ref), what=f"incident {ref}")
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


def collect(ctx: CollectContext, out: BundleWriter) -> dict[str, Any]:
    """Log entries (every page), alerts (every page) and notes of ``ctx.incident``."""
    base = incident_path(ctx.incident.id)
    with make_client(ctx.config, ctx.token, verify=ctx.ssl_context()) as client:
        api = _Api(client, ctx.progress)
        entries, cut = api.pages(f"{base}/log_entries", "log_entries", LOG_ENTRY_PARAMS)
        out.add("pagerduty/log_entries.json", entries)
        alerts, cut_alerts = api.pages(f"{base}/alerts", "alerts", {})
        out.add("pagerduty/alerts.json", alerts)
        notes = api.get(f"{base}/notes", what=f"notes of incident {ctx.incident.id}")
        if not isinstance(notes, dict) or not isinstance(notes.get("notes"), list):
            raise SourceUnavailable(NAME, "GET notes: unexpected answer (no 'notes' list)")
        out.add("pagerduty/notes.json", [notes])
    meta: dict[str, Any] = {
        "log_entries": sum(len(p["log_entries"]) for p in entries),
        "alerts": sum(len(p["alerts"]) for p in alerts),
        "notes": len(notes["notes"]),
        "requests": api.requests,
    }
    if api.waits:
        meta["rate_limited_waits"] = api.waits
    if cut or cut_alerts:
        meta["truncated"] = True
    return meta
