"""Slack live collection through the real slack_sdk WebClient against the loopback fake."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors.base import CollectContext
from reconstruct.collectors.slack import SOURCE
from reconstruct.collectors.slack.parse import parse
from reconstruct.config import Config, Secret
from reconstruct.errors import SourceAuthError, SourceError, SourceNotFound
from reconstruct.model import Event, Incident, Window
from reconstruct.pipeline import partial_sources
from tests.fakes.server import FakeServer, Response
from tests.fakes.slack import FakeSlack

TOKEN = "xoxb-live-test-9f8e7d"
START = datetime(2024, 3, 14, 9, 0, tzinfo=UTC)
WINDOW = Window(
    start=START, end=START + timedelta(hours=2), leadup_start=START - timedelta(days=14)
)
INC = "C0INC0001"
ALERTS = "C0ALERTS1"
INCIDENT = Incident(
    id="Q1ABC",
    number=1234,
    title="Checkout 5xx errors",
    severity="P1",
    services=("checkout",),
    started_at=START,
    resolved_at=START + timedelta(hours=1),
    url=None,
)


def ts(minutes: float) -> str:
    when = START + timedelta(minutes=minutes)
    return f"{int(when.timestamp())}.{when.microsecond:06d}"


def msg(minutes: float, user: str | None, text: str, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "message", "ts": ts(minutes), "text": text, **extra}
    if user:
        out["user"] = user
    return out


class Run:
    def __init__(self, fake: FakeSlack, tmp_path: Path, ca_bundle: Path) -> None:
        self.fake = fake
        self.tmp_path = tmp_path
        self.ca_bundle = ca_bundle
        self.progress: list[str] = []
        self.sleeps: list[float] = []

    def context(
        self,
        *,
        slack: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
        token: str | None = TOKEN,
        raw: dict[str, Any] | None = None,
    ) -> CollectContext:
        config = Config.model_validate(
            {
                "tls": {"ca_bundle": str(self.ca_bundle)},
                "slack": {"base_url": self.fake.base_url, "page_size": 3, **(slack or {})},
            }
        )
        return CollectContext(
            config=config,
            incident=INCIDENT,
            incident_raw=raw or {"id": "Q1ABC", "incident_number": 1234},
            window=WINDOW,
            token=Secret(token, "SLACK_TOKEN") if token else None,
            progress=lambda source, message: self.progress.append(f"{source}: {message}"),
            options=options or {},
            source="slack",
            sleep=self.sleeps.append,
        )

    def collect(self, **kwargs: Any) -> tuple[dict[str, Any], Bundle]:
        ctx = self.context(**kwargs)
        writer = BundleWriter(self.tmp_path / "bundle", "Q1ABC")
        assert SOURCE.collect is not None
        meta = dict(SOURCE.collect(ctx, writer))
        writer.set_source("slack", "ok", meta=meta)
        return meta, Bundle.open(writer.finish(WINDOW, START))


@pytest.fixture
def run(make_server: Callable[..., FakeServer], tmp_path: Path, ca_bundle: Path) -> Run:
    fake = FakeSlack(make_server(), token=TOKEN)
    for uid, name, display in [
        ("U1", "ana", "Ana"),
        ("U2", "bo", "Bo"),
        ("U3", "cy", "Cy"),
        ("U4", "di", ""),
        ("U5", "ed", "Ed"),
    ]:
        fake.add_user(uid, name, display_name=display, real_name=name.title())
    fake.add_user("U9", "deploybot", is_bot=True)
    return Run(fake, tmp_path, ca_bundle)


def incident_messages() -> list[dict[str, Any]]:
    return [
        msg(-30, "U1", "before the window"),
        msg(5, "U1", "Declaring a SEV1 for checkout, <@U2> please look"),
        msg(10, "U2", "error rate is up", thread_ts=ts(10), reply_count=3),
        msg(11, "U3", "seeing it too", thread_ts=ts(10), parent_user_id="U2"),
        msg(12, "U4", "rolling back", thread_ts=ts(10), subtype="thread_broadcast"),
        msg(13, "U1", "ok", thread_ts=ts(10)),
        msg(
            20,
            None,
            "Deployed v2.3.0 to production",
            bot_id="B1",
            bot_profile={"id": "B1", "name": "Deployer"},
        ),
        msg(
            30,
            None,
            "This message was deleted.",
            subtype="tombstone",
            thread_ts=ts(30),
            reply_count=1,
        ),
        msg(31, "U5", "reply under a deleted parent", thread_ts=ts(30)),
        msg(40, "U5", "<@U5> has joined the channel", subtype="channel_join"),
        msg(
            50,
            "U1",
            "root cause: pool size",
            edited={"user": "U1", "ts": ts(51)},
            pinned_to=[INC],
            reactions=[{"name": "pushpin", "users": ["U2"], "count": 1}],
        ),
        msg(200, "U1", "after the window"),
    ]


def by_ts(events: list[Event]) -> dict[str, Event]:
    return {e.key.rsplit(":", 1)[1]: e for e in events}


def test_full_run_request_counts_and_events(run: Run) -> None:
    fake = run.fake
    fake.add_channel("C0GENERAL", "general")
    fake.add_channel(INC, "inc-1234", messages=incident_messages())
    fake.add_channel(ALERTS, "alerts", messages=[msg(3, "U9", "[FIRING:1] HighErrorRate")])

    meta, bundle = run.collect(slack={"channels": ["#alerts"]})

    assert meta["workspace_url"] == "https://acme.slack.com/"
    assert meta["incident_channel"] == INC
    assert meta["channels"] == {INC: "inc-1234", ALERTS: "alerts"}
    assert meta["warnings"] == [] and "failed_parts" not in meta
    counts = {
        m: fake.count(m)
        for m in (
            "auth.test",
            "conversations.list",
            "conversations.info",
            "conversations.history",
            "conversations.replies",
            "users.list",
            "users.info",
            "chat.getPermalink",
        )
    }
    # 7 top-level messages in the window at page_size 3 -> 3 pages; alerts: 1 page; one page
    # each over the thread lookback before the window (threads begun earlier).
    # replies: one call per thread with replies, plus a second page for the thread of 4 (limit 3)
    assert counts == {
        "auth.test": 1,
        "conversations.list": 1,
        "conversations.info": 2,
        "conversations.history": 6,
        "conversations.replies": 3,
        "users.list": 1,
        "users.info": 0,
        "chat.getPermalink": 0,
    }
    assert meta["requests"] == {k: v for k, v in counts.items() if v}
    history = [r for r in fake.server.requests if r.path.endswith("conversations.history")]
    first = history[0]
    assert first.param("oldest") == ts(0) and first.param("latest") == ts(120)
    assert first.param("inclusive") == "1" and first.param("limit") == "3"
    assert first.headers["authorization"] == f"Bearer {TOKEN}"
    assert not first.query  # the token and params travel in the form body

    got = by_ts(list(parse(bundle)))
    assert set(got) == {ts(m) for m in (5, 10, 11, 12, 13, 20, 31, 50, 3)}
    assert got[ts(5)].summary == "Declaring a SEV1 for checkout, @Bo please look"
    assert got[ts(5)].actor == "Ana"
    assert got[ts(5)].tags == {"human", "incident-channel", "mention:U2:Bo"}  # whom it names
    assert got[ts(12)].tags == {"human", "thread-reply", "broadcast", "incident-channel"}
    assert got[ts(12)].actor == "Di"  # no display name: real name
    assert got[ts(11)].links[0].url == (
        f"https://acme.slack.com/archives/{INC}/p{ts(11).replace('.', '')}"
        f"?thread_ts={ts(10)}&cid={INC}"
    )
    assert got[ts(20)].tags == {"bot", "incident-channel"} and got[ts(20)].actor == "Deployer"
    assert {"edited", "pinned", "reaction:pushpin"} <= got[ts(50)].tags
    assert got[ts(31)].tags == {"human", "thread-reply", "incident-channel"}
    assert got[ts(3)].tags == {"bot"} and got[ts(3)].scope == "slack:#alerts"
    assert any("inc-1234" in line for line in run.progress)


def test_channel_list_stops_when_names_found(run: Run) -> None:
    fake = run.fake
    for n in range(8):
        fake.add_channel(f"C0OTHER{n:02d}", f"other-{n}")
    fake.add_channel(INC, "inc-1234", messages=[msg(1, "U1", "hi")])
    for n in range(8, 12):
        fake.add_channel(f"C0OTHER{n:02d}", f"other-{n}")
    fake.page_cap["conversations.list"] = 3
    meta, _ = run.collect()
    assert meta["incident_channel"] == INC
    assert fake.count("conversations.list") == 3  # the channel is on page 3 of 5
    listing = next(r for r in fake.server.requests if r.path.endswith("conversations.list"))
    assert listing.param("types") == "public_channel,private_channel,mpim"
    assert listing.param("limit") == "1000"
    assert fake.count("users.info") == 1 and fake.count("users.list") == 0  # one user: info


def test_slack_channel_option_id_skips_listing(run: Run) -> None:
    run.fake.add_channel(INC, "war-room", messages=[msg(1, "U1", "hi")])
    meta, bundle = run.collect(options={"slack_channel": INC})
    assert meta["incident_channel"] == INC
    assert run.fake.count("conversations.list") == 0
    (event,) = parse(bundle)
    assert event.scope == "slack:#war-room" and "incident-channel" in event.tags


def test_slack_channel_option_unknown_name_fails(run: Run) -> None:
    run.fake.add_channel(INC, "inc-1234")
    with pytest.raises(SourceNotFound, match=r"#nope.*--slack-channel"):
        run.collect(options={"slack_channel": "#nope"})


def test_template_slug_and_link_fallback(run: Run) -> None:
    run.fake.add_channel(INC, "checkout-5xx-errors", messages=[msg(1, "U1", "hi")])
    meta, _ = run.collect(slack={"incident_channel": "{slug}"})
    assert meta["incident_channel"] == INC

    run.fake.add_channel("C0LINKED1", "war-room-7", messages=[msg(2, "U1", "linked")])
    raw = {
        "id": "Q1ABC",
        "body": {"details": "war room: https://acme.slack.com/archives/C0LINKED1"},
    }
    meta, _ = run.collect(raw=raw)  # inc-1234 does not exist: the link wins
    assert meta["incident_channel"] == "C0LINKED1"
    assert any("inc-1234" in w for w in meta["warnings"])
    assert "incomplete" not in meta  # the incident channel was read: the run is complete


def test_no_incident_channel_is_a_warning(run: Run) -> None:
    run.fake.add_channel(ALERTS, "alerts", messages=[msg(3, "U9", "[FIRING:1] X")])
    meta, bundle = run.collect(slack={"channels": [ALERTS], "incident_channel": ""})
    assert meta["incident_channel"] is None
    assert any("no incident channel" in w for w in meta["warnings"])
    assert "incomplete" not in meta  # none was wanted: nothing is missing
    assert [e.scope for e in parse(bundle)] == ["slack:#alerts"]
    assert any("warning" in line for line in run.progress)


def test_templated_or_configured_channel_not_found_makes_the_run_partial(run: Run) -> None:
    run.fake.add_channel(ALERTS, "alerts", messages=[msg(3, "U9", "[FIRING:1] X")])
    meta, bundle = run.collect(slack={"channels": [ALERTS, "#deploys"]})
    assert meta["incident_channel"] is None
    assert meta["incomplete"] == [
        "no channel #inc-1234 ([slack] incident_channel) in the workspace; the incident "
        "channel's messages are missing (pass --slack-channel, or set [slack] incident_channel "
        '= "" to read [slack] channels only)',
        "no channel #deploys ([slack] channels) in the workspace",
    ]
    assert set(meta["incomplete"]) <= set(meta["warnings"])
    assert partial_sources(bundle) == ("slack",)
    assert [e.scope for e in parse(bundle)] == ["slack:#alerts"]


def test_users_fewest_calls(run: Run) -> None:
    fake = run.fake
    for n in range(6, 11):
        fake.add_user(f"U{n}", f"user{n}")
    fake.page_cap["users.list"] = 2  # pages: U1 U2 | U3 U4 | U5 U9 | U6 U7 | U8 U10
    messages = [msg(m, u, "x") for m, u in [(1, "U1"), (2, "U2"), (3, "U3"), (4, "U4")]]
    messages.append(msg(5, "U10", "and <@U404>"))  # U10 on the last page, U404 unknown
    fake.add_channel(INC, "inc-1234", messages=messages)
    _, bundle = run.collect()
    # users.list page 1 finds U1 U2, page 2 U3 U4 (2 pages >= 2 left) -> users.info for the rest
    assert fake.count("users.list") == 2
    assert fake.count("users.info") == 2
    got = by_ts(list(parse(bundle)))
    assert got[ts(5)].actor == "user10"
    assert got[ts(5)].summary == "and @U404"


def test_invalid_token(run: Run) -> None:
    run.fake.add_channel(INC, "inc-1234")
    with pytest.raises(SourceAuthError) as info:
        run.collect(token="xoxb-wrong-secret-123")
    assert "SLACK_TOKEN" in str(info.value) and "invalid_auth" in str(info.value)
    assert "xoxb-wrong-secret-123" not in str(info.value)
    assert run.fake.count("conversations.history") == 0


def test_missing_token(run: Run) -> None:
    with pytest.raises(SourceAuthError, match="SLACK_TOKEN is missing"):
        run.collect(token=None)
    assert run.fake.server.count() == 0


def test_missing_scope_names_the_scope(run: Run) -> None:
    run.fake.add_channel(INC, "inc-1234", messages=[msg(1, "U1", "hi")])
    run.fake.missing_scope["conversations.history"] = "channels:history"
    with pytest.raises(SourceAuthError, match="channels:history"):
        run.collect()


def test_missing_users_read_is_a_warning(run: Run) -> None:
    run.fake.add_channel(INC, "inc-1234", messages=[msg(1, "U1", "hi")])
    run.fake.missing_scope["users.info"] = "users:read"
    meta, bundle = run.collect()
    assert any("users:read" in w for w in meta["warnings"])
    (event,) = parse(bundle)
    assert event.actor == "U1"


def test_private_channels_without_groups_read(run: Run) -> None:
    run.fake.add_channel(INC, "inc-1234", messages=[msg(1, "U1", "hi")])
    real = run.fake._conversations_list

    def only_public(req: Any) -> Response:
        if "private_channel" in (req.param("types") or ""):
            return Response(200, {"ok": False, "error": "missing_scope", "needed": "groups:read"})
        return real(req)

    run.fake._conversations_list = only_public  # type: ignore[method-assign]
    meta, _ = run.collect()
    assert meta["incident_channel"] == INC
    assert any("groups:read" in w for w in meta["warnings"])


MPIM = "G0MPIM0001"


def test_a_group_dm_in_slack_channels_is_found_by_name(run: Run) -> None:
    """A group DM (mpim) configured by its name is listed with types=...,mpim and read."""
    run.fake.add_channel(INC, "inc-1234", messages=[msg(1, "U1", "hi")])
    run.fake.add_channel("C0PRIV001", "sre-leads", private=True)
    run.fake.add_channel(
        MPIM, "mpdm-ana--bo-1", mpim=True, messages=[msg(4, "U2", "paging the db team")]
    )
    meta, bundle = run.collect(slack={"channels": ["mpdm-ana--bo-1", "#sre-leads"]})
    assert "incomplete" not in meta and meta["warnings"] == []
    assert meta["channels"][MPIM] == "mpdm-ana--bo-1"
    got = {e.scope: e.summary for e in parse(bundle)}
    assert got["slack:#mpdm-ana--bo-1"] == "paging the db team"


def test_without_mpim_read_group_dms_are_not_searched_and_the_run_is_partial(run: Run) -> None:
    run.fake.add_channel(INC, "inc-1234", messages=[msg(1, "U1", "hi")])
    run.fake.add_channel(MPIM, "mpdm-ana--bo-1", mpim=True)
    run.fake.lacking_scopes.add("mpim:read")
    meta, bundle = run.collect(slack={"channels": ["mpdm-ana--bo-1"]})
    assert meta["incident_channel"] == INC  # public and private channels still searched
    assert "SLACK_TOKEN lacks mpim:read: group DMs are not searched by name" in meta["warnings"]
    assert meta["incomplete"] == ["no channel #mpdm-ana--bo-1 ([slack] channels) in the workspace"]
    assert partial_sources(bundle) == ("slack",)
    listings = [
        r.param("types") for r in run.fake.server.requests if "conversations.list" in r.path
    ]
    assert listings == ["public_channel,private_channel,mpim", "public_channel,private_channel"]


def test_not_in_incident_channel_says_invite(run: Run) -> None:
    run.fake.add_channel(INC, "inc-1234")
    run.fake.not_in_channel.add(INC)
    with pytest.raises(SourceError) as info:
        run.collect()
    text = str(info.value)
    assert "#inc-1234" in text and INC in text and "/invite @reconstruct" in text


def test_failing_extra_channel_keeps_incident_channel(run: Run) -> None:
    run.fake.add_channel(INC, "inc-1234", messages=[msg(1, "U1", "hi")])
    run.fake.add_channel(ALERTS, "alerts")
    run.fake.not_in_channel.add(ALERTS)
    meta, bundle = run.collect(slack={"channels": ["alerts", "C0GONE001"]})
    assert set(meta["failed_parts"]) == {ALERTS, "C0GONE001"}
    assert "invite" in meta["failed_parts"][ALERTS]
    assert "not found" in meta["failed_parts"]["C0GONE001"]
    assert [e.summary for e in parse(bundle)] == ["hi"]


def test_rate_limit_retry_after_reports_progress(run: Run) -> None:
    run.fake.add_channel(INC, "inc-1234", messages=[msg(1, "U1", "hi")])
    run.fake.rate_limit("conversations.history", times=1, retry_after=0)
    began = time.monotonic()
    _, bundle = run.collect(options={"slack_channel": INC})
    assert time.monotonic() - began < 5
    assert run.fake.count("conversations.history") == 3  # one 429, the window, the lookback
    assert (
        "slack: conversations.history #inc-1234 (C0INC0001) page 1: rate limited (HTTP 429) "
        "(retry 1 of 5), waiting 0s"
    ) in run.progress
    assert [e.summary for e in parse(bundle)] == ["hi"]


def test_server_error_is_retried(run: Run) -> None:
    run.fake.add_channel(INC, "inc-1234", messages=[msg(1, "U1", "hi")])
    run.fake.server.fail_next(
        "POST", r"/api/conversations[.]info", Response(503, "<html>down</html>")
    )
    meta, _ = run.collect(options={"slack_channel": INC})
    assert run.fake.count("conversations.info") == 2
    assert meta["channels"] == {INC: "inc-1234"}


def test_unreachable_server(run: Run, tmp_path: Path) -> None:
    ctx_slack = {"base_url": "https://127.0.0.1:9/api/"}
    with pytest.raises(SourceError, match="cannot reach"):
        run.collect(slack=ctx_slack)


def test_a_refused_page_size_falls_back_to_a_smaller_one(run: Run) -> None:
    # An app whose limits Slack lowered: a limit above 200 is refused with invalid_limit.
    run.fake.add_channel(INC, "inc-1234", messages=[msg(i, "U1", f"m{i}") for i in range(1, 8)])
    run.fake.max_limit["conversations.history"] = 200
    _, bundle = run.collect(options={"slack_channel": INC}, slack={"page_size": 999})
    history = [r for r in run.fake.server.requests if r.path.endswith("/conversations.history")]
    limits = [r.param("limit") for r in history]
    assert limits[:2] == ["999", "200"], "refused, then asked again for 200"
    assert set(limits[2:]) <= {"200"}, "later listings ask for 200 at once"
    assert any("refused limit=999; asking for 200" in m for m in run.progress)
    pages = bundle.pages(f"slack/{INC}/conversations.history.json")
    assert sum(len(p["messages"]) for p in pages) == 7


def test_a_refused_page_size_is_shared_by_concurrent_calls(run: Run) -> None:
    # Twelve threads read on four workers while Slack refuses limit=999 for replies: the
    # method's first call probes the page size while the others wait for its answer, so 999 is
    # asked for once (issue #13: one probe per run, not one per worker), said once.
    messages = []
    for i in range(12):
        parent = msg(2 + i, "U1", f"thread {i}", reply_count=1)
        parent["thread_ts"] = parent["ts"]
        reply = msg(2.5 + i, "U2", f"reply {i}")
        reply["thread_ts"] = parent["ts"]
        messages += [parent, reply]
    run.fake.add_channel(INC, "inc-1234", messages=messages)
    run.fake.max_limit["conversations.replies"] = 200
    run.fake.server.latency = 0.2  # the workers' first calls are all in flight at once
    _, bundle = run.collect(options={"slack_channel": INC}, slack={"page_size": 999})
    replies = [r for r in run.fake.server.requests if r.path.endswith("/conversations.replies")]
    refused = [r for r in replies if r.param("limit") == "999"]
    assert len(refused) == 1, "one probe: the other workers waited for its answer"
    assert len(replies) == 12 + len(refused)
    assert sum("refused limit=999" in m for m in run.progress) == 1
    assert len([f for f in bundle.files() if "/replies/" in f]) == 12


def test_a_request_held_back_by_a_rate_limit_names_the_refused_one(run: Run) -> None:
    # Slack refuses one channel's history (429, Retry-After 30); the other channel's history,
    # held back by the same method's wait, names the request that was refused, not itself
    run.fake.add_channel(INC, "inc-1234", messages=[msg(1, "U1", "hi")])
    run.fake.add_channel(ALERTS, "alerts", messages=[msg(2, "U2", "alert")])
    refused = Response(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "30"})
    run.fake.inject("conversations.history", refused, channel=ALERTS)
    run.collect(slack={"channels": [ALERTS]})
    waits = [line for line in run.progress if "rate limited" in line and "waiting" in line]
    assert waits, run.progress
    refused_where = "slack: conversations.history #alerts (C0ALERTS1) page 1"
    for line in waits:
        assert line.startswith(f"{refused_where}: "), line
    held = [line for line in waits if "held back" in line]
    assert held, waits
