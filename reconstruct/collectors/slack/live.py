"""Slack Web API collection through ``slack_sdk.WebClient`` (imported on use).

Calls, in order (every page of each):

    auth.test                          once: the workspace URL for permalinks, the app's name
    conversations.list                 only to turn channel names into IDs; stops as soon as
                                       every wanted name is found (types public, private,
                                       mpim: group DMs are named ``mpdm-...``)
    conversations.info                 per channel
    conversations.history              per channel, oldest/latest = the window, inclusive,
                                       ``limit`` = ``[slack] page_size`` (default and Slack's
                                       maximum 999; ``FALLBACK_LIMITS`` when refused)
    conversations.history              per channel again, over ``[slack] thread_lookback`` before
                                       the window: threads begun earlier with replies inside it
                                       (``slack.threads``; their parents' ts only)
    conversations.replies              per thread with replies (latest = the window end)
    users.list / users.info            the authors and mentioned people, fewest calls (below)

chat.getPermalink is never called: links are built locally (``slack.permalink``).

Concurrency (issue #6): channels are independent, and so are the conversations.replies calls (one
per thread with replies), so they overlap on a small pool (``WORKERS``, one WebClient per worker
thread). The bound keeps a run within Slack's Tier 3 budget for conversations.history/replies
(about 50 requests per minute per method) for all but large incidents, and a 429 from any worker
holds every worker back on that method until its ``Retry-After`` has passed. Files are written
after the fetches, in a fixed order (channel order, threads by ts), so a bundle's bytes never
depend on which request finished first.

Users: ``users.list`` pages (1000 users each) are read while there are at least two unknown users
and fewer pages read than users still unknown; ``users.info`` resolves the rest one by one. So a
small workspace costs one call and a huge one never more than about twice the number of people.

Retries are the shared loop's (``collectors._http.with_retries``, ``ctx.policy``; the SDK's own
retry handlers are off): every wait goes through ``Pace.wait`` (a progress line, and the source
fails at once instead of sleeping past ``--timeout``), each request's timeout is
``Pace.request_timeout()``. HTTP 429 honours ``Retry-After``; 5xx, a body that is not JSON (cut
short, or an HTML page), a slow answer and a connection error are retried with backoff. Cursor
pagination (``collectors._pages.PageGuard``) stops, with a warning and what was read kept, when a
cursor comes back (a loop) or after ``policy.max_pages`` pages.

Failures cost only what failed: history pages are appended as they arrive, so a later page that
Slack does not serve (5xx, cut short, rate limited beyond the policy), a failed listing of threads
begun before the window (optional) or the deadline keeps the pages and threads read and the other
channels; the failed part is in ``meta["failed_parts"]`` (channel ID -> its line) and one warning,
the run partial. An extra ``[slack] channels`` channel that fails whole (not a member, not found,
rate limited) is recorded the same way. The incident channel's permission errors fail the source,
and so does an incident channel of which nothing could be read (the other channels are kept,
named in the line). A people lookup (users.list, users.info) that cannot finish is partial too.
Token problems (invalid, revoked, expired, missing scope) always fail the source, except
``users:read``: without it people are shown by ID (a warning). Every
failure names the request that failed (``conversations.history #inc-1234 (C0...) page 3``).
Scopes: channels:read, channels:history, groups:read, groups:history, users:read; mpim:read and
mpim:history for group DMs, im:history for a DM given by ID.
"""

from __future__ import annotations

import http.client
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconstruct.bundle import BundleWriter
from reconstruct.collectors._http import Counts, Retry, is_tls_failure, retry_after, with_retries
from reconstruct.collectors._pages import PageGuard
from reconstruct.collectors._partial import (
    InFlight,
    failed_parts,
    first_done,
    keeping,
    kept_note,
    timed_out,
)
from reconstruct.collectors.base import CollectContext
from reconstruct.collectors.slack.channels import (
    INCIDENT_CHANNEL_HINT,
    LIST_TYPES,
    Wanted,
    drop_unreadable_types,
    missing_channel,
    names_to_find,
    slack_ts,
    wanted_channels,
)
from reconstruct.collectors.slack.shapes import people_in
from reconstruct.collectors.slack.threads import earlier_threads
from reconstruct.collectors.slack.transport import close_response, web_client
from reconstruct.errors import (
    SourceAuthError,
    SourceError,
    SourceNotFound,
    SourceTimedOut,
    SourceUnavailable,
)
from reconstruct.wording import count_of

