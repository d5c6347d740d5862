"""Who started a deploy an app ran: the one person its deploy bot's joined post credits is the
row's actor, "Raj Patel: Deployed ... (started 14:25 via shipit)"; else the app stays the actor,
shown "shipit (bot)" (never Markdown's ``shipit\\[bot\\]``).

Wire formats written here as the tools write them:

- GitHub ``GET /repos/o/r/deployments``: a GitHub App's deployment has ``creator: {"login":
  "shipit[bot]", "type": "Bot", "html_url": "https://github.com/apps/shipit"}``; one a person
  created (``gh api``, a workflow run with a user token) has ``type: "User"``.
- Slack ``conversations.history``: the deploy app's post (``bot_id``, ``bot_profile``) names the
  person by a user mention ``<@U…>`` in ``text``, or, when the app posts Block Kit, by a
  ``rich_text`` block's ``user`` element (``{"type": "user", "user_id": "U…"}``) with ``text``
  as the notification fallback. ``users.list`` members carry ``profile.display_name`` and
  ``real_name``.
- GitHub Actions notifications (``slackapi/slack-github-action`` payloads, the GitHub Slack
  app's "triggered via push by <login>") name ``github.actor``: a GitHub login in plain text.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.config import Config, PeopleConfig
from reconstruct.model import Event, Identity, Kind, Link, Timeline, Window
from reconstruct.normalize.deployer import credit_starters, credits
from reconstruct.normalize.people import directory
from reconstruct.pipeline import build_timeline
from reconstruct.render import RenderOptions, render
from tests.test_figures_wire import CHANNEL, PD_ID, at, deployment, log_entry, pd_incident, slack_ts

SHA = "4f2c9e1a83b07d5562e9c4f1a0d7b3e8c26f9a15"
RAJ = "U02RAJPTL9K"
LEE = "U03LEEWNG2M"
SHIPIT = {
    "login": "shipit[bot]",
    "id": 149000001,
    "type": "Bot",
    "html_url": "https://github.com/apps/shipit",
}
HUMAN = {
    "login": "lee-wong",
    "id": 5120044,
    "type": "User",
    "html_url": "https://github.com/lee-wong",
}


def member(uid: str, handle: str, display: str, real: str) -> dict[str, Any]:
    """A ``users.list`` member as Slack returns it."""
    return {
        "id": uid,
        "team_id": "T024SHOP5",
        "name": handle,
        "deleted": False,
        "real_name": real,
        "is_bot": False,
        "profile": {"display_name": display, "real_name": real},
    }


USERS = [
    member(RAJ, "raj", "raj", "Raj Patel"),
    member(LEE, "lee", "Lee Wong", "Lee Wong"),
    member("U04SAMLEE1", "sam.lee", "Sam Lee", "Sam Lee"),
    member("U04SAMLEE2", "samuel.lee", "Sam Lee", "Sam Lee"),
]


def shipit_post(when: datetime, text: str, **extra: Any) -> dict[str, Any]:
    """The deploy app's post as ``conversations.history`` returns it."""
    return {
        "type": "message",
        "user": "U08DPLYBOT3",
        "bot_id": "B08DPLY3MNR",
        "app_id": "A08DPLY4ZTW",
        "text": text,
        "ts": slack_ts(when),
        "bot_profile": {"id": "B08DPLY3MNR", "name": "shipit", "app_id": "A08DPLY4ZTW"},
        **extra,
    }


def timeline(
    tmp_path: Path,
    messages: list[dict[str, Any]],
    creator: dict[str, Any] = SHIPIT,
    aliases: dict[str, tuple[str, ...]] | None = None,
    payload: dict[str, Any] | str | None = None,
) -> Timeline:
    """A deployment of ``SHA`` that went live at 14:30:20 (requested 14:29:20) by ``creator``,
    the Slack posts ``messages`` in the incident channel, and the workspace's users list."""
    writer = BundleWriter(tmp_path / "bundle", PD_ID)
    start, resolved = at(14, 0), at(15, 0)
    writer.add("pagerduty/incident.json", [{"incident": pd_incident(start, resolved)}])
    writer.add(
        "pagerduty/log_entries.json",
        [
            {
                "log_entries": [log_entry("RTRIG", "trigger", start)],
                "limit": 100,
                "offset": 0,
                "more": False,
            }
        ],
    )
    writer.add("pagerduty/alerts.json", [{"alerts": [], "more": False}])
    writer.add("pagerduty/notes.json", [{"notes": []}])
    writer.set_source("pagerduty", "ok")
    writer.add(
        f"slack/{CHANNEL}/conversations.history.json",
        [{"ok": True, "messages": messages, "has_more": False}],
    )
    writer.add("slack/users.list.json", [{"ok": True, "members": USERS}])
    writer.set_source(
        "slack",
        "ok",
        meta={
            "incident_channel": CHANNEL,
            "channels": {CHANNEL: "inc-4711"},
            "workspace_url": "https://acme.slack.com/",
        },
    )
    record, statuses = deployment(
        7, SHA, at(14, 30, 20), task="rollback", creator=creator, payload=payload or {}
    )
    for status in statuses:
        status["creator"] = creator
    base = "github/acme/checkout/"
    writer.add(
        base + "repo.json",
        [{"full_name": "acme/checkout", "html_url": "https://github.com/acme/checkout"}],
    )
    writer.add(base + "deployments.json", [[record]])
    writer.add(f"{base}statuses/7.json", [statuses])
    writer.add(base + "merged_prs.json", [{"total_count": 0, "items": []}])
    writer.set_source("github", "ok")
    end = resolved + timedelta(minutes=30)
    window = Window(
        start=start - timedelta(hours=1),
        end=end,
        leadup_start=start - timedelta(days=14),
        ongoing=False,
    )
    config = Config(people=PeopleConfig(aliases=aliases or {}))
    return build_timeline(Bundle.open(writer.finish(window, end)), config)


