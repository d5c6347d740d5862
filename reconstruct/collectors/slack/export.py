"""``--slack-export FILE.zip``: a Slack workspace export read into the same bundle files as the API.

The zip holds ``channels.json`` (and ``groups.json`` in full exports), ``users.json``
(``org_users.json`` on Enterprise Grid) and one folder per channel, named by channel name, with a
``YYYY-MM-DD.json`` array of messages per day (replies included, carrying ``thread_ts``). A
folder nested one level down (a re-zipped export) is accepted. Nothing is extracted to disk and
no network is used.

Written, as if the API had answered (one page each):

    slack/users.list.json                   {"ok": true, "members": users.json}
    slack/<ID>/conversations.info.json      {"ok": true, "channel": the channels.json entry}
    slack/<ID>/conversations.history.json   top-level messages and broadcasts in the window,
                                            newest first
    slack/<ID>/replies/<thread_ts>.json     parent, then its replies up to the window end

Day files from the day before the window to the day after are read (export days follow the
workspace's time zone). Permalinks need ``[slack] workspace_url`` (an export does not name its
workspace); without it a warning is given and links open the channel (``slack.permalink``).
"""

from __future__ import annotations

import json
import re
import zipfile
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath
from typing import Any

from reconstruct.bundle import BundleWriter
from reconstruct.collectors.base import CollectContext
from reconstruct.collectors.slack.channels import Wanted, slack_ts, wanted_channels
from reconstruct.errors import SourceError, SourceNotFound

NAME = "slack"
_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})\.json$")


class _Export:
    def __init__(self, path: Path, zf: zipfile.ZipFile) -> None:
        self.path = path
        self.zf = zf
        names = zf.namelist()
        marker = next(
            (n for n in sorted(names, key=len) if PurePosixPath(n).name == "channels.json"), None
        )
        if marker is None:
            raise SourceError(
                NAME, f"{path}: no channels.json inside; this is not a Slack workspace export"
            )
        parent = str(PurePosixPath(marker).parent)
        self.prefix = "" if parent == "." else parent + "/"
        self.names = set(names)

    def load(self, member: str, required: bool = False) -> Any:
        full = self.prefix + member
        if full not in self.names:
            if required:
                raise SourceError(NAME, f"{self.path}: {member} is missing from the export")
            return None
        try:
            return json.loads(self.zf.read(full).decode("utf-8"))
        except (ValueError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
            raise SourceError(NAME, f"{self.path}: {member} is not valid JSON ({exc})") from exc

    def days(self, folder: str) -> dict[str, str]:
        """date -> member for the channel folder's day files."""
        out: dict[str, str] = {}
        base = f"{self.prefix}{folder}/"
        for name in self.names:
            if name.startswith(base):
                match = _DAY.match(name[len(base) :])
                if match:
                    out[match.group(1)] = name[len(self.prefix) :]
        return out


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

    def warn(message: str) -> None:
        warnings.append(message)
        ctx.progress(NAME, f"warning: {message}")

    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(NAME, f"{path}: cannot read the Slack export zip ({exc})") from exc
    with zf:
        export = _Export(path, zf)
        chans = _records(export.load("channels.json", required=True))
        chans += _records(export.load("groups.json"))
        users = _records(export.load("users.json")) or _records(export.load("org_users.json"))
        by_id = {str(c["id"]): c for c in chans if isinstance(c.get("id"), str)}
        by_name = {str(c["name"]).lower(): c for c in chans if isinstance(c.get("name"), str)}

        def find(want: Wanted) -> dict[str, Any] | None:
            return by_id.get(want.value) if want.is_id else by_name.get(want.value)

        incident, extras, fallback = wanted_channels(ctx)
        chosen: dict[str, Any] | None = None
        if incident is not None:
            chosen = find(incident)
            if chosen is None:
                if incident.origin == "--slack-channel":
                    raise SourceNotFound(
                        NAME,
                        f"channel {incident.show()} (--slack-channel) is not in the export "
                        f"{path.name} (private channels need an 'all channels' export)",
                    )
                warn(f"no channel {incident.show()} ({incident.origin}) in the export")
        if chosen is None and fallback is not None:
            chosen = find(fallback)
        if chosen is None:
            warn(
                "no incident channel found in the export; pass --slack-channel or set "
                "[slack] incident_channel (reading [slack] channels only)"
            )
        order: list[dict[str, Any]] = [chosen] if chosen is not None else []
        for extra in extras:
            chan = find(extra)
            if chan is None:
                warn(f"no channel {extra.show()} ([slack] channels) in the export")
            elif all(chan["id"] != c["id"] for c in order):
                order.append(chan)

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
    return {
        "workspace_url": workspace,
        "incident_channel": str(chosen["id"]) if chosen is not None else None,
        "channels": channels,
        "export": path.name,
        "warnings": warnings,
    }


def _write_channel(
    ctx: CollectContext, out: BundleWriter, export: _Export, chan: dict[str, Any]
) -> int | None:
    cid = str(chan["id"])
    out.add(f"slack/{cid}/conversations.info.json", [{"ok": True, "channel": chan}])
    days = export.days(str(chan.get("name") or cid)) or export.days(cid)
    if not days:
        out.add(f"slack/{cid}/conversations.history.json", [_page([])])
        return None
    first = (ctx.window.start - timedelta(days=1)).date().isoformat()
    last = (ctx.window.end + timedelta(days=1)).date().isoformat()
    messages: list[dict[str, Any]] = []
    for day in sorted(days):
        if first <= day <= last:
            messages.extend(_records(export.load(days[day])))
    oldest, latest = Decimal(slack_ts(ctx.window.start)), Decimal(slack_ts(ctx.window.end))

    def stamp(m: dict[str, Any]) -> Decimal:
        return _ts(m.get("ts")) or Decimal(0)

    top = [
        m
        for m in messages
        if oldest <= stamp(m) <= latest
        and (m.get("thread_ts") in (None, m.get("ts")) or m.get("subtype") == "thread_broadcast")
    ]
    top.sort(key=stamp, reverse=True)
    out.add(f"slack/{cid}/conversations.history.json", [_page(top)])
    replies: dict[str, list[dict[str, Any]]] = {}
    for m in messages:
        parent = m.get("thread_ts")
        if isinstance(parent, str) and parent != m.get("ts") and stamp(m) <= latest:
            replies.setdefault(parent, []).append(m)
    for parent_msg in top:
        ts = parent_msg.get("ts")
        if not isinstance(ts, str) or parent_msg.get("thread_ts", ts) != ts or ts not in replies:
            continue
        thread = sorted(replies[ts], key=stamp)
        out.add(f"slack/{cid}/replies/{ts}.json", [_page([parent_msg, *thread])])
    return len(top) + sum(len(replies.get(str(m.get("ts")), [])) for m in top)


def _page(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "ok": True,
        "messages": messages,
        "has_more": False,
        "response_metadata": {"next_cursor": ""},
    }