if TYPE_CHECKING:
    import ssl

    from slack_sdk import WebClient

NAME = "slack"
LIST_LIMIT = 1000
WORKERS = 4
FALLBACK_LIMITS = (200, 15)
"""Page sizes to fall back to, in order, when Slack refuses ``[slack] page_size``
(``invalid_limit``): 200 is Slack's recommended page, 15 the limit of apps distributed outside
the Marketplace since 2025 (docs.slack.dev, conversations.history)."""
"""Requests in flight at once (channels and threads); see the module docstring for the bound."""
PROBE_WAIT = 3.0
"""Seconds a method's concurrent first calls wait for its page-size probe to answer; a probe
that hangs or trickles (one thread Slack never serves) holds the others back no longer."""
AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "no_permission",
        "not_allowed_token_type",
    }
)
SERVER_CODES = frozenset(
    {"fatal_error", "internal_error", "service_unavailable", "request_timeout"}
)
NOT_JSON = "Received a response in a non-JSON format"
MISSING_HINT = (
    "SLACK_TOKEN is missing; set it to a Slack app token (xoxb-...) with channels:history, "
    "channels:read, groups:history, groups:read and users:read, or pass --slack-export FILE.zip"
)
MISSING = "no Slack messages are in this draft"

Warn = Callable[[str], None]


class _LimitRefused(SourceError):
    """Slack refused the page size (``invalid_limit``): ``pages`` asks again for fewer."""


class _Stopped(Exception):
    """The run is already failing: a worker stops before its next request."""


