"""What each Slack message shape becomes: a row, or a record counted under a named reason.

Every subtype Slack documents (https://docs.slack.dev/reference/events/message, "Message
subtypes") has one decision here; a subtype not listed is read like a plain message, and a record
with nothing readable is counted, never dropped silently:

    (none), bot_message, me_message, thread_broadcast, reply_broadcast, file_share, file_comment,
    file_mention, slackbot_response, assistant_app_thread, document_mention ... -> a row
                                  (text, Block Kit and attachment text; files by name)
    huddle_thread, sh_room_created                -> a row: the huddle (bridge) with start, end
                                                     and participants (``room``)
    channel_join/leave/topic/purpose/name/archive/unarchive/convert_to_*/posting_permissions,
    group_*, pinned_item, unpinned_item, bot_add/remove/enable/disable, reminder_add,
    joiner_notification*, channel_canvas_updated, app_conversation_*, channel_canvas_* ...
                                                  -> counted: "channel joins and settings"
    tombstone, message_deleted                    -> counted: "deleted"
    message_changed, message_replied              -> counted: "edit and reply notices" (Events
                                                     API wrappers; the message itself is read)
    ekm_access_denied                             -> counted: "hidden by EKM"
    a record that is not a message, or has nothing readable -> counted: "not understood"

Text (``visible``): a person's message shows its ``text`` (the Block Kit ``rich_text`` Slack
stores beside it says the same), else its blocks and attachments. An app's or bot's post shows
what Slack shows: its blocks (a message with blocks uses ``text`` only as the notification
fallback, so a short "New alert" is not shown when the blocks hold the alert), then its
attachments (pretext, author, title, text, fields and blocks nested in an attachment). Every
block type is read (``slack.blocks``: images by title or alt text, video, tables, cards...);
the words of controls (buttons, menus, icons) are shown only when nothing else is readable.

Files (``files[]``, https://docs.slack.dev/reference/objects/file-object): by title, else name;
``mode: "hidden_by_limit"`` (older than a free workspace's visible history) and ``mode:
"tombstone"`` (deleted) have no name and are said so. A file share is a row when selection keeps
it (pinned, a ``[select] emoji`` reaction, a classified text), else counted with its channel.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from reconstruct.collectors.slack.blocks import attachment_texts, block_texts
from reconstruct.timeutil import format_duration

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
        "channel_canvas_updated",
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
        "app_conversation_join",
        "app_conversation_leave",
    }
)
DELETED = frozenset({"tombstone", "message_deleted"})
NOTICES = frozenset({"message_changed", "message_replied"})
HUDDLES = frozenset({"huddle_thread", "sh_room_created"})

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")

HOUSEKEEPING_REASON = "channel joins and settings"
DELETED_REASON = "deleted"
NOTICE_REASON = "edit and reply notices"
EKM_REASON = "hidden by EKM"
NOT_UNDERSTOOD = "not understood"


def left_out_reason(msg: Any) -> str | None:
    """The named count a record goes to instead of a row, or None (read it)."""
    if not isinstance(msg, Mapping) or msg.get("type", "message") != "message":
        return NOT_UNDERSTOOD
    subtype = msg.get("subtype")
    if subtype in HOUSEKEEPING:
        return HOUSEKEEPING_REASON
    if subtype in DELETED:
        return DELETED_REASON
    if subtype in NOTICES:
        return NOTICE_REASON
    if subtype == "ekm_access_denied":
        return EKM_REASON
    return None


def visible(msg: Mapping[str, Any], bot: bool) -> list[str]:
    """The message's readable parts, in Slack markup (mrkdwn), in the order Slack shows them;
    only when none has content, the words of its controls (buttons, icons: ``slack.blocks``),
    unless it shares files (which the row names)."""
    text = msg.get("text") if isinstance(msg.get("text"), str) else ""
    assert isinstance(text, str)
    if not bot and text.strip():  # a person's text: their blocks say the same (the hot path)
        return [text]
    blocks = block_texts(msg.get("blocks"))
    attachments = attachment_texts(msg.get("attachments"))
    if not bot and text.strip():
        shown = [text]
    elif not bot or blocks.content:  # blocks replace the text, the notification fallback
        shown = blocks.content + attachments.content
    else:  # Slack shows the text, then the attachments
        shown = ([text] if text.strip() else []) + attachments.content
    if shown or msg.get("files"):
        return shown
    return blocks.controls + attachments.controls


def attachment_links(msg: Mapping[str, Any]) -> list[str]:
    return attachment_texts(msg.get("attachments")).links


def file_names(msg: Mapping[str, Any]) -> list[str]:
    """One phrase per shared file: its title or name; hidden or deleted files said so."""
    files = msg.get("files")
    out: list[str] = []
    for f in files if isinstance(files, list) else []:
        if not isinstance(f, dict):
            continue
        mode = f.get("mode")
        if mode == "hidden_by_limit":
            out.append(HIDDEN_FILE)
        elif mode == "tombstone":
            out.append(DELETED_FILE)
        elif f.get("title") or f.get("name"):
            out.append(str(f.get("title") or f.get("name")))
        else:
            out.append("a file")
    return out


HIDDEN_FILE = "a file hidden by the workspace plan's history limit"
DELETED_FILE = "a file since deleted"


def file_summary(names: list[str]) -> str:
    """``shared a file: graph.png``, ``shared files: a.png, b.log``, ``shared a file since
    deleted``."""
    if len(names) == 1:
        name = names[0]
        return f"shared {name}" if name in (HIDDEN_FILE, DELETED_FILE) else f"shared a file: {name}"
    return "shared files: " + ", ".join(names)


def huddle_summary(msg: Mapping[str, Any], name: Callable[[str], str]) -> str:
    """``Huddle 09:05–09:47 UTC (42m 00s) with Ana, Bo Chen`` from the message's ``room``
    (``date_start``/``date_end`` in epoch seconds, ``date_end`` 0 while it runs;
    ``participant_history`` everyone who joined, ``participants`` those in it now)."""
    room = msg.get("room") if isinstance(msg.get("room"), dict) else {}
    assert isinstance(room, dict)
    start = _epoch(room.get("date_start"))
    end = _epoch(room.get("date_end"))
    title = room.get("name") if isinstance(room.get("name"), str) and room.get("name") else ""
    head = f"Huddle {title}".strip() if title else "Huddle"
    if start is not None and end is not None and end >= start:
        when = f" {start:%H:%M}–{end:%H:%M} UTC ({format_duration(end - start)})"
    elif start is not None:
        ongoing = room.get("has_ended") is False or end is None
        when = f" started {start:%H:%M} UTC" + (" (not ended when collected)" if ongoing else "")
    else:
        when = ""
    people: list[str] = []
    for key in ("participant_history", "participants"):
        for uid in room.get(key) or []:
            if isinstance(uid, str) and name(uid) not in people:
                people.append(name(uid))
    with_ = f" with {', '.join(people)}" if people else ""
    return f"{head}{when}{with_}"


def _epoch(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return datetime.fromtimestamp(value, UTC)


def people_in(messages: Iterable[Any]) -> set[str]:
    """The user IDs whose names a row of these messages shows: authors, ``<@U…>`` mentions in
    any text (attachments and blocks included), rich-text ``user`` elements and a huddle's
    creator and participants."""
    found: set[str] = set()
    for m in messages:
        if not isinstance(m, dict):
            continue
        if isinstance(m.get("user"), str) and m["user"]:
            found.add(m["user"])
        room = m.get("room")
        if isinstance(room, dict):
            for key in ("participant_history", "participants"):
                found.update(u for u in room.get(key) or [] if isinstance(u, str))
            if isinstance(room.get("created_by"), str):
                found.add(room["created_by"])
        _walk(m, found, top=True)
    return found


def _walk(value: Any, found: set[str], top: bool = False) -> None:
    if isinstance(value, str):
        if "<@" in value:
            found.update(_MENTION.findall(value))
    elif isinstance(value, dict):
        if value.get("type") == "user" and isinstance(value.get("user_id"), str):
            found.add(value["user_id"])
        for key in (
            "text",
            "pretext",
            "title",
            "fields",
            "value",
            "blocks",
            "elements",
            "attachments",
            "message_blocks",
            "message",
            "accessory",
            "child_blocks",
            "rich_text_title",
            "subtitle",
            "body",
            "rows",
            "tasks",
            "details",
            "output",
            "label",
            "element",
            "description",
        ):
            if key in value and not (top and key == "message"):
                _walk(value[key], found)
    elif isinstance(value, list):
        for item in value:
            _walk(item, found)
