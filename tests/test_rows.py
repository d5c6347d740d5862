"""Row economy and one name per person, on small bundles in the tools' own wire formats.

Each test writes what PagerDuty (log entries: ``notify_log_entry`` with ``user`` and
``channel.notification``, ``escalate_log_entry`` with ``assignees``), Slack (``users.list`` with
``profile.email``, ``conversations.history``) and Grafana (``GET /api/annotations`` items with
``login``/``email``, alert ``newState``/``prevState``) return, and reads the Timeline that
``pipeline.build_timeline`` makes of it: the collapse and merge rules and their negative cases.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.config import CollapseConfig, Config, PeopleConfig, load_config
from reconstruct.errors import ConfigError
from reconstruct.model import Event, Timeline, Window
from reconstruct.pipeline import build_timeline
from reconstruct.render import RenderOptions, render

T0 = datetime(2026, 3, 14, 9, 42, tzinfo=UTC)
WINDOW = Window(T0 - timedelta(hours=1), T0 + timedelta(hours=2), T0 - timedelta(days=14))
INC_ID, INC_NO = "Q1ROWS0001", 4711
PD = "https://acme.pagerduty.com"
INC_URL = f"{PD}/incidents/{INC_ID}"
WS = "https://acme.slack.com/"
CHANNEL = "C0INC4711A"
GRAFANA = "https://grafana.acme.example"


def iso(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def ms(minutes: float) -> int:
    return int((T0 + timedelta(minutes=minutes)).timestamp() * 1000)


def ts(minutes: float) -> str:
    return f"{(T0 + timedelta(minutes=minutes)).timestamp():.6f}"


# -- PagerDuty wire shapes (GET /incidents/{id}/log_entries) ----------------------------------
_ids = iter(range(10_000))


def user(name: str) -> dict[str, Any]:
    uid = "P" + "".join(w[:3].upper() for w in name.split())
    return {"id": uid, "type": "user_reference", "summary": name, "html_url": f"{PD}/users/{uid}"}


def entry(kind: str, minutes: float, **fields: Any) -> dict[str, Any]:
    eid = f"R{next(_ids):05d}LOGENTRY"
    return {
        "id": eid,
        "type": f"{kind}_log_entry",
        "summary": fields.pop("summary", kind),
        "html_url": f"{INC_URL}/log_entries/{eid}",
        "created_at": iso(minutes),
        "incident": {"id": INC_ID, "type": "incident_reference"},
        **fields,
    }


def notify(minutes: float, name: str, method: str) -> dict[str, Any]:
    """PagerDuty's notify entry: the user notified, the method in ``channel.notification``."""
    return entry(
        "notify",
        minutes,
        summary=f"Notified {name} by {method}",
        agent={"id": "PESCPOL", "type": "escalation_policy_reference", "summary": "Checkout"},
        user=user(name),
        channel={"type": "auto", "notification": {"type": method, "status": "success"}},
    )


def trigger(minutes: float = 0) -> dict[str, Any]:
    return entry(
        "trigger",
        minutes,
        agent={"id": "PSVC", "type": "service_reference", "summary": "checkout"},
        channel={"type": "api"},
    )


def ack(minutes: float, name: str) -> dict[str, Any]:
    return entry("acknowledge", minutes, agent=user(name), channel={"type": "website"})


def escalate(minutes: float, by: str, to: str) -> dict[str, Any]:
    return entry(
        "escalate", minutes, agent=user(by), assignees=[user(to)], channel={"type": "website"}
    )


# -- Slack wire shapes (users.list, conversations.history) ------------------------------------
def slack_user(uid: str, handle: str, real: str, email: str | None) -> dict[str, Any]:
    profile: dict[str, Any] = {"display_name": handle, "real_name": real}
    if email is not None:  # only with users:read.email
        profile["email"] = email
    return {"id": uid, "name": handle, "real_name": real, "is_bot": False, "profile": profile}


def said(uid: str, minutes: float, text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "user": uid, "text": text, "ts": ts(minutes), **extra}


def pd_app_post(minutes: float, text: str) -> dict[str, Any]:
    """The PagerDuty app's post: a bot message linking the incident (mrkdwn link)."""
    return {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B0PDAPP01",
        "username": "PagerDuty",
        "text": text.replace("#4711", f"<{INC_URL}|#{INC_NO} Checkout errors>"),
        "ts": ts(minutes),
    }


# -- Grafana wire shapes (GET /api/annotations) -----------------------------------------------
_aids = iter(range(1, 10_000))