class SlackApi:
    """WebClients (one per thread) with bounded, deadline-aware retries, request counts and
    errors translated for the user."""

    def __init__(self, ctx: CollectContext, warn: Warn) -> None:
        assert ctx.token is not None
        self.ctx = ctx
        self.warn = warn
        self.base_url = ctx.config.slack.base_url
        self.app_name = "reconstruct"
        self.calls: Counter[str] = Counter()
        self.rate_waits = 0
        self.stopped = threading.Event()
        self._token = ctx.token
        self._ssl: ssl.SSLContext = ctx.ssl_context()
        self._local = threading.local()
        self._lock = threading.Lock()
        self._limits: dict[str, int] = {}
        """method -> the page size to ask for, after Slack refused a larger one."""
        self._probes: dict[str, threading.Event] = {}
        """method -> set once its first paged call has answered (the page size is known then):
        concurrent first calls wait for it, so a refused size is asked for once per run."""
        self._not_before: dict[str, tuple[float, str]] = {}
        """method -> monotonic time before which no worker asks it (after a 429), and the
        request Slack refused (named when a held-back request gives up)."""
        self.asking: InFlight = ctx.handover.asking
        """The request each worker has in flight (named when the deadline passes)."""

    def _client(self) -> WebClient:
        client: WebClient | None = getattr(self._local, "client", None)
        if client is None:
            client = web_client(self._token, self.base_url, self._ssl, self.ctx.policy.timeout)
            self._local.client = client
        return client

    def call(self, method: str, where: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """One request, retried by the shared loop (``collectors._http``) on 429, 5xx, bodies
        that are not JSON, slow answers and connection errors; ``where`` names it in waits and
        errors."""
        counts = Counts()
        try:
            with self.asking(where):
                return with_retries(
                    self.ctx.pace,
                    lambda timeout: self._attempt(method, where, params, timeout),
                    counts=counts,
                )
        finally:
            with self._lock:
                self.rate_waits += counts.rate_limit_waits

    def _attempt(
        self, method: str, where: str, params: Mapping[str, Any], timeout: float
    ) -> dict[str, Any]:
        from slack_sdk.errors import SlackApiError

        if self.stopped.is_set():
            raise _Stopped
        self._hold_back(method, where)
        policy = self.ctx.policy
        client = self._client()
        client.timeout = timeout  # type: ignore[assignment]  # urllib takes float seconds
        with self._lock:
            self.calls[method] += 1
        try:
            response = client.api_call(method, params=dict(params))
            data = response.data
            return dict(data) if isinstance(data, dict) else {}
        except SlackApiError as exc:
            status = int(getattr(exc.response, "status_code", 0) or 0)
            body = exc.response.data if isinstance(exc.response.data, dict) else {}
            code = str(body.get("error") or "")
            if status == 429 or code == "ratelimited":
                after = retry_after(_header(exc.response.headers, "retry-after"))
                wait = float(math.ceil(after)) if after is not None else None
                with self._lock:
                    until = time.monotonic() + (wait or 0.0)
                    if until >= self._not_before.get(method, (0.0, ""))[0]:
                        self._not_before[method] = (until, where)
                said = "HTTP 429" if status == 429 else f"{code or 'ratelimited'}, HTTP {status}"
                raise Retry(
                    f"{where}: rate limited ({said})",
                    SourceUnavailable(
                        NAME,
                        f"{where}: still rate limited after {policy.rate_limit_retries} "
                        f"waits; {MISSING}; wait a few minutes and rerun",
                    ),
                    wait=wait,
                    rate_limited=True,
                ) from exc
            transient = _transient(status, code)
            if transient is None:
                raise self.error(method, where, status, code, body) from exc
            tries = policy.retries + 1
            raise Retry(
                f"{where}: {transient}",
                SourceUnavailable(
                    NAME, f"{where}: {transient} ({tries} tries); {MISSING}; {_fix(status, code)}"
                ),
            ) from exc
        except TimeoutError as exc:
            raise Retry(
                f"{where}: no answer within {timeout:.0f}s",
                SourceUnavailable(
                    NAME,
                    f"{where}: Slack did not answer within {timeout:.0f}s "
                    f"({policy.retries + 1} tries); {MISSING}; rerun later or with a larger "
                    f"{self.ctx.pace.setting}",
                ),
            ) from exc
        except (OSError, http.client.HTTPException) as exc:  # URLError, resets, TLS
            close_response(exc)
            final = _network_error(where, self.base_url, exc)
            if is_tls_failure(exc):
                raise final from exc
            raise Retry(f"{where}: connection failed ({_reason(exc)})", final) from exc

    def _hold_back(self, method: str, where: str) -> None:
        with self._lock:
            until, refused = self._not_before.get(method, (0.0, ""))
        left = until - time.monotonic()
        if left > 0:  # the line names the request Slack refused, not the one held back
            held = "" if refused == where else f"; {where} held back"
            self.ctx.wait(left, f"{refused}: {method} was rate limited{held}")

    def pages(self, method: str, what: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every page of ``method`` (cursor pagination); the caller may stop early. A cursor
        seen before (a loop) or more than ``max_pages`` pages stop it with a warning. The
        method's first call probes the page size: concurrent calls wait for its first answer,
        so a size Slack refuses is asked for once per run (``_probe``)."""
        guard = PageGuard(self.ctx.policy.max_pages)
        guard.repeated("")
        probe = self._probe(method) if "limit" in params else None
        try:
            yield from self._paged(method, what, params, guard, probe)
        finally:
            if probe is not None:
                probe.set()

    def _probe(self, method: str) -> threading.Event | None:
        """The event to set once this call's first page answered, when it is the method's first
        paged call; else wait (``PROBE_WAIT`` at most) for that first call to learn the size."""
        with self._lock:
            probe = self._probes.get(method)
            if probe is None:
                probe = self._probes[method] = threading.Event()
                return probe
        left = self.ctx.remaining()
        probe.wait(PROBE_WAIT if left is None else min(PROBE_WAIT, left))
        return None

    def _paged(
        self,
        method: str,
        what: str,
        params: dict[str, Any],
        guard: PageGuard,
        probe: threading.Event | None,
    ) -> Iterator[dict[str, Any]]:
        cursor = ""
        page_no = 0
        while True:
            page_no += 1
            if page_no > guard.max_pages:
                self.warn(
                    f"{method} {what}: stopped after {guard.max_pages} pages; "
                    "later records are missing (narrow the window with [window] settings)"
                )
                return
            with self._lock:  # another call of this method may have been refused meanwhile
                cap = self._limits.get(method)
            if cap is not None and int(params.get("limit") or 0) > cap:
                params = dict(params, limit=cap)
            args = dict(params, cursor=cursor) if cursor else params
            try:
                page = self.call(method, f"{method} {what} page {page_no}", args)
            except _LimitRefused:
                asked = int(params.get("limit") or 0)
                with self._lock:  # one fallback per method, shared by every concurrent call
                    cap = self._limits.get(method)
                    smaller = [n for n in FALLBACK_LIMITS if n < asked]
                    if (cap is None or cap >= asked) and smaller:
                        self._limits[method] = cap = smaller[0]
                        self.ctx.progress(
                            NAME, f"{method} refused limit={asked}; asking for {smaller[0]}"
                        )
                if cap is None or cap >= asked:
                    raise
                params = dict(params, limit=cap)
                page_no -= 1
                continue
            if probe is not None:
                probe.set()  # the page size is known: the method's other calls may go
            yield page
            meta = page.get("response_metadata")
            nxt = str(meta.get("next_cursor") or "") if isinstance(meta, dict) else ""
            if not nxt:
                return
            if guard.repeated(nxt):
                self.warn(
                    f"{method} {what}: Slack's pagination returned to an earlier page after page "
                    f"{page_no}; kept the {page_no} pages read, later records may be missing "
                    "(rerun later)"
                )
                return
            cursor = nxt

    def one(self, method: str, what: str, **params: Any) -> dict[str, Any]:
        return self.call(method, f"{method} {what}".strip(), params)

    def error(
        self, method: str, where: str, status: int, code: str, data: Mapping[str, Any]
    ) -> SourceError:
        """A final (not retried) error answer as the user's one line."""
        what = where.removeprefix(f"{method} ")
        what = re.sub(r" page \d+$", "", what)
        if code in AUTH_ERRORS:
            return SourceAuthError(
                NAME,
                f"SLACK_TOKEN was rejected ({code}) on {where}; {MISSING}; create a new token "
                "for the Slack app and set SLACK_TOKEN",
            )
        if code == "missing_scope":
            needed = str(data.get("needed") or "an unnamed scope")
            provided = data.get("provided")
            has = f" (it has {provided})" if provided else ""
            return SourceAuthError(
                NAME,
                f"SLACK_TOKEN lacks the {needed} scope needed for {method}{has}; add it under "
                "OAuth & Permissions, reinstall the app and update SLACK_TOKEN",
            )
        if code == "not_in_channel":
            return SourceError(
                NAME,
                f"the app is not a member of {what}; invite it with "
                f"/invite @{self.app_name} in {what}, then rerun",
            )
        if code == "channel_not_found":
            return SourceNotFound(
                NAME,
                f"channel {what} not found; check the ID or name (a private channel must "
                f"invite the app: /invite @{self.app_name})",
            )
        if code == "invalid_limit":
            return _LimitRefused(NAME, f"{where}: Slack refused the page size ({code})")
        if code in ("thread_not_found", "user_not_found", "users_not_found"):
            return SourceNotFound(NAME, f"{where}: {code}")
        return SourceError(NAME, f"{where} failed: {code or f'HTTP {status}'}")


def _transient(status: int, code: str) -> str | None:
    """What went wrong when it is worth retrying, else None."""
    if _no_body(code):
        return f"Slack's answer was cut short (HTTP {status} without a body)"
    if status >= 500 or code in SERVER_CODES:
        return f"Slack answered HTTP {status}" + (
            f" ({code})" if code and not code.startswith(NOT_JSON) else ""
        )
    if code.startswith(NOT_JSON):
        return f"Slack answered HTTP {status} with a body that is not JSON"
    return None


def _no_body(code: str) -> bool:
    """The SDK's "not JSON" for an empty body: the connection closed after the headers."""
    return code.startswith(NOT_JSON) and not code.removeprefix(NOT_JSON).strip(": ")


def _fix(status: int, code: str) -> str:
    if status < 500 and code.startswith(NOT_JSON) and not _no_body(code):
        return (
            "check that [slack] base_url ends in /api/ and that no proxy answers for Slack, "
            "then rerun"
        )
    return "retry later (https://slack-status.com)"


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    """A response header by case-insensitive name (the SDK may hand a list of values)."""
    for key, raw in headers.items():
        if key.lower() == name:
            value = raw[0] if isinstance(raw, list) and raw else raw
            return str(value)
    return None


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "reason", exc)) or type(exc).__name__


