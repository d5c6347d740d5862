"""``--slack-export FILE.zip``: a Slack workspace export read into the same bundle files as the API.

Layouts read (https://slack.com/help/articles/220556107-How-to-read-Slack-data-exports; the
importers of slack-export-viewer, slackdump and Mattermost read the same):

- "Public channels only": ``channels.json``, ``users.json`` and one folder per public channel,
  named by channel name, with a ``YYYY-MM-DD.json`` array of messages per day (replies included,
  carrying ``thread_ts``; days without messages have no file);
- "All channels and conversations" (Business+, Enterprise Grid) adds ``groups.json`` (private
  channels, folders by name), ``mpims.json`` (group DMs, folders by their ``mpdm-...`` name) and
  ``dms.json`` (DMs, folders by ID);
- Enterprise Grid: ``org_users.json`` in place of ``users.json``;
- tools writing Slack's format (slackdump's ``standard`` and ``mattermost`` exports) add
  ``__uploads/`` or ``<channel>/attachments/``, which are not read;
- any of those zipped again inside one folder (a re-zipped download).

Member names: Slack's exporter writes UTF-8 names without the zip "UTF-8" flag (bit 11), so
Python reads them as code page 437 (zulip/zulip#22533, hfaran/slack-export-viewer#166); such a
name is decoded as UTF-8 again when it is valid UTF-8 (a name with the flag, or one that is not
UTF-8, is kept), then NFC-normalized (macOS's Archive Utility writes decomposed names), so a
channel ``障害-4711`` is found by name. Folder names match channel names case-insensitively.

A file the layout may lack is optional: without ``users.json``/``org_users.json``, or with one
that lists no users (``[]``), people are shown by the name in each message's ``user_profile``
(else their ID) and a warning says which. The
single-user TXT export (``channels/``, ``dms/``, ``files/`` of text files) cannot be read: one
line says to export JSON instead. Nothing is extracted to disk and no network is used.

Written, as if the API had answered (one page each):

    slack/users.list.json                   {"ok": true, "members": users.json}
    slack/<ID>/conversations.info.json      {"ok": true, "channel": the channels.json entry}
    slack/<ID>/conversations.history.json   top-level messages and broadcasts in the window,
                                            newest first, and every other one of a day file
                                            of the window's days (its ts outside the window,
                                            unreadable or missing), for the parser to count
                                            (``outside window``, ``time not readable as UTC``)
    slack/<ID>/replies/<thread_ts>.json     parent, then its replies up to the window end; also
                                            for a thread started before the window (up to
                                            ``[slack] thread_lookback`` earlier, else without
                                            its parent) that has replies inside it

Day files from the day before the window start (and the thread lookback) to the day after its
end are read (export days follow the workspace's time zone). Permalinks need ``[slack]
workspace_url`` (an export does not name its workspace); without it a warning is given and links
open the channel (``slack.permalink``).

A wanted channel that is not in the export (the ``[slack] incident_channel`` template with no
other incident channel found, a ``[slack] channels`` entry) is a warning naming it and makes the
run partial: ``meta["incomplete"]`` (the pipeline marks the source partial, exit 3).
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath
from typing import Any

from reconstruct.bundle import BundleWriter, loads_lenient
from reconstruct.collectors.base import CollectContext
from reconstruct.collectors.slack.channels import (
    INCIDENT_CHANNEL_HINT,
    Wanted,
    missing_channel,
    slack_ts,
    wanted_channels,
)
from reconstruct.errors import SourceError, SourceNotFound

NAME = "slack"
_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})\.json$")
_UTF8_FLAG = 0x800
CONVERSATION_FILES = ("channels.json", "groups.json", "mpims.json", "dms.json")
"""Conversation lists, in the order a name is looked up (public channels first)."""
USER_FILES = ("users.json", "org_users.json")


def member_name(info: zipfile.ZipInfo) -> str:
    """A zip member's name as Slack meant it: UTF-8 bytes read as cp437 are decoded again."""
    name = info.filename
    if not info.flag_bits & _UTF8_FLAG:
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass  # really cp437 (or another legacy code page): keep what zipfile read
    return unicodedata.normalize("NFC", name)


def fold(name: str) -> str:
    """A channel or folder name as compared: NFC, lower case."""
    return unicodedata.normalize("NFC", name).strip().lower()


