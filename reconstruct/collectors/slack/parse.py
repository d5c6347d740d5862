"""slack: messages of the incident channel (and ``[slack] channels``) as events.

``parse(bundle)`` reads ``slack/`` in the bundle (layout in ``reconstruct.bundle``, plus
``slack/users.info.json``: pages of users.info for users resolved one by one). One event per
message of conversations.history and conversations.replies; a record seen twice (a thread parent
is in both, a ``thread_broadcast`` reply too) is one event, tags/refs/links unioned; a ts
repeated within one file (an export listing a message twice) is counted as a copy
(``copies of a record already read``).

- time: ``ts``; a message whose ts cannot be read is counted (``time not readable as UTC``).
- summary: what Slack shows, made readable (``slack.markup``, ``slack.blocks``;
  ``shapes.visible``): a person's ``text``; an app's blocks, attachments (and blocks nested in
  them), and its ``text`` where that says more than the notification fallback; files by name
  (``shapes.file_names``); a huddle as its start, end and participants. URLs hidden behind
  labels become refs.
- actor and names in the text (``<@U123>``, block user elements, huddle participants): the user's
  display name (profile.display_name, else real name, else name; users.list / users.info, else
  the ``user_profile`` Slack puts on that person's messages); an app's post (``bot_id``):
  ``username``, else ``bot_profile.name``, the name Slack shows on it, before its bot user's
  handle ("LaunchDarkly", not "launchdarkly"). Only a person no evidence names is shown by ID.
- kind: ``message``; a huddle is ``update`` (the incident's bridge, always a row).
- tags: ``bot`` (bot_id, subtype bot_message, or a user marked is_bot) else ``human``;
  ``pinned``, ``reaction:<name>`` (skin tones dropped), ``thread-reply``, ``broadcast``,
  ``edited``, ``file``, ``huddle``, ``incident-channel``; ``mention:<user ID>:<name shown>``
  for each person a ``<@U…>`` (or a rich-text ``user`` element) names, which
  ``normalize.people`` turns into that person's one display name.
- edited_at: ``edited.ts`` (the last edit), when the message was edited after it was posted.
- counted, not rows (``shapes``; each record once, under ``"<scope> (<reason>)"`` through
  ``skips.left_out``): channel housekeeping (joins, leaves, topic/purpose/name changes, pins
  notices...), deleted messages (``tombstone``, ``message_deleted``), Events API notices, EKM
  hidden messages, records with nothing readable ("not understood"), and records whose ts is
  not a Slack timestamp ("time not readable as UTC"). Messages posted before the window (the
  parent and early replies of a thread begun earlier with a reply inside it) are counted as
  "records before the incident window in slack:#inc-4711", as every source's records before the
  incident window are (``ledger.BEFORE_REASON``).
- links: the permalink, labelled with the channel (``#inc-4711``), then every http(s) URL the
  text links (``textlinks``: a bridge, a runbook, a PR). The permalink is built locally, never
  asked of Slack:
  ``<workspace>/archives/<CHANNEL>/p<ts without dot>`` (+ ``?thread_ts=<parent>&cid=<CHANNEL>``
  for replies). The workspace is auth.test's ``url``, else the manifest's ``workspace_url``;
  without either (an export run with no ``[slack] workspace_url``) the link opens the channel:
  ``https://slack.com/app_redirect?channel=<CHANNEL>``.

``collect(ctx, out)`` reads the Web API (``slack_live``) or, with ``--slack-export FILE.zip``,
the export (``slack_export``) into the same bundle files.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from reconstruct.bundle import Bundle, iter_records
from reconstruct.collectors._chatter import ChatterTally, plain_chatter
from reconstruct.collectors.skips import COPY, UNREADABLE_TIME, left_out, unreadable_time
from reconstruct.collectors.slack.markup import one_line, plain, render, without_call_to_action
from reconstruct.collectors.slack.shapes import (
    HUDDLES,
    NOT_UNDERSTOOD,
    attachment_links,
    file_names,
    file_summary,
    huddle_summary,
    left_out_reason,
    visible,
)
from reconstruct.collectors.slack.shortcodes import emojize
from reconstruct.collectors.textlinks import text_links
from reconstruct.model import Event, Kind, Link
from reconstruct.normalize.evolve import new_event
from reconstruct.normalize.ledger import BEFORE_REASON
from reconstruct.normalize.people import MENTION
from reconstruct.normalize.refs import url_ref
from reconstruct.timeutil import TimeFormatError, parse_slack_ts, slack_ts_micros

NAME = "slack"
PREFIX = "slack/"
LABEL = "Slack"

_SKIN = re.compile(r"::skin-tone-\d$")
_NO_REFS: frozenset[str] = frozenset()
PAGERDUTY_APP = "pagerduty"
"""The PagerDuty Slack app's bot name (``username`` / ``bot_profile.name``, case aside)."""
_INCIDENT_NUMBER = re.compile(r"(?<![\w&#/])#(\d+)\b")
"""An incident number as the PagerDuty app writes it in plain text ("added a note to #7302")."""
_SOURCES = (NAME,)


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

        self.profiles: dict[str, str] = {}
        """user ID -> the name on their messages' ``user_profile`` (users not listed)."""
        self.tag_sets: dict[frozenset[str], frozenset[str]] = {}
        """One shared frozenset per distinct tag set (most messages carry the same two tags)."""
        self.listed: dict[str, str | None] = {}
        """user ID -> the display name of a listed user, worked out once per person."""

    def listed_name(self, user_id: str, user: Mapping[str, Any]) -> str | None:
        """``display_name(user)`` of the listed user ``user_id``, once per person (hot path)."""
        if user_id not in self.listed:
            self.listed[user_id] = display_name(user)
        return self.listed[user_id]

    def learn(self, msg: Mapping[str, Any]) -> None:
        """Remember the name a message carries for its author (``user_profile``)."""
        uid, profile = msg.get("user"), msg.get("user_profile")
        if isinstance(uid, str) and isinstance(profile, dict) and uid not in self.profiles:
            name = display_name({"profile": profile, "real_name": profile.get("real_name")})
            if name:
                self.profiles[uid] = name

    def user_name(self, user_id: str) -> str | None:
        user = self.users.get(user_id)
        name = self.listed_name(user_id, user) if user else None
        return name or self.profiles.get(user_id)

    def name_or_id(self, user_id: str) -> str:
        return self.user_name(user_id) or user_id