def annotation(minutes: float, text: str, login: str = "", email: str = "") -> dict[str, Any]:
    return {
        "id": next(_aids),
        "dashboardUID": "checkout",
        "panelId": 4,
        "time": ms(minutes),
        "timeEnd": ms(minutes),
        "text": text,
        "tags": [],
        "login": login,
        "email": email,
        "userId": 7 if login else 0,
        "alertId": 0,
        "newState": "",
        "prevState": "",
    }


def alert_state(minutes: float, rule: str, prev: str, new: str, labels: str = "") -> dict[str, Any]:
    record = annotation(minutes, f"{rule} {{{labels}}}" if labels else rule)
    record.update({"alertName": rule, "newState": new, "prevState": prev, "alertId": 0})
    return record


def bundle(
    tmp_path: Path,
    log_entries: list[dict[str, Any]],
    messages: list[dict[str, Any]] = (),  # type: ignore[assignment]
    users: list[dict[str, Any]] = (),  # type: ignore[assignment]
    annotations: list[dict[str, Any]] = (),  # type: ignore[assignment]
    alerts: list[dict[str, Any]] = (),  # type: ignore[assignment]
    pd_users: list[dict[str, Any]] = (),  # type: ignore[assignment]
    title: str = "Checkout errors",
    replies: dict[str, list[dict[str, Any]]] | None = None,
) -> Bundle:
    """``replies``: per thread parent ts, the thread's messages as ``conversations.replies``
    returns them (the parent first)."""
    writer = BundleWriter(tmp_path / "bundle", INC_ID)
    incident = {
        "id": INC_ID,
        "type": "incident",
        "incident_number": INC_NO,
        "title": title,
        "status": "resolved",
        "created_at": iso(0),
        "resolved_at": iso(60),
        "html_url": INC_URL,
        "service": {"id": "PSVC", "type": "service_reference", "summary": "checkout"},
    }
    writer.add("pagerduty/incident.json", [{"incident": incident}])
    writer.add("pagerduty/log_entries.json", [{"log_entries": log_entries, "more": False}])
    writer.add("pagerduty/alerts.json", [{"alerts": list(alerts), "more": False}])
    if pd_users:  # GET /users/{id} bodies
        writer.add("pagerduty/users.json", [{"user": u} for u in pd_users])
    writer.set_source("pagerduty", "ok")
    writer.add("slack/auth.test.json", [{"ok": True, "url": WS}])
    writer.add("slack/users.list.json", [{"ok": True, "members": list(users)}])
    writer.add(
        f"slack/{CHANNEL}/conversations.info.json",
        [{"ok": True, "channel": {"id": CHANNEL, "name": "inc-4711"}}],
    )
    writer.add(
        f"slack/{CHANNEL}/conversations.history.json",
        [{"ok": True, "messages": list(messages), "has_more": False}],
    )
    for parent, thread in (replies or {}).items():
        writer.add(
            f"slack/{CHANNEL}/replies/{parent}.json",
            [{"ok": True, "messages": thread, "has_more": False}],
        )
    meta = {"workspace_url": WS, "incident_channel": CHANNEL, "channels": {CHANNEL: "inc-4711"}}
    writer.set_source("slack", "ok", meta=meta)
    writer.add("grafana/annotations.json", [list(annotations)])
    writer.set_source("grafana", "ok", meta={"url": GRAFANA})
    return Bundle.open(writer.finish(WINDOW, T0 + timedelta(days=1)))


def timeline(tmp_path: Path, *args: Any, config: Config | None = None) -> Timeline:
    return build_timeline(bundle(tmp_path, *args), config or Config())


def texts(tl: Timeline) -> list[str]:
    return [e.summary for e in tl.events]


def one(tl: Timeline, needle: str) -> Event:
    found = [e for e in tl.events if needle in e.summary]
    assert len(found) == 1, (needle, texts(tl))
    return found[0]


PRIYA = slack_user("U01PRIYA", "priya", "Priya Raman", "priya@acme.example")
LEE = slack_user("U02LEE", "lee", "Lee Turner", "lee@acme.example")
KIM = slack_user("U03KIM", "kim", "Kim Nguyen", "kim@acme.example")


# -- one step, one row ------------------------------------------------------------------------
def test_a_page_over_push_and_phone_within_a_minute_is_one_row(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger(), notify(0.2, "Priya Raman", "push"),
                             notify(0.9, "Priya Raman", "phone")])  # fmt: skip
    row = one(tl, "Paged Priya Raman")
    assert row.summary == "Paged Priya Raman by push and phone"
    assert len(row.links) == 2, "both log entries stay linked"


