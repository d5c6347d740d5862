"""Every message shape Slack documents ends in a row or a named count (``slack.shapes``).

Inputs are written here in Slack's wire format (https://docs.slack.dev/reference/events/message,
Block Kit https://docs.slack.dev/reference/block-kit/blocks, legacy attachments, the file object
and a huddle's ``room``), as conversations.history returns them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from reconstruct.collectors.skips import counting
from reconstruct.collectors.slack.parse import parse
from reconstruct.config import Config
from reconstruct.model import Event, Incident, Kind, Window
from reconstruct.normalize import normalize
from tests.test_slack_parse import INC, START, by_ts, fixture_bundle, ts

WINDOW = Window(
    start=START - timedelta(minutes=30),
    end=START + timedelta(hours=2),
    leadup_start=START - timedelta(days=14),
)
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


def epoch(minutes: float) -> int:
    return int((START + timedelta(minutes=minutes)).timestamp())


def parsed(tmp_path: Path, messages: list[Any]) -> tuple[dict[str, Event], dict[str, int]]:
    with counting() as left:
        events = list(parse(fixture_bundle(tmp_path, messages)))
    return by_ts(events), dict(left)


def shown(events: list[Event]) -> dict[str, str]:
    """key -> reason of the rows the normalizer keeps."""
    timeline = normalize(events, INCIDENT, WINDOW, Config())
    return {e.key.rsplit(":", 1)[1]: e.reason for e in timeline.events}


ALERT_BLOCKS = {  # an alerting app: the facts only in Block Kit, text a notification fallback
    "type": "message",
    "subtype": "bot_message",
    "bot_id": "B0ALERT01",
    "username": "Alertmanager",
    "ts": ts(1),
    "text": "New alert",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "[FIRING:1] HighErrorRate"}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Service:*\ncheckout"},
                {"type": "mrkdwn", "text": "*Severity:*\ncritical"},
            ],
        },
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Silence"}, "url": "x"}
            ],
        },
        {
            "type": "context",
            "elements": [
                {"type": "image", "image_url": "https://x.io/l.png", "alt_text": "logo"},
                {
                    "type": "mrkdwn",
                    "text": "<https://grafana.acme.io/alerting/grafana/abc/view|View rule>",
                },
            ],
        },
    ],
}
PAGERDUTY_ATTACHMENT_BLOCKS = {  # an app post: no text, blocks nested in an attachment
    "type": "message",
    "bot_id": "B0PD00001",
    "bot_profile": {"id": "B0PD00001", "name": "PagerDuty", "app_id": "A0PD"},
    "ts": ts(2),
    "text": "",
    "attachments": [
        {
            "color": "#d10000",
            "fallback": "Incident triggered",
            "blocks": [
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": "*<https://acme.pagerduty.com/incidents/Q1ABC|#1234 Checkout "
                        "5xx errors>*",
                    },
                },
                {
                    "type": "section",
                    "fields": [
                        {"type": "mrkdwn", "text": "*Status:* Triggered"},
                        {"type": "mrkdwn", "text": "*Urgency:* High"},
                    ],
                },
            ],
        }
    ],
}
DEPLOY_FIELDS = {  # a webhook with legacy attachment fields
    "type": "message",
    "subtype": "bot_message",
    "bot_id": "B0DEPLOY1",
    "username": "deploybot",
    "ts": ts(3),
    "text": "",
    "attachments": [
        {
            "fallback": "Deploy finished",
            "title": "checkout deployed to production",
            "title_link": "https://github.com/acme/checkout/pull/42",
            "fields": [
                {"title": "Version", "value": "v2.3.1", "short": True},
                {"title": "By", "value": "<@U1>", "short": True},
            ],
        }
    ],
}
WORKFLOW = {  # Workflow Builder: a bot_profile, rich_text blocks, text the fallback
    "type": "message",
    "subtype": "bot_message",
    "bot_id": "B0WF00001",
    "bot_profile": {"id": "B0WF00001", "name": "Declare incident"},
    "ts": ts(4),
    "text": "A workflow posted",
    "blocks": [
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [
                        {"type": "text", "text": "Incident declared by "},
                        {"type": "user", "user_id": "U2"},
                        {"type": "text", "text": ": checkout down"},
                    ],
                },
                {
                    "type": "rich_text_list",
                    "style": "bullet",
                    "elements": [
                        {
                            "type": "rich_text_section",
                            "elements": [{"type": "text", "text": "SEV1"}],
                        },
                        {
                            "type": "rich_text_section",
                            "elements": [{"type": "text", "text": "IC Ana"}],
                        },
                    ],
                },
            ],
        }
    ],
}


def test_bot_and_workflow_posts_show_their_blocks_and_attachments(tmp_path: Path) -> None:
    got, left = parsed(
        tmp_path, [ALERT_BLOCKS, PAGERDUTY_ATTACHMENT_BLOCKS, DEPLOY_FIELDS, WORKFLOW]
    )
    assert left == {}
    assert got[ts(1)].summary == (
        "[FIRING:1] HighErrorRate — Service: checkout — Severity: critical — View rule"
    )
    assert "url:grafana.acme.io/alerting/grafana/abc/view" in got[ts(1)].refs
    assert got[ts(2)].summary == "#1234 Checkout 5xx errors — Status: Triggered — Urgency: High"
    assert got[ts(2)].refs == {"pd:q1abc"} and got[ts(2)].actor == "PagerDuty"
    assert got[ts(3)].summary == "checkout deployed to production — Version: v2.3.1 — By: @Ana"
    assert "pr:acme/checkout#42" in got[ts(3)].refs
    assert got[ts(4)].summary == "Incident declared by @Bo Chen: checkout down SEV1 IC Ana"
    assert got[ts(4)].actor == "Declare incident"

    config = Config.model_validate(
        {"classify": {"bot_kinds": {"alert": [r"\[FIRING"], "declare": [r"incident declared"]}}}
    )
    timeline = normalize(list(got.values()), INCIDENT, WINDOW, config)
    kinds = {e.key.rsplit(":", 1)[1]: e.kind for e in timeline.events}
    assert kinds[ts(1)] is Kind.ALERT  # classification reads the blocks
    assert kinds[ts(4)] is Kind.DECLARE


def test_huddle_is_a_row_with_start_end_and_participants(tmp_path: Path) -> None:
    room = {
        "id": "R0HUDDLE1",
        "name": "",
        "created_by": "U1",
        "date_start": epoch(5),
        "date_end": epoch(47),
        "participants": [],
        "participant_history": ["U1", "U2", "U7"],
        "channels": [INC],
        "has_ended": True,
        "call_family": "huddle",
    }
    huddle = {
        "type": "message",
        "subtype": "huddle_thread",
        "ts": ts(5),
        "text": "",
        "room": room,
        "no_notifications": True,
        "thread_ts": ts(5),
        "blocks": [
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [{"type": "text", "text": "A huddle started"}],
                    }
                ],
            }
        ],
    }
    ongoing = dict(
        huddle,
        ts=ts(60),
        thread_ts=ts(60),
        room=dict(
            room,
            date_start=epoch(60),
            date_end=0,
            has_ended=False,
            participants=["U2"],
            participant_history=["U2"],
        ),
    )
    said = {"type": "message", "user": "U7", "ts": ts(6), "text": "joined the huddle"}
    said["user_profile"] = {"real_name": "Kim Nguyen", "display_name": ""}
    got, _ = parsed(tmp_path, [huddle, ongoing, said])
    start = (START + timedelta(minutes=5)).strftime("%H:%M")
    end = (START + timedelta(minutes=47)).strftime("%H:%M")
    assert got[ts(5)].summary == f"Huddle {start}–{end} UTC (42m 00s) with Ana, Bo Chen, Kim Nguyen"
    assert got[ts(5)].kind is Kind.UPDATE and got[ts(5)].actor == "Ana"
    assert got[ts(5)].tags == {"huddle", "incident-channel"}
    later = (START + timedelta(minutes=60)).strftime("%H:%M")
    assert (
        got[ts(60)].summary == f"Huddle started {later} UTC (not ended when collected) with Bo Chen"
    )
    assert set(shown(list(got.values()))) >= {ts(5), ts(60)}  # the bridge is always a row


def test_file_shares_rows_when_pinned_or_reacted_else_counted(tmp_path: Path) -> None:
    def share(minutes: float, files: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {
            "type": "message",
            "subtype": "file_share",
            "user": "U1",
            "ts": ts(minutes),
            "text": "",
            "upload": True,
            "files": files,
            **extra,
        }

    graph = {"id": "F0GRAPH01", "name": "error-rate.png", "title": "error rate", "mode": "hosted"}
    hidden = {"id": "F0HIDDEN1", "mode": "hidden_by_limit"}
    gone = {"id": "F0GONE001", "mode": "tombstone"}
    messages = [
        share(1, [graph], pinned_to=[INC]),
        share(2, [hidden], reactions=[{"name": "white_check_mark", "users": ["U2"], "count": 1}]),
        share(3, [gone]),
        share(4, [graph, {"id": "F0LOG0001", "name": "pods.log"}]),
    ]
    got, _ = parsed(tmp_path, messages)
    assert got[ts(1)].summary == "shared a file: error rate"
    assert got[ts(2)].summary == "shared a file hidden by the workspace plan's history limit"
    assert got[ts(3)].summary == "shared a file since deleted"
    assert got[ts(4)].summary == "shared files: error rate, pods.log"
    assert all("file" in e.tags for e in got.values())

    timeline = normalize(list(got.values()), INCIDENT, WINDOW, Config())
    rows = {e.key.rsplit(":", 1)[1]: e.reason for e in timeline.events}
    assert rows == {ts(1): "pinned", ts(2): "reaction :white_check_mark:"}
    assert timeline.omitted == {"slack:#inc-1234": 2}


def test_names_not_ids_wherever_the_evidence_has_them(tmp_path: Path) -> None:
    messages = [
        {  # U7 is not in users.list: the name on their own message is used everywhere
            "type": "message",
            "user": "U7",
            "ts": ts(1),
            "text": "on it",
            "user_profile": {"real_name": "Kim Nguyen", "display_name": "kim", "name": "kim.n"},
        },
        {"type": "message", "user": "U1", "ts": ts(2), "text": "thanks <@U7>, cc <@U8>"},
        {
            "type": "message",
            "bot_id": "B9",
            "bot_profile": {"name": "Statuspage"},
            "ts": ts(3),
            "text": "Investigating",
        },
        {"type": "message", "user": "U8", "ts": ts(4), "text": "nobody names me"},
    ]
    got, _ = parsed(tmp_path, messages)
    assert got[ts(1)].actor == "kim"
    assert got[ts(2)].summary == "thanks @kim, cc @U8"  # U8: no evidence has a name
    assert got[ts(3)].actor == "Statuspage"
    assert got[ts(4)].actor == "U8"


def test_every_other_subtype_is_a_row_or_a_named_count(tmp_path: Path) -> None:
    def m(minutes: float, subtype: str | None, text: str = "x", **extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "user": "U1", "ts": ts(minutes), "text": text}
        if subtype:
            out["subtype"] = subtype
        return out | extra

    messages: list[Any] = [
        m(1, "me_message", "is rolling back"),
        m(2, "thread_broadcast", "mitigated", thread_ts=ts(0.5), root={"ts": ts(0.5)}),
        m(3, "slackbot_response", "Runbook: https://wiki.acme.io/checkout"),
        m(4, "a_subtype_from_next_year", "still readable"),
        m(5, "channel_join", "<@U1> has joined the channel"),
        m(6, "channel_topic", "set the channel topic: SEV1 checkout"),
        m(7, "pinned_item", "pinned a message"),
        m(8, "reminder_add", "set up a reminder"),
        m(9, "channel_canvas_updated", ""),
        m(10, "tombstone", "This message was deleted."),
        m(11, "message_deleted", "", deleted_ts=ts(1)),
        m(12, "message_changed", "", message={"ts": ts(1), "text": "new"}),
        m(13, "ekm_access_denied", "Your admins have suspended everyone's access"),
        m(14, None, ""),  # nothing readable
        {"type": "desktop_notification", "ts": ts(15)},
        "not a message object",
        m(16, None, "not-a-ts", ts="yesterday"),  # its time cannot be read: counted too
    ]
    got, left = parsed(tmp_path, messages)
    assert set(got) == {ts(1), ts(2), ts(3), ts(4)}
    assert got[ts(2)].tags >= {"broadcast", "thread-reply"}
    assert left == {
        "slack:#inc-1234 (channel joins and settings)": 5,
        "slack:#inc-1234 (deleted)": 2,
        "slack:#inc-1234 (edit and reply notices)": 1,
        "slack:#inc-1234 (hidden by EKM)": 1,
        "slack:#inc-1234 (not understood)": 3,
        "slack:#inc-1234 (time not readable as UTC)": 1,
    }
    assert sum(left.values()) + len(got) == len(messages)


def test_a_record_seen_twice_is_counted_once(tmp_path: Path) -> None:
    tombstone = {
        "type": "message",
        "subtype": "tombstone",
        "ts": ts(1),
        "thread_ts": ts(1),
        "reply_count": 1,
        "text": "This message was deleted.",
    }
    reply = {"type": "message", "user": "U1", "ts": ts(2), "thread_ts": ts(1), "text": "reply"}
    replies = {
        f"slack__{INC}__replies__{ts(1)}.json": [{"ok": True, "messages": [tombstone, reply]}]
    }
    with counting() as left:
        events = list(parse(fixture_bundle(tmp_path, [tombstone], **replies)))
    assert [e.summary for e in events] == ["reply"]
    assert dict(left) == {"slack:#inc-1234 (deleted)": 1}


def test_counts_reach_the_coverage_note_and_json_omitted() -> None:
    from reconstruct.bundle import Bundle
    from reconstruct.collectors import get_source
    from reconstruct.pipeline import build_timeline, demo_bundle_path
    from reconstruct.render.coverage import compute

    bundle = Bundle.open(demo_bundle_path())  # its incident channel has joins and a purpose
    with counting() as left:
        events = list(get_source("slack").parse(bundle))
    (key,) = left
    assert key == "slack:#inc-4821 (channel joins and settings)"
    timeline = build_timeline(bundle, Config())
    assert timeline.omitted[key] == left[key] > 0
    assert timeline.collected["slack"] == len(events) + left[key]
    assert (
        timeline.accounts["slack"].omitted["channel joins and settings in slack:#inc-4821"]
        == (left[key])
    )
    (note,) = [s for s in compute(timeline, timedelta(minutes=15)).omitted if s.startswith("slack")]
    assert f"{left[key]} channel joins and settings in slack:#inc-4821" in note


def test_emphasis_markers_dropped_urls_and_identifiers_kept(tmp_path: Path) -> None:
    text = (
        "*Mitigated:* rolled back _checkout_ ~v2.3.1~ see <https://x.io/_next_/log> "
        "and https://x.io/a_b_/c; my_var_name stays, 2*3*4 too"
    )
    got, _ = parsed(tmp_path, [{"type": "message", "user": "U1", "ts": ts(1), "text": text}])
    assert got[ts(1)].summary == (
        "Mitigated: rolled back checkout v2.3.1 see https://x.io/_next_/log "
        "and https://x.io/a_b_/c; my_var_name stays, 2*3*4 too"
    )
