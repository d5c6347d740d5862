"""A Slack mention of a person reads with that person's one name (#11, "One name per person").

Slack writes a mention as ``<@U…>`` in ``text`` (``<@U…|label>`` in older messages), as a
``user`` element (``user_id``) in a ``rich_text`` block, a user group as ``<!subteam^S…>`` or a
``usergroup`` element, and ``<!here>`` for everyone present
(https://docs.slack.dev/messaging/formatting-message-text,
https://docs.slack.dev/reference/block-kit/block-elements/user-element). users.list / users.info
give each user ``name`` (the handle), ``profile.display_name``, ``profile.real_name`` and, with
``users:read.email``, ``profile.email``. The inputs below are written in those shapes; the names
the rows must show are the ones the people directory gives (email joins, ``[people]``).
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconstruct.collectors.people import identities
from reconstruct.collectors.slack.parse import parse
from reconstruct.config import Config, PeopleConfig
from reconstruct.model import Timeline
from reconstruct.normalize.people import directory, resolve
from reconstruct.render import RenderOptions, render
from reconstruct.render.table import ZWSP, no_mentions
from tests.fakes.server import FakeServer
from tests.fakes.slack import FakeSlack
from tests.test_rows import slack_user, timeline, trigger, ts
from tests.test_slack_live import INC, TOKEN, Run

TOMAS = slack_user("U14TOMAS", "tomas", "Tomás García", "tomas@acme.example")
KIM = slack_user("U03KIM", "kim", "Kim Nguyen", "kim@acme.example")
NOEMAIL = slack_user("U05LEO", "leo", "Leo Park", None)
GHOST = "U0GHOST99"
"""A user no users list holds (left the workspace, another workspace's user)."""


def bot_post(minutes: float, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "bot_id": "B0SHIPIT",
        "bot_profile": {"id": "B0SHIPIT", "name": "shipit"},
        "text": text,
        "ts": ts(minutes),
        **extra,
    }


def person(uid: str, minutes: float, text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "user": uid, "text": text, "ts": ts(minutes), **extra}


def user_block(*parts: dict[str, Any]) -> list[dict[str, Any]]:
    section = {"type": "rich_text_section", "elements": list(parts)}
    return [{"type": "rich_text", "block_id": "b1", "elements": [section]}]


def pd_user(name: str, email: str, uid: str) -> dict[str, Any]:
    return {"id": uid, "type": "user", "name": name, "summary": name, "email": email}


def build(tmp_path: Path, messages: list[dict[str, Any]], config: Config | None = None) -> Timeline:
    return timeline(
        tmp_path,
        [trigger()],
        messages,
        [TOMAS, KIM, NOEMAIL],
        config=config,
    )


def row(tl: Timeline, needle: str) -> str:
    found = [e.summary for e in tl.events if needle in e.summary]
    assert len(found) == 1, (needle, [e.summary for e in tl.events])
    return found[0]


def test_a_bots_mention_reads_with_the_persons_name(tmp_path: Path) -> None:
    tl = build(tmp_path, [bot_post(20, "Rolling back checkout to v41, triggered by <@U14TOMAS>")])
    assert row(tl, "Rolling back").endswith("triggered by Tomás García")


def test_a_rich_text_user_element_reads_with_the_persons_name(tmp_path: Path) -> None:
    blocks = user_block(
        {"type": "text", "text": "Rollback of checkout started by "},
        {"type": "user", "user_id": "U03KIM"},
    )
    post = bot_post(20, "Rollback started", blocks=blocks)
    assert row(build(tmp_path, [post]), "Rollback of checkout") == (
        "Rollback of checkout started by Kim Nguyen"
    )


def test_a_persons_own_message_names_whom_it_mentions(tmp_path: Path) -> None:
    """People's messages are quoted as written, but a mention is Slack's, not their words."""
    said = person("U03KIM", 12, "Declaring a SEV-1 incident. <@U14TOMAS|tomas> please roll back")
    assert row(build(tmp_path, [said]), "Declaring") == (
        "Declaring a SEV-1 incident. Tomás García please roll back"
    )


def test_the_handle_is_the_name_when_config_says_handle(tmp_path: Path) -> None:
    config = Config(people=PeopleConfig(display="handle"))
    tl = build(tmp_path, [bot_post(20, "Rolling back checkout, triggered by <@U14TOMAS>")], config)
    assert row(tl, "Rolling back").endswith("triggered by tomas")


def test_an_alias_name_is_the_mentions_name(tmp_path: Path) -> None:
    config = Config(people=PeopleConfig(aliases={"Leo P.": ["slack:U05LEO"]}))
    tl = build(tmp_path, [bot_post(20, "Rolling back checkout, triggered by <@U05LEO>")], config)
    assert row(tl, "Rolling back").endswith("triggered by Leo P.")


def test_a_mention_of_someone_no_users_list_holds_keeps_its_tool_name(tmp_path: Path) -> None:
    labelled = bot_post(20, f"Rolling back checkout, triggered by <@{GHOST}|ghost.user>")
    bare = bot_post(30, f"Restarted checkout pods, requested by <@{GHOST}>")
    tl = build(tmp_path, [labelled, bare])
    assert row(tl, "Rolling back").endswith("triggered by @ghost.user")
    assert row(tl, "Restarted").endswith(f"requested by @{GHOST}")


def test_group_and_channel_mentions_stay_as_slack_shows_them(tmp_path: Path) -> None:
    blocks = user_block(
        {"type": "usergroup", "usergroup_id": "S0ONCALL"},
        {"type": "text", "text": " rollback of checkout started"},
    )
    posts = [
        bot_post(20, "<!subteam^S0SRE|@sre-oncall> rolling back checkout, cc <!here>"),
        bot_post(30, "Rollback started", blocks=blocks),
    ]
    tl = build(tmp_path, posts)
    assert row(tl, "rolling back checkout").startswith("@sre-oncall rolling back checkout")
    assert row(tl, "rolling back checkout").endswith("cc @here")
    assert row(tl, "rollback of checkout started") == "@S0ONCALL rollback of checkout started"


def test_every_format_shows_the_name_without_an_invisible_character(tmp_path: Path) -> None:
    """The name needs no zero-width space: nothing links "Tomás García". An unresolved
    ``@ghost.user`` is no GitHub mention either (a dot then a word ends no login), while
    ``@here`` is and keeps it in what a person pastes (Markdown, HTML)."""
    text = "Rolling back checkout, triggered by <@U14TOMAS>, cc <!here> <@U0GHOST99|ghost.user>"
    tl = build(tmp_path, [bot_post(20, text)])
    want = "triggered by Tomás García, cc @here @ghost.user"
    md = render(tl, RenderOptions(fmt="markdown"), Config())
    assert "triggered by Tomás García, cc @\u200bhere @ghost.user" in md
    page = html.unescape(render(tl, RenderOptions(fmt="html"), Config()))
    assert f"triggered by Tomás García, cc @{ZWSP}here @ghost.user" in page
    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    assert any(e["summary"].endswith(want) for e in doc["events"]), doc["events"]
    rows = list(csv.reader(io.StringIO(render(tl, RenderOptions(fmt="csv"), Config()))))
    assert any(cell.endswith(want) for r in rows for cell in r), rows
    assert "tomas" not in md.replace("tomas@", "")


def test_two_people_one_name_mentioned_are_told_apart(tmp_path: Path) -> None:
    """Two Slack accounts both shown "Sam Lee": a mention names its own account's person, told
    apart by handle. One text mentioning both shows "@Sam Lee" twice and says no more: which
    is which is not in the text, and nothing is guessed."""
    sam1 = slack_user("U0SAM1", "samlee", "Sam Lee", "sam@acme.example")
    sam2 = slack_user("U0SAM2", "samuel.lee", "Sam Lee", "samuel@acme.example")
    sam1["profile"]["display_name"] = sam2["profile"]["display_name"] = "Sam Lee"
    posts = [
        bot_post(20, "Rolling back checkout, approved by <@U0SAM1>"),
        person("U0SAM2", 25, "Declaring a SEV-1 incident, I am IC"),
        bot_post(30, "Restarted checkout pods for <@U0SAM1> and <@U0SAM2>"),
    ]
    tl = timeline(tmp_path, [trigger()], posts, [sam1, sam2])
    assert row(tl, "Rolling back").endswith("approved by Sam Lee (@samlee)")
    assert [e.actor for e in tl.events if "Declaring" in e.summary] == ["Sam Lee (@samuel.lee)"]
    assert row(tl, "Restarted").endswith("for @Sam Lee and @Sam Lee")


def test_live_mentions_through_the_sdk_resolve_to_names(
    make_server: Callable[..., FakeServer], tmp_path: Path, ca_bundle: Path
) -> None:
    """Through the real slack_sdk against the loopback fake: the mentioned users are read
    (users.list), each mention carries whose it is, and the directory names them."""
    fake = FakeSlack(make_server(), token=TOKEN)
    fake.add_user("U14TOMAS", "tomas", display_name="tomas", real_name="Tomás García")
    fake.add_user("U9", "shipit", is_bot=True)
    blocks = user_block(
        {"type": "text", "text": "Deploy of checkout finished, started by "},
        {"type": "user", "user_id": "U14TOMAS"},
    )
    messages = [
        {"type": "message", "ts": "1710406800.000100", "user": "U9", "bot_id": "B9",
         "text": "Rolling back checkout, triggered by <@U14TOMAS> and <@U0GHOST99>"},
        {"type": "message", "ts": "1710407100.000200", "user": "U9", "bot_id": "B9",
         "text": "Deploy finished", "blocks": blocks},
    ]  # fmt: skip
    fake.add_channel(INC, "inc-1234", messages=messages)
    _, bundle = Run(fake, tmp_path, ca_bundle).collect()
    events = list(parse(bundle))
    people = directory(identities(bundle), PeopleConfig())
    named, _ = resolve(events, people)
    summaries = sorted(e.summary for e in named)
    assert summaries == [
        "Deploy of checkout finished, started by Tomás García",
        "Rolling back checkout, triggered by Tomás García and @U0GHOST99",
    ]


def test_an_invisible_character_only_where_github_would_link_a_mention() -> None:
    """GitHub links ``@login`` (ASCII letters, digits, inner ``-``) or ``@org/team`` after the
    start or a non-word character, when what follows cannot continue a login; a dot continues
    it only before a word (html-pipeline's MentionFilter). Only there a zero-width space."""
    live = ["@here", "@here.", "hi @mei please", "@acme/sre", "(@db-3)", "@Tomás", "x.@kim"]
    for text in live:
        assert f"@{ZWSP}" in no_mentions(text), text
    inert = [
        "postgres://search:[redacted: password in url]@pg.search.internal:5432/rank",
        "ana@acme.example",
        "@Über",
        "@_build",
        "@sam.okafor is IC",
        "Tomás García",
    ]
    for text in inert:
        assert no_mentions(text) == text, text