def _network_error(where: str, base_url: str, exc: BaseException) -> SourceError:
    text = _reason(exc)
    if isinstance(exc, http.client.HTTPException):  # IncompleteRead, RemoteDisconnected, ...
        return SourceUnavailable(
            NAME,
            f"{where}: {base_url} closed the connection before its answer was complete "
            f"({text or type(exc).__name__}); {MISSING}; retry later, or check any proxy in "
            "between",
        )
    if is_tls_failure(exc):
        return SourceUnavailable(
            NAME,
            f"{where}: cannot verify the TLS certificate of {base_url} ({text}); {MISSING}; if a "
            "proxy re-signs traffic, set [tls] ca_bundle to its CA file",
        )
    return SourceUnavailable(
        NAME,
        f"{where}: cannot reach {base_url} ({text}); {MISSING}; check the network and "
        "[slack] base_url",
    )


@dataclass
class _Channel:
    """One channel's fetched records, written later in a fixed order."""

    cid: str
    incident: bool
    name: str = ""
    info: dict[str, Any] | None = None
    history: list[dict[str, Any]] | None = None
    threads: tuple[str, ...] = ()
    replies: dict[str, list[dict[str, Any]]] | None = None
    error: str | None = None
    read_all: bool = False
    """Every history page was read (``history`` is appended page by page as they arrive)."""
    lost: list[str] | None = None
    """Lines of the parts of it that failed while the rest was read (a later history page,
    the listing of threads begun before the window): warnings, the run partial."""


