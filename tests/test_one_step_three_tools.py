"""One step, one row across three tools, and the PagerDuty Slack app's copies of any record.

Inputs in the tools' wire formats: a Grafana annotation (``GET /api/annotations``, ``login`` and
``email``), a Slack message (``conversations.history``), a PagerDuty note (``annotate_log_entry``
with the note's text in ``channel.summary``), a ``reassign_log_entry`` (``assignees``, ``agent``)
and a ``status_update_log_entry`` (GET /incidents/{id}/log_entries), and the PagerDuty Slack
app's plain-text posts of them ("Reassigned: <incident link> to Mei Lin by Raj Patel", "Kim
Nguyen added a note to #4711: ...", "Status update on <incident link> by Kim Nguyen: ...").
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.config import Config
from reconstruct.model import Timeline
from reconstruct.pipeline import build_timeline
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
    annotation,
    entry,
    iso,
    one,
    said,
    texts,
    timeline,
    trigger,
    ts,
    user,
)

KIM_PD = {"id": "PKIM001", "type": "user", "name": "Kim Nguyen", "email": "kim@acme.example"}
DID = "Raised pool size to 50 on payments-api"


def note(minutes: float, text: str) -> dict[str, Any]:
    ref = {**user("Kim Nguyen"), "id": "PKIM001"}
    return entry("annotate", minutes, agent=ref, channel={"type": "note", "summary": text})


def app_post(minutes: float, text: str) -> dict[str, Any]:
    """The PagerDuty Slack app's post: ``user``, ``bot_id``, ``app_id``, the incident linked."""
    return {
        "type": "message",
        "user": "U07PDAPP01Z",
        "bot_id": "B07PDAPP1QX",
        "app_id": "A0PDUTY8KZ",
        "bot_profile": {"id": "B07PDAPP1QX", "name": "PagerDuty", "app_id": "A0PDUTY8KZ"},
        "text": text.replace("#4711", f"<{INC_URL}|#{INC_NO} Checkout errors>"),
        "ts": ts(minutes),
    }


def kim_grafana(minutes: float, text: str) -> dict[str, Any]:
    return annotation(minutes, text, "kim", "kim@acme.example")


# -- one person's words in three tools --------------------------------------------------------
def three(tmp_path: Path, annotated: str, message: str, noted: str) -> list[str]:
    tl = timeline(
        tmp_path,
        [trigger(), note(41.8, noted)],
        [said("U03KIM", 41.5, message)],
        [KIM],
        [kim_grafana(41.1, annotated)],
        [],
        [KIM_PD],
    )
    return [s for s in texts(tl) if "pool size" in s or "pool" in s]


def test_an_annotation_a_message_and_a_note_of_one_step_are_one_row(tmp_path: Path) -> None:
    """The annotation shares its words with the message, the message with the note: one row
    with every link, read as the note (the most specific kind, the earliest on a tie)."""
    tl = timeline(
        tmp_path,
        [trigger(), note(41.8, f"{DID} via config override; 6 of 12 pods picked it up")],
        [said("U03KIM", 41.5, f"{DID} via config override")],
        [KIM],
        [kim_grafana(41.1, DID)],
        [],
        [KIM_PD],
    )
    row = one(tl, "pool size")
    assert sorted(row.sources) == ["grafana", "pagerduty", "slack"], texts(tl)
    assert {link.source for link in row.links} == {"grafana", "pagerduty", "slack"}
    assert row.actor == "Kim Nguyen"


def test_the_same_words_in_three_tools_are_one_row(tmp_path: Path) -> None:
    assert len(three(tmp_path, DID, DID, DID)) == 1


def test_a_third_record_naming_another_service_stays_its_row(tmp_path: Path) -> None:
    """The message names no service, so it shares its words with both; the note names another
    service than the annotation: two actions, never one row of three."""
    rows = three(tmp_path, DID, "Raised pool size to 50", "Raised pool size to 50 on ledger-api")
    assert len(rows) == 2, rows


def test_another_persons_third_record_stays_its_row(tmp_path: Path) -> None:
    tl = timeline(
        tmp_path,
        [trigger(), note(41.8, DID)],
        [said("U02LEE", 41.5, DID)],
        [KIM, LEE],
        [kim_grafana(41.1, DID)],
        [],
        [KIM_PD],
    )
    # "Raised pool size" is a mitigation (#11): Lee's message is its own row, never in Kim's
    rows = sorted(sorted(e.sources) for e in tl.events if "pool size" in e.summary)
    assert rows == [["grafana", "pagerduty"], ["slack"]], "Kim's two records, never Lee's"


def test_each_record_joins_within_the_step_window_of_another(tmp_path: Path) -> None:
    """The message 20 s before the annotation, the note 50 s after it (70 s after the message):
    each within a minute of a record of the step it shares its words with, one row."""
    tl = timeline(
        tmp_path,
        [trigger(), note(41 + 62 / 60, DID)],
        [said("U03KIM", 41 - 20 / 60 + 12 / 60, DID)],
        [KIM],
        [kim_grafana(41.2, DID)],
        [],
        [KIM_PD],
    )
    row = one(tl, "pool size")
    assert sorted(row.sources) == ["grafana", "pagerduty", "slack"], texts(tl)


