"""Slack Web API collection through ``slack_sdk.WebClient`` (imported on use).

Calls, in order (every page of each):

    auth.test                          once: the workspace URL for permalinks, the app's name
    conversations.list                 only to turn channel names into IDs; stops as soon as
                                       every wanted name is found (types public + private)
    conversations.info                 per channel
    conversations.history              per channel, oldest/latest = the window, inclusive
    conversations.replies              per thread with replies (latest = the window end)
    users.list / users.info            the authors and mentioned people, fewest calls (below)

chat.getPermalink is never called: links are built locally (``slack.permalink``).

Users: ``users.list`` pages (1000 users each) are read while there are at least two unknown users
and fewer pages read than users still unknown; ``users.info`` resolves the rest one by one. So a
small workspace costs one call and a huge one never more than about twice the number of people.

Retries (bounded, through the SDK's handlers): HTTP 429 honours ``Retry-After``
(``RateLimitErrorRetryHandler``, 5 per request, with a progress line so a long wait never looks
hung), 500/503 (``ServerErrorRetryHandler``, 2) and connection errors (2).

Failures: the incident channel's errors fail the source; an extra ``[slack] channels`` channel that
fails (not a member, not found, rate limited) is recorded in ``meta["channel_errors"]`` and a
warning, and the rest is kept. Token problems (invalid, revoked, missing scope) always fail the
source, except ``users:read``: without it people are shown by ID (a warning).
Scopes: channels:read, channels:history, groups:read, groups:history, users:read.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from reconstruct.bundle import BundleWriter
from reconstruct.collectors.base import CollectContext
from reconstruct.collectors.slack_channels import (
    Wanted,
    names_to_find,
    slack_ts,
    wanted_channels,
)
from reconstruct.errors import (
    SourceAuthError,
    SourceError,
    SourceNotFound,
    SourceUnavailable,
)

if TYPE_CHECKING:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

NAME = "slack"
RATE_RETRIES = 5
SERVER_RETRIES = 2
CONNECTION_RETRIES = 2
LIST_LIMIT = 1000
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
MISSING_HINT = (
    "SLACK_TOKEN is missing; set it to a Slack app token (xoxb-...) with channels:history, "
    "channels:read, groups:history, groups:read and users:read, or pass --slack-export FILE.zip"
)
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


class SlackApi:
    """A WebClient with bounded retries, request counts and errors translated for the user."""

    def __init__(self, ctx: CollectContext) -> None:
        from slack_sdk import WebClient
        from slack_sdk.http_retry.builtin_handlers import (
            ConnectionErrorRetryHandler,
            RateLimitErrorRetryHandler,
            ServerErrorRetryHandler,
        )
        from slack_sdk.http_retry.request import HttpRequest
        from slack_sdk.http_retry.response import HttpResponse
        from slack_sdk.http_retry.state import RetryState

        assert ctx.token is not None
        progress = ctx.progress

        class ReportingRateLimitHandler(RateLimitErrorRetryHandler):
            """Says what it waits for, then lets the SDK honour Retry-After."""

            def prepare_for_next_attempt(
                self,
                *,
                state: RetryState,
                request: HttpRequest,
                response: HttpResponse | None = None,
                error: Exception | None = None,
            ) -> None:
                if response is not None:
                    wait = _retry_after(response.headers)
                    method = request.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
                    progress(NAME, f"rate limited on {method}, waiting {wait}s")
                super().prepare_for_next_attempt(
                    state=state, request=request, response=response, error=error
                )

        self.base_url = ctx.config.slack.base_url
        self.client: WebClient = WebClient(
            token=ctx.token.reveal(),
            base_url=self.base_url,
            ssl=ctx.ssl_context(),
            timeout=30,
            retry_handlers=[
                ConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
                ReportingRateLimitHandler(max_retry_count=RATE_RETRIES),
                ServerErrorRetryHandler(max_retry_count=SERVER_RETRIES),
            ],
        )
        self.app_name = "reconstruct"
        self.calls: Counter[str] = Counter()

    def pages(self, method: str, what: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every page of ``method`` (cursor pagination); the caller may stop early."""
        from slack_sdk.errors import SlackApiError

        try:
            self.calls[method] += 1
            response = self.client.api_call(method, params=params)
            first = True
            for page in response:
                if not first:
                    self.calls[method] += 1
                first = False
                data = page.data
                yield dict(data) if isinstance(data, dict) else {}
        except SlackApiError as exc:
            raise self.error(method, what, exc) from exc
        except OSError as exc:  # URLError, timeouts, TLS
            raise _network_error(self.base_url, exc) from exc

    def one(self, method: str, what: str, **params: Any) -> dict[str, Any]:
        for page in self.pages(method, what, **params):
            return page
        return {}

    def error(self, method: str, what: str, exc: SlackApiError) -> SourceError:
        response = exc.response
        status = int(getattr(response, "status_code", 0) or 0)
        data = response.data if isinstance(response.data, dict) else {}
        code = str(data.get("error") or "")
        if status == 429 or code == "ratelimited":
            return SourceUnavailable(
                NAME,
                f"rate limited on {method} ({what}) after {RATE_RETRIES} retries; "
                "wait a few minutes and rerun",
            )
        if status >= 500 or code in ("fatal_error", "internal_error", "service_unavailable"):
            return SourceUnavailable(
                NAME,
                f"Slack answered HTTP {status} ({code or 'server error'}) on {method}; retry later",
            )
        if code in AUTH_ERRORS:
            return SourceAuthError(
                NAME,
                f"SLACK_TOKEN was rejected ({code}); create a new token for the Slack app "
                "and set SLACK_TOKEN",
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
        if code in ("thread_not_found", "user_not_found", "users_not_found"):
            return SourceNotFound(NAME, f"{method}: {code} ({what})")
        return SourceError(NAME, f"{method} failed for {what}: {code or f'HTTP {status}'}")


def _retry_after(headers: Mapping[str, Any]) -> int:
    """Retry-After as whole seconds; fixes the header in place (the SDK needs an int)."""
    for key in list(headers):
        if key.lower() == "retry-after":
            raw = headers[key]
            value = raw[0] if isinstance(raw, list) and raw else raw
            try:
                seconds = max(0, math.ceil(float(value)))
            except (TypeError, ValueError):
                seconds = 1
            if isinstance(headers, dict):
                headers[key] = [str(seconds)]
            return seconds
    return 1


def _network_error(base_url: str, exc: OSError) -> SourceError:
    reason = getattr(exc, "reason", exc)
    text = str(reason)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return SourceUnavailable(
            NAME,
            f"cannot verify the TLS certificate of {base_url} ({text}); if a proxy re-signs "
            "traffic, set [tls] ca_bundle to its CA file",
        )
    return SourceUnavailable(NAME, f"cannot reach {base_url} ({text}); check the network")


def collect_live(ctx: CollectContext, out: BundleWriter) -> dict[str, Any]:
    if ctx.token is None:
        raise SourceAuthError(NAME, MISSING_HINT)
    api = SlackApi(ctx)
    auth = api.one("auth.test", "the token")
    out.add("slack/auth.test.json", [auth])
    workspace = auth.get("url") or ctx.config.slack.workspace_url
    if isinstance(auth.get("user"), str) and auth["user"]:
        api.app_name = auth["user"]
    warnings: list[str] = []

    def warn(message: str) -> None:
        warnings.append(message)
        ctx.progress(NAME, f"warning: {message}")

    incident, extras, fallback = wanted_channels(ctx)
    names = names_to_find([incident, *extras])
    found = _find_channels(api, names, warn) if names else {}

    incident_id: str | None = None
    if incident is not None:
        incident_id = _resolve(incident, found)
        if incident_id is None:
            if incident.origin == "--slack-channel":
                raise SourceNotFound(
                    NAME,
                    f"channel {incident.show()} (--slack-channel) not found in the workspace; "
                    f"pass its ID, or invite the app if it is private (/invite @{api.app_name})",
                )
            warn(f"no channel {incident.show()} ({incident.origin}) in the workspace")
    if incident_id is None and fallback is not None:
        incident_id = fallback.value
    if incident_id is None:
        warn(
            "no incident channel found; pass --slack-channel or set [slack] incident_channel "
            "(reading [slack] channels only)"
        )

    order: list[tuple[str, bool]] = []
    if incident_id is not None:
        order.append((incident_id, True))
    for extra in extras:
        cid = _resolve(extra, found)
        if cid is None:
            warn(f"no channel {extra.show()} ([slack] channels) in the workspace")
        elif all(cid != seen for seen, _ in order):
            order.append((cid, False))

    channels: dict[str, str] = {}
    errors: dict[str, str] = {}
    users: set[str] = set()
    for cid, is_incident in order:
        try:
            name, seen_users = _read_channel(api, ctx, out, cid)
        except SourceAuthError:
            raise
        except SourceError as exc:
            if is_incident:
                raise
            errors[cid] = exc.detail
            warn(f"skipped {cid}: {exc.detail}")
            continue
        channels[cid] = name
        users |= seen_users

    _resolve_users(api, out, users, warn)
    return {
        "workspace_url": workspace,
        "incident_channel": incident_id,
        "channels": channels,
        "channel_errors": errors,
        "warnings": warnings,
        "requests": dict(sorted(api.calls.items())),
    }


def _resolve(want: Wanted, found: Mapping[str, str]) -> str | None:
    return want.value if want.is_id else found.get(want.value)


def _find_channels(api: SlackApi, names: set[str], warn: Any) -> dict[str, str]:
    """name -> ID for the wanted names, reading conversations.list until all are found."""
    found: dict[str, str] = {}
    types = "public_channel,private_channel"
    try:
        _scan(api, names, found, types)
    except SourceAuthError as exc:
        if "groups:read" not in exc.detail:
            raise
        warn("SLACK_TOKEN lacks groups:read: private channels are not searched by name")
        _scan(api, names, found, "public_channel")
    return found


def _scan(api: SlackApi, names: set[str], found: dict[str, str], types: str) -> None:
    for page in api.pages("conversations.list", "the channel list", types=types, limit=LIST_LIMIT):
        for chan in page.get("channels") or []:
            if not isinstance(chan, dict):
                continue
            name = str(chan.get("name") or "").lower()
            if name in names and name not in found and isinstance(chan.get("id"), str):
                found[name] = chan["id"]
        if names <= found.keys():
            return


def _read_channel(
    api: SlackApi, ctx: CollectContext, out: BundleWriter, cid: str
) -> tuple[str, set[str]]:
    info = api.one("conversations.info", cid, channel=cid)
    out.add(f"slack/{cid}/conversations.info.json", [info])
    chan = info.get("channel") if isinstance(info.get("channel"), dict) else {}
    assert isinstance(chan, dict)
    name = str(chan.get("name") or cid)
    label = f"#{name} ({cid})"
    size = ctx.config.slack.page_size
    pages: list[dict[str, Any]] = []
    count = 0
    for page in api.pages(
        "conversations.history",
        label,
        channel=cid,
        oldest=slack_ts(ctx.window.start),
        latest=slack_ts(ctx.window.end),
        inclusive=True,
        limit=size,
    ):
        pages.append(page)
        count += len(page.get("messages") or [])
        ctx.progress(NAME, f"#{name}: {count} messages")
    out.add(f"slack/{cid}/conversations.history.json", pages)

    messages = [m for p in pages for m in p.get("messages") or [] if isinstance(m, dict)]
    users = _users_in(messages)
    threads = sorted(
        {
            m["ts"]
            for m in messages
            if isinstance(m.get("ts"), str)
            and _int(m.get("reply_count")) > 0
            and m.get("thread_ts", m["ts"]) == m["ts"]
        }
    )
    for n, thread in enumerate(threads, 1):
        ctx.progress(NAME, f"#{name}: thread {n}/{len(threads)}")
        try:
            replies = list(
                api.pages(
                    "conversations.replies",
                    f"thread {thread} in {label}",
                    channel=cid,
                    ts=thread,
                    latest=slack_ts(ctx.window.end),
                    inclusive=True,
                    limit=size,
                )
            )
        except SourceNotFound:
            continue  # the thread was deleted meanwhile
        out.add(f"slack/{cid}/replies/{thread}.json", replies)
        users |= _users_in(m for p in replies for m in p.get("messages") or [])
    return name, users


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _users_in(messages: Any) -> set[str]:
    """Authors and mentioned people of these messages."""
    found: set[str] = set()
    for m in messages:
        if not isinstance(m, dict):
            continue
        if isinstance(m.get("user"), str) and m["user"]:
            found.add(m["user"])
        texts = [m.get("text")]
        for att in m.get("attachments") or []:
            if isinstance(att, dict):
                texts.extend([att.get("text"), att.get("pretext"), att.get("title")])
        for text in texts:
            if isinstance(text, str):
                found.update(_MENTION.findall(text))
    return found


def _resolve_users(api: SlackApi, out: BundleWriter, wanted: set[str], warn: Any) -> None:
    remaining = set(wanted)
    list_pages: list[dict[str, Any]] = []
    info_pages: list[dict[str, Any]] = []
    try:
        if len(remaining) >= 2:
            for page in api.pages("users.list", "the user list", limit=LIST_LIMIT):
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
    except SourceAuthError as exc:
        if "users:read" not in exc.detail:
            raise
        warn("SLACK_TOKEN lacks users:read: people are shown by their Slack ID")
    if list_pages:
        out.add("slack/users.list.json", list_pages)
    if info_pages:
        out.add("slack/users.info.json", info_pages)
