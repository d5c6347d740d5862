"""slack: messages of the incident channel (and ``[slack] channels``) as events.

``parse(bundle)`` reads ``slack/`` in the bundle (layout in ``reconstruct.bundle``, plus
``slack/users.info.json``: pages of users.info for users resolved one by one). One event per
message of conversations.history and conversations.replies; a record seen twice (a thread parent
is in both, a ``thread_broadcast`` reply too) is one event, tags/refs/links unioned.

- time: ``ts``; a message whose ts cannot be read is skipped.
- summary: ``text`` with markup made readable (``slack_markup``); attachment and block text is
  added for bot posts and for messages without text. URLs hidden behind labels become refs.
- actor: the user's display name (profile.display_name, else real name, else name; users.list /
  users.info, else the message's own ``user_profile``); bots: ``username``, else bot_profile.name.
- tags: ``bot`` (bot_id, subtype bot_message, or a user marked is_bot) else ``human``;
  ``pinned``, ``reaction:<name>`` (skin tones dropped), ``thread-reply``, ``broadcast``,
  ``edited``, ``incident-channel``.
- skipped: channel housekeeping (joins, leaves, topic/purpose/name changes, pins notices...) and
  deleted messages (``tombstone``, ``message_deleted``).
- link: permalink built locally, never asked of Slack:
  ``<workspace>/archives/<CHANNEL>/p<ts without dot>`` (+ ``?thread_ts=<parent>&cid=<CHANNEL>``
  for replies). The workspace is auth.test's ``url``, else the manifest's ``workspace_url``;
  without either (an export run with no ``[slack] workspace_url``) the link opens the channel:
  ``https://slack.com/app_redirect?channel=<CHANNEL>``.

``collect(ctx, out)`` reads the Web API (``slack_live``) or, with ``--slack-export FILE.zip``,
the export (``slack_export``) into the same bundle files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from reconstruct.bundle import Bundle, BundleWriter, iter_records
from reconstruct.collectors.base import CollectContext, Source
from reconstruct.collectors.skips import (
    NOT_UNDERSTOOD,
    UNREADABLE_TIME,
    left_out,
    records,
    unreadable_time,
)
from reconstruct.collectors.slack.markup import (
    attachment_texts,
    block_texts,
    one_line,
    render,
)
from reconstruct.collectors.textlinks import text_links
from reconstruct.model import Event, Kind, Link
from reconstruct.normalize.refs import url_ref
from reconstruct.timeutil import TimeFormatError, parse_slack_ts

NAME = "slack"
PREFIX = "slack/"
LABEL = "Slack"

#: Subtypes that are channel housekeeping, not things people said.
HOUSEKEEPING = frozenset(
    {
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "channel_archive",
        "channel_unarchive",
        "channel_convert_to_private",
        "channel_convert_to_public",
        "channel_posting_permissions",
        "group_join",
        "group_leave",
        "group_topic",
        "group_purpose",
        "group_name",
        "group_archive",
        "group_unarchive",
        "pinned_item",
        "unpinned_item",
        "bot_add",
        "bot_remove",
        "bot_enable",
        "bot_disable",
        "joiner_notification",
        "joiner_notification_for_inviter",
        "reminder_add",
    }
)
DELETED = frozenset({"tombstone", "message_deleted"})
_SKIN = re.compile(r"::skin-tone-\d$")


def ts_to_permalink_part(ts: str) -> str:
    """``1710409327.000100`` -> ``p1710409327000100`` (p + 16 digits)."""
    seconds, _, micros = ts.partition(".")
    return f"p{seconds}{micros.ljust(6, '0')[:6]}"


def permalink(workspace: str | None, channel: str, ts: str, thread_ts: str | None = None) -> str:
    """A message's link, built like chat.getPermalink does (no API call)."""
    if not workspace:
        return f"https://slack.com/app_redirect?channel={channel}"
    url = f"{workspace.rstrip('/')}/archives/{channel}/{ts_to_permalink_part(ts)}"
    if thread_ts and thread_ts != ts:
        url += f"?thread_ts={thread_ts}&cid={channel}"
    return url