def deploy_row(tl: Timeline) -> Event:
    (row,) = [e for e in tl.events if e.kind is Kind.DEPLOY]
    return row


def every_format(tl: Timeline) -> dict[str, str]:
    return {
        fmt: render(tl, RenderOptions(fmt=fmt), Config())
        for fmt in ("markdown", "json", "csv", "html")
    }


STARTED = "Deployed rollback"  # the row's text starts so (task: rollback)


def test_the_person_a_slack_mention_credits_is_the_actor_via_the_app(tmp_path: Path) -> None:
    post = shipit_post(
        at(14, 25, 4), f"Deploying checkout 4f2c9e1 to production, started by <@{RAJ}>"
    )
    tl = timeline(tmp_path, [post])
    row = deploy_row(tl)
    assert row.actor == "Raj Patel", "the person's one display name (real name), not @raj"
    assert row.summary.endswith("(started 14:25 via shipit)"), row.summary
    assert "who:email:" not in str(row.tags) and "who:slack:raj" in row.tags, row.tags
    md = every_format(tl)["markdown"]
    line = next(x for x in md.splitlines() if x.startswith("| 14:30 "))
    assert line.startswith("| 14:30 | Raj Patel: "), line
    doc = json.loads(every_format(tl)["json"])
    (deploy,) = [e for e in doc["events"] if e["kind"] == "deploy"]
    assert deploy["actor"] == "Raj Patel"


def test_a_block_kit_user_element_credits_the_person_too(tmp_path: Path) -> None:
    blocks = [
        {
            "type": "rich_text",
            "block_id": "dpl",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [
                        {"type": "text", "text": "Deploying checkout 4f2c9e1 to production, "},
                        {"type": "text", "text": "requested by ", "style": {"bold": True}},
                        {"type": "user", "user_id": RAJ},
                    ],
                }
            ],
        }
    ]
    post = shipit_post(at(14, 26), "Deploying checkout 4f2c9e1 to production", blocks=blocks)
    row = deploy_row(timeline(tmp_path, [post]))
    assert (row.actor, row.summary.endswith("(started 14:26 via shipit)")) == ("Raj Patel", True)


def test_a_github_login_credits_the_person_it_is(tmp_path: Path) -> None:
    """GitHub Actions' ``github.actor``: a login in plain text, a person through the alias."""
    post = shipit_post(
        at(14, 25), "Deploying checkout 4f2c9e1 to production (triggered by raj-patel)"
    )
    aliases = {"Raj Patel": ("github:raj-patel", f"slack:{RAJ}")}
    row = deploy_row(timeline(tmp_path, [post], aliases=aliases))
    assert row.actor == "Raj Patel" and "who:alias:Raj Patel" in row.tags, (row.actor, row.tags)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("two people", f"started by <@{RAJ}> and <@{LEE}>"),
        ("two credits", f"requested by <@{RAJ}>, triggered by <@{LEE}>"),
        ("only cc'd", f"cc <@{LEE}>"),
        ("a name two accounts show", "started by <@U04SAMLEE1>"),
        ("a user the list lacks", "started by <@U09NOBODY1>"),
        ("one known, one not", f"started by <@{RAJ}>, triggered by <@U09NOBODY1>"),
        ("a similar name", "requested by R. Patel"),
        ("a name's first word", "requested by Raj Pat"),
        ("no one", "from main"),
    ],
)
def test_the_app_stays_the_actor_unless_one_person_is_named(
    tmp_path: Path, name: str, text: str
) -> None:
    post = shipit_post(at(14, 25), f"Deploying checkout 4f2c9e1 to production, {text}")
    tl = timeline(tmp_path, [post])
    row = deploy_row(tl)
    assert row.summary.endswith("(started 14:25)"), (name, row.summary)  # the post joined
    assert row.actor == "shipit (bot)", (name, row.actor)
    for fmt, out in every_format(tl).items():
        assert "[bot]" not in out and "\\[bot" not in out, (name, fmt)
        assert "shipit (bot)" in out, (name, fmt)


