"""Threads that began before the collection window but have replies inside it.

conversations.history over the window only returns messages posted in it, so a thread whose
parent was posted earlier (a deploy announcement an hour before, answered by "root cause
identified" during the incident) would be lost. One more history listing per channel, over
``[slack] thread_lookback`` before the window start (exclusive of the start, which the window's
own listing holds), finds the parents whose ``latest_reply`` is at or after the window start
(https://docs.slack.dev/reference/methods/conversations.history: parents carry ``reply_count``,
``latest_reply``). Their replies are then read with conversations.replies, like any other thread,
on the same worker pool. Only the parents' ts are kept from this listing: the messages posted
before the window are not evidence of the incident and are not written.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from reconstruct.collectors.base import CollectContext
from reconstruct.collectors.slack.channels import slack_ts


class Pages(Protocol):
    def pages(self, method: str, what: str, **params: Any) -> Iterator[dict[str, Any]]: ...


def earlier_threads(api: Pages, ctx: CollectContext, channel: str, label: str) -> set[str]:
    """The ts of threads started in the lookback before the window with a reply inside it."""
    lookback = ctx.config.slack.thread_lookback
    if lookback.total_seconds() <= 0:
        return set()
    start = slack_ts(ctx.window.start)
    found: set[str] = set()
    for page in api.pages(
        "conversations.history",
        f"{label} (threads begun before the window)",
        channel=channel,
        oldest=slack_ts(ctx.window.start - lookback),
        latest=start,
        inclusive=False,
        limit=ctx.config.slack.page_size,
    ):
        for message in page.get("messages") or []:
            if isinstance(message, dict) and replied_since(message, Decimal(start)):
                found.add(str(message["ts"]))
    return found


def replied_since(message: dict[str, Any], since: Decimal) -> bool:
    """A thread parent whose latest reply is at or after ``since`` (epoch seconds)."""
    ts = message.get("ts")
    if not isinstance(ts, str) or message.get("thread_ts", ts) != ts:
        return False
    reply_count = message.get("reply_count")
    if not isinstance(reply_count, int) or isinstance(reply_count, bool) or reply_count <= 0:
        return False
    latest = message.get("latest_reply")
    try:
        return isinstance(latest, str) and Decimal(latest) >= since
    except InvalidOperation:
        return False