def _workspace(bundle: Bundle, meta: Mapping[str, Any]) -> str | None:
    for auth in iter_records(bundle.pages(f"{PREFIX}auth.test.json"), None):
        url = auth.get("url")
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            return url
    url = meta.get("workspace_url")
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def parse(bundle: Bundle) -> Iterator[Event]:
    ctx = _Context(bundle)
    start = bundle.manifest.window.start
    events: dict[str, Event] = {}
    counted: dict[str, tuple[str, str]] = {}
    """record key -> (scope, reason) of a record counted instead of shown (each once)."""
    files = {channel: _files(bundle, channel) for channel in ctx.channel_ids}
    for rels in files.values():  # names on messages (exports), before any row
        for rel in rels:
            if bundle.holds(rel, b'"user_profile"'):
                for message in _records(bundle.pages(rel), None):
                    if isinstance(message, dict):
                        ctx.learn(message)
    chatter = plain_chatter()
    for channel, rels in files.items():
        scope = _scope(ctx, channel)
        plain = (
            _Plain(chatter, ctx, channel, scope, events)
            if chatter is not None and ctx.incident_channel and channel == ctx.incident_channel
            else None
        )
        n = -1  # the record's place among the channel's records (its key when it has no ts)
        for rel in rels:  # each page decoded when reached, none kept (``Bundle.stream``)
            for message in _records(bundle.stream(rel), scope):
                n += 1
                if plain is not None and plain.take(message):
                    continue
                reason = left_out_reason(message)
                event = None if reason is not None else _event(ctx, channel, message)
                if event is not None and event.time < start:
                    event, reason = None, BEFORE_REASON  # a thread's message before the window
                if event is None:
                    if reason is None:
                        reason = NOT_UNDERSTOOD if _readable_time(message) else UNREADABLE_TIME
                    if reason is not None:
                        counted.setdefault(_record_key(channel, message, n), (scope, reason))
                    continue
                seen = events.get(event.key)
                events[event.key] = event if seen is None else _fold(seen, event)
    tally: Counter[tuple[str, str]] = Counter(
        where for key, where in counted.items() if key not in events
    )
    for (scope, reason), count in sorted(tally.items()):
        left_out(scope, reason, count)
    return iter(sorted(events.values(), key=lambda e: (e.time, e.key)))