def display_name(user: Mapping[str, Any]) -> str | None:
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    assert isinstance(profile, dict)
    for value in (
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
        user.get("name"),
    ):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


class _Context:
    """What every message of one bundle is read against."""

    def __init__(self, bundle: Bundle) -> None:
        status = bundle.source(NAME)
        meta: Mapping[str, Any] = status.meta if status is not None else {}
        self.incident_channel = meta.get("incident_channel")
        self.users: dict[str, dict[str, Any]] = {}
        for user in iter_records(bundle.pages(f"{PREFIX}users.list.json"), "members"):
            if isinstance(user.get("id"), str):
                self.users[user["id"]] = user
        for user in iter_records(bundle.pages(f"{PREFIX}users.info.json"), "user"):
            if isinstance(user.get("id"), str):
                self.users[user["id"]] = user
        self.workspace = _workspace(bundle, meta)
        self.channel_ids = sorted(
            {
                rel.split("/")[1]
                for rel in bundle.files(PREFIX)
                if rel.count("/") >= 2 and not rel.startswith(f"{PREFIX}.")
            }
        )
        names = meta.get("channels")
        self.channels: dict[str, str] = (
            {str(k): str(v) for k, v in names.items() if v} if isinstance(names, dict) else {}
        )
        for cid in self.channel_ids:
            for info in iter_records(
                bundle.pages(f"{PREFIX}{cid}/conversations.info.json"), "channel"
            ):
                if isinstance(info.get("name"), str) and info["name"]:
                    self.channels[cid] = info["name"]

    def user_name(self, user_id: str) -> str | None:
        user = self.users.get(user_id)
        return display_name(user) if user else None


def _workspace(bundle: Bundle, meta: Mapping[str, Any]) -> str | None:
    for auth in iter_records(bundle.pages(f"{PREFIX}auth.test.json"), None):
        url = auth.get("url")
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            return url
    url = meta.get("workspace_url")
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def parse(bundle: Bundle) -> Iterator[Event]:
    ctx = _Context(bundle)
    events: dict[str, Event] = {}
    left: dict[str, str] = {}
    """Messages left out, per key, with the reason (counted once however often they were read,
    and not at all when another copy of the same message gave an event)."""
    for channel in ctx.channel_ids:
        messages = list(
            records(bundle.pages(f"{PREFIX}{channel}/conversations.history.json"), "messages")
        )
        for rel in bundle.files(f"{PREFIX}{channel}/replies/"):
            messages.extend(records(bundle.pages(rel), "messages"))
        for message in messages:
            event = _event(ctx, channel, message)
            if isinstance(event, str):
                ts = message.get("ts")
                if isinstance(ts, str) and ts:
                    left.setdefault(f"slack:{channel}:{ts}", event)
                else:
                    left_out(event)
                continue
            seen = events.get(event.key)
            events[event.key] = event if seen is None else _fold(seen, event)
    for key, reason in sorted(left.items()):
        if key not in events:
            left_out(reason)
    return iter(sorted(events.values(), key=lambda e: (e.time, e.key)))


def _fold(a: Event, b: Event) -> Event:
    return replace(
        a,
        links=tuple(sorted(set(a.links) | set(b.links))),
        refs=a.refs | b.refs,
        tags=a.tags | b.tags,
    )


HOUSEKEEPING_REASON = "channel housekeeping (joins, topic and name changes, pin notices)"
DELETED_REASON = "deleted message"