def test_pages_to_two_people_stay_rows_one_persons_minutes_apart_join(tmp_path: Path) -> None:
    """Minutes apart, before anyone answered, one person's pages are one row with each method's
    time (``normalize.repeats``); another person's page is a row of its own."""
    tl = timeline(tmp_path, [trigger(), notify(0.2, "Priya Raman", "push"),
                             notify(0.5, "Kim Nguyen", "phone"),
                             notify(4.0, "Priya Raman", "phone")])  # fmt: skip
    assert [t for t in texts(tl) if t.startswith("Paged")] == [
        "Paged Priya Raman by push at 09:42, by phone at 09:46",
        "Paged Kim Nguyen by phone",
    ]


def test_an_escalation_and_the_page_it_caused_are_one_row(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger(), escalate(5, "Priya Raman", "Kim Nguyen"),
                             notify(5.3, "Kim Nguyen", "push"),
                             notify(5.4, "Lee Turner", "push")])  # fmt: skip
    row = one(tl, "Escalated to Kim Nguyen")
    assert row.summary == "Escalated to Kim Nguyen by Priya Raman; paged by push"
    assert len(row.links) == 2
    assert "Paged Lee Turner by push" in texts(tl), "a page to someone else is its own row"


def test_one_persons_slack_message_and_grafana_annotation_are_one_row(tmp_path: Path) -> None:
    messages = [said("U02LEE", 19, "scaling up the read replicas 3 -> 6 so the DB copes")]
    notes = [annotation(19.4, "checkout-db read replicas 3 -> 6", "lee", "lee@acme.example")]
    tl = timeline(tmp_path, [trigger()], messages, [LEE], notes)
    row = one(tl, "read replicas")
    assert row.kind == "mitigate" and row.actor == "Lee Turner"
    assert sorted(row.sources) == ["grafana", "slack"]
    assert {link.source for link in row.links} == {"grafana", "slack"}


def test_two_peoples_same_words_never_merge(tmp_path: Path) -> None:
    messages = [said("U03KIM", 19, "scaling up the read replicas 3 -> 6 so the DB copes")]
    notes = [annotation(19.4, "checkout-db read replicas 3 -> 6", "lee", "lee@acme.example")]
    tl = timeline(tmp_path, [trigger()], messages, [LEE, KIM], notes)
    assert len([e for e in tl.events if "read replicas" in e.summary]) == 2


def test_a_look_alike_name_without_an_email_is_not_the_same_person(tmp_path: Path) -> None:
    """Slack "lee" (no users:read.email) and Grafana login "lee": nothing joins them."""
    no_email = slack_user("U02LEE", "lee", "Lee Turner", None)
    messages = [said("U02LEE", 19, "scaling up the read replicas 3 -> 6 so the DB copes")]
    notes = [annotation(19.4, "checkout-db read replicas 3 -> 6", "lee")]
    tl = timeline(tmp_path, [trigger()], messages, [no_email], notes)
    rows = [e for e in tl.events if "read replicas" in e.summary]
    assert len(rows) == 2
    assert {e.actor for e in rows} == {"Lee Turner", "lee"}, "the unresolved login keeps its name"


def test_different_words_of_one_person_stay_two_rows(tmp_path: Path) -> None:
    messages = [said("U02LEE", 19, "rolling back the cache ttl change now")]
    notes = [annotation(19.4, "checkout-db read replicas 3 -> 6", "lee", "lee@acme.example")]
    tl = timeline(tmp_path, [trigger()], messages, [LEE], notes)
    assert len([e for e in tl.events if e.actor == "Lee Turner"]) == 2


# -- merges that pick the right partner (#10) -------------------------------------------------
def test_pagerduty_app_posts_join_the_log_entry_they_report(tmp_path: Path) -> None:
    alert = {
        "id": "QALERT1",
        "type": "alert",
        "summary": "Checkout 5xx above 5%",
        "created_at": iso(0.5),  # another alert of the incident, nearer the post than the trigger
        "html_url": f"{PD}/alerts/QALERT1",
        "alert_key": "checkout-5xx",
        "incident": {"id": INC_ID, "type": "incident_reference"},
        "first_trigger_log_entry": {"id": "ROTHER", "type": "trigger_log_entry_reference"},
    }
    entries = [trigger(0), ack(2, "Priya Raman"), entry("resolve", 60, agent=user("Kim Nguyen"))]
    posts = [
        pd_app_post(0.4, "Triggered: #4711"),
        pd_app_post(2.05, "Acknowledged: #4711 by Priya Raman"),
        pd_app_post(60.05, "Resolved: #4711 by Kim Nguyen"),
    ]
    tl = build_timeline(bundle(tmp_path, entries, posts, [PRIYA], [], [alert]), Config())
    by_summary = {e.summary: e for e in tl.events}
    trig = next(e for e in tl.events if "triggered" in e.summary)
    assert "slack" in trig.sources, "the Triggered post joins the trigger log entry"
    lone_alert = next(e for e in tl.events if "Checkout 5xx above 5%" in e.summary)
    assert lone_alert.sources == ("pagerduty",), "never the nearer alert on the incident ref"
    assert "slack" in by_summary["Acknowledged by Priya Raman"].sources
    assert "slack" in by_summary["Resolved by Kim Nguyen"].sources