def test_a_record_a_minute_and_a_half_from_the_step_stays_its_row(tmp_path: Path) -> None:
    """The same words alone join within ``step_window``: words naming no mitigation step (no
    step kind, so ``step_merge_window`` does not apply) a minute and a half apart stay two rows.
    (The same mitigation, "Raised pool size ... on payments-api", joins within
    ``step_merge_window``: ``test_step_merge``.)"""
    did = "Force-renewed cert for api.acme.example via cert-manager"
    tl = timeline(
        tmp_path, [trigger(), note(42.5, did)], [], [KIM], [kim_grafana(41.0, did)], [], [KIM_PD]
    )
    rows = [e for e in tl.events if "Force-renewed" in e.summary]
    assert sorted(e.sources for e in rows) == [("grafana",), ("pagerduty",)], texts(tl)


# -- the app's copies of any record -----------------------------------------------------------
def test_the_apps_reassigned_post_joins_the_reassignment(tmp_path: Path) -> None:
    reassign = entry(
        "reassign",
        45,
        summary="Reassigned to Mei Lin by Raj Patel.",
        agent=user("Raj Patel"),
        assignees=[user("Mei Lin")],
        channel={"type": "website"},
    )
    post = app_post(45.05, "Reassigned: #4711 to Mei Lin by Raj Patel")
    tl = timeline(tmp_path, [trigger(), reassign], [post])
    rows = [e for e in tl.events if "Reassigned" in e.summary]
    assert len(rows) == 1, texts(tl)
    assert sorted(rows[0].sources) == ["pagerduty", "slack"]
    assert rows[0].actor == "Raj Patel", "the reassigner, never the app"


def test_the_apps_status_update_post_joins_the_status_update(tmp_path: Path) -> None:
    said_ = "We are seeing delayed order confirmations. Mitigation in progress."
    update = entry(
        "status_update",
        85,
        summary=f"Status update: {said_}",
        message=said_,
        agent={**user("Kim Nguyen"), "id": "PKIM001"},
        channel={"type": "website", "summary": said_},
    )
    post = app_post(85.1, f"Status update on #4711 by Kim Nguyen: {said_}")
    tl = timeline(tmp_path, [trigger(), update], [post])
    row = one(tl, "delayed order confirmations")
    assert sorted(row.sources) == ["pagerduty", "slack"], texts(tl)
    assert row.kind != "mitigate", "the update's kind, not the app post's words"


def test_the_apps_note_post_joins_a_note_its_author_reworded_in_chat(tmp_path: Path) -> None:
    """Kim's message joined her note by their shared words but reads differently ("the", "up",
    a PR link); the app's post holds every word of the note itself: one row."""
    noted = "Root cause: PR 412 raised log retention to 168h on orders topics, disks filled."
    chat = (
        "root cause: PR 412 raised log retention to 168h on the orders topics, disks filled up."
        " https://github.com/acme/kafka-platform/pull/412"
    )
    tl = timeline(
        tmp_path,
        [trigger(), note(80.5, noted)],
        [said("U03KIM", 80.2, chat), app_post(80.6, f"Kim Nguyen added a note to #4711: {noted}")],
        [KIM],
        [],
        [],
        [KIM_PD],
    )
    row = one(tl, "oot cause")
    assert sorted(row.sources) == ["pagerduty", "slack"]
    assert len([link for link in row.links if "slack.com" in link.url]) == 2, texts(tl)


def test_an_app_post_of_other_words_or_another_incident_stays_its_row(tmp_path: Path) -> None:
    reassign = entry(
        "reassign",
        45,
        summary="Reassigned to Mei Lin by Raj Patel.",
        agent=user("Raj Patel"),
        assignees=[user("Mei Lin")],
        channel={"type": "website"},
    )
    posts = [
        app_post(45.05, "Reassigned: #4711 to Dana Okoro by Raj Patel"),
        {
            **app_post(45.1, "Reassigned: to Mei Lin by Raj Patel"),
            "text": "Reassigned: <https://acme.pagerduty.com/incidents/QOTHER99|#9999 DB> to Mei"
            " Lin by Raj Patel",
        },
    ]
    tl = timeline(tmp_path, [trigger(), reassign], posts)
    assert len([s for s in texts(tl) if "Reassigned" in s]) == 3, texts(tl)
    assert one(tl, "Reassigned to Mei Lin by Raj Patel").sources == ("pagerduty",)


# -- a bot's post of an event a tool recorded -------------------------------------------------
ALERTS = "C0ALRTPAY1"
FAILOVER = "Patroni failover: payments-db primary pg-payments-01 -> pg-payments-02"