def _event(ctx: _Context, channel: str, msg: Mapping[str, Any]) -> Event | str:
    """The message's event, or the reason it is left out."""
    subtype = msg.get("subtype")
    if msg.get("type", "message") != "message":
        return NOT_UNDERSTOOD
    if subtype in HOUSEKEEPING:
        return HOUSEKEEPING_REASON
    if subtype in DELETED:
        return DELETED_REASON
    ts = msg.get("ts")
    try:
        when: datetime = parse_slack_ts(ts)  # type: ignore[arg-type]
    except TimeFormatError:
        unreadable_time(ts)
        return UNREADABLE_TIME if isinstance(ts, str) and ts else NOT_UNDERSTOOD
    assert isinstance(ts, str)
    user_id = msg.get("user") if isinstance(msg.get("user"), str) else None
    user = ctx.users.get(user_id) if user_id else None
    bot = bool(
        msg.get("bot_id") or subtype == "bot_message" or (user is not None and user.get("is_bot"))
    )

    main = render(msg.get("text") or "", ctx.user_name, ctx.channels)
    parts = [main.text]
    urls = list(main.urls)
    if bot or not main.text.strip():
        att_texts, att_links = attachment_texts(msg.get("attachments"))
        urls.extend(att_links)
        extra = att_texts
        if not main.text.strip() and not att_texts:
            extra = block_texts(msg.get("blocks"))
        for text in extra:
            rendered = render(text, ctx.user_name, ctx.channels)
            parts.append(rendered.text)
            urls.extend(rendered.urls)
    summary = one_line(parts)
    if not summary:
        files = msg.get("files")
        names = [
            str(f.get("title") or f.get("name"))
            for f in (files if isinstance(files, list) else [])
            if isinstance(f, dict) and (f.get("title") or f.get("name"))
        ]
        summary = one_line(f"shared a file: {n}" for n in names)
    if not summary:
        return NOT_UNDERSTOOD

    tags: set[str] = {"bot" if bot else "human"}
    pinned = msg.get("pinned_to")
    if isinstance(pinned, list) and channel in pinned:
        tags.add("pinned")
    reactions = msg.get("reactions")
    for reaction in reactions if isinstance(reactions, list) else []:
        if isinstance(reaction, dict) and isinstance(reaction.get("name"), str):
            tags.add(f"reaction:{_SKIN.sub('', reaction['name'])}")
    thread_ts = msg.get("thread_ts") if isinstance(msg.get("thread_ts"), str) else None
    if thread_ts and thread_ts != ts:
        tags.add("thread-reply")
    if subtype == "thread_broadcast":
        tags.add("broadcast")
    if msg.get("edited"):
        tags.add("edited")
    if ctx.incident_channel and channel == ctx.incident_channel:
        tags.add("incident-channel")

    refs = {ref for url in urls if (ref := url_ref(url))}
    name = ctx.channels.get(channel, channel)
    return Event(
        time=when,
        kind=Kind.MESSAGE,
        summary=summary,
        sources=(NAME,),
        links=(
            Link(NAME, permalink(ctx.workspace, channel, ts, thread_ts), f"#{name}"),
            *text_links(NAME, urls),
        ),
        key=f"slack:{channel}:{ts}",
        actor=_actor(msg, user, bot),
        refs=frozenset(refs),
        tags=frozenset(tags),
        scope=f"slack:#{name}",
    )


def _actor(msg: Mapping[str, Any], user: Mapping[str, Any] | None, bot: bool) -> str | None:
    if user is not None:
        name = display_name(user)
        if name:
            return name
    profile = msg.get("user_profile")
    if isinstance(profile, dict):
        name = display_name({"profile": profile, "real_name": profile.get("real_name")})
        if name:
            return name
    if bot or msg.get("bot_profile") or msg.get("username"):
        bot_profile = msg.get("bot_profile")
        for value in (
            msg.get("username"),
            bot_profile.get("name") if isinstance(bot_profile, dict) else None,
        ):
            if isinstance(value, str) and value.strip():
                return value.strip()
    user_id = msg.get("user")
    return user_id if isinstance(user_id, str) and user_id else None


def collect(ctx: CollectContext, out: BundleWriter) -> Mapping[str, Any]:
    """Live Web API run, or ``--slack-export FILE.zip`` when that option is set."""
    if ctx.options.get("slack_export"):
        from reconstruct.collectors.slack.export import collect_export

        return collect_export(ctx, out)
    from reconstruct.collectors.slack.live import collect_live

    return collect_live(ctx, out)


SOURCE = Source(name=NAME, parse=parse, collect=collect)