def _files(bundle: Bundle, channel: str) -> list[str]:
    """The channel's message files in reading order: its history, then each thread's replies."""
    return [
        f"{PREFIX}{channel}/conversations.history.json",
        *bundle.files(f"{PREFIX}{channel}/replies/"),
    ]


_PLAIN_KEYS = frozenset(
    {"type", "user", "text", "ts", "team", "client_msg_id", "blocks", "user_team", "source_team"}
    | {"user_profile"}
)
"""The keys of a person's plain message: anything else (subtype, reactions, edits, files, pins,
threads, attachments, bot fields) can make it more than chatter. Its ``blocks`` are the
composer's ``rich_text`` mirror of its text, which a person's row never reads (``visible``)."""


_TAGGED_KEYS = frozenset({"thread_ts", "parent_user_id", "edited", "reactions"})
"""A thread reply's keys (``thread_ts`` of its parent, ``parent_user_id``), an edit and
reactions: such a person's message is left out exactly like a plain one unless its text names a
change or a reaction keeps it (``collectors._chatter``: counted with ``tagged=True``)."""
_CHATTER_KEYS = _PLAIN_KEYS | _TAGGED_KEYS


class _Plain:
    """The incident channel's chatter test: hands a person's plain message to the chatter tally
    (no event is built when it counts it) with the summary ``_event`` would give it."""

    def __init__(
        self,
        tally: ChatterTally,
        ctx: _Context,
        channel: str,
        scope: str,
        events: Mapping[str, Event],
    ) -> None:
        self.tally = tally
        self.ctx = ctx
        self.scope = scope
        self.prefix = f"slack:{channel}:"
        self.bots = frozenset(uid for uid, user in ctx.users.items() if user.get("is_bot"))
        self.events = events
        """The events built so far: a copy of a message already built is folded, not counted."""

    def take(self, msg: Any) -> bool:
        """True when the tally counted ``msg`` (the hot path: one call per message)."""
        if type(msg) is not dict or not msg.keys() <= _CHATTER_KEYS:
            return False
        text, user_id, ts = msg.get("text"), msg.get("user"), msg.get("ts")
        if type(text) is not str or type(user_id) is not str or type(ts) is not str:
            return False
        if msg.get("type", "message") != "message" or user_id in self.bots:
            return False
        tagged = not msg.keys().isdisjoint(_TAGGED_KEYS)
        if tagged and not self._left_out_as_plain(msg, ts):
            return False
        micros = slack_ts_micros(ts)
        key = self.prefix + ts
        if micros is None or key in self.events:
            return False
        # ``visible``: a person's text is the one part; ``one_line`` collapses its whitespace
        if "<" in text or "&" in text:
            rendered = render(text, self.ctx.user_name, self.ctx.channels)
            if tagged and rendered.urls:  # its refs are read for the lead-up
                return False
            text = rendered.text
        elif "*" in text or "_" in text or "~" in text:
            text = plain(text)
        return self.tally.take(self.scope, key, micros, " ".join(text.split()), tagged)

    def _left_out_as_plain(self, msg: dict[str, Any], ts: str) -> bool:
        """A thread reply (never its parent, which is read twice), an edited message, reactions
        none of which ``[select] emoji`` keeps: the tags ``_event`` gives it change nothing when
        its text says nothing (``chat_reason``)."""
        thread_ts = msg.get("thread_ts", ts)
        if "thread_ts" in msg and (type(thread_ts) is not str or thread_ts == ts):
            return False
        reactions = msg.get("reactions")
        if isinstance(reactions, list):
            keep = self.tally.emoji
            for reaction in reactions:
                name = reaction.get("name") if isinstance(reaction, dict) else None
                if isinstance(name, str) and _SKIN.sub("", name) in keep:
                    return False
        return True


