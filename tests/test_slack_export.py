"""--slack-export FILE.zip: a small workspace export read into the bundle, then parsed."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors.base import CollectContext
from reconstruct.collectors.skips import counting
from reconstruct.collectors.slack import SOURCE
from reconstruct.collectors.slack.parse import parse
from reconstruct.config import Config
from reconstruct.errors import SourceError, SourceNotFound
from reconstruct.model import Event, Incident, Window

START = datetime(2024, 3, 14, 9, 0, tzinfo=UTC)
WINDOW = Window(
    start=START, end=START + timedelta(hours=2), leadup_start=START - timedelta(days=14)
)
INCIDENT = Incident(
    id="Q1ABC",
    number=1234,
    title="Checkout 5xx errors",
    severity="P1",
    services=(),
    started_at=START,
    resolved_at=None,
    url=None,
)
INC, ALERTS = "C0INC0001", "C0ALERTS1"


def ts(minutes: float) -> str:
    when = START + timedelta(minutes=minutes)
    return f"{int(when.timestamp())}.{when.microsecond:06d}"


def msg(minutes: float, user: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "user": user, "ts": ts(minutes), "text": text, **extra}


def make_zip(path: Path, nested: str = "") -> Path:
    files: dict[str, Any] = {
        "channels.json": [
            {"id": INC, "name": "inc-1234", "created": 1710400000},
            {"id": ALERTS, "name": "alerts", "created": 1700000000},
        ],
        "users.json": [
            {"id": "U1", "name": "ana", "profile": {"display_name": "Ana"}},
            {"id": "U2", "name": "bo", "real_name": "Bo Chen", "profile": {"display_name": ""}},
        ],
        "integration_logs.json": [],
        "inc-1234/2024-03-13.json": [msg(-60 * 12, "U1", "yesterday, outside the window")],
        "inc-1234/2024-03-14.json": [
            msg(-5, "U1", "just before"),
            msg(5, "U1", "Declaring SEV1, <@U2> please look", pinned_to=[INC]),
            msg(10, "U2", "thread start", thread_ts=ts(10), reply_count=2),
            msg(11, "U1", "reply one", thread_ts=ts(10), parent_user_id="U2"),
            msg(12, "U2", "rolled back", thread_ts=ts(10), subtype="thread_broadcast"),
            msg(13, "U2", "<@U2> has joined the channel", subtype="channel_join"),
            msg(200, "U1", "after the window"),
        ],
        "alerts/2024-03-14.json": [
            {
                "type": "message",
                "subtype": "bot_message",
                "bot_id": "B1",
                "username": "Alertmanager",
                "ts": ts(3),
                "text": "[FIRING:1] HighErrorRate",
            }
        ],
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, value in files.items():
            zf.writestr(nested + name, json.dumps(value))
    return path


def collect(
    tmp_path: Path, zip_path: Path, *, slack: dict[str, Any] | None = None, **options: Any
) -> tuple[dict[str, Any], Bundle, list[str]]:
    progress: list[str] = []
    config = Config.model_validate(
        {
            "slack": {
                # unreachable on purpose: an export run must not touch the network
                "base_url": "http://127.0.0.1:9/api/",
                "channels": ["alerts"],
                **(slack or {}),
            }
        }
    )
    ctx = CollectContext(
        config=config,
        incident=INCIDENT,
        incident_raw={"id": "Q1ABC"},
        window=WINDOW,
        token=None,
        progress=lambda s, m: progress.append(m),
        options={"slack_export": zip_path, **options},
    )
    writer = BundleWriter(tmp_path / "bundle", "Q1ABC")
    assert SOURCE.collect is not None
    meta = dict(SOURCE.collect(ctx, writer))
    writer.set_source("slack", "ok", meta=meta)
    return meta, Bundle.open(writer.finish(WINDOW, START)), progress


def by_ts(events: list[Event]) -> dict[str, Event]:
    return {e.key.rsplit(":", 1)[1]: e for e in events}


def test_export_round_trip(tmp_path: Path) -> None:
    meta, bundle, _ = collect(
        tmp_path,
        make_zip(tmp_path / "export.zip"),
        slack={"workspace_url": "https://acme.slack.com/"},
    )
    assert meta["incident_channel"] == INC
    assert meta["channels"] == {INC: "inc-1234", ALERTS: "alerts"}
    assert meta["warnings"] == []
    history = bundle.pages(f"slack/{INC}/conversations.history.json")
    # the day file of the window: every message is collected, those before and after the
    # window for the parser and normalizer to count (before it, "records before the incident
    # window"; after it, ``outside window``); yesterday's file is
    # read only for thread parents
    assert [m["ts"] for m in history[0]["messages"]] == [
        ts(200),
        ts(13),
        ts(12),
        ts(10),
        ts(5),
        ts(-5),
    ]
    replies = bundle.pages(f"slack/{INC}/replies/{ts(10)}.json")
    assert [m["ts"] for m in replies[0]["messages"]] == [ts(10), ts(11), ts(12)]

    with counting() as left:
        got = by_ts(list(parse(bundle)))
    assert set(got) == {ts(5), ts(10), ts(11), ts(12), ts(3), ts(200)}  # 200: the normalizer's
    assert left == {
        "slack:#inc-1234 (records before the incident window)": 1,  # "just before"
        "slack:#inc-1234 (channel joins and settings)": 1,
    }
    assert got[ts(5)].summary == "Declaring SEV1, @Bo Chen please look"
    # the mention says whose it is (U2), so the directory can give Bo his one name
    assert got[ts(5)].tags == {"human", "pinned", "incident-channel", "mention:U2:Bo Chen"}
    assert (
        got[ts(5)].links[0].url
        == f"https://acme.slack.com/archives/{INC}/p{ts(5).replace('.', '')}"
    )
    assert got[ts(12)].tags == {"human", "thread-reply", "broadcast", "incident-channel"}
    assert got[ts(11)].links[0].url.endswith(f"?thread_ts={ts(10)}&cid={INC}")
    assert got[ts(3)].tags == {"bot"} and got[ts(3)].actor == "Alertmanager"


def test_export_without_workspace_url_warns_and_links_the_channel(tmp_path: Path) -> None:
    meta, bundle, progress = collect(
        tmp_path, make_zip(tmp_path / "export.zip", nested="Acme Slack export/")
    )
    assert any("workspace_url" in w for w in meta["warnings"])
    assert any("workspace_url" in line for line in progress)
    urls = {e.links[0].url for e in parse(bundle)}
    assert f"https://slack.com/app_redirect?channel={INC}" in urls


def test_export_channel_option_and_errors(tmp_path: Path) -> None:
    zip_path = make_zip(tmp_path / "export.zip")
    meta, _, _ = collect(tmp_path, zip_path, slack_channel="#alerts")
    assert meta["incident_channel"] == ALERTS
    with pytest.raises(SourceNotFound, match="not in the export"):
        collect(tmp_path, zip_path, slack_channel="#missing")
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(SourceError, match="cannot read the Slack export"):
        collect(tmp_path, bad)
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(SourceError, match=r"channels\.json"):
        collect(tmp_path, empty)