# -- series collapse --------------------------------------------------------------------------
def test_repeated_pages_collapse_around_the_page_that_led_to_the_ack(tmp_path: Path) -> None:
    pages = [notify(1 + i * 0.5, "Priya Raman", "email") for i in range(40)]
    tl = timeline(tmp_path, [trigger(), *pages, ack(20.6, "Priya Raman")])
    # the first page and its repeats are one row (nothing came between them); the page that
    # led to the ack and the ack stay rows of their own
    series = one(tl, "paged 39")
    assert series.summary == "Priya Raman paged 39 times, 09:43–10:02 (39 email notifications)"
    assert len(series.members) == 39
    assert [ln.label.split(":")[0] for ln in series.links] == ["first", "last"]
    own = [e for e in tl.events if e.summary == "Paged Priya Raman by email"]
    assert [e.time for e in own] == [T0 + timedelta(minutes=20.5)]
    assert [e.summary for e in tl.events][-1] == "Acknowledged by Priya Raman"


def test_a_few_pages_are_no_series_but_one_row(tmp_path: Path) -> None:
    """The first page and two more (fewer than ``min_series``, 3): no series row, but one row
    with each page's time, every page a member (``normalize.repeats``)."""
    pages = [notify(1 + i * 2, "Priya Raman", "email") for i in range(3)]
    tl = timeline(tmp_path, [trigger(), *pages])
    row = one(tl, "Priya")
    assert row.summary == "Paged Priya Raman by email at 09:43, 09:45 and 09:47"
    assert " times" not in row.summary and len(row.members) == 3 and len(row.links) == 3
    assert len([e for e in tl.events if e.kind == "page"]) == 1


def test_an_alert_storm_of_one_rule_joins_its_first_firing_and_last_clearing(
    tmp_path: Path,
) -> None:
    fired = [alert_state(i * 0.2, "Cache hit ratio", "Normal", "Alerting", f"pod=c{i}")
             for i in range(12)]  # fmt: skip
    cleared = [alert_state(30 + i * 0.2, "Cache hit ratio", "Alerting", "Normal", f"pod=c{i}")
               for i in range(12)]  # fmt: skip
    other = [alert_state(5, "Disk full", "Normal", "Alerting")]
    tl = timeline(tmp_path, [trigger()], [], [], [*fired, *cleared, *other])
    rows = [e for e in tl.events if "Cache hit ratio" in e.summary]
    assert [(f"{e.time:%H:%M:%S}", e.summary) for e in rows] == [
        ("09:42:00", "Grafana alert Cache hit ratio (pod=c0) firing; 12 pods firing by 09:44"),
        (
            "10:14:12",
            "Grafana alert Cache hit ratio (pod=c11) resolved; all 12 pods cleared, this one last,"
            " 10:12–10:14",
        ),
    ], "each part at its own time, in the row of the milestone it joins"
    firing, clearing = rows
    assert len(firing.members) == 12 and firing.members[0].time == T0
    assert len(clearing.members) == 12 and clearing.members[-1].time == clearing.time
    assert not any("its own row" in e.summary for e in tl.events)
    assert any("Disk full" in e.summary and not e.members for e in tl.events), "another rule"


def test_a_storm_rule_that_is_no_milestone_fires_and_clears_at_its_own_times(
    tmp_path: Path,
) -> None:
    """Several storms: only the incident's first firing and last clearing are joined; another
    rule's firings are one row at their first time, its clearings one row at theirs."""
    first = [alert_state(0, "Cache hit ratio", "Normal", "Alerting", "pod=c0"),
             alert_state(40, "Cache hit ratio", "Alerting", "Normal", "pod=c0")]  # fmt: skip
    queue = [alert_state(2 + i * 0.1, "Queue depth", "Normal", "Alerting", f"pod=q{i}")
             for i in range(5)]  # fmt: skip
    queue += [alert_state(20 + i * 0.1, "Queue depth", "Alerting", "Normal", f"pod=q{i}")
              for i in range(5)]  # fmt: skip
    tl = timeline(tmp_path, [trigger()], [], [], [*first, *queue])
    rows = [e for e in tl.events if "Queue depth" in e.summary]
    assert [(f"{e.time:%H:%M}", e.summary) for e in rows] == [
        ("09:44", "5 alerts of Queue depth fired across 5 pods, at 09:44"),
        ("10:02", "Queue depth cleared on all 5 pods, at 10:02"),
    ]
    assert [len(e.members) for e in rows] == [5, 5]
    cache = [e for e in tl.events if "Cache hit ratio" in e.summary]
    assert [e.members for e in cache] == [(), ()], "the milestones stay rows"