def _records(pages: Iterable[Any], scope: str | None) -> Iterator[Any]:
    """Every item of the pages' ``messages`` (whatever its shape: the caller counts it), a ts
    already read in that file counted as a copy (``COPY``; not counted when ``scope`` is None:
    a first look at the file). In a channel a ts names one message, so a second record with it
    is the same message served again (overlapping pages, an export listing it twice). The same
    message in history and in its thread's replies (a parent, a broadcast) is one record, read
    from both, not counted."""
    seen: set[str] = set()
    for page in pages:
        items = page.get("messages") if isinstance(page, dict) else None
        for message in items if isinstance(items, list) else ():
            ts = message.get("ts") if isinstance(message, dict) else None
            if isinstance(ts, str):
                if ts in seen:
                    if scope is not None:
                        left_out(scope, COPY)
                    continue
                seen.add(ts)
            yield message


def _record_key(channel: str, message: Any, n: int) -> str:
    ts = message.get("ts") if isinstance(message, dict) else None
    return f"slack:{channel}:{ts}" if isinstance(ts, str) else f"slack:{channel}:#{n}"


def _readable_time(message: Any) -> bool:
    """False for a record whose ts the time helper already counted as unreadable."""
    if not isinstance(message, dict):
        return True
    try:
        parse_slack_ts(message.get("ts"))  # type: ignore[arg-type]
    except TimeFormatError:
        return False
    return True


def _scope(ctx: _Context, channel: str) -> str:
    return f"slack:#{_name(ctx, channel)}"


def _name(ctx: _Context, channel: str) -> str:
    return ctx.channels.get(channel, channel)


def _fold(a: Event, b: Event) -> Event:
    return replace(
        a,
        links=tuple(sorted(set(a.links) | set(b.links))),
        refs=a.refs | b.refs,
        tags=a.tags | b.tags,
    )


