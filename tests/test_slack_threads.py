"""Threads that began before the collection window: their replies inside it are not lost.

Live: conversations.history read back over ``[slack] thread_lookback`` finds parents whose
``latest_reply`` (Slack's field on a thread parent, like ``reply_count``) is inside the window;
conversations.replies reads them. Export: the day files before the window are read too and every
in-window reply is written with its thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.bundle import Bundle
from reconstruct.collectors.skips import counting
from reconstruct.config import Config
from reconstruct.model import Event
from reconstruct.normalize import normalize
from tests.fakes.server import FakeServer
from tests.fakes.slack import FakeSlack
from tests.test_slack_export import INC as EXPORT_INC
from tests.test_slack_export import collect as collect_export
from tests.test_slack_export_layouts import USERS, write_export
from tests.test_slack_live import INC, INCIDENT, TOKEN, WINDOW, Run, msg, ts


@pytest.fixture
def run(make_server: Callable[..., FakeServer], tmp_path: Path, ca_bundle: Path) -> Run:
    fake = FakeSlack(make_server(), token=TOKEN)
    fake.add_user("U1", "ana", display_name="Ana")
    fake.add_user("U2", "bo", display_name="Bo")
    return Run(fake, tmp_path, ca_bundle)


def thread_messages() -> list[dict[str, Any]]:
    """An hour before the window: a deploy thread answered during the incident; a thread that
    went quiet before it; two days earlier (past the lookback): a thread answered inside it."""
    return [
        msg(
            -60,
            "U1",
            "deploying checkout v2.3 with the new redis client",
            thread_ts=ts(-60),
            reply_count=2,
            reply_users=["U2"],
            latest_reply=ts(25),
        ),
        msg(-30, "U2", "looks fine so far", thread_ts=ts(-60), parent_user_id="U1"),
        msg(
            25,
            "U2",
            "root cause identified: the redis client's connection limit",
            thread_ts=ts(-60),
            parent_user_id="U1",
            pinned_to=[INC],
        ),
        msg(-90, "U1", "quiet thread", thread_ts=ts(-90), reply_count=1, latest_reply=ts(-80)),
        msg(-80, "U2", "answered before the window", thread_ts=ts(-90)),
        msg(10, "U1", "in the window"),
    ]


def keyed(events: list[Event]) -> dict[str, Event]:
    return {e.key.rsplit(":", 1)[1]: e for e in events}


def test_live_reply_inside_the_window_to_an_earlier_thread(run: Run) -> None:
    from reconstruct.collectors.slack.parse import parse

    run.fake.add_channel(INC, "inc-1234", messages=thread_messages())
    meta, bundle = run.collect(options={"slack_channel": INC})

    lookback = [
        r
        for r in run.fake.server.requests
        if r.path.endswith("conversations.history") and r.param("latest") == ts(0)
    ]
    assert len(lookback) == 1
    assert lookback[0].param("oldest") == ts(-24 * 60)
    assert lookback[0].param("inclusive") == "0"  # the window's own listing holds ts(0)
    replies = [r for r in run.fake.server.requests if r.path.endswith("conversations.replies")]
    assert [r.param("ts") for r in replies] == [ts(-60)]  # not the thread that went quiet
    assert meta["requests"]["conversations.history"] == 2

    with counting() as left:
        got = keyed(list(parse(bundle)))
    assert set(got) == {ts(25), ts(10)}  # the parent and the reply before the window: counted
    assert dict(left) == {"slack:#inc-1234 (records before the incident window)": 2}
    reply = got[ts(25)]
    assert reply.tags == {"human", "pinned", "thread-reply", "incident-channel"}
    assert reply.links[0].url.endswith(f"?thread_ts={ts(-60)}&cid={INC}")

    timeline = normalize(list(parse(bundle)), INCIDENT, WINDOW, Config())
    shown = {e.key for e in timeline.events}
    assert f"slack:{INC}:{ts(25)}" in shown  # treated like any other message: pinned, a row


def test_live_lookback_zero_reads_no_history_before_the_window(run: Run) -> None:
    run.fake.add_channel(INC, "inc-1234", messages=thread_messages())
    meta, _ = run.collect(options={"slack_channel": INC}, slack={"thread_lookback": "0s"})
    assert meta["requests"]["conversations.history"] == 1
    assert "conversations.replies" not in meta["requests"]


def test_export_reply_inside_the_window_to_an_earlier_thread(tmp_path: Path) -> None:
    from reconstruct.collectors.slack.parse import parse
    from tests.test_slack_export import msg as emsg
    from tests.test_slack_export import ts as ets

    old = 60 * 24 * 3  # three days before: past the default lookback of 24h
    path = write_export(
        tmp_path / "export.zip",
        {
            "channels.json": [{"id": EXPORT_INC, "name": "inc-1234"}],
            "users.json": USERS,
            "inc-1234/2024-03-11.json": [
                emsg(-old, "U1", "old thread", thread_ts=ets(-old), reply_count=1),
            ],
            "inc-1234/2024-03-13.json": [
                emsg(-600, "U1", "deploy thread", thread_ts=ets(-600), reply_count=2),
                emsg(-590, "U2", "before", thread_ts=ets(-600)),
            ],
            "inc-1234/2024-03-14.json": [
                emsg(
                    20, "U2", "root cause identified", thread_ts=ets(-600), pinned_to=[EXPORT_INC]
                ),
                emsg(30, "U2", "reply to the old thread", thread_ts=ets(-old)),
            ],
        },
    )
    _, bundle, _ = collect_export(
        tmp_path, path, slack={"channels": [], "workspace_url": "https://acme.slack.com/"}
    )
    thread = bundle.pages(f"slack/{EXPORT_INC}/replies/{ets(-600)}.json")
    assert [m["ts"] for m in thread[0]["messages"]] == [ets(-600), ets(-590), ets(20)]
    orphan = bundle.pages(f"slack/{EXPORT_INC}/replies/{ets(-old)}.json")
    assert [m["ts"] for m in orphan[0]["messages"]] == [ets(30)]  # its parent is not read

    with counting() as left:
        got = keyed(list(parse(bundle)))
    assert ets(-600) not in got and ets(-590) not in got
    assert dict(left) == {"slack:#inc-1234 (records before the incident window)": 2}
    assert got[ets(20)].tags == {"human", "pinned", "thread-reply", "incident-channel"}
    assert got[ets(30)].summary == "reply to the old thread"
    assert got[ets(30)].links[0].url.endswith(f"?thread_ts={ets(-old)}&cid={EXPORT_INC}")


def test_live_resolves_everyone_a_row_names(run: Run) -> None:
    """Mentions in blocks and attachments and a huddle's participants are looked up too."""
    from reconstruct.collectors.slack.parse import parse

    run.fake.add_user("U3", "cy", display_name="Cy")
    run.fake.add_user("U4", "di", display_name="Di")
    huddle_room = {"id": "R1", "created_by": "U1", "date_start": 1, "participant_history": ["U4"]}
    run.fake.add_channel(
        INC,
        "inc-1234",
        messages=[
            msg(
                1,
                None,
                "",
                bot_id="B1",
                blocks=[
                    {
                        "type": "rich_text",
                        "elements": [
                            {
                                "type": "rich_text_section",
                                "elements": [{"type": "user", "user_id": "U2"}],
                            }
                        ],
                    }
                ],
                attachments=[{"fields": [{"title": "IC", "value": "<@U3>"}]}],
            ),
            msg(2, None, "", subtype="huddle_thread", room=huddle_room),
        ],
    )
    meta, bundle = run.collect(options={"slack_channel": INC})
    assert meta["requests"]["users.list"] == 1
    got = keyed(list(parse(bundle)))
    assert got[ts(1)].summary == "@Bo — IC: @Cy"
    assert got[ts(2)].summary.endswith("with Di") and got[ts(2)].actor == "Ana"


