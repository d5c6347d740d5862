"""One step, one row: a tool's audit post of a person's step joins that person's row of it.

A responder says in the incident channel "dialling checkout-pricing-v2 back to 25%" and does it;
the flag tool's Slack app posts its audit record in #feature-flags seconds later: "Kim Nguyen
updated the flag checkout-pricing-v2 in Production: percentage rollout changed from 100% to
25% serving `true`". That is one step: one row, every link, both records as ``members``.

Inputs in the tools' wire formats, written here: Slack ``conversations.history`` messages, a
person's (``user``, ``text``, ``ts``) and apps' (``bot_id``, ``app_id``, ``bot_profile``; the
flag's name a ``<url|name>`` link). LaunchDarkly's Slack app posts its audit log entry's title
(``title``: "<member> <titleVerb> <flag> in <environment>", ``titleVerb`` "updated the flag",
"turned off the flag"; LaunchDarkly docs, "Slack app: subscribing to notifications" and the
audit log API); Unleash's Slack App posts "*<user>* disabled *<feature link>* for the
*<environment>* environment in project *<project>*" (Unleash ``feature-event-formatter-md``).
GitHub's Slack app posts a merged pull request with its link.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.config import Config
from reconstruct.model import Event, Kind, Timeline
from reconstruct.pipeline import build_timeline
from reconstruct.render.jsonout import document
from reconstruct.render.metrics import milestones
from tests.test_rows import (
    CHANNEL,
    GRAFANA,
    INC_ID,
    INC_NO,
    INC_URL,
    KIM,
    LEE,
    T0,
    WINDOW,
    WS,
    iso,
    said,
    texts,
    trigger,
    ts,
)

FLAGS = "C02FLAGS01"
FLAG_URL = "https://app.launchdarkly.com/default/production/features/checkout-pricing-v2"
DIALLED = (
    "{who} updated the flag <{url}|checkout-pricing-v2> in *Production*: percentage rollout"
    " changed from 100% to 25% serving `true`"
)


def app_post(minutes: float, text: str, app: str = "LaunchDarkly") -> dict[str, Any]:
    """An app's post as ``conversations.history`` returns it (bot user, ``bot_profile``)."""
    bot = f"B0{app.upper()[:7]}"
    return {
        "type": "message",
        "user": f"U0{app.upper()[:7]}",
        "bot_id": bot,
        "app_id": f"A0{app.upper()[:7]}",
        "text": text,
        "ts": ts(minutes),
        "team": "T024ACME5",
        "bot_profile": {"id": bot, "deleted": False, "name": app, "app_id": f"A0{app[:7]}"},
    }


def dialled(minutes: float, who: str = "Kim Nguyen") -> dict[str, Any]:
    return app_post(minutes, DIALLED.format(who=who, url=FLAG_URL))


def build(
    tmp_path: Path, messages: list[dict[str, Any]], flag_posts: list[dict[str, Any]]
) -> Timeline:
    """The incident's bundle: the incident channel with ``messages``, #feature-flags with
    ``flag_posts`` (``conversations.history`` of each, ``conversations.info``)."""
    writer = BundleWriter(tmp_path / "bundle", INC_ID)
    incident = {
        "id": INC_ID,
        "type": "incident",
        "incident_number": INC_NO,
        "title": "Checkout errors",
        "status": "resolved",
        "created_at": iso(0),
        "resolved_at": iso(90),
        "html_url": INC_URL,
        "service": {"id": "PSVC", "type": "service_reference", "summary": "checkout"},
    }
    writer.add("pagerduty/incident.json", [{"incident": incident}])
    writer.add("pagerduty/log_entries.json", [{"log_entries": [trigger()], "more": False}])
    writer.add("pagerduty/alerts.json", [{"alerts": [], "more": False}])
    writer.set_source("pagerduty", "ok")
    writer.add("slack/auth.test.json", [{"ok": True, "url": WS}])
    writer.add("slack/users.list.json", [{"ok": True, "members": [KIM, LEE]}])
    channels = {CHANNEL: "inc-4711", FLAGS: "feature-flags"}
    for cid, name in channels.items():
        writer.add(
            f"slack/{cid}/conversations.info.json",
            [{"ok": True, "channel": {"id": cid, "name": name}}],
        )
        found = flag_posts if cid == FLAGS else messages
        writer.add(
            f"slack/{cid}/conversations.history.json",
            [{"ok": True, "messages": found, "has_more": False}],
        )
    meta = {"workspace_url": WS, "incident_channel": CHANNEL, "channels": channels}
    writer.set_source("slack", "ok", meta=meta)
    writer.add("grafana/annotations.json", [[]])
    writer.set_source("grafana", "ok", meta={"url": GRAFANA})
    return build_timeline(Bundle.open(writer.finish(WINDOW, T0 + timedelta(days=1))), Config())