def collect_live(ctx: CollectContext, out: BundleWriter) -> dict[str, Any]:
    if ctx.token is None:
        raise SourceAuthError(NAME, MISSING_HINT)
    warnings: list[str] = []
    lock = threading.Lock()

    def warn(message: str) -> None:
        with lock:
            warnings.append(message)
        ctx.progress(NAME, f"warning: {message}")

    api = SlackApi(ctx, warn)
    auth = api.one("auth.test", "")
    out.add("slack/auth.test.json", [auth])
    workspace = auth.get("url") or ctx.config.slack.workspace_url
    if isinstance(auth.get("user"), str) and auth["user"]:
        api.app_name = auth["user"]

    incident, extras, fallback = wanted_channels(ctx)
    names = names_to_find([incident, *extras])
    found = _find_channels(api, names, warn) if names else {}

    incident_id: str | None = None
    not_found = ""
    incomplete: list[str] = []
    if incident is not None:
        incident_id = _resolve(incident, found)
        if incident_id is None:
            if incident.origin == "--slack-channel":
                raise SourceNotFound(
                    NAME,
                    f"channel {incident.show()} (--slack-channel) not found in the workspace; "
                    f"pass its ID, or invite the app if it is private (/invite @{api.app_name})",
                )
            not_found = f"no channel {incident.show()} ({incident.origin}) in the workspace"
    if incident_id is None and fallback is not None:
        incident_id = fallback.value
    if not_found and incident_id is not None:
        warn(not_found)
    elif not_found:  # the incident channel's messages are missing: a partial run
        missing_channel(f"{not_found}; {INCIDENT_CHANNEL_HINT}", incomplete, warn)
    elif incident_id is None:
        warn(
            "no incident channel found; pass --slack-channel or set [slack] incident_channel "
            "(reading [slack] channels only)"
        )

    order: list[_Channel] = []
    if incident_id is not None:
        order.append(_Channel(incident_id, True))
    for extra in extras:
        cid = _resolve(extra, found)
        if cid is None:
            missing_channel(
                f"no channel {extra.show()} ([slack] channels) in the workspace", incomplete, warn
            )
        elif all(cid != seen.cid for seen in order):
            order.append(_Channel(cid, False))

    pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="slack")
    try:
        _fetch_channels(api, ctx, pool, order, warn, incomplete)
    except SourceTimedOut as exc:  # the deadline: what was read is kept, the source fails
        api.stopped.set()
        _write(out, order, {}, {})
        raise keeping(exc, _kept(order)) from exc
    except BaseException:
        api.stopped.set()  # workers stop before their next request
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)

    channels: dict[str, str] = {}
    errors: dict[str, str] = {}
    users = _write(out, order, channels, errors)
    lost = next((c for c in order if c.incident and c.error is not None and c.lost), None)
    if lost is not None:  # nothing of the incident channel could be read: the source fails
        assert lost.lost is not None
        raise SourceUnavailable(NAME, f"{lost.lost[0]}{kept_note(_kept(order))}")
    _resolve_users(api, ctx, out, users, warn, incomplete)
    meta: dict[str, Any] = {
        "workspace_url": workspace,
        "incident_channel": incident_id,
        "channels": channels,
    }
    failed_parts(meta, errors)
    meta["warnings"] = warnings
    if incomplete:
        meta["incomplete"] = incomplete
    meta["requests"] = dict(sorted(api.calls.items()))
    meta["rate_limit_waits"] = api.rate_waits
    return meta


