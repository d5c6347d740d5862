"""A large offline bundle: PagerDuty's sample incident and N Slack messages in its channel.

Shared by ``benchmarks/offline.py`` (which times ``reconstruct --bundle`` on it) and
``tests/test_chatter_count.py``; it lives under ``tests/`` so the sdist's tests run without
``benchmarks/``. Messages are mostly people's plain chatter (``conversations.history`` shape:
``user``, ``text``, ``ts``, ``team``), some bot posts with attachments (``subtype`` ``bot_message``,
``bot_id``), reactions, pins and a few keywords, newest first in pages as the API returns them.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from reconstruct.bundle import BundleWriter
from reconstruct.model import Window
from tests.fakes import pagerduty as pd

CHANNEL = "C0INC4321A"
WORDS = "checkout latency cache pool error rate looking at graphs restart pods db ttl ok".split()
KEYWORDS = ("root cause is the cache ttl", "mitigated by rolling back", "declaring a sev-1")
PAGE = 999


def _message(rng: random.Random, ts: str, i: int) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.03:
        return {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B0ALERTS",
            "username": "grafana",
            "text": "",
            "ts": ts,
            "attachments": [
                {
                    "title": f"[FIRING:1] Rule{i % 40}",
                    "text": "error rate above 5%",
                    "title_link": f"https://grafana.acme.example/alerting/{i % 40}",
                }
            ],
        }
    text = " ".join(rng.choices(WORDS, k=rng.randint(4, 14)))
    if roll < 0.035:
        text = f"{rng.choice(KEYWORDS)} {text}"
    msg: dict[str, Any] = {
        "type": "message",
        "user": f"U{rng.randrange(200):04d}",
        "text": text,
        "ts": ts,
        "team": "T0ACME",
    }
    if roll > 0.985:
        msg["reactions"] = [{"name": "eyes", "users": ["U0001"], "count": 1}]
    if roll > 0.998:
        msg["pinned_to"] = [CHANNEL]
    return msg


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
    stamps = sorted(base + rng.randrange(span) for _ in range(n))
    messages = [_message(rng, f"{sec}.{i % 1_000_000:06d}", i) for i, sec in enumerate(stamps)]
    messages.reverse()  # conversations.history: newest first
    pages = [
        {"ok": True, "messages": messages[i : i + PAGE], "has_more": i + PAGE < n}
        for i in range(0, n, PAGE)
    ]
    users = [
        {"id": f"U{k:04d}", "name": f"user{k}", "profile": {"display_name": f"User {k}"}}
        for k in range(200)
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
        out.set_source("pagerduty", "ok", meta={"log_entries": len(data.log_entries)})
        out.set_source(
            "slack", "ok", meta={"incident_channel": CHANNEL, "channels": {CHANNEL: "inc"}}
        )
        out.set_source("github", "skipped", error="no [github] repos configured")
        out.set_source("grafana", "skipped", error="no [grafana] url configured")
        path = out.finish(window, window.end + timedelta(hours=1))
    return str(data.incident["id"]), path