def rows_of(tl: Timeline, needle: str) -> list[Event]:
    return [e for e in tl.events if needle in e.summary]


def test_the_flag_tools_post_of_a_dial_back_joins_the_persons_row(tmp_path: Path) -> None:
    """Kim's "dialling ... back to 25%" (under way) at +48 and LaunchDarkly's post 20 s later:
    one row at +48, Kim's, read as the tool's record of what changed, both links and both
    records as JSON ``members``. The row keeps its phase: time to mitigate is still Kim's
    "turned off checkout-pricing-v2" at +55, the first step said done."""
    messages = [
        said("U03KIM", 48, "dialling checkout-pricing-v2 back to 25%"),
        said("U03KIM", 55, "turned off checkout-pricing-v2"),
    ]
    tl = build(tmp_path, messages, [dialled(48 + 20 / 60)])
    rows = rows_of(tl, "25%")
    assert len(rows) == 1, texts(tl)
    row = rows[0]
    assert row.summary.startswith("Kim Nguyen updated the flag checkout-pricing-v2 in Production")
    assert "from 100% to 25%" in row.summary
    assert row.time == T0 + timedelta(minutes=48)
    assert row.actor == "Kim Nguyen" and row.kind is Kind.MITIGATE and "bot" not in row.tags
    assert {link.label for link in row.links} >= {"#inc-4711", "#feature-flags"}
    assert FLAG_URL in {link.url for link in row.links}
    (out,) = [e for e in document(tl)["events"] if e["summary"] == row.summary]
    assert [m["summary"] for m in out["members"]] == [
        "dialling checkout-pricing-v2 back to 25%",
        "Kim Nguyen updated the flag checkout-pricing-v2 in Production: percentage rollout"
        " changed from 100% to 25% serving `true`",
    ]
    assert [m["actor"] for m in out["members"]] == ["Kim Nguyen", "LaunchDarkly"]
    mark = milestones(tl).mitigated
    assert mark is not None and mark.time == T0 + timedelta(minutes=55)


def test_a_step_said_done_keeps_its_words_and_joins_minutes_apart(tmp_path: Path) -> None:
    """Kim's "rolled checkout-pricing-v2 back to 25%" three minutes after the tool's post (said
    done: within ``step_merge_window``): one row at the post's time, in Kim's words."""
    tl = build(
        tmp_path, [said("U03KIM", 51, "rolled checkout-pricing-v2 back to 25%")], [dialled(48)]
    )
    rows = rows_of(tl, "checkout-pricing-v2")
    assert [r.summary for r in rows] == ["rolled checkout-pricing-v2 back to 25%"], texts(tl)
    assert rows[0].time == T0 + timedelta(minutes=48)
    assert len(rows[0].members) == 2


def test_another_tools_audit_post_of_the_same_shape_joins(tmp_path: Path) -> None:
    """Unleash's Slack App: "*Kim Nguyen* disabled *<link|checkout-pricing-v2>* for the
    *production* environment in project *default*"; and a plain "Kim Nguyen turned off ..."."""
    unleash = app_post(
        41.2,
        "*Kim Nguyen* disabled *<https://unleash.acme.example/projects/default/features/"
        "checkout-pricing-v2|checkout-pricing-v2>* for the *production* environment in project"
        " *default*",
        "Unleash",
    )
    plain = app_post(41.3, "Kim Nguyen turned off checkout-pricing-v2 in production", "flagbot")
    for n, post in enumerate([unleash, plain]):
        tl = build(tmp_path / str(n), [said("U03KIM", 41, "disabled checkout-pricing-v2")], [post])
        rows = rows_of(tl, "checkout-pricing-v2")
        assert [r.summary for r in rows] == ["disabled checkout-pricing-v2"], texts(tl)
        assert {link.label for link in rows[0].links} >= {"#inc-4711", "#feature-flags"}