def test_a_flapping_rule_is_one_row_with_its_final_clearing(tmp_path: Path) -> None:
    flaps = [
        alert_state(i, "CheckoutLatency", *(("Normal", "Alerting") if i % 2 == 0 else
                                            ("Alerting", "Normal")))
        for i in range(10)
    ]  # fmt: skip
    tl = timeline(tmp_path, [trigger()], [], [], flaps)
    row = one(tl, "flapped")
    assert row.summary == (
        "CheckoutLatency flapped 10 times 09:42–09:51 (5 firings, 5 clearings); resolved 09:51;"
        " 09:42 firing shown separately"
    ), "every change counted, the rule's final clearing said in its row, detection apart"
    assert len(row.members) == 9 and "state:normal" in row.members[-1].tags
    rows = [e for e in tl.events if "CheckoutLatency" in e.summary]
    assert [f"{e.time:%H:%M}" for e in rows] == ["09:42", "09:43"]


def test_a_flapping_rule_firing_last_keeps_its_last_state(tmp_path: Path) -> None:
    """The incident's last clearing is no end of a rule that fired again after it: it stays a
    row of its own, and the flapping row says the rule's last state."""
    flaps = [
        alert_state(i, "CheckoutLatency", *(("Normal", "Alerting") if i % 2 == 0 else
                                            ("Alerting", "Normal")))
        for i in range(11)
    ]  # fmt: skip
    tl = timeline(tmp_path, [trigger()], [], [], flaps)
    row = one(tl, "flapped")
    assert row.summary == (
        "CheckoutLatency flapped 11 times 09:42–09:52, last state Alerting"
        " (6 firings, 5 clearings); 09:42 firing and 09:51 clearing shown separately"
    )
    assert len(row.members) == 9 and "state:alerting" in row.members[-1].tags
    rows = [e for e in tl.events if "CheckoutLatency" in e.summary]
    assert [f"{e.time:%H:%M}" for e in rows] == ["09:42", "09:43", "09:51"]


def test_slow_state_changes_are_not_flapping(tmp_path: Path) -> None:
    changes = [
        alert_state(i * 25, "CheckoutLatency", *(("Normal", "Alerting") if i % 2 == 0 else
                                                 ("Alerting", "Normal")))
        for i in range(4)
    ]  # fmt: skip
    tl = timeline(tmp_path, [trigger()], [], [], changes)
    assert not any(e.members for e in tl.events)


def test_expand_shows_every_member(tmp_path: Path) -> None:
    pages = [notify(1 + i * 0.5, "Priya Raman", "email") for i in range(10)]
    config = Config(collapse=CollapseConfig(expand=True))
    tl = timeline(tmp_path, [trigger(), *pages], config=config)
    assert len([e for e in tl.events if e.kind == "page"]) == 10


def test_formats_show_the_series(tmp_path: Path) -> None:
    pages = [notify(1 + i * 0.5, "Priya Raman", "email") for i in range(10)]
    tl = timeline(tmp_path, [trigger(), *pages])
    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    rows = [e for e in doc["events"] if "members" in e]
    assert len(rows) == 1 and len(rows[0]["members"]) == 10  # the first page with its repeats
    assert all(m["links"] and m["time"].endswith("Z") for m in rows[0]["members"])
    html = render(tl, RenderOptions(fmt="html"), Config())
    assert html.count("<details>") == 1 and html.count("<li>09:") >= 8
    md = render(tl, RenderOptions(timeline_only=True), Config())
    assert "paged 10 times, " in md and "[first: " in md and "[last: " in md


# -- one name per person ----------------------------------------------------------------------
def test_slack_handle_shows_the_real_name_or_handle_by_config(tmp_path: Path) -> None:
    messages = [said("U01PRIYA", 5, "root cause: the cache ttl", reactions=[])]
    tl = timeline(tmp_path, [trigger()], messages, [PRIYA])
    assert one(tl, "root cause").actor == "Priya Raman"
    config = Config(people=PeopleConfig(display="handle"))
    tl = timeline(tmp_path / "h", [trigger()], messages, [PRIYA], config=config)
    assert one(tl, "root cause").actor == "priya"


def test_people_aliases_join_tools_and_rename_tool_text(tmp_path: Path) -> None:
    messages = [said("U03KIM", 5, "root cause: the cache ttl")]
    config = Config(people=PeopleConfig(aliases={"Kim N.": ["slack:kim", "Kim Nguyen"]}))
    tl = timeline(tmp_path, [trigger(), ack(2, "Kim Nguyen")], messages, [KIM], config=config)
    assert one(tl, "root cause").actor == "Kim N."
    assert one(tl, "Acknowledged").summary == "Acknowledged by Kim N."


