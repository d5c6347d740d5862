"""Slack sink: post the draft into the incident's channel as a Markdown file with a short comment.

Turned on by ``[deliver.slack] enabled = true``; the channel is the incident's own (from the
bundle), else ``[deliver.slack] channel`` (an ID such as ``C0123ABCD``, or a ``#name`` looked up
with ``conversations.list``). A Slack message cannot be replaced by a bot upload, so an updated
draft (``draft.revision`` > 1: reopened and resolved again after a delivery) is posted once more,
its comment saying it is an update that replaces the earlier one.
Uses ``WebClient.files_upload_v2``, which makes three requests:
``files.getUploadURLExternal``, a POST of the bytes to the returned upload URL, and
``files.completeUploadExternal`` (which shares the file into the channel with ``initial_comment``).

Scopes: ``files:write`` and ``chat:write`` (plus ``channels:read``/``groups:read`` only to look up
a ``#name``). Errors become one ``DeliveryError`` line naming the sink and the fix; the token is
never part of it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from reconstruct.config import Config, ssl_context, token
from reconstruct.deliver.base import Draft
from reconstruct.deliver.safe import Outbound
from reconstruct.errors import DeliveryError
from reconstruct.redact import Redactor

if TYPE_CHECKING:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

NAME = "slack"
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{6,}")
_SEPARATOR = re.compile(r"\|(?:\s*:?-+:?\s*\|)+")
_AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "not_allowed_token_type",
    }
)


def timeline_rows(markdown: str) -> int:
    """Rows of the Timeline table in a rendered draft (between the ``--into`` markers if any)."""
    from reconstruct.render.markdown import MARKER_END, MARKER_START

    text = markdown
    if MARKER_START in text:
        text = text.split(MARKER_START, 1)[1].split(MARKER_END, 1)[0]
    lines = [line.strip() for line in text.splitlines()]
    for i, line in enumerate(lines):
        if _SEPARATOR.fullmatch(line):
            rows = 0
            for after in lines[i + 1 :]:
                if not after.startswith("|"):
                    break
                rows += 1
            return rows
    return 0


def message(draft: Draft, out: Outbound | None = None) -> str:
    """The comment posted with the file; the incident's title and ID redacted and escaped for
    Slack (``deliver.safe``: no ``<!channel>`` or ``@here`` pings anyone)."""
    out = out if out is not None else Outbound()
    incident = draft.incident
    ref = f"#{incident.number}" if incident.number is not None else incident.id
    rows = timeline_rows(draft.markdown)
    noun = "row" if rows == 1 else "rows"
    if draft.is_update:
        return (
            f"Updated post-mortem draft for {out.slack(ref)} {out.slack(incident.title)} "
            f"(revision {draft.revision}: the incident was reopened and resolved again): {rows} "
            f"timeline {noun}; it replaces the earlier draft, edit it in the attached "
            f"{draft.filename}."
        )
    return (
        f"Post-mortem draft for {out.slack(ref)} {out.slack(incident.title)}: {rows} timeline "
        f"{noun}; edit it in the attached {draft.filename}."
    )


class SlackSink:
    name = NAME

    def __init__(self, config: Config, channel: str | None) -> None:
        self.config = config
        self.channel = channel

    def _client(self) -> WebClient:

        from slack_sdk import WebClient
        from slack_sdk.http_retry.builtin_handlers import (
            ConnectionErrorRetryHandler,
            RateLimitErrorRetryHandler,
            ServerErrorRetryHandler,
        )

        secret = token("slack")
        if secret is None:
            raise DeliveryError(
                "slack sink: SLACK_TOKEN is not set; export a Slack app token (xoxb-...) with "
                "the files:write and chat:write scopes, or turn off [deliver.slack] enabled"
            )
        return WebClient(
            token=secret.reveal(),
            base_url=self.config.slack.base_url,
            ssl=ssl_context(self.config),
            timeout=30,
            retry_handlers=[
                ConnectionErrorRetryHandler(max_retry_count=2),
                RateLimitErrorRetryHandler(max_retry_count=3),
                ServerErrorRetryHandler(max_retry_count=2),
            ],
        )

    def deliver(self, draft: Draft) -> str:
        from slack_sdk.errors import SlackApiError, SlackRequestError

        wanted = draft.slack_channel or self.channel
        if not wanted:
            raise DeliveryError(
                "slack sink: no channel to post into: the bundle found no incident channel and "
                "[deliver.slack] channel is not set; set it to a channel ID or #name"
            )
        client = self._client()
        channel = wanted
        out = Outbound(Redactor.from_config(self.config))
        try:
            if not _CHANNEL_ID.fullmatch(wanted):
                channel = _find_channel(client, wanted)
            response = client.files_upload_v2(
                channel=channel,
                content=draft.markdown,
                filename=draft.filename,
                title=f"{'Updated p' if draft.is_update else 'P'}ost-mortem draft: "
                f"{out.text(draft.incident.title)}",
                snippet_type="markdown",
                initial_comment=message(draft, out),
            )
        except SlackApiError as exc:
            raise _error(exc, wanted) from exc
        except SlackRequestError as exc:
            raise DeliveryError(f"slack sink: the file upload failed ({exc}); retry later") from exc
        except OSError as exc:
            raise _network_error(self.config.slack.base_url, exc) from exc
        return _where(response.data, channel)


def _find_channel(client: WebClient, wanted: str) -> str:
    name = wanted.lstrip("#")
    for page in client.conversations_list(
        types="public_channel,private_channel", exclude_archived=True, limit=1000
    ):
        data = page.data if isinstance(page.data, dict) else {}
        for chan in data.get("channels") or []:
            if chan.get("name") == name:
                return str(chan["id"])
    raise DeliveryError(
        f"slack sink: channel {wanted} not found; check [deliver.slack] channel (a private "
        "channel must invite the app first)"
    )


def _where(data: Any, channel: str) -> str:
    files = data.get("files") if isinstance(data, dict) else None
    if isinstance(files, list) and files and isinstance(files[0], dict):
        link = files[0].get("permalink")
        if link:
            return str(link)
    return f"slack:{channel}"


def _error(exc: SlackApiError, channel: str) -> DeliveryError:
    response = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    data = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error") or "")
    if code == "not_in_channel":
        return DeliveryError(
            f"slack sink: the app is not a member of {channel}; invite it with /invite @<app> "
            "in that channel, then retry"
        )
    if code == "missing_scope":
        needed = str(data.get("needed") or "files:write, chat:write")
        return DeliveryError(
            f"slack sink: SLACK_TOKEN lacks the {needed} scope (needed: files:write, chat:write); "
            "add it under OAuth & Permissions, reinstall the app and update SLACK_TOKEN"
        )
    if code in _AUTH_ERRORS:
        return DeliveryError(
            f"slack sink: SLACK_TOKEN was rejected ({code}); create a new token for the Slack app "
            "and set SLACK_TOKEN"
        )
    if code in ("channel_not_found", "is_archived"):
        return DeliveryError(
            f"slack sink: cannot post into {channel} ({code}); check [deliver.slack] channel"
        )
    if status == 429 or code == "ratelimited":
        return DeliveryError("slack sink: rate limited by Slack; retry in a few minutes")
    return DeliveryError(f"slack sink: Slack refused the upload ({code or f'HTTP {status}'})")


def _network_error(base_url: str, exc: OSError) -> DeliveryError:
    text = str(getattr(exc, "reason", exc))
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return DeliveryError(
            f"slack sink: cannot verify the TLS certificate of {base_url}; if a proxy re-signs "
            "traffic, set [tls] ca_bundle to its CA file"
        )
    return DeliveryError(f"slack sink: cannot reach {base_url} ({text}); check the network")


def make(config: Config) -> SlackSink | None:
    settings = config.deliver.slack
    if not settings.enabled:
        return None
    return SlackSink(config, settings.channel)
