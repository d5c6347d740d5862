"""Slack parser: official wire examples read in place, plus our own fixtures in the same format."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors import get_source
from reconstruct.collectors.slack.parse import parse, permalink
from reconstruct.model import Event, Kind, Window

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "api-examples" / "slack"
START = datetime(2024, 3, 14, 9, 0, tzinfo=UTC)
WINDOW = Window(
    start=START, end=START + timedelta(hours=3), leadup_start=START - timedelta(days=14)
)
WS = "https://acme.slack.com/"
INC = "C0INC0001"
ALERTS = "C0ALERTS1"


EXAMPLES_WINDOW = Window(  # the official examples' messages date from 2013 to 2017
    start=datetime(2010, 1, 1, tzinfo=UTC),
    end=datetime(2020, 1, 1, tzinfo=UTC),
    leadup_start=datetime(2009, 12, 18, tzinfo=UTC),
)


def make_bundle(
    tmp_path: Path,
    files: dict[str, list[Any]],
    meta: dict[str, Any] | None = None,
    window: Window = WINDOW,
) -> Bundle:
    writer = BundleWriter(tmp_path / "bundle", "Q1")
    for rel, pages in files.items():
        writer.add(rel, pages)
    writer.set_source("slack", "ok", meta=meta or {})
    return Bundle.open(writer.finish(window, START))


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def by_ts(events: list[Event]) -> dict[str, Event]:
    return {e.key.rsplit(":", 1)[1]: e for e in events}


# -- official examples ---------------------------------------------------------------------


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="shared/api-examples not present")
def test_official_examples(tmp_path: Path) -> None:
    chan = "C012AB3CD"
    thread = "1482960137.003543"
    bundle = make_bundle(
        tmp_path,
        {
            "slack/auth.test.json": [example("auth.test.json")],
            "slack/users.list.json": [example("users.list.json")],
            "slack/users.info.json": [example("users.info.json")],
            f"slack/{chan}/conversations.info.json": [example("conversations.info.json")],
            f"slack/{chan}/conversations.history.json": [example("conversations.history.json")],
            f"slack/{chan}/replies/{thread}.json": [example("conversations.replies.json")],
        },
        {"incident_channel": chan, "channels": {chan: "general"}},
        window=EXAMPLES_WINDOW,
    )
    events = list(parse(bundle))
    assert len(events) == 6
    got = by_ts(events)
    first = got["1512085950.000216"]
    assert first.summary == "I find you punny and would like to smell your nose letter"
    assert first.time == datetime(2017, 11, 30, 23, 52, 30, 216, tzinfo=UTC)
    assert first.kind is Kind.MESSAGE
    assert first.sources == ("slack",)
    assert first.key == f"slack:{chan}:1512085950.000216"
    assert first.scope == "slack:#general"
    assert first.actor == "U012AB3CDE"  # not in the users list: the id, never nothing
    assert first.tags == {"human", "incident-channel"}
    (link,) = first.links
    assert link.url == f"https://subarachnoid.slack.com/archives/{chan}/p1512085950000216"
    assert link.label == "#general"
    assert re.search(r"/p\d{16}$", link.url)
    parent = got[thread]
    assert "thread-reply" not in parent.tags
    assert parent.links[0].url.endswith(f"/p{thread.replace('.', '')}")
    reply = got["1483037603.017503"]
    assert reply.summary == "one island"
    assert {"thread-reply", "human"} <= reply.tags
    assert reply.links[0].url == (
        f"https://subarachnoid.slack.com/archives/{chan}/p1483037603017503"
        f"?thread_ts={thread}&cid={chan}"
    )


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="shared/api-examples not present")
def test_official_permalink_shape_matches_chat_getpermalink() -> None:
    # chat.getPermalink.thread.json: reply link with thread_ts and cid (its 15-digit p-part is
    # a known typo in the docs; ours always has 16 digits).
    official = example("chat.getPermalink.thread.json")["permalink"]
    ours = permalink(
        "https://ghostbusters.slack.com/", "C1H9RESGL", "1358546517.000023", "1358546515.000008"
    )
    assert ours.split("?")[1] == official.split("?")[1]
    assert ours.startswith("https://ghostbusters.slack.com/archives/C1H9RESGL/p1358546517000023")


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="shared/api-examples not present")
def test_official_pins_example_message_is_pinned(tmp_path: Path) -> None:
    pins = example("pins.list.json")
    message = pins["items"][0]["message"]
    chan = pins["items"][0]["channel"]
    bundle = make_bundle(
        tmp_path,
        {f"slack/{chan}/conversations.history.json": [{"ok": True, "messages": [message]}]},
        window=EXAMPLES_WINDOW,
    )
    (event,) = parse(bundle)
    assert "pinned" in event.tags
    # no workspace known: the link still opens the channel
    assert event.links[0].url == f"https://slack.com/app_redirect?channel={chan}"


# -- our fixtures --------------------------------------------------------------------------

USERS = {
    "ok": True,
    "members": [
        {"id": "U1", "name": "ana", "profile": {"display_name": "Ana", "real_name": "Ana Lima"}},
        {"id": "U2", "name": "bo", "real_name": "Bo Chen", "profile": {"display_name": ""}},
        {"id": "U3", "name": "deploybot", "is_bot": True, "profile": {"display_name": ""}},
    ],
    "response_metadata": {"next_cursor": ""},
}


def ts(minutes: float) -> str:
    when = START + timedelta(minutes=minutes)
    return f"{int(when.timestamp())}.{when.microsecond:06d}"


def fixture_bundle(tmp_path: Path, messages: list[dict[str, Any]], **extra: list[Any]) -> Bundle:
    files: dict[str, list[Any]] = {
        "slack/auth.test.json": [{"ok": True, "url": WS, "team": "Acme", "user": "reconstruct"}],
        "slack/users.list.json": [USERS],
        f"slack/{INC}/conversations.info.json": [
            {"ok": True, "channel": {"id": INC, "name": "inc-1234"}}
        ],
        f"slack/{INC}/conversations.history.json": [
            {"ok": True, "messages": messages, "has_more": False}
        ],
    }
    for rel, pages in extra.items():
        files[rel.replace("__", "/")] = pages
    return make_bundle(
        tmp_path,
        files,
        {
            "workspace_url": WS,
            "incident_channel": INC,
            "channels": {INC: "inc-1234", ALERTS: "alerts"},
        },
    )


def test_markup_rendering_and_url_refs(tmp_path: Path) -> None:
    text = (
        "<!here> &lt;@U1&gt; says: <@U1> and <@U2|bob> see <#C0ALERTS1|alerts> and <#C0ALERTS1>; "
        "fix in <https://github.com/acme/checkout/pull/42|the PR> &amp; "
        "<https://acme.pagerduty.com/incidents/Q1ABC|PD> <https://grafana.acme.io/d/x?orgId=1> "
        "<!subteam^S1|@oncall> <mailto:ops@acme.io|ops@acme.io> <!date^1392734382^{date}|Feb 18>"
    )
    bundle = fixture_bundle(
        tmp_path, [{"type": "message", "user": "U1", "ts": ts(1), "text": text}]
    )
    (event,) = parse(bundle)
    assert event.summary == (
        "@here <@U1> says: @Ana and @Bo Chen see #alerts and #alerts; fix in the PR & PD "
        "https://grafana.acme.io/d/x?orgId=1 @oncall ops@acme.io Feb 18"
    )
    assert event.refs == {"pr:acme/checkout#42", "pd:q1abc", "url:grafana.acme.io/d/x"}
    assert event.actor == "Ana"


def test_multiline_text_is_one_line(tmp_path: Path) -> None:
    bundle = fixture_bundle(
        tmp_path, [{"type": "message", "user": "U2", "ts": ts(1), "text": "line one\n\n  line two"}]
    )
    (event,) = parse(bundle)
    assert event.summary == "line one line two"
    assert event.actor == "Bo Chen"  # display name empty -> real name


def test_permalinks_have_16_digits(tmp_path: Path) -> None:
    messages = [
        {"type": "message", "user": "U1", "ts": "1710409327.000100", "text": "a"},
        {"type": "message", "user": "U1", "ts": "1710409328.5", "text": "short micros"},
    ]
    bundle = fixture_bundle(tmp_path, messages)
    urls = sorted(e.links[0].url for e in parse(bundle))
    assert urls == [
        f"{WS}archives/{INC}/p1710409327000100",
        f"{WS}archives/{INC}/p1710409328500000",
    ]


def test_bot_detection_and_bot_text(tmp_path: Path) -> None:
    messages = [
        {  # incoming webhook / app post: text empty, attachment carries it
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B1",
            "username": "Grafana",
            "ts": ts(1),
            "text": "",
            "attachments": [
                {
                    "fallback": "[FIRING:1] HighErrorRate",
                    "title": "[FIRING:1] HighErrorRate",
                    "title_link": "https://grafana.acme.io/alerting/grafana/abc/view",
                    "text": "checkout 5xx > 5%",
                }
            ],
        },
        {  # app with a bot_profile, text plus attachment
            "type": "message",
            "bot_id": "B2",
            "bot_profile": {"id": "B2", "name": "Deployer"},
            "ts": ts(2),
            "text": "Deployed v2.3.1",
            "attachments": [{"fallback": "sha 1a2b3c4d"}],
        },
        {"type": "message", "user": "U3", "ts": ts(3), "text": "I am a bot user"},
        {
            "type": "message",
            "bot_id": "B3",
            "bot_profile": {"name": "PagerDuty"},
            "ts": ts(5),
            "text": (
                "Resolved: <https://acme.pagerduty.com/incidents/Q3CK|#4821 Checkout errors> by Kim"
            ),
            "attachments": [{"fallback": "Resolved: #4821 Checkout errors", "fields": []}],
        },
        {  # blocks only
            "type": "message",
            "user": "U1",
            "ts": ts(4),
            "text": "",
            "blocks": [
                {
                    "type": "rich_text",
                    "elements": [
                        {
                            "type": "rich_text_section",
                            "elements": [
                                {"type": "text", "text": "ping "},
                                {"type": "user", "user_id": "U2"},
                                {"type": "text", "text": " "},
                                {"type": "link", "url": "https://x.io/a", "text": "doc"},
                            ],
                        }
                    ],
                }
            ],
        },
    ]
    got = by_ts(list(parse(fixture_bundle(tmp_path, messages))))
    grafana = got[ts(1)]
    assert grafana.summary == "[FIRING:1] HighErrorRate — checkout 5xx > 5%"
    assert grafana.actor == "Grafana"
    assert grafana.tags == {"bot", "incident-channel"}
    assert "url:grafana.acme.io/alerting/grafana/abc/view" in grafana.refs
    deployer = got[ts(2)]
    assert deployer.summary == "Deployed v2.3.1 — sha 1a2b3c4d"
    assert deployer.actor == "Deployer"
    assert "bot" in deployer.tags
    assert "bot" in got[ts(3)].tags
    pagerduty = got[ts(5)]
    assert pagerduty.summary == "Resolved: #4821 Checkout errors by Kim"  # fallback not repeated
    assert pagerduty.refs == {"pd:q3ck"}
    blocks = got[ts(4)]
    assert blocks.summary == "ping @Bo Chen doc"
    assert "human" in blocks.tags and "url:x.io/a" in blocks.refs


def test_app_post_shows_the_apps_name_not_its_bot_users_handle(tmp_path: Path) -> None:
    """An app's post (``bot_id``) carries ``user`` = the app's bot user, whose users.list
    handle ("launchdarkly") is not what Slack shows: Slack shows ``username`` if the post set
    one, else ``bot_profile.name``. A bot user posting with no ``bot_id`` keeps its user name."""
    ld = {
        "id": "U9LD",
        "name": "launchdarkly",
        "is_bot": True,
        "profile": {"display_name": "launchdarkly", "real_name": "LaunchDarkly"},
    }
    users = {**USERS, "members": [*USERS["members"], ld]}
    messages = [
        {
            "type": "message",
            "user": "U9LD",
            "bot_id": "B9LD",
            "ts": ts(1),
            "bot_profile": {"id": "B9LD", "name": "LaunchDarkly Prod"},
            "text": "Sam turned off targeting for the flag checkout-v2 in *Production*",
        },
        {
            "type": "message",
            "user": "U9LD",
            "bot_id": "B9LD",
            "ts": ts(2),
            "username": "Flag Audit",
            "bot_profile": {"id": "B9LD", "name": "LaunchDarkly Prod"},
            "text": "Sam turned on targeting for the flag checkout-v2",
        },
        {"type": "message", "user": "U9LD", "ts": ts(3), "text": "posted as the bot user"},
    ]
    got = by_ts(
        list(parse(fixture_bundle(tmp_path, messages, **{"slack__users.list.json": [users]})))
    )
    assert got[ts(1)].actor == "LaunchDarkly Prod"
    assert got[ts(2)].actor == "Flag Audit"
    assert got[ts(3)].actor == "launchdarkly"
    assert all("bot" in event.tags for event in got.values())


def test_pins_reactions_edited_tags(tmp_path: Path) -> None:
    messages = [
        {
            "type": "message",
            "user": "U1",
            "ts": ts(1),
            "text": "root cause is the TTL change",
            "pinned_to": [INC],
            "reactions": [
                {"name": "pushpin", "users": ["U2"], "count": 1},
                {"name": "thumbsup::skin-tone-3", "users": ["U2"], "count": 1},
            ],
            "edited": {"user": "U1", "ts": ts(2)},
        },
        {
            "type": "message",
            "user": "U2",
            "ts": ts(2),
            "text": "pinned elsewhere",
            "pinned_to": ["C9"],
        },
    ]
    got = by_ts(list(parse(fixture_bundle(tmp_path, messages))))
    assert got[ts(1)].tags == {
        "human",
        "pinned",
        "reaction:pushpin",
        "reaction:thumbsup",
        "edited",
        "incident-channel",
    }
    assert got[ts(2)].tags == {"human", "incident-channel"}


def test_threads_broadcast_and_parent_fold_by_key(tmp_path: Path) -> None:
    parent = {
        "type": "message",
        "user": "U1",
        "ts": ts(1),
        "text": "thread",
        "thread_ts": ts(1),
        "reply_count": 2,
    }
    reply = {
        "type": "message",
        "user": "U2",
        "ts": ts(2),
        "text": "reply",
        "thread_ts": ts(1),
        "parent_user_id": "U1",
    }
    broadcast = {
        "type": "message",
        "subtype": "thread_broadcast",
        "user": "U2",
        "ts": ts(3),
        "text": "rolling back now",
        "thread_ts": ts(1),
        "reactions": [{"name": "eyes"}],
    }
    replies = [{"ok": True, "messages": [dict(parent), reply, {**broadcast, "reactions": []}]}]
    bundle = fixture_bundle(
        tmp_path, [broadcast, parent], **{f"slack__{INC}__replies__{ts(1)}.json": replies}
    )
    events = list(parse(bundle))
    assert [e.key for e in events] == [f"slack:{INC}:{ts(m)}" for m in (1, 2, 3)]
    got = by_ts(events)
    assert got[ts(2)].tags == {"human", "thread-reply", "incident-channel"}
    # the broadcast seen in history and in the thread is one event, tags unioned
    assert got[ts(3)].tags == {
        "human",
        "thread-reply",
        "broadcast",
        "reaction:eyes",
        "incident-channel",
    }
    assert got[ts(3)].links[0].url.endswith(f"?thread_ts={ts(1)}&cid={INC}")
    assert len(got[ts(3)].links) == 1
    assert got[ts(1)].links[0].url == f"{WS}archives/{INC}/p{ts(1).replace('.', '')}"


def test_skips_housekeeping_deleted_and_bad_ts(tmp_path: Path) -> None:
    messages = [
        {
            "type": "message",
            "subtype": "channel_join",
            "user": "U1",
            "ts": ts(1),
            "text": "<@U1> has joined",
        },
        {
            "type": "message",
            "subtype": "channel_topic",
            "user": "U1",
            "ts": ts(2),
            "text": "set the topic",
        },
        {
            "type": "message",
            "subtype": "tombstone",
            "ts": ts(3),
            "text": "This message was deleted.",
        },
        {"type": "message", "subtype": "message_deleted", "ts": ts(4), "text": ""},
        {"type": "message", "user": "U1", "ts": "not-a-ts", "text": "bad"},
        {"type": "message", "user": "U1", "text": "no ts"},
        "not a dict",
        {"type": "message", "user": "U1", "ts": ts(5), "text": "kept"},
    ]
    events = list(parse(fixture_bundle(tmp_path, messages)))
    assert [e.summary for e in events] == ["kept"]


def test_other_channel_scope_and_no_incident_tag(tmp_path: Path) -> None:
    alert = {
        "type": "message",
        "bot_id": "B1",
        "username": "Alertmanager",
        "ts": ts(1),
        "text": "[RESOLVED] HighErrorRate",
    }
    bundle = fixture_bundle(
        tmp_path,
        [],
        **{f"slack__{ALERTS}__conversations.history.json": [{"ok": True, "messages": [alert]}]},
    )
    (event,) = parse(bundle)
    assert event.scope == "slack:#alerts"  # name from the manifest when info is absent
    assert event.tags == {"bot"}


def test_registered_and_empty_bundle(tmp_path: Path) -> None:
    source = get_source("slack")
    assert source.parse is parse and source.collect is not None
    bundle = make_bundle(tmp_path, {"slack/auth.test.json": [{"ok": True, "url": WS}]})
    assert list(parse(bundle)) == []