# -- never one row ------------------------------------------------------------------------------
def test_a_post_naming_another_actor_stays_its_row(tmp_path: Path) -> None:
    tl = build(
        tmp_path,
        [said("U03KIM", 48, "dialling checkout-pricing-v2 back to 25%")],
        [dialled(48.2, "Lee Turner")],
    )
    rows = rows_of(tl, "checkout-pricing-v2")
    assert len(rows) == 2, texts(tl)
    assert all(not r.members for r in rows)


def test_a_post_of_another_object_stays_apart(tmp_path: Path) -> None:
    """The post is about checkout-pricing-v3: Kim's row keeps its one link."""
    post = app_post(48.2, DIALLED.format(who="Kim Nguyen", url=FLAG_URL).replace("v2", "v3"))
    tl = build(tmp_path, [said("U03KIM", 48, "dialling checkout-pricing-v2 back to 25%")], [post])
    (row,) = rows_of(tl, "dialling checkout-pricing-v2")
    assert row.sources == ("slack",) and len(row.links) == 1 and not row.members, texts(tl)


def test_a_started_step_minutes_before_the_post_stays_apart(tmp_path: Path) -> None:
    """Said under way five minutes before the tool's post (``step_window`` is a minute)."""
    tl = build(
        tmp_path, [said("U03KIM", 43, "dialling checkout-pricing-v2 back to 25%")], [dialled(48)]
    )
    assert len(rows_of(tl, "checkout-pricing-v2")) == 2, texts(tl)


def test_a_pr_post_never_joins_a_persons_message(tmp_path: Path) -> None:
    """GitHub's Slack app's post of Kim's merged PR (a ref to the PR) stays out of her row."""
    pr = app_post(
        48.2,
        "Kim Nguyen merged <https://github.com/acme/checkout/pull/2421|#2421 Roll back"
        " checkout-pricing-v2 to 25%>",
        "GitHub",
    )
    tl = build(tmp_path, [said("U03KIM", 48, "rolled checkout-pricing-v2 back to 25%")], [pr])
    (row,) = rows_of(tl, "rolled checkout-pricing-v2 back")
    assert len(row.links) == 1 and not row.members, texts(tl)


TURNED_OFF = "{who} turned off targeting for the flag <{url}|{flag}> in *Production*"


def turned_off(minutes: float, flag: str = "checkout-pricing-v2") -> dict[str, Any]:
    url = f"https://app.launchdarkly.com/default/production/features/{flag}"
    return app_post(minutes, TURNED_OFF.format(who="Kim Nguyen", url=url, flag=flag))


def test_a_bare_flag_off_joins_the_tools_post_of_the_flag_turned_off(tmp_path: Path) -> None:
    """Kim's "flag off" (no object) and LaunchDarkly's "Kim Nguyen turned off targeting for
    the flag checkout-pricing-v2" 5 s later: one row, read as the post (it names the flag)."""
    suspect = said("U02LEE", 50, "errors started with the checkout-pricing-v2 ramp to 100%")
    tl = build(tmp_path, [suspect, said("U03KIM", 55, "flag off")], [turned_off(55 + 5 / 60)])
    rows = [e for e in tl.events if "flag off" in e.summary or "turned off" in e.summary]
    assert [r.summary for r in rows] == [
        "Kim Nguyen turned off targeting for the flag checkout-pricing-v2 in Production"
    ], texts(tl)
    assert rows[0].time == T0 + timedelta(minutes=55) and rows[0].kind is Kind.MITIGATE
    assert len(rows[0].members) == 2


def test_a_bare_flag_off_between_two_flags_turned_off_stays_apart(tmp_path: Path) -> None:
    suspect = said(
        "U02LEE", 50, "errors started with the checkout-pricing-v2 and checkout-tax-v3 ramps"
    )
    tl = build(
        tmp_path,
        [suspect, said("U03KIM", 55, "flag off")],
        [turned_off(54.5), turned_off(55.5, "checkout-tax-v3")],
    )
    assert "flag off" in texts(tl)
    assert len([e for e in tl.events if "turned off" in e.summary]) == 2, texts(tl)
    assert not any(e.members for e in tl.events), texts(tl)
