"""A large offline bundle: PagerDuty's sample incident and N Slack messages in its channel.

Shared by ``benchmarks/offline.py`` (which times ``reconstruct --bundle`` on it) and
``tests/test_chatter_count.py``; it lives under ``tests/`` so the sdist's tests run without
``benchmarks/``. The messages have the shapes today's Web API returns, so the bundle's bytes (and
with them the floor: reading, hashing and decoding them) are those of a real incident channel:

- a person's message (``conversations.history``; https://docs.slack.dev/reference/methods/
  conversations.history, slack-sdk's and java-slack-sdk's recorded responses): ``user``,
  ``type``, ``ts``, ``client_msg_id`` (a UUID), ``text``, ``team``, and ``blocks``: the
  composer's one ``rich_text`` block (``block_id``, one ``rich_text_section`` whose elements
  mirror the text: ``text``, ``user`` for ``<@U…>``, ``link`` for ``<https://…|label>``,
  ``emoji`` for ``:name:``; https://docs.slack.dev/reference/block-kit/blocks/rich-text-block);
  ``user_team`` and ``source_team`` in some responses;
- at about the rates of a busy incident channel: mentions (12 %), links (6 %), emoji (8 %), edits
  (``edited: {user, ts}``, 4 %), reactions (``reactions: [{name, users, count}]``, 6 %, some
  with a skin tone), pins, a few keywords; thread parents (3 %: ``thread_ts`` == ``ts``,
  ``reply_count``, ``reply_users_count``, ``latest_reply``, ``reply_users``, ``is_locked``,
  ``subscribed``) whose replies (``thread_ts``, ``parent_user_id``) are in
  ``replies/<thread_ts>.json`` (conversations.replies: the parent first, then the replies
  oldest first), one reply in 20 also broadcast to the channel (``subtype: thread_broadcast``);
- an alerting integration's posts (3 %): ``subtype: bot_message``, ``bot_id``, ``username``,
  legacy ``attachments`` (``id``, ``color``, ``fallback``, ``title``, ``title_link``, ``text``).

History is newest first in pages of ``PAGE``, as the API returns it. ``n`` counts every message
record: history's, and the replies (each parent once).
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from reconstruct.bundle import BundleWriter
from reconstruct.model import Window
from tests.fakes import pagerduty as pd

CHANNEL = "C0INC4321A"
TEAM = "T0ACME4C2"
WORDS = (
    "checkout latency cache pool error rate looking at graphs restart pods db ttl ok the is "
    "still seeing p99 on from after deploy queue depth timeouts upstream retry budget it"
).split()
KEYWORDS = ("root cause is the cache ttl", "mitigated by rolling back", "declaring a sev-1")
LINKS = (
    ("https://grafana.acme.example/d/checkout-latency?orgId=1&viewPanel=4", "p99 panel"),
    ("https://runbooks.acme.example/checkout/cache-eviction", "runbook"),
    ("https://status.acme.example/incidents/4321", "status page"),
)
EMOJI = (("eyes", "1f440"), ("white_check_mark", "2705"), ("fire", "1f525"), ("+1", "1f44d"))
PAGE = 999
USERS = 200


def _uid(rng: random.Random) -> str:
    return f"U0{rng.randrange(USERS):04d}ACME"


def _block_id(rng: random.Random) -> str:
    return "".join(
        rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+=", k=5)
    )


def _words(rng: random.Random, low: int = 4, high: int = 16) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high)))


def _person(rng: random.Random, ts: str, roll: float) -> dict[str, Any]:
    """A person's message: ``text`` in mrkdwn and the ``rich_text`` block that mirrors it."""
    user = _uid(rng)
    words = _words(rng)
    if roll < 0.035:
        words = f"{rng.choice(KEYWORDS)} {words}"
    text_parts: list[str] = []
    elements: list[dict[str, Any]] = []
    if rng.random() < 0.12:  # a mention first: "<@U…> can you look"
        mentioned = _uid(rng)
        text_parts.append(f"<@{mentioned}> ")
        elements += [{"type": "user", "user_id": mentioned}, {"type": "text", "text": " "}]
    text_parts.append(words)
    elements.append({"type": "text", "text": words})
    if rng.random() < 0.06:  # a labelled link: "<https://…|label>"
        url, label = rng.choice(LINKS)
        text_parts.append(f" <{url.replace('&', '&amp;')}|{label}>")
        elements += [{"type": "text", "text": " "}, {"type": "link", "url": url, "text": label}]
    if rng.random() < 0.08:
        name, code = rng.choice(EMOJI)
        text_parts.append(f" :{name}:")
        elements += [
            {"type": "text", "text": " "},
            {"type": "emoji", "name": name, "unicode": code},
        ]
    msg: dict[str, Any] = {
        "user": user,
        "type": "message",
        "ts": ts,
        "client_msg_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "text": "".join(text_parts),
        "team": TEAM,
        "blocks": [
            {
                "type": "rich_text",
                "block_id": _block_id(rng),
                "elements": [{"type": "rich_text_section", "elements": elements}],
            }
        ],
    }
    if rng.random() < 0.3:
        msg["user_team"] = TEAM
        msg["source_team"] = TEAM
    if rng.random() < 0.04:
        seconds = ts.partition(".")[0]
        msg["edited"] = {"user": user, "ts": f"{int(seconds) + rng.randint(5, 300)}.000000"}
    if rng.random() < 0.06:
        name = rng.choice(("eyes", "+1", "+1::skin-tone-3", "white_check_mark", "pray"))
        voters = sorted({_uid(rng) for _ in range(rng.randint(1, 4))})
        msg["reactions"] = [{"name": name, "users": voters, "count": len(voters)}]
    if roll > 0.998:
        msg["pinned_to"] = [CHANNEL]
    return msg