class _Export:
    def __init__(self, path: Path, zf: zipfile.ZipFile) -> None:
        self.path = path
        self.zf = zf
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in zf.infolist():
            if not info.is_dir():
                self.members.setdefault(member_name(info), info)
        markers = sorted(
            (n for n in self.members if PurePosixPath(n).name in CONVERSATION_FILES),
            key=lambda n: (n.count("/"), n),
        )
        if not markers:
            raise SourceError(NAME, f"{path}: {self._not_an_export()}")
        parent = str(PurePosixPath(markers[0]).parent)
        self.prefix = "" if parent == "." else parent + "/"
        self.folders: dict[str, dict[str, str]] = {}
        """folded folder name -> date -> member, for every day file under the export root."""
        for name in self.members:
            if not name.startswith(self.prefix):
                continue
            folder, _, rest = name[len(self.prefix) :].partition("/")
            match = _DAY.match(rest)
            if folder and match:
                self.folders.setdefault(fold(folder), {})[match.group(1)] = name

    def _not_an_export(self) -> str:
        names = [PurePosixPath(n) for n in self.members]
        if any(p.suffix == ".txt" and "channels" in p.parts[:-1] for p in names):
            return (
                "this is a single user's TXT export, which holds no message times or IDs; "
                "export that user's conversations as JSON (or the workspace) and pass that zip"
            )
        return (
            "no channels.json (nor groups.json, mpims.json, dms.json) inside; this is not a "
            "Slack workspace export"
        )

    def load(self, member: str, required: bool = False) -> Any:
        """A file at the export's root (``channels.json``...), None when absent."""
        return self.read(self.prefix + member, member, required)

    def read(self, full: str, member: str, required: bool = False) -> Any:
        info = self.members.get(full)
        if info is None:
            if required:
                raise SourceError(NAME, f"{self.path}: {member} is missing from the export")
            return None
        try:
            return loads_lenient(self.zf.read(info))  # a bad byte costs one character
        except (ValueError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
            raise SourceError(NAME, f"{self.path}: {member} is not valid JSON ({exc})") from exc

    def days(self, folder: str) -> dict[str, str]:
        """date -> member for the channel folder's day files."""
        return self.folders.get(fold(folder), {})


def _records(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _ts(value: Any) -> Decimal | None:
    try:
        return Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        return None


def collect_export(ctx: CollectContext, out: BundleWriter) -> dict[str, Any]:
    path = Path(ctx.options["slack_export"])
    warnings: list[str] = []
    incomplete: list[str] = []

    def warn(message: str) -> None:
        warnings.append(message)
        ctx.progress(NAME, f"warning: {message}")

    def missing(message: str) -> None:
        missing_channel(message, incomplete, warn)

    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(NAME, f"{path}: cannot read the Slack export zip ({exc})") from exc
    with zf:
        export = _Export(path, zf)
        chans: list[dict[str, Any]] = []
        for member in CONVERSATION_FILES:
            chans += [c for c in _records(export.load(member)) if isinstance(c.get("id"), str)]
        users: list[dict[str, Any]] = []
        present: list[str] = []
        for member in USER_FILES:
            listed = export.load(member)
            if listed is not None:
                present.append(member)
            users = users or _records(listed)
        if not users:
            missing_users = (
                f"{' and '.join(present)} in {path.name} lists no users"
                if present
                else f"{path.name} has no users.json (org_users.json on Enterprise Grid)"
            )
            warn(
                f"{missing_users}: people are shown by the name on their messages, else their "
                "Slack ID"
            )
        by_id: dict[str, dict[str, Any]] = {}
        by_name: dict[str, dict[str, Any]] = {}
        for chan in chans:
            by_id.setdefault(str(chan["id"]), chan)
            if isinstance(chan.get("name"), str) and chan["name"]:
                by_name.setdefault(fold(chan["name"]), chan)

        def find(want: Wanted) -> dict[str, Any] | None:
            return by_id.get(want.value) if want.is_id else by_name.get(fold(want.value))

        incident, extras, fallback = wanted_channels(ctx)
        chosen: dict[str, Any] | None = None
        not_found: str | None = None
        if incident is not None:
            chosen = find(incident)
            if chosen is None:
                if incident.origin == "--slack-channel":
                    raise SourceNotFound(
                        NAME,
                        f"channel {incident.show()} (--slack-channel) is not in the export "
                        f"{path.name} (private channels need an 'all channels' export)",
                    )
                not_found = f"no channel {incident.show()} ({incident.origin}) in the export"
        if chosen is None and fallback is not None:
            chosen = find(fallback)
            if chosen is None and not_found is None:
                not_found = f"no channel {fallback.show()} ({fallback.origin}) in the export"
        if not_found is not None:
            if chosen is None:
                missing(
                    f"{not_found} {path.name} (a private channel needs an 'all channels' "
                    f"export); {INCIDENT_CHANNEL_HINT}"
                )
            else:
                warn(not_found)
        elif chosen is None:
            warn(
                "no incident channel found in the export; pass --slack-channel or set "
                "[slack] incident_channel (reading [slack] channels only)"
            )
        order: list[dict[str, Any]] = [chosen] if chosen is not None else []
        for extra in extras:
            found = find(extra)
            if found is None:
                missing(
                    f"no channel {extra.show()} ([slack] channels) in the export {path.name}; "
                    "its messages are missing"
                )
            elif all(found["id"] != c["id"] for c in order):
                order.append(found)

        workspace = ctx.config.slack.workspace_url
        if not workspace:
            warn(
                "set [slack] workspace_url (https://WORKSPACE.slack.com/) to link each message; "
                "links open the channel instead"
            )
        channels: dict[str, str] = {}
        for chan in order:
            cid, name = str(chan["id"]), str(chan.get("name") or chan["id"])
            count = _write_channel(ctx, out, export, chan)
            if count is None:
                warn(f"#{name} has no folder in the export")
            channels[cid] = name
            ctx.progress(NAME, f"#{name}: {count or 0} messages from the export")
        out.add(
            "slack/users.list.json",
            [{"ok": True, "members": users, "response_metadata": {"next_cursor": ""}}],
        )
    meta: dict[str, Any] = {
        "workspace_url": workspace,
        "incident_channel": str(chosen["id"]) if chosen is not None else None,
        "channels": channels,
        "export": path.name,
        "warnings": warnings,
    }
    if incomplete:
        meta["incomplete"] = incomplete
    return meta


def _write_channel(
    ctx: CollectContext, out: BundleWriter, export: _Export, chan: dict[str, Any]
) -> int | None:
    cid = str(chan["id"])
    out.add(f"slack/{cid}/conversations.info.json", [{"ok": True, "channel": chan}])
    days = export.days(str(chan.get("name") or cid)) or export.days(cid)
    if not days:
        out.add(f"slack/{cid}/conversations.history.json", [_page([])])
        return None
    lookback = ctx.config.slack.thread_lookback
    first = (ctx.window.start - lookback - timedelta(days=1)).date().isoformat()
    last = (ctx.window.end + timedelta(days=1)).date().isoformat()
    held = (ctx.window.start.date().isoformat(), ctx.window.end.date().isoformat())
    messages: list[dict[str, Any]] = []
    ours: set[int] = set()
    """ids of the messages of day files that hold part of the window (every one is collected)."""
    for day in sorted(days):
        if first <= day <= last:
            member = days[day]
            found = _records(export.read(member, member[len(export.prefix) :]))
            if held[0] <= day <= held[1]:
                ours.update(id(m) for m in found)
            messages.extend(found)
    oldest, latest = Decimal(slack_ts(ctx.window.start)), Decimal(slack_ts(ctx.window.end))

    def stamp(m: dict[str, Any]) -> Decimal:
        return _ts(m.get("ts")) or Decimal(0)

    def collected(m: dict[str, Any]) -> bool:
        """In the window; or in a day file of the window's days, whatever its time: the parser
        counts it (``outside window``, or ``time not readable as UTC`` with a warning)."""
        return oldest <= stamp(m) <= latest or id(m) in ours

    top = [
        m
        for m in messages
        if collected(m)
        and (m.get("thread_ts") in (None, m.get("ts")) or m.get("subtype") == "thread_broadcast")
    ]
    top.sort(key=stamp, reverse=True)
    out.add(f"slack/{cid}/conversations.history.json", [_page(top)])
    parents: dict[str, dict[str, Any]] = {}
    replies: dict[str, list[dict[str, Any]]] = {}
    for m in messages:
        parent, ts = m.get("thread_ts"), m.get("ts")
        if parent in (None, ts):
            if isinstance(ts, str):
                parents.setdefault(ts, m)
        elif isinstance(parent, str) and stamp(m) <= latest:
            replies.setdefault(parent, []).append(m)
    in_window = {str(m.get("ts")) for m in top if oldest <= stamp(m) <= latest}
    threads = sorted(
        ts
        for ts, thread in replies.items()
        if ts in in_window or any(oldest <= stamp(m) for m in thread)
    )
    count = len(top)
    for ts in threads:
        thread = sorted(replies[ts], key=stamp)
        head = parents.get(ts)
        out.add(f"slack/{cid}/replies/{ts}.json", [_page([head, *thread] if head else thread)])
        count += len(thread) + (1 if head is not None and ts not in in_window else 0)
    return count


def _page(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "ok": True,
        "messages": messages,
        "has_more": False,
        "response_metadata": {"next_cursor": ""},
    }