def _done(chan: _Channel) -> bool:
    """Its info and history were read (``_fetch_channels`` sets ``replies`` then)."""
    return chan.error is None and chan.replies is not None


def _begun(chan: _Channel) -> bool:
    """Its info and at least one history page were read (the deadline may cut the rest)."""
    return chan.error is None and chan.info is not None and bool(chan.history)


def _kept(order: list[_Channel]) -> list[str]:
    """What ``_write`` wrote of each channel, for the line of a source that failed:
    ``#inc-1 (C1) (3 threads)``, ``#inc-1 (C1) (999 messages; its later pages and threads not
    read)``."""
    kept: list[str] = []
    for chan in order:
        if _done(chan):
            kept.append(f"{_label(chan)} ({count_of(len(chan.replies or {}), 'thread')})")
        elif _begun(chan):
            count = sum(len(p.get("messages") or []) for p in list(chan.history or []))
            rest = "its threads" if chan.read_all else "its later pages and threads"
            kept.append(f"{_label(chan)} ({count_of(count, 'message')}; {rest} not read)")
    return kept


def _write(
    out: BundleWriter, order: list[_Channel], channels: dict[str, str], errors: dict[str, str]
) -> set[str]:
    """Write every channel read, in a fixed order (the bundle's bytes never depend on completion
    order); fill ``channels`` (id -> name) and ``errors``; the users they mention."""
    users: set[str] = set()
    for chan in order:
        if chan.error is not None:
            errors[chan.cid] = chan.error
            continue
        if chan.lost:
            errors[chan.cid] = "; ".join(chan.lost)
        if not _begun(chan):
            continue
        assert chan.info is not None
        history = list(chan.history or [])  # a copy: a worker cut off may still append
        out.add(f"slack/{chan.cid}/conversations.info.json", [chan.info])
        out.add(f"slack/{chan.cid}/conversations.history.json", history)
        users |= _users_in(m for p in history for m in p.get("messages") or [])
        for thread in sorted(chan.replies or {}):
            assert chan.replies is not None
            replies = chan.replies[thread]
            out.add(f"slack/{chan.cid}/replies/{thread}.json", replies)
            users |= _users_in(m for p in replies for m in p.get("messages") or [])
        channels[chan.cid] = chan.name
    return users


