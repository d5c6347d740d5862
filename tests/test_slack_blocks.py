"""Every Block Kit block and element type Slack documents gives its text (``slack.blocks``).

Each input is a bot post as conversations.history returns it, its ``blocks`` or ``attachments``
written here in Slack's wire format (https://docs.slack.dev/reference/block-kit/blocks, field names
as in slack_sdk's ``slack_sdk.models.blocks``; legacy attachments with ``image_url`` as Slack
writes an image unfurl). None with readable text is counted "not understood".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconstruct.collectors.skips import counting
from reconstruct.collectors.slack.parse import parse
from tests.test_slack_parse import by_ts, fixture_bundle, ts


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def section(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "rich_text_section", "elements": list(elements)}


def t(text: str) -> dict[str, str]:
    return {"type": "text", "text": text}


def post(blocks: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B0GRAPH01",
        "username": "grapher",
        "ts": ts(1),
        "text": "",
        **extra,
    }
    if blocks is not None:
        message["blocks"] = blocks
    return message


IMAGE = {
    "type": "image",
    "block_id": "img",
    "image_url": "https://grafana.acme.io/render/d/x.png",
    "alt_text": "checkout 5xx graph",
    "title": plain("Checkout 5xx rate"),
}
BUTTONS = {
    "type": "actions",
    "elements": [
        {"type": "button", "text": plain("Acknowledge"), "action_id": "ack"},
        {"type": "button", "text": plain("Resolve"), "action_id": "res", "style": "danger"},
    ],
}

CASES: list[tuple[str, dict[str, Any], str]] = [
    ("image block: its title", post([IMAGE]), "image: Checkout 5xx rate"),
    (
        "image block without title: its alt text",
        post([{k: v for k, v in IMAGE.items() if k != "title"}]),
        "image: checkout 5xx graph",
    ),
    (
        "image block nested in an attachment",
        post(attachments=[{"id": 1, "color": "#d10000", "blocks": [IMAGE]}]),
        "image: Checkout 5xx rate",
    ),
    (
        "image unfurl attachment: Slack's generated fallback gives way to the file name",
        post(
            attachments=[
                {
                    "id": 1,
                    "fallback": "1200x600px image",
                    "image_url": "https://grafana.acme.io/render/p99%20latency.png",
                    "image_width": 1200,
                    "image_height": 600,
                    "image_bytes": 81234,
                }
            ]
        ),
        "image: p99 latency.png",
    ),
    (
        "image attachment with no fallback",
        post(attachments=[{"id": 1, "image_url": "https://x.acme.io/a/heap.png"}]),
        "image: heap.png",
    ),
    (
        "image attachment whose fallback says something",
        post(
            attachments=[
                {"id": 1, "fallback": "heap after the fix", "image_url": "https://x/h.png"}
            ]
        ),
        "heap after the fix",
    ),
    (
        "image and buttons: the buttons are left out",
        post([IMAGE, {"type": "divider"}, BUTTONS]),
        "image: Checkout 5xx rate",
    ),
    ("only buttons: their labels", post([BUTTONS]), "Acknowledge — Resolve"),
    (
        "rich text list, quote and preformatted",
        post(
            [
                {
                    "type": "rich_text",
                    "elements": [
                        section(t("Steps taken:")),
                        {
                            "type": "rich_text_list",
                            "style": "ordered",
                            "elements": [section(t("drained eu-1")), section(t("rolled back"))],
                        },
                        {"type": "rich_text_quote", "elements": [t("customers see 502s")]},
                        {"type": "rich_text_preformatted", "elements": [t("kubectl rollout undo")]},
                    ],
                }
            ]
        ),
        "Steps taken: drained eu-1 rolled back customers see 502s kubectl rollout undo",
    ),
    (
        "rich text date without fallback: UTC",
        post(
            [
                {
                    "type": "rich_text",
                    "elements": [
                        section(
                            t("maintenance ends "),
                            {"type": "date", "timestamp": 1710410400, "format": "{time}"},
                        )
                    ],
                }
            ]
        ),
        "maintenance ends 2024-03-14 10:00 UTC",
    ),
    (
        "context: text shown, its icon left out",
        post(
            [
                {
                    "type": "context",
                    "elements": [
                        {"type": "image", "image_url": "https://x/i.png", "alt_text": "PD logo"},
                        mrkdwn("Escalation policy *Checkout*"),
                    ],
                }
            ]
        ),
        "Escalation policy Checkout",
    ),
    (
        "context with only an image: its alt text",
        post(
            [
                {
                    "type": "context",
                    "elements": [
                        {"type": "image", "image_url": "https://x/s.png", "alt_text": "SLO burn"}
                    ],
                }
            ]
        ),
        "SLO burn",
    ),
    (
        "header and section fields; the accessory button left out",
        post(
            [
                {"type": "header", "text": plain("Incident #1234")},
                {
                    "type": "section",
                    "fields": [mrkdwn("*Status:*\nMitigated"), mrkdwn("*Lead:*\n<@U1>")],
                    "accessory": {"type": "button", "text": plain("Open"), "url": "https://x"},
                },
            ]
        ),
        "Incident #1234 — Status: Mitigated — Lead: @Ana",
    ),
    (
        "a section whose only words are its accessory's",
        post(
            [
                {
                    "type": "section",
                    "accessory": {
                        "type": "static_select",
                        "placeholder": plain("Pick a severity"),
                        "initial_option": {"text": plain("SEV2"), "value": "2"},
                    },
                }
            ]
        ),
        "SEV2",
    ),
    (
        "a user picked in a select menu: named",
        post(
            [
                {
                    "type": "actions",
                    "elements": [{"type": "users_select", "initial_user": "U2", "action_id": "ic"}],
                }
            ]
        ),
        "@Bo Chen",
    ),
    (
        "markdown block: standard Markdown links and bold",
        post(
            [
                {
                    "type": "markdown",
                    "text": "## Update\n**Rolled back** to v41, see [the runbook](https://wiki.acme.io/rb)",
                }
            ]
        ),
        "Update Rolled back to v41, see the runbook",
    ),
    (
        "video block",
        post(
            [
                {
                    "type": "video",
                    "alt_text": "recording",
                    "title": plain("Bridge recording"),
                    "description": plain("first 20 minutes"),
                    "video_url": "https://video.acme.io/v/1",
                    "thumbnail_url": "https://video.acme.io/t/1.png",
                }
            ]
        ),
        "video: Bridge recording — first 20 minutes",
    ),
    (
        "input block: label and value",
        post(
            [
                {
                    "type": "input",
                    "label": plain("Customer impact"),
                    "element": {"type": "plain_text_input", "initial_value": "EU checkout down"},
                }
            ]
        ),
        "Customer impact: EU checkout down",
    ),
    (
        "remote file block with no files",
        post([{"type": "file", "external_id": "RB-42", "source": "remote"}]),
        "remote file RB-42",
    ),
    (
        "remote file block: the file shared says it",
        post(
            [{"type": "file", "external_id": "RB-42", "source": "remote"}],
            files=[{"id": "F1", "title": "Checkout runbook", "is_external": True}],
        ),
        "shared a file: Checkout runbook",
    ),
    (
        "table block",
        post(
            [
                {
                    "type": "table",
                    "rows": [
                        [
                            {"type": "raw_text", "text": "region"},
                            {"type": "raw_text", "text": "5xx"},
                        ],
                        [
                            {"type": "raw_text", "text": "eu-1"},
                            {
                                "type": "rich_text",
                                "elements": [section(t("41%"))],
                            },
                        ],
                    ],
                }
            ]
        ),
        "region | 5xx; eu-1 | 41%",
    ),
    (
        "call block",
        post([{"type": "call", "call_id": "R1", "call": {"v1": {"id": "R1", "name": "Bridge"}}}]),
        "call: Bridge",
    ),
    (
        "alert, card in a carousel, container with child blocks",
        post(
            [
                {"type": "alert", "text": plain("Error budget exhausted"), "level": "error"},
                {
                    "type": "carousel",
                    "elements": [
                        {"type": "card", "title": mrkdwn("eu-1"), "body": mrkdwn("failing over")}
                    ],
                },
                {
                    "type": "container",
                    "title": plain("Timeline"),
                    "child_blocks": [{"type": "section", "text": mrkdwn("10:05 paged")}],
                },
            ]
        ),
        "Error budget exhausted — eu-1 — failing over — Timeline — 10:05 paged",
    ),
    (
        "plan of task cards",
        post(
            [
                {
                    "type": "plan",
                    "title": "Recovery",
                    "tasks": [
                        {
                            "type": "task_card",
                            "task_id": "1",
                            "title": "Restart pods",
                            "status": "complete",
                        }
                    ],
                }
            ]
        ),
        "Recovery — Restart pods",
    ),
    (
        "a block type added after this was written: its text objects",
        post([{"type": "status_board", "heading": plain("Degraded"), "note": mrkdwn("eu-1 only")}]),
        "Degraded — eu-1 only",
    ),
    (
        "legacy attachment action buttons only",
        post(
            attachments=[
                {"id": 1, "actions": [{"type": "button", "text": "Acknowledge", "name": "a"}]}
            ]
        ),
        "Acknowledge",
    ),
]


@pytest.mark.parametrize(("message", "summary"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_block_and_element_types_are_read(
    tmp_path: Path, message: dict[str, Any], summary: str
) -> None:
    with counting() as left:
        got = by_ts(list(parse(fixture_bundle(tmp_path, [message]))))
    assert dict(left) == {}  # not "not understood"
    assert got[ts(1)].summary == summary


def test_markdown_block_links_become_refs(tmp_path: Path) -> None:
    message = post(
        [{"type": "markdown", "text": "fix in [PR 42](https://github.com/acme/checkout/pull/42)"}]
    )
    got = by_ts(list(parse(fixture_bundle(tmp_path, [message]))))
    assert got[ts(1)].summary == "fix in PR 42"
    assert "pr:acme/checkout#42" in got[ts(1)].refs


def test_nothing_readable_is_still_counted_not_understood(tmp_path: Path) -> None:
    message = post([{"type": "divider"}, {"type": "image", "image_url": "https://x/y.png"}])
    message["blocks"][1]["alt_text"] = ""
    with counting() as left:
        got = by_ts(list(parse(fixture_bundle(tmp_path, [message]))))
    assert got == {}
    assert dict(left) == {"slack:#inc-1234 (not understood)": 1}


def test_people_named_inside_any_block_are_looked_up() -> None:
    """Live collection resolves everyone a row names (``shapes.people_in``), wherever the block."""
    from reconstruct.collectors.slack.shapes import people_in

    message = post(
        [
            {
                "type": "container",
                "title": plain("Owners"),
                "child_blocks": [{"type": "section", "text": mrkdwn("IC <@U0IC00001>")}],
            },
            {
                "type": "table",
                "rows": [
                    [
                        {
                            "type": "rich_text",
                            "elements": [section({"type": "user", "user_id": "U0DB00001"})],
                        }
                    ]
                ],
            },
            {"type": "card", "title": mrkdwn("eu-1"), "body": mrkdwn("owner <@U0EU00001>")},
        ]
    )
    assert people_in([message]) == {"U0IC00001", "U0DB00001", "U0EU00001"}