def _event(ctx: _Context, channel: str, msg: Mapping[str, Any]) -> Event | None:
    """The message's row, or None (nothing readable, or its time cannot be read)."""
    subtype = msg.get("subtype")
    ts = msg.get("ts")
    try:
        when: datetime = parse_slack_ts(ts)  # type: ignore[arg-type]
    except TimeFormatError:
        unreadable_time(ts)
        return None
    assert isinstance(ts, str)
    user_id = msg.get("user") if isinstance(msg.get("user"), str) else None
    user = ctx.users.get(user_id) if user_id else None
    huddle = subtype in HUDDLES
    bot = not huddle and bool(
        msg.get("bot_id") or subtype == "bot_message" or (user is not None and user.get("is_bot"))
    )

    mentioned: list[tuple[str, str]] = []
    if huddle:
        parts = [huddle_summary(msg, ctx.name_or_id)]
        urls: list[str] = []
    else:
        parts, urls = [], attachment_links(msg) if "attachments" in msg else []
        for text in visible(msg, bot):
            rendered = render(text, ctx.user_name, ctx.channels)
            shown = without_call_to_action(rendered) if bot else rendered.text
            parts.append(emojize(shown) if bot else shown)
            urls.extend(rendered.urls)
            mentioned.extend(rendered.mentions)
    files = file_names(msg)
    if files:
        parts.append(file_summary(files))
    summary = one_line(parts)
    if not summary:
        return None

    tags: set[str] = {"huddle"} if huddle else {"bot" if bot else "human"}
    if files:
        tags.add("file")
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
    if subtype in ("thread_broadcast", "reply_broadcast"):
        tags.add("broadcast")
    edited = msg.get("edited")  # {"user": "U…", "ts": "1710409327.000100"}: the last edit
    edited_at = _edited_at(edited, when)
    if edited:
        tags.add("edited")
    if ctx.incident_channel and channel == ctx.incident_channel:
        tags.add("incident-channel")
    tags.update(f"{MENTION}{uid}:{name}" for uid, name in mentioned)

    refs = {ref for url in urls if (ref := url_ref(url))}
    actor = _actor(ctx, msg, user, bot)
    if (
        bot
        and "#" in summary
        and actor is not None
        and actor.casefold() == PAGERDUTY_APP
        and not any(ref.startswith("pd:") for ref in refs)
    ):  # the app's plain-text "#7302" is the incident's number (no link to read it from)
        refs.update(f"pd#{int(n)}" for n in _INCIDENT_NUMBER.findall(summary))
    return new_event(  # Event(...) with every field, without the frozen __init__ (hot path)
        when,
        Kind.UPDATE if huddle else Kind.MESSAGE,
        summary,
        _SOURCES,
        (
            Link(
                NAME,
                permalink(ctx.workspace, channel, ts, thread_ts),
                label := f"#{_name(ctx, channel)}",
                _detail(label, actor if bot else None, "thread-reply" in tags),
            ),
            *(text_links(NAME, urls) if urls else ()),
        ),
        f"slack:{channel}:{ts}",
        actor,
        frozenset(refs) if refs else _NO_REFS,
        ctx.tag_sets.setdefault(frozen := frozenset(tags), frozen),
        _scope(ctx, channel),
        "",
        edited_at=edited_at,
    )


def _detail(label: str, bot: str | None, reply: bool) -> str:
    """The message's link named for what it is among a row's other links to the same channel
    (``Link.detail``): "#inc-7734 PagerDuty post" (an app's, by the name Slack shows), "#inc-7734
    thread reply", "#inc-7734 message"."""
    if bot:
        return f"{label} {bot} post"
    return f"{label} thread reply" if reply else f"{label} message"


def _edited_at(edited: Any, posted: datetime) -> datetime | None:
    """The time of a message's last edit from its ``edited: {user, ts}`` (Web API and exports
    alike); None when unedited or unreadable, never earlier than the post itself."""
    ts = edited.get("ts") if isinstance(edited, dict) else None
    try:
        when = parse_slack_ts(ts) if isinstance(ts, str) else None
    except TimeFormatError:
        return None
    return when if when is not None and when > posted else None


def _app_name(msg: Mapping[str, Any]) -> str | None:
    """The name Slack shows on an app's post: ``username`` (the ``chat.postMessage`` override),
    else ``bot_profile.name`` (the app's name), stripped; None when neither is set."""
    bot_profile = msg.get("bot_profile")
    for value in (
        msg.get("username"),
        bot_profile.get("name") if isinstance(bot_profile, dict) else None,
    ):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _actor(
    ctx: _Context, msg: Mapping[str, Any], user: Mapping[str, Any] | None, bot: bool
) -> str | None:
    if msg.get("bot_id") and (name := _app_name(msg)):
        return name  # an app's post: Slack shows the app's name, not its bot user's handle
    if user is not None:
        user_id = msg.get("user")
        name = ctx.listed_name(user_id, user) if isinstance(user_id, str) else display_name(user)
        if name:
            return name
    profile = msg.get("user_profile")
    if isinstance(profile, dict):
        name = display_name({"profile": profile, "real_name": profile.get("real_name")})
        if name:
            return name
    if (bot or msg.get("bot_profile") or msg.get("username")) and (name := _app_name(msg)):
        return name
    user_id = msg.get("user")
    if not isinstance(user_id, str) or not user_id:
        room = msg.get("room")
        user_id = room.get("created_by") if isinstance(room, dict) else None
    if isinstance(user_id, str) and user_id:
        return ctx.name_or_id(user_id)
    return None