def _fetch_channels(
    api: SlackApi,
    ctx: CollectContext,
    pool: ThreadPoolExecutor,
    order: list[_Channel],
    warn: Warn,
    incomplete: list[str],
) -> None:
    """Read every channel, then every thread, on the pool. Token errors, the deadline and the
    incident channel's own errors are raised (the source fails). An extra channel the app may
    not read (not a member, not found) is dropped with a warning; one that Slack did not serve
    (5xx, no answer, cut short) is dropped too and the run is partial (``incomplete``). A
    thread whose replies failed is left out, the run partial; its channel's messages and the
    other threads are kept."""

    def failed(chan: _Channel, exc: SourceError, thread: str | None = None) -> None:
        if isinstance(exc, SourceAuthError | SourceTimedOut):
            raise exc
        if thread is not None:
            lost = f"that thread's replies are not in this draft (the rest of {_label(chan)} is)"
            missing_channel(_scoped(exc, lost), incomplete, warn)
            return
        if chan.incident and not isinstance(exc, SourceUnavailable):
            raise exc
        if chan.error is not None:
            return
        chan.error = exc.detail
        if isinstance(exc, SourceUnavailable):
            lost = f"the messages of {_label(chan)} are not in this draft"
            if chan.incident:  # the source fails once the other channels are read
                chan.lost = [_scoped(exc, lost)]
                return
            missing_channel(_scoped(exc, lost), incomplete, warn)
        else:  # a permission error on one channel: the rest is kept
            warn(f"skipped {chan.cid}: {exc.detail}")

    pending: dict[Future[Any], tuple[str, _Channel, str]] = {
        pool.submit(_read_head, api, ctx, chan): ("head", chan, "") for chan in order
    }
    done: Counter[str] = Counter()

    def read_threads(chan: _Channel, stamps: Iterable[str]) -> None:
        for ts in stamps:
            pending[pool.submit(_read_thread, api, ctx, chan, ts)] = ("thread", chan, ts)

    while pending:
        for future in sorted(
            first_done(ctx.pace, pending, api.asking.said, "Slack"),
            key=lambda f: order.index(pending[f][1]),
        ):
            kind, chan, ts = pending.pop(future)
            try:
                result = future.result()
            except SourceError as exc:
                if kind == "lookback":
                    if isinstance(exc, SourceAuthError | SourceTimedOut):
                        raise exc from None
                    missing_channel(_lookback_lost(exc, chan), incomplete, warn)
                    _add_lost(chan, _lookback_lost(exc, chan))
                else:
                    failed(chan, exc, ts or None)
                continue
            if kind == "head":
                chan.replies = {}
                for line in chan.lost or []:  # a later history page failed
                    missing_channel(line, incomplete, warn)
                read_threads(chan, chan.threads)
                if ctx.config.slack.thread_lookback.total_seconds() > 0:
                    lookback = pool.submit(earlier_threads, api, ctx, chan.cid, _label(chan))
                    pending[lookback] = ("lookback", chan, "")
            elif kind == "lookback":  # threads begun earlier, answered in the window
                more = sorted(set(result) - set(chan.threads))
                chan.threads = (*chan.threads, *more)
                read_threads(chan, more)
            else:
                done[chan.cid] += 1
                ctx.progress(NAME, f"#{chan.name}: thread {done[chan.cid]}/{len(chan.threads)}")
                if result is not None and chan.replies is not None:
                    chan.replies[ts] = result


def _lookback_lost(exc: SourceError, chan: _Channel) -> str:
    label = _label(chan)
    return _scoped(
        exc,
        f"threads of {label} begun before the window are not in this draft "
        "(its messages in the window are)",
    )


def _add_lost(chan: _Channel, line: str) -> None:
    chan.lost = [*(chan.lost or []), line]


def _scoped(exc: SourceError, lost: str) -> str:
    """``exc``'s line with the source-wide "no Slack messages" replaced by what is lost."""
    detail = exc.detail
    return detail.replace(MISSING, lost) if MISSING in detail else f"{detail}; {lost}"


def _label(chan: _Channel) -> str:
    return f"#{chan.name} ({chan.cid})" if chan.name and chan.name != chan.cid else chan.cid


def _read_head(api: SlackApi, ctx: CollectContext, chan: _Channel) -> None:
    """conversations.info and every history page of one channel (on a worker), each page
    appended to ``chan.history`` as it arrives (the deadline keeps the pages read). A page after
    the first that Slack does not serve (5xx, cut short, rate limited beyond the policy) costs
    only itself: the pages read are kept and ``chan.lost`` names what is missing. Threads begun
    before the window are listed apart (``threads.earlier_threads``, an optional read on the
    pool), so its failure or hang never holds back these threads' replies."""
    info = api.one("conversations.info", chan.cid, channel=chan.cid)
    raw = info.get("channel")
    chan.name = str(raw.get("name") or chan.cid) if isinstance(raw, dict) else chan.cid
    label = _label(chan)
    pages: list[dict[str, Any]] = []
    chan.history = pages
    chan.info = info
    count = 0
    lost: list[str] = []
    try:
        for page in api.pages(
            "conversations.history",
            label,
            channel=chan.cid,
            oldest=slack_ts(ctx.window.start),
            latest=slack_ts(ctx.window.end),
            inclusive=True,
            limit=ctx.config.slack.page_size,
        ):
            pages.append(page)
            count += len(page.get("messages") or [])
            waits = f", {api.rate_waits} rate-limit waits" if api.rate_waits else ""
            ctx.progress(NAME, f"#{chan.name}: {len(pages)} pages, {count} messages{waits}")
        chan.read_all = True
    except SourceUnavailable as exc:
        if isinstance(exc, SourceTimedOut) or not pages:
            raise
        lost.append(
            _scoped(
                exc,
                f"the messages of {label} after page {len(pages)} are not in this draft "
                f"(kept {count_of(count, 'message')})",
            )
        )
    messages = [m for p in pages for m in p.get("messages") or [] if isinstance(m, dict)]
    chan.threads = tuple(
        sorted(
            {
                m["ts"]
                for m in messages
                if isinstance(m.get("ts"), str)
                and _int(m.get("reply_count")) > 0
                and m.get("thread_ts", m["ts"]) == m["ts"]
            }
        )
    )
    chan.lost = lost or None