def test_whoever_is_cc_d_after_the_starter_is_not_the_starter(tmp_path: Path) -> None:
    post = shipit_post(
        at(14, 25), f"Deploying checkout 4f2c9e1 to production, started by <@{RAJ}> cc <@{LEE}>"
    )
    assert deploy_row(timeline(tmp_path, [post])).actor == "Raj Patel"


@pytest.mark.parametrize(
    "payload",
    [
        # hubot-deploy's payload: ``notify.user`` is the chat user ID, ``user_name`` their name
        {"name": "checkout", "notify": {"adapter": "slack", "room": "C01DEPLOYS2", "user": RAJ}},
        {"notify": {"user": "U09NOBODY1", "user_name": "raj"}},
        # GitHub's API reference example, given as a JSON string
        '{"user": "raj", "room_id": 123456}',
    ],
)
def test_the_person_an_apps_deployment_payload_names_is_credited(
    tmp_path: Path, payload: dict[str, Any] | str
) -> None:
    row = deploy_row(timeline(tmp_path, [], payload=payload))
    assert (row.actor, row.summary) == (
        "Raj Patel",
        "Rolled back acme/checkout to 4f2c9e1 (main) in production (via shipit)",
    )


def test_a_payload_naming_no_known_person_leaves_the_app(tmp_path: Path) -> None:
    row = deploy_row(timeline(tmp_path, [], payload={"notify": {"user_name": "rajesh"}}))
    assert row.actor == "shipit (bot)"


def test_without_a_start_post_the_app_is_the_actor(tmp_path: Path) -> None:
    row = deploy_row(timeline(tmp_path, []))
    assert (row.actor, row.summary) == (
        "shipit (bot)",
        "Rolled back acme/checkout to 4f2c9e1 (main) in production",
    )


def test_a_deployment_a_person_created_keeps_its_creator(tmp_path: Path) -> None:
    post = shipit_post(at(14, 25), f"Deploying checkout 4f2c9e1 to production, started by <@{RAJ}>")
    row = deploy_row(timeline(tmp_path, [post], creator=HUMAN))
    assert row.actor == "lee-wong" and "via" not in row.summary, (row.actor, row.summary)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Deploying checkout 4f2c9e1 to production, started by @Raj Patel", ["@Raj Patel"]),
        ("Deployment started by @raj in #deploys", ["@raj"]),
        ("Workflow was triggered via push by raj-patel", ["raj-patel"]),
        ("Rolling out search-api c0ffee1 (requested by Raj Patel)", ["Raj Patel"]),
        ("Deploying checkout 4f2c9e1 (by @marco)", ["@marco"]),
        ("✅ checkout 9e3b1c2 is live in production (triggered by @raj)", ["@raj"]),
        ("Deploying checkout 4f2c9e1 — started by *@raj*. Approved by @lee", ["@raj"]),
        ("Deploying checkout 4f2c9e1 cc @lee", []),
        ("Deploying checkout 4f2c9e1 to production", []),
        ("started by @raj, kicked off by @lee", ["@raj", "@lee"]),
    ],
)
def test_credit_phrases_as_deploy_bots_write_them(text: str, expected: list[str]) -> None:
    assert credits(text) == expected


def test_a_merged_row_whose_actor_is_a_person_keeps_them() -> None:
    """A row another tool's record made a person's (``merge.combine``: the most authoritative
    record's actor) keeps that person, though the app's record in it is tagged."""
    ids = [Identity("slack", "raj", real_name="Raj Patel", uid=RAJ, login="raj")]
    people = directory(ids, PeopleConfig())
    tags = frozenset({"bot-actor:shipit (bot)", "started-by:@raj"})
    base = Event(at(14, 30), Kind.DEPLOY, "Deployed x", ("github",), (Link("github", "u"),), "k")
    rows = [
        replace(base, actor="Jules Moreau", tags=tags),
        replace(base, actor="shipit (bot)", tags=tags),
    ]
    out = credit_starters(rows, people, ids, {})
    assert [r.actor for r in out] == ["Jules Moreau", "Raj Patel"]
    assert out[1].summary == "Deployed x (via shipit)"