def test_people_config_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "reconstruct.toml"
    path.write_text('[people]\ndisplay = "nickname"\n')
    with pytest.raises(ConfigError, match=r"\[people\] display"):
        load_config(path)
    path.write_text('[people.aliases]\n"Kim" = ["jira:kim"]\n')
    with pytest.raises(ConfigError, match=r'\[people\] aliases.*"jira:kim" is not tool:name'):
        load_config(path)
    path.write_text("[collapse]\nmin_series = 1\n")
    with pytest.raises(ConfigError, match=r"\[collapse\] min_series"):
        load_config(path)


def test_a_milestone_inside_a_series_stays_its_own_row(tmp_path: Path) -> None:
    """Pages go on after an acknowledgement (it timed out): the page before the ack, the ack and
    a person's declaration inside the series' span are rows; the series counts the rest."""
    pages = [notify(1 + i, "Priya Raman", "email") for i in range(20)]
    messages = [said("U01PRIYA", 10.7, "Declaring a SEV-1 incident, I'm IC")]
    tl = timeline(tmp_path, [trigger(), *pages, ack(10.5, "Priya Raman")], messages, [PRIYA])
    series = one(tl, "paged 18 times")
    assert len(series.members) == 18 and "09:44–10:02" in series.summary
    times = [e.time for e in tl.events if e.summary == "Paged Priya Raman by email"]
    assert times == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=10)]
    assert one(tl, "Acknowledged").time == T0 + timedelta(minutes=10.5)
    assert one(tl, "Declaring").kind == "declare"
    member_keys = {m.key for m in series.members}
    assert not member_keys & {e.key for e in tl.events}, "a record is in one row only"


def test_a_persons_message_never_merges_with_a_pr() -> None:
    """marco's Slack message and the PR he merged, one person by alias, same words, 20 s."""
    from reconstruct.model import Identity, Incident, Kind, Link
    from reconstruct.normalize import normalize

    incident = Incident(INC_ID, INC_NO, "Checkout errors", "P1", ("checkout",), T0, None, INC_URL)
    message = Event(
        T0 + timedelta(minutes=30), Kind.MESSAGE, "merged the revert of the cache ttl change",
        ("slack",), (Link("slack", f"{WS}archives/{CHANNEL}/p1"),), "slack:C:1", "marco",
        tags=frozenset({"human", "incident-channel", "pinned"}), scope="slack:#inc-4711",
    )  # fmt: skip
    pr = Event(
        T0 + timedelta(minutes=30, seconds=20), Kind.CHANGE,
        "Merged PR #1203: Revert the cache ttl change", ("github",),
        (Link("github", "https://github.com/acme/checkout/pull/1203", "PR #1203"),),
        "github:pr:acme/checkout#1203", "marco-bianchi", scope="github:acme/checkout",
    )  # fmt: skip
    config = Config(
        people=PeopleConfig(aliases={"Marco Bianchi": ["slack:marco", "github:marco-bianchi"]})
    )
    ident = [Identity("slack", "marco", "marco@acme.example", "Marco Bianchi", "marco")]
    result = normalize([message, pr], incident, WINDOW, config, ident)
    assert len(result.events) == 2
    assert {e.actor for e in result.events} == {"Marco Bianchi"}, "one name, still two rows"


def test_demo_timeline_snapshot() -> None:
    """The demo's Timeline, as an author would paste it: one row per step (push + phone one
    page; the escalation with its page; Lee's message with his annotation), one name per person
    where an email or alias says so."""
    from reconstruct.pipeline import demo_bundle_path
    from tests.test_render_fixture import check_snapshot

    tl = build_timeline(Bundle.open(demo_bundle_path()), Config())
    text = render(tl, RenderOptions(timeline_only=True, why=True), Config())
    check_snapshot("demo_timeline_why.md", text)
    rows = [
        line for line in text.splitlines() if line.startswith("| ") and "Time (UTC)" not in line
    ]
    assert len([r for r in rows if "Paged Priya Raman" in r]) == 1
    assert not any(r.startswith("| 09:47 | Paged") for r in rows)
    assert len([r for r in rows if "read replicas 3 -&gt; 6" in r or "replicas 3 -> 6" in r]) == 1
    assert not any("| kim:" in r or "| lee:" in r or "| priya:" in r for r in rows)