def test_thread_messages_before_the_window_are_counted_before_the_window(tmp_path: Path) -> None:
    """Through the pipeline: the parent and an early reply of a thread begun an hour before the
    window are "records before the incident window in slack:#inc-4821" (the words every source's
    records before it get, Grafana's too), not in the channel's "other messages"; the in-window
    reply is a row; nothing is lost."""
    from reconstruct.pipeline import build_timeline
    from reconstruct.render.coverage import compute
    from tests.test_bad_input import Pages, write_bundle

    chan, parent = "C07KX4821QA", "1773474120.000100"  # the demo's channel; 07:42, 1h before
    thread = [
        {"type": "message", "user": "U1", "text": "p99 looks odd", "ts": parent,
         "thread_ts": parent, "reply_count": 2, "latest_reply": "1773482400.000200"},
        {"type": "message", "user": "U2", "text": "watching", "ts": "1773474400.000100",
         "thread_ts": parent},
        {"type": "message", "user": "U2", "text": "root cause identified: pool exhausted",
         "ts": "1773482400.000200", "thread_ts": parent},
    ]  # fmt: skip

    def add_thread(files: Pages) -> None:
        files[f"slack/{chan}/replies/{parent}.json"] = [
            {"ok": True, "messages": thread, "has_more": False}
        ]

    base = build_timeline(Bundle.open(write_bundle(tmp_path / "a", None)), Config())
    timeline = build_timeline(Bundle.open(write_bundle(tmp_path / "b", add_thread)), Config())
    early = "slack:#inc-4821 (records before the incident window)"
    assert timeline.omitted[early] == base.omitted.get(early, 0) + 2
    for scope, count in base.omitted.items():
        if scope != early:
            assert timeline.omitted.get(scope) == count  # no "other messages" added
    assert timeline.collected["slack"] == base.collected["slack"] + 3
    reply = next(e for e in timeline.events if e.key == f"slack:{chan}:1773482400.000200")
    assert reply.kind.value == "identify"
    # The accounting: Slack's two early thread messages are before the incident window.
    reason = "records before the incident window in slack:#inc-4821"
    assert timeline.accounts["slack"].omitted[reason] == 2
    (note,) = [s for s in compute(timeline, timedelta(minutes=15)).omitted if s.startswith("slack")]
    assert f"2 {reason}" in note and "outside the collection window" not in note