def _read_thread(
    api: SlackApi, ctx: CollectContext, chan: _Channel, ts: str
) -> list[dict[str, Any]] | None:
    """Every page of one thread (on a worker); None when the thread was deleted meanwhile."""
    try:
        return list(
            api.pages(
                "conversations.replies",
                f"thread {ts} in {_label(chan)}",
                channel=chan.cid,
                ts=ts,
                latest=slack_ts(ctx.window.end),
                inclusive=True,
                limit=ctx.config.slack.page_size,
            )
        )
    except SourceNotFound as exc:
        if "thread_not_found" in exc.detail:
            return None
        raise


def _resolve(want: Wanted, found: Mapping[str, str]) -> str | None:
    return want.value if want.is_id else found.get(want.value)


def _find_channels(api: SlackApi, names: set[str], warn: Warn) -> dict[str, str]:
    """name -> ID for the wanted names, reading conversations.list until all are found."""
    found: dict[str, str] = {}
    types = list(LIST_TYPES)
    while True:
        try:
            _scan(api, names, found, ",".join(types))
            return found
        except SourceAuthError as exc:
            if not drop_unreadable_types(types, exc.detail, warn):
                raise


def _scan(api: SlackApi, names: set[str], found: dict[str, str], types: str) -> None:
    for page in api.pages("conversations.list", "(channel names)", types=types, limit=LIST_LIMIT):
        for chan in page.get("channels") or []:
            if not isinstance(chan, dict):
                continue
            name = str(chan.get("name") or "").lower()
            if name in names and name not in found and isinstance(chan.get("id"), str):
                found[name] = chan["id"]
        if names <= found.keys():
            return


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _users_in(messages: Any) -> set[str]:
    """Authors and mentioned people of these messages (``shapes.people_in``)."""
    return people_in(messages)


def _resolve_users(
    api: SlackApi,
    ctx: CollectContext,
    out: BundleWriter,
    wanted: set[str],
    warn: Warn,
    incomplete: list[str],
) -> None:
    """users.list pages, then users.info for the rest (the module docstring's rule), on a
    worker watched until the deadline (a trickling answer passes every read timeout). A lookup
    that cannot finish (Slack does not serve it, the deadline) keeps the pages read and makes
    the run partial with one warning: the people not looked up are shown by their Slack ID."""
    list_pages: list[dict[str, Any]] = []
    info_pages: list[dict[str, Any]] = []
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slack-users")
    try:
        future = pool.submit(_look_up_users, api, set(wanted), list_pages, info_pages)
        try:
            future.result(timeout=ctx.remaining())
        except TimeoutError:
            api.stopped.set()  # the worker stops before its next request
            raise timed_out(ctx.pace, api.asking.said(), "Slack") from None
    except SourceAuthError as exc:
        if "users:read" not in exc.detail:
            raise
        warn("SLACK_TOKEN lacks users:read: people are shown by their Slack ID")
    except SourceUnavailable as exc:
        lost = "people not looked up yet are shown by their Slack ID (names may be missing)"
        missing_channel(_scoped(exc, lost), incomplete, warn)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    if list_pages:
        out.add("slack/users.list.json", list(list_pages))
    if info_pages:
        out.add("slack/users.info.json", list(info_pages))


def _look_up_users(
    api: SlackApi,
    remaining: set[str],
    list_pages: list[dict[str, Any]],
    info_pages: list[dict[str, Any]],
) -> None:
    """Append users.list pages while they may pay, then users.info answers, as they arrive."""
    if len(remaining) >= 2:
        for page in api.pages("users.list", "(people)", limit=LIST_LIMIT):
            list_pages.append(page)
            for member in page.get("members") or []:
                if isinstance(member, dict):
                    remaining.discard(str(member.get("id")))
            if len(remaining) < 2 or len(list_pages) >= len(remaining):
                break
    for user in sorted(remaining):
        try:
            info_pages.append(api.one("users.info", f"user {user}", user=user))
        except SourceNotFound:
            continue