def test_a_rule_flapping_through_pending_is_one_series(tmp_path: Path) -> None:
    """Grafana writes Normal → Pending → Alerting → Normal: each Pending annotation (no rule
    ref, so it never merges with a chat post) is one step with its firing, in the rule's
    flapping series: firings and clearings counted, never the Pending."""
    cycle = [("Normal", "Pending"), ("Pending", "Alerting"), ("Alerting", "Normal")]
    flaps = [alert_state(i, "CheckoutLatency", *cycle[i % 3]) for i in range(12)]
    other = [alert_state(3.5, "Disk full", "Normal", "Pending")]
    tl = timeline(tmp_path, [trigger()], [], [], [*flaps, *other])
    row = one(tl, "flapped")
    assert row.summary.endswith(
        "flapped 8 times 09:43–09:53 (4 firings, 4 clearings); resolved 09:53;"
        " 09:43 firing shown separately"
    )
    assert row.kind == "alert" and "state:normal" in row.members[-1].tags
    # the Pending ones, but the first firing's (a row of its own, with its pending)
    assert len([m for m in row.members if m.kind == "annotation"]) == 3
    rows = [e for e in tl.events if "CheckoutLatency" in e.summary]
    assert len(rows) == 2, [e.summary for e in rows]  # the series (its resolution), first firing
    assert any("Disk full" in e.summary and not e.members for e in tl.events), "another rule"


def test_a_pagerduty_user_and_a_slack_user_with_one_email_are_one_person(tmp_path: Path) -> None:
    """PagerDuty's "Priya R." (GET /users/{id}: email priya@acme.example) and Slack's priya
    (profile.email the same): one person, shown by one name in every row."""
    ref = {**user("Priya R."), "id": "PPRIYA1"}
    pd_user = {"id": "PPRIYA1", "type": "user", "name": "Priya R.", "email": "Priya@Acme.Example"}
    entries = [trigger(), entry("acknowledge", 2, agent=ref, channel={"type": "website"})]
    messages = [said("U01PRIYA", 5, "root cause: the cache ttl")]
    config = Config(people=PeopleConfig(display="handle"))
    tl = timeline(tmp_path, entries, messages, [PRIYA], [], [], [pd_user], config=config)
    assert one(tl, "Acknowledged").summary == "Acknowledged by priya"
    assert one(tl, "Acknowledged").actor == one(tl, "root cause").actor == "priya"
    tl = timeline(tmp_path / "n", entries, messages, [PRIYA], [], [], [pd_user])
    names = {one(tl, "Acknowledged").actor, one(tl, "root cause").actor}
    assert names == {"Priya Raman"}, names  # one each: the fuller name


def test_demo_in_handle_mode_names_each_person_one_way() -> None:
    from reconstruct.pipeline import demo_bundle_path

    config = Config(people=PeopleConfig(display="handle"))
    tl = build_timeline(Bundle.open(demo_bundle_path()), config)
    tool_rows = [e for e in tl.events if "human" not in e.tags]
    assert one(tl, "Acknowledged").summary == "Acknowledged by priya"
    assert one(tl, "Escalated").summary == "Escalated to kim by priya; paged by push"
    assert not any("Priya Raman" in e.summary or "Kim Nguyen" in e.summary for e in tool_rows)
    people = {"priya", "kim", "lee", "marco", "sam.okafor"}  # Sam's status page posts (comms)
    assert {e.actor for e in tl.events if "human" in e.tags} <= people


def test_a_merged_row_never_borrows_a_bots_name(tmp_path: Path) -> None:
    """PagerDuty's trigger (a service is its agent: no actor) and the PagerDuty app's post:
    the row is not "PagerDuty: Incident #4711 triggered"."""
    tl = timeline(tmp_path, [trigger(0)], [pd_app_post(0.1, "Triggered: #4711")])
    row = one(tl, "triggered")
    assert "slack" in row.sources and row.actor is None


def test_one_persons_pagerduty_note_and_slack_message_keep_the_milestone_kind(
    tmp_path: Path,
) -> None:
    """Kim writes the root cause as a PagerDuty note and in Slack (one email in both tools):
    one row, with the Slack message's kind (identify), not the note's (update)."""
    ref = {**user("Kim Nguyen"), "id": "PKIM001"}
    text = "root cause: cache ttl cut to 60s in PR 1187, replicas overloaded"
    note = entry("annotate", 30, agent=ref, channel={"type": "note", "summary": text})
    messages = [said("U03KIM", 30.4, text)]
    pd_user = {"id": "PKIM001", "type": "user", "name": "Kim Nguyen", "email": "kim@acme.example"}
    tl = timeline(tmp_path, [trigger(), note], messages, [KIM], [], [], [pd_user])
    row = one(tl, "root cause")
    assert row.kind == "identify" and sorted(row.sources) == ["pagerduty", "slack"]