def with_alerts_channel(
    tmp_path: Path, annotations: list[dict[str, Any]], posts: list[dict[str, Any]]
) -> Timeline:
    """The incident's bundle with an alerts channel (``conversations.history``) beside the
    incident channel, and the Grafana annotations (``GET /api/annotations``)."""
    writer = BundleWriter(tmp_path / "bundle", INC_ID)
    incident = {
        "id": INC_ID,
        "type": "incident",
        "incident_number": INC_NO,
        "title": "Checkout errors",
        "status": "resolved",
        "created_at": iso(0),
        "resolved_at": iso(60),
        "html_url": INC_URL,
        "service": {"id": "PSVC", "type": "service_reference", "summary": "checkout"},
    }
    writer.add("pagerduty/incident.json", [{"incident": incident}])
    writer.add("pagerduty/log_entries.json", [{"log_entries": [trigger()], "more": False}])
    writer.add("pagerduty/alerts.json", [{"alerts": [], "more": False}])
    writer.set_source("pagerduty", "ok")
    writer.add("slack/auth.test.json", [{"ok": True, "url": WS}])
    writer.add("slack/users.list.json", [{"ok": True, "members": []}])
    channels = {CHANNEL: "inc-4711", ALERTS: "alerts-payments"}
    for cid, name in channels.items():
        writer.add(
            f"slack/{cid}/conversations.info.json",
            [{"ok": True, "channel": {"id": cid, "name": name}}],
        )
        messages = posts if cid == ALERTS else []
        writer.add(
            f"slack/{cid}/conversations.history.json",
            [{"ok": True, "messages": messages, "has_more": False}],
        )
    meta = {"workspace_url": WS, "incident_channel": CHANNEL, "channels": channels}
    writer.set_source("slack", "ok", meta=meta)
    writer.add("grafana/annotations.json", [annotations])
    writer.set_source("grafana", "ok", meta={"url": GRAFANA})
    return build_timeline(Bundle.open(writer.finish(WINDOW, T0 + timedelta(days=1))), Config())


def bot_post(minutes: float, text: str) -> dict[str, Any]:
    """A bot's post (an incoming webhook: ``subtype: bot_message``, ``username``)."""
    return {
        "type": "message",
        "subtype": "bot_message",
        "username": "patroni-bot",
        "bot_id": "B0PATRONI",
        "text": text,
        "ts": ts(minutes),
    }


def failover_annotation(minutes: float, text: str = FAILOVER) -> dict[str, Any]:
    record = annotation(minutes, text, "sa-1-patroni")
    record["timeEnd"] = record["time"] + 41_000  # a region: "(for 41s, until ...)"
    return record


def test_a_bots_post_of_an_annotated_event_joins_its_row(tmp_path: Path) -> None:
    """The post states numbers differently ("lag 0 B"; the row says "for 41s"): the same words
    and names (payments-db, pg-payments-01, pg-payments-02) make it the row's link."""
    post = bot_post(-1.2, "Patroni: failover of payments-db primary pg-payments-01 -> "
                    "pg-payments-02 complete (lag 0 B)")  # fmt: skip
    tl = with_alerts_channel(tmp_path, [failover_annotation(-2)], [post])
    row = one(tl, "Patroni failover")
    assert sorted(row.sources) == ["grafana", "slack"], texts(tl)
    assert row.actor == "sa-1-patroni" and "bot" not in row.tags
    assert not any("complete (lag" in s for s in texts(tl))
    assert not tl.omitted, "the post is shown as the row's link, in no count"


@pytest.mark.parametrize(
    "text",
    [
        "Patroni: failover of ledger-db primary pg-ledger-01 -> pg-ledger-02 complete",
        "Patroni: switchover scheduled for payments-db tonight",
    ],
    ids=["other-names", "other-words"],
)
def test_a_bots_post_of_another_event_stays_counted(tmp_path: Path, text: str) -> None:
    tl = with_alerts_channel(tmp_path, [failover_annotation(-2)], [bot_post(-1.2, text)])
    assert one(tl, "Patroni failover").sources == ("grafana",)
    assert sum(tl.omitted.values()) == 1, "the post stays in its named count"


def test_a_bots_post_minutes_later_stays_counted(tmp_path: Path) -> None:
    post = bot_post(1, f"{FAILOVER} complete")
    tl = with_alerts_channel(tmp_path, [failover_annotation(-2)], [post])
    assert one(tl, "Patroni failover").sources == ("grafana",)


def test_an_alert_notification_never_joins_an_annotation_by_its_words(tmp_path: Path) -> None:
    """Alertmanager's notification is an alert (a tool's own record, joined by its rule, never by
    words): it never becomes an annotation row's link."""
    post = bot_post(-1.2, f"[FIRING:1] PatroniFailover ({FAILOVER})")
    tl = with_alerts_channel(tmp_path, [failover_annotation(-2)], [post])
    assert one(tl, "Patroni failover").sources == ("grafana",), texts(tl)