def _bot(rng: random.Random, ts: str, i: int) -> dict[str, Any]:
    rule = f"Rule{i % 40}"
    title = f"[FIRING:1] {rule} checkout-api (critical)"
    return {
        "type": "message",
        "subtype": "bot_message",
        "text": "",
        "ts": ts,
        "bot_id": "B0ALERTS01",
        "username": "grafana",
        "attachments": [
            {
                "id": 1,
                "color": "d63232",
                "fallback": title,
                "title": title,
                "title_link": f"https://grafana.acme.example/alerting/grafana/{rule}/view",
                "text": "error rate above 5% for 5m\nsummary: checkout errors",
            }
        ],
    }


def _thread(rng: random.Random, parent: dict[str, Any], stamps: list[str]) -> list[dict[str, Any]]:
    """The parent's thread fields set, and its replies (posted at ``stamps``)."""
    replies: list[dict[str, Any]] = []
    for ts in stamps:
        reply = _person(rng, ts, 0.5)
        reply["thread_ts"] = parent["ts"]
        reply["parent_user_id"] = parent["user"]
        if rng.random() < 0.05:
            reply["subtype"] = "thread_broadcast"
            reply["root"] = {k: v for k, v in parent.items() if k != "reactions"}
        replies.append(reply)
    users = sorted({r["user"] for r in replies})
    parent.update(
        thread_ts=parent["ts"],
        reply_count=len(replies),
        reply_users_count=len(users),
        latest_reply=stamps[-1],
        reply_users=users[:5],
        is_locked=False,
        subscribed=False,
    )
    return replies


def offline_bundle(n: int, dest: Path, seed: int = 13) -> tuple[str, Path]:
    """A bundle of PagerDuty's sample incident and ``n`` messages in its channel."""
    rng = random.Random(seed)
    data = pd.sample_incident()
    started = datetime.fromisoformat(str(data.incident["created_at"]).replace("Z", "+00:00"))
    window = Window(
        start=started - timedelta(hours=1),
        end=started + timedelta(hours=3),
        leadup_start=started - timedelta(days=15),
    )
    span = int((window.end - window.start).total_seconds()) - 120
    base = int(window.start.timestamp()) + 60
    stamps = [
        f"{sec}.{i % 1_000_000:06d}"
        for i, sec in enumerate(sorted(base + rng.randrange(span) for _ in range(n)))
    ]
    history: list[dict[str, Any]] = []
    threads: dict[str, list[dict[str, Any]]] = {}
    i = 0
    while i < n:
        roll = rng.random()
        if roll < 0.03:
            history.append(_bot(rng, stamps[i], i))
            i += 1
            continue
        msg = _person(rng, stamps[i], roll)
        history.append(msg)
        i += 1
        if roll > 0.97 and i < n:  # a thread: its replies take the next stamps
            count = min(rng.randint(1, 12), n - i)
            replies = _thread(rng, msg, stamps[i : i + count])
            i += count
            threads[msg["ts"]] = [msg, *replies]
            history.extend(r for r in replies if r.get("subtype") == "thread_broadcast")
    history.sort(key=lambda m: m["ts"], reverse=True)  # conversations.history: newest first
    pages = [
        {
            "ok": True,
            "messages": history[k : k + PAGE],
            "has_more": k + PAGE < len(history),
            "pin_count": 0,
            "response_metadata": {
                "next_cursor": f"bmV4dF90czo{k}" if k + PAGE < len(history) else ""
            },
        }
        for k in range(0, len(history), PAGE)
    ]
    users = [
        {
            "id": f"U0{k:04d}ACME",
            "team_id": TEAM,
            "name": f"user{k}",
            "deleted": False,
            "real_name": f"User {k}",
            "tz": "Europe/Berlin",
            "is_bot": False,
            "profile": {"display_name": f"User {k}", "real_name": f"User {k}"},
        }
        for k in range(USERS)
    ]
    with BundleWriter(dest, str(data.incident["id"])) as out:
        out.add("pagerduty/incident.json", [{"incident": data.incident}])
        out.add("pagerduty/log_entries.json", [{"log_entries": data.log_entries, "more": False}])
        out.add("slack/auth.test.json", [{"ok": True, "url": "https://acme.slack.com/"}])
        out.add("slack/users.list.json", [{"ok": True, "members": users}])
        out.add(
            f"slack/{CHANNEL}/conversations.info.json",
            [{"ok": True, "channel": {"id": CHANNEL, "name": f"inc-{pd.NUMBER}"}}],
        )
        out.add(f"slack/{CHANNEL}/conversations.history.json", pages)
        for ts, thread in sorted(threads.items()):
            out.add(
                f"slack/{CHANNEL}/replies/{ts}.json",
                [{"ok": True, "messages": thread, "has_more": False}],
            )
        out.set_source("pagerduty", "ok", meta={"log_entries": len(data.log_entries)})
        out.set_source(
            "slack", "ok", meta={"incident_channel": CHANNEL, "channels": {CHANNEL: "inc"}}
        )
        out.set_source("github", "skipped", error="no [github] repos configured")
        out.set_source("grafana", "skipped", error="no [grafana] url configured")
        path = out.finish(window, window.end + timedelta(hours=1))
    return str(data.incident["id"]), path