def test_a_series_is_no_silent_stretch(tmp_path: Path) -> None:
    """Pages every minute for 30 minutes: the coverage note lists no silence inside them."""
    pages = [notify(1 + i, "Priya Raman", "email") for i in range(30)]
    tl = timeline(tmp_path, [trigger(), *pages, ack(31.5, "Priya Raman")])
    md = render(tl, RenderOptions(timeline_only=True), Config())
    assert "paged 29 times" in md and "No row for" not in md


def test_pagerduty_alerts_differing_only_in_numbers_are_one_storm(tmp_path: Path) -> None:
    """An alert group of one incident (GET /incidents/{id}/alerts): one alert per host."""
    alerts = [
        {
            "id": f"QAL{i:04d}",
            "type": "alert",
            "summary": f"Disk latency high on checkout-db-{i}",
            "created_at": iso(1 + i * 0.1),
            "html_url": f"{PD}/alerts/QAL{i:04d}",
            "alert_key": f"disk-{i}",
            "incident": {"id": INC_ID, "type": "incident_reference"},
        }
        for i in range(20)
    ]
    other = {**alerts[0], "id": "QOTHER", "summary": "Checkout 5xx above 5%", "alert_key": "5xx"}
    tl = timeline(tmp_path, [trigger()], [], [], [], [*alerts, other])
    storm = one(tl, "alerts like")
    assert (
        storm.summary == "19 alerts like “Alert: Disk latency high on checkout-db-1”, 09:43–09:44"
    )
    assert one(tl, "checkout-db-0").time == T0 + timedelta(minutes=1), "the first stays a row"
    assert one(tl, "Checkout 5xx").members == (), "another alert stays a row"


def test_directory_joins_by_email_and_alias_only() -> None:
    from reconstruct.model import Identity
    from reconstruct.normalize.people import directory

    ids = [
        Identity("slack", "kim", "kim@acme.example", "Kim Nguyen", "kim"),
        Identity("pagerduty", "Kim Nguyen", "KIM@acme.example", "Kim Nguyen"),
        Identity("grafana", "kim", "", handle="kim"),  # no email: not Kim, whatever the name
        Identity("slack", "lee", "lee@acme.example", "Lee Turner", "lee"),
    ]
    people = directory(ids, PeopleConfig())
    kim = people.person("slack", "kim")
    assert people.person("pagerduty", "Kim Nguyen") == kim and kim.display == "Kim Nguyen"
    assert people.person("grafana", "kim").id == "grafana:kim"
    assert people.person("github", "knguyen").id == "github:knguyen"
    aliased = directory(ids, PeopleConfig(aliases={"K. Nguyen": ["github:knguyen", "slack:kim"]}))
    for tool, name in [("slack", "kim"), ("pagerduty", "Kim Nguyen"), ("github", "knguyen")]:
        assert aliased.person(tool, name).display == "K. Nguyen", (tool, name)
    assert aliased.person("slack", "lee").display == "Lee Turner"


def test_cli_expand_shows_every_member(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from reconstruct.cli import cli

    pages = [notify(1 + i * 0.5, "Priya Raman", "email") for i in range(10)]
    b = bundle(tmp_path, [trigger(), *pages])
    args = ["--incident", INC_ID, "--bundle", str(b.root), "--format", "json"]
    for extra, page_rows in (([], 1), (["--expand"], 10)):
        result = CliRunner().invoke(cli, [*args, *extra], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        assert len([e for e in doc["events"] if e["kind"] == "page"]) == page_rows


def test_members_are_redacted_like_rows(tmp_path: Path) -> None:
    secret = "xoxb-1234567890-1234567890-abcdefghijklmnopqrstuvwx"
    alerts = [
        {
            "id": f"QAL{i:04d}",
            "type": "alert",
            "summary": f"Disk latency high on db-{i} (webhook token {secret})",
            "created_at": iso(1 + i * 0.1),
            "html_url": f"{PD}/alerts/QAL{i:04d}",
            "incident": {"id": INC_ID, "type": "incident_reference"},
        }
        for i in range(6)
    ]
    tl = timeline(tmp_path, [trigger()], [], [], [], alerts)
    assert any(e.members for e in tl.events)
    for fmt in ("json", "html", "markdown", "csv"):
        out = render(tl, RenderOptions(fmt=fmt), Config())
        assert "xoxb-1234567890" not in out, fmt


def test_a_series_row_satisfies_the_published_schema(tmp_path: Path) -> None:
    import jsonschema

    from tests.test_json_schema import validator

    pages = [notify(1 + i * 0.5, "Priya Raman", "email") for i in range(10)]
    tl = timeline(tmp_path, [trigger(), *pages])
    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    assert any("members" in e for e in doc["events"])
    validator().validate(doc)
    series = next(e for e in doc["events"] if "members" in e)
    series["members"] = []
    with pytest.raises(jsonschema.ValidationError):
        validator().validate(doc)
