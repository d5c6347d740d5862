"""Bot, app and workflow posts get milestone kinds from the same ``[classify]`` patterns as people.

Inputs are Slack messages in conversations.history's wire format, written here: a Workflow
Builder post (``subtype: bot_message``, the words in ``text``), an incident app's post (``bot_id``
with a bot ``user``, the words only in Block Kit ``blocks``, ``text`` the notification fallback),
an autoscaler's post whose words are in Block Kit blocks nested in a legacy attachment, and an
Alertmanager post (``[FIRING:1]``) that ``bot_kinds`` makes an alert. They go through the Slack
parser and the normalizer, as a run does; the figures are computed from the result.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from reconstruct.collectors.slack.parse import parse
from reconstruct.config import ClassifyConfig, Config
from reconstruct.model import Event, Kind, Timeline
from reconstruct.normalize import normalize
from reconstruct.normalize.classify import compile_classifier
from reconstruct.render.metrics import compute
from tests.test_slack_parse import fixture_bundle, ts
from tests.test_slack_shapes import INCIDENT, WINDOW

WORKFLOW_TEXT = {
    "type": "message",
    "subtype": "bot_message",
    "bot_id": "B0WF00001",
    "username": "Declare an incident",
    "ts": ts(2),
    "text": "Declared incident SEV-1: checkout 5xx",
}
INCIDENT_APP_BLOCKS = {
    "type": "message",
    "user": "U0INCAPP1",
    "bot_id": "B0INCIO01",
    "app_id": "A0INCIO01",
    "bot_profile": {"id": "B0INCIO01", "name": "incident.io", "app_id": "A0INCIO01"},
    "ts": ts(20),
    "text": "Incident update",
    "blocks": [
        {
            "type": "section",
            "block_id": "upd",
            "text": {
                "type": "mrkdwn",
                "text": "*Root cause identified* by <@U2>: connection pool exhausted",
            },
        }
    ],
}
AUTOSCALER_NESTED = {
    "type": "message",
    "subtype": "bot_message",
    "bot_id": "B0SCALE01",
    "username": "autoscaler",
    "ts": ts(31),
    "text": "",
    "attachments": [
        {
            "id": 1,
            "color": "#2eb886",
            "blocks": [
                {
                    "type": "section",
                    "block_id": "s",
                    "text": {"type": "mrkdwn", "text": "Scaled out *checkout-api* to 12 pods"},
                }
            ],
        }
    ],
}
FIRING = {
    "type": "message",
    "subtype": "bot_message",
    "bot_id": "B0ALERT01",
    "username": "Alertmanager",
    "ts": ts(5),
    "text": "[FIRING:1] HighErrorRate checkout (runbook: roll back the last deploy)",
}
CHATTY_BOT = {
    "type": "message",
    "subtype": "bot_message",
    "bot_id": "B0STAND01",
    "username": "standup",
    "ts": ts(6),
    "text": "Reminder: standup notes are due",
}


def rows(tmp_path: Path, messages: list[dict[str, Any]]) -> tuple[dict[str, Event], Timeline]:
    events = list(parse(fixture_bundle(tmp_path, messages)))
    result = normalize(events, INCIDENT, WINDOW, Config())
    timeline = Timeline(
        incident=INCIDENT, window=WINDOW, events=result.events, omitted=result.omitted
    )
    members = {m.key.rsplit(":", 1)[1]: m for e in result.events for m in e.members}
    return {**members, **{e.key.rsplit(":", 1)[1]: e for e in result.events}}, timeline


def test_bot_posts_get_milestone_kinds_from_text_blocks_and_nested_attachment_blocks(
    tmp_path: Path,
) -> None:
    got, timeline = rows(tmp_path, [WORKFLOW_TEXT, INCIDENT_APP_BLOCKS, AUTOSCALER_NESTED])
    assert got[ts(2)].kind is Kind.DECLARE  # words in text
    assert got[ts(20)].kind is Kind.IDENTIFY  # words only in Block Kit blocks
    assert got[ts(20)].summary == "Root cause identified by @Bo Chen: connection pool exhausted"
    assert got[ts(31)].kind is Kind.MITIGATE  # words in blocks nested in an attachment
    figures = {m.key: m.seconds for m in compute(timeline)}
    # INCIDENT.started_at is START; ts(31) is 31 minutes later
    assert figures["time_to_mitigate_s"] == 31 * 60


def test_a_more_specific_bot_kind_wins_and_unmatched_bot_posts_stay_messages(
    tmp_path: Path,
) -> None:
    got, timeline = rows(tmp_path, [FIRING, CHATTY_BOT])
    assert got[ts(5)].kind is Kind.ALERT  # "[FIRING" beats the "roll back" milestone words
    assert got[ts(6)].kind is Kind.MESSAGE
    figures = {m.key: m.seconds for m in compute(timeline)}
    assert figures["time_to_mitigate_s"] is None  # an alert's runbook hint is no mitigation


def test_classifier_order_for_one_bot_post() -> None:
    classifier = compile_classifier(ClassifyConfig())
    event = Event(
        time=WINDOW.start + timedelta(minutes=1),
        kind=Kind.MESSAGE,
        summary="Deployment rolled back: checkout v41",
        sources=("slack",),
        links=(),
        key="slack:C1:1.0",
        tags=frozenset({"bot"}),
    )
    assert classifier.classify(event) == (Kind.DEPLOY, "deployment")  # bot_kinds first
    plain = Event(
        time=event.time,
        kind=Kind.MESSAGE,
        summary="Rolling back checkout to v41",
        sources=("slack",),
        links=(),
        key="slack:C1:2.0",
        tags=frozenset({"bot"}),
    )
    assert classifier.classify(plain) == (Kind.MITIGATE, "rolling back")
