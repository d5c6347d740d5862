"""What a mitigation is, as incident channels say it (``[classify]``, #11).

Tables of people's messages as they are written in incident channels, positive and negative, for
each kind of fault: a report of the cause ("Patroni failed over payments-db at 08:10"), a status
update ("Status update on #7310 ...: Mitigation in progress"), a plan or a status ("revert after",
"opening a revert of #2291"), a partial recovery ("half the pods recovered"), and the actions the
default words missed (restarts, a raised pool size, an expanded volume, a person's annotation
tagged ``mitigation``). Then one end-to-end test per fault: records in each tool's wire format,
written here, through the real parsers, normalizer and metrics, asserting the figure:

- Slack ``conversations.history`` messages: a person's (``user``, ``text``, ``ts``) and the
  PagerDuty app's (``bot_id``, ``app_id``, ``bot_profile``, a legacy attachment with
  ``fallback``, ``fields`` and ``footer: "PagerDuty"``, the incident as ``<url|#N title>``);
- Grafana ``GET /api/annotations`` items (``ItemDTO``: ``id``, ``alertId: 0``, ``dashboardUID``,
  ``panelId``, ``userId``, ``login``, ``email``, ``time``/``timeEnd`` in epoch ms, ``text``,
  ``tags``; Grafana HTTP API, "Find Annotations", grafana.com/docs/grafana/latest/developers/
  http_api/annotations), one a person wrote and one a service account (login ``sa-1-...``)
  wrote;
- PagerDuty ``/incidents/{id}/log_entries`` (``trigger_log_entry``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.config import Config
from reconstruct.model import Event, Kind, Link, Timeline, Window
from reconstruct.normalize.clock import stated_utc
from reconstruct.pipeline import build_timeline
from reconstruct.render import metrics
from tests.classify_table import CLASSIFIER, cases
from tests.test_figures_wire import CHANNEL, PD_HTML, PD_ID, log_entry, pd_incident, slack_ts

START = datetime(2026, 11, 19, 8, 15, 4, tzinfo=UTC)
"""The incident's start (PagerDuty's trigger)."""


def at(hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(2026, 11, 19, hh, mm, ss, tzinfo=UTC)


POSTED = datetime(2026, 11, 19, 8, 34, 10, tzinfo=UTC)
"""When the table's messages are posted: 19 minutes into the incident."""


def said_by_person(text: str, when: datetime = POSTED) -> Event:
    return Event(
        time=when,
        kind=Kind.MESSAGE,
        summary=text,
        sources=("slack",),
        links=(Link("slack", "https://acme.slack.com/archives/C1/p1"),),
        key=f"slack:C1:{when.timestamp()}",
        tags=frozenset({"human"}),
    )


def kind_of(text: str, when: datetime = POSTED) -> Kind | None:
    found = CLASSIFIER.classify(said_by_person(text, when), START)
    return found[0] if found is not None else None


# -- 1. a report of the cause is no mitigation ----------------------------------------------------
CAUSE_REPORTS = [
    "Patroni failed over payments-db at 08:10, pg-payments-02 is primary now",
    "FYI the DB failed over at 08:10 UTC, that's what kicked this off",
    "the primary failed over at 08:10Z and connections started piling up",
    "RDS failed over at 08:11 and that kicked this off",
    "the cluster failed over, that's what started this",
    "payments-db failed over around 08:10 which is what set this off",
    "k8s rolled back the config at 08:09 UTC, that's the trigger",
]
"""A failover (or rollback) that set the incident off, reported after the fact."""

RESPONDER_ACTIONS = [
    "failing over to the replica now",
    "failed over to us-west, errors dropping",
    "we failed over payments-db to pg-payments-02 at 08:30",
    "failed over at 08:30 UTC, watching error rate",
    "rolling back now",
    "rolled back checkout to v2.3.0",
    "reverting the PR that caused this",
    "rolled back the deploy that started this",
]
"""Steps responders took during the incident: mitigations."""


def test_a_time_without_a_zone_is_read_only_within_the_hour_before_the_message() -> None:
    # posted 10:20: "at 08:10" is two hours back, maybe another zone's clock: not read
    assert kind_of("failed over payments-db at 08:10", at(10, 20)) is Kind.MITIGATE
    assert kind_of("failed over payments-db at 08:10", at(8, 34)) is None


# -- 2. a status update keeps its own kind --------------------------------------------------------
STATUS_UPDATES = [
    "Status update: We are seeing delayed order confirmations. Mitigation in progress.",
    "Mei Lin: Status update: mitigation in progress, rollback deploying",
    "Status update on #7310 Kafka consumer lag by Mei Lin: Mitigation in progress.",
    "status update - rolled back checkout, monitoring",
]


def test_words_about_a_status_update_are_no_status_update() -> None:
    assert kind_of("rolled back; will post a status update shortly") is Kind.MITIGATE


# -- 3. plans and statuses are no actions; a partial recovery is no resolution --------------------
PLANS_AND_STATUSES = [
    "ok. Rahul raise it now, revert after",
    "revert later once lag drains",
    "we roll back after the incident review",
    "opening a revert of #2291 so it sticks",
    "opened a revert PR: #2296",
    "putting up a rollback PR for the config",
]
"""A plan for later, or a revert PR's status (the change is not live): no kind."""

PARTIAL = [
    "half the pods recovered, the other 6 still throwing pool exhausted",
    "6 of 12 pods recovered",
    "partially recovered, EU still failing",
    "checkout recovered but payments still erroring",
    "most consumers recovered",
]
"""Part of the service recovered: a status (``update``), no resolution."""

RECOVERED = ["fully recovered", "all pods recovered", "recovered, still watching latency"]


# -- 4. the actions the default words missed ------------------------------------------------------
ACTIONS = [
    "restarting orders-consumer and notifications-worker deployments now (rollout restart)",
    "rolled out a restart of the consumers, consumers rejoined",
    "bounced the pods",
    "kubectl rollout restart deploy/orders-consumer",
    "restarted payments-api",
    "Raised pool size to 50 on payments-api",
    "Expanded kafka-broker-2 data volume from 2TB to 4TB",
    "bumped the memory limit to 2Gi",
    "increased max_connections to 200 on pg-payments-02",
]

NOT_ACTIONS = [
    "Pod notifications-worker-5b8d4-18 restarted (CrashLoopBackOff), restart count 1",
    "the pod restarted again",
    "restart count is climbing on orders-consumer",
    "should we restart the pods?",
    "raised a ticket with AWS",
    "raised the priority to P1",
    "restarting the pods won't help",
    "restart the pods",  # an instruction: the step counts when someone says it is done
    "Rahul raise the pool size now",
]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        *cases(None, CAUSE_REPORTS),
        *cases(Kind.MITIGATE, RESPONDER_ACTIONS),
        *cases(Kind.UPDATE, STATUS_UPDATES),
        *cases(None, PLANS_AND_STATUSES),
        *cases(Kind.UPDATE, PARTIAL),
        *cases(Kind.RESOLVE, RECOVERED),
        *cases(Kind.MITIGATE, ACTIONS),
        *cases(None, NOT_ACTIONS),
    ],
)
def test_each_table_gets_its_kind(text: str, kind: Kind | None) -> None:
    """Causes, statuses, plans, partial and whole recoveries, restarts and raised settings."""
    assert kind_of(text) is kind


# -- 5. stated impact start -----------------------------------------------------------------------
STATED = [
    ("impact started 08:12 UTC", at(8, 12)),
    ("impact started at 08:12 UTC", at(8, 12)),
    ("errors began at 8:12 UTC", at(8, 12)),
    ("errors began at 08:12Z", at(8, 12)),
    ("errors began since 08:12 utc", at(8, 12)),
    ("errors began from 08:12:30 GMT", at(8, 12, 30)),
    ("errors began at 09:12 CET (08:12 UTC)", at(8, 12)),
    ("errors began 10:12 CEST", at(8, 12)),
    ("impact started 00:12 PST", at(8, 12)),
    ("impact started at 03:12 EST", at(8, 12)),
]
NOT_STATED = [
    "impact started 08:12",  # no zone: never guessed
    "impact started 13:42 IST",  # India, Ireland or Israel
    "impact started 02:12 CST",  # US Central or China
    "impact started at 08:12 and counting",
]


@pytest.mark.parametrize(("text", "when"), STATED)
def test_an_impact_start_is_read_with_its_zone(text: str, when: datetime) -> None:
    assert stated_utc(text, at(8, 36, 45)) == when, text


@pytest.mark.parametrize("text", NOT_STATED)
def test_an_impact_start_without_a_readable_zone_is_not_read(text: str) -> None:
    assert stated_utc(text, at(8, 36, 45)) is None, text


# -- end to end: wire records -> figures ----------------------------------------------------------
PDAPP = ("U0PDAPP001", "B0PDAPP001", "A0PDUTY8KZ")
GRAFANA = "https://grafana.acme.example"


def person(when: datetime, text: str, user: str = "U02KIM0001") -> dict[str, Any]:
    return {"type": "message", "user": user, "text": text, "ts": slack_ts(when)}


def pd_app(when: datetime, text: str) -> dict[str, Any]:
    user, bot, app = PDAPP
    return {
        "type": "message",
        "user": user,
        "bot_id": bot,
        "app_id": app,
        "text": text,
        "ts": slack_ts(when),
        "bot_profile": {"id": bot, "deleted": False, "name": "PagerDuty", "app_id": app},
        "attachments": [
            {
                "id": 1,
                "color": "439FE0",
                "fallback": text,
                "fields": [{"title": "Service", "value": "checkout", "short": True}],
                "footer": "PagerDuty",
            }
        ],
    }


def annotation(
    ident: int, when: datetime, text: str, tags: list[str], login: str = "kim"
) -> dict[str, Any]:
    ms = int(when.timestamp() * 1000)
    return {
        "id": ident,
        "alertId": 0,
        "alertName": "",
        "dashboardId": 7,
        "dashboardUID": "pay-api",
        "panelId": 2,
        "userId": 3 if login == "kim" else 9,
        "newState": "",
        "prevState": "",
        "created": ms,
        "updated": ms,
        "time": ms,
        "timeEnd": ms,
        "text": text,
        "tags": tags,
        "login": login,
        "email": f"{login}@acme.example",
        "avatarUrl": "/avatar/x",
        "data": {},
    }


def timeline(
    tmp_path: Path,
    messages: list[dict[str, Any]],
    annotations: tuple[dict[str, Any], ...] | list[dict[str, Any]] = (),
) -> Timeline:
    writer = BundleWriter(tmp_path / "bundle", PD_ID)
    resolved = START + timedelta(hours=1)
    writer.add("pagerduty/incident.json", [{"incident": pd_incident(START, resolved)}])
    entries = [log_entry("RTRIG", "trigger", START)]
    writer.add(
        "pagerduty/log_entries.json",
        [{"log_entries": entries, "limit": 100, "offset": 0, "more": False}],
    )
    writer.add("pagerduty/alerts.json", [{"alerts": [], "more": False}])
    writer.add("pagerduty/notes.json", [{"notes": []}])
    writer.set_source("pagerduty", "ok")
    writer.add(
        f"slack/{CHANNEL}/conversations.history.json",
        [{"ok": True, "messages": messages, "has_more": False}],
    )
    meta = {
        "incident_channel": CHANNEL,
        "channels": {CHANNEL: "inc-4711"},
        "workspace_url": "https://acme.slack.com/",
    }
    writer.set_source("slack", "ok", meta=meta)
    if annotations:
        writer.add("grafana/annotations.json", [list(annotations)])
        writer.set_source("grafana", "ok", meta={"url": GRAFANA})
    window = Window(
        start=START - timedelta(hours=1),
        end=resolved + timedelta(minutes=30),
        leadup_start=START - timedelta(days=14),
    )
    return build_timeline(Bundle.open(writer.finish(window, resolved)), Config())


def mitigated(tl: Timeline) -> tuple[datetime | None, int | None]:
    mark = metrics.milestones(tl).mitigated
    return (mark.time if mark else None), metrics.as_json(metrics.compute(tl))["time_to_mitigate_s"]


def test_a_failover_that_set_the_incident_off_is_no_mitigation(tmp_path: Path) -> None:
    tl = timeline(
        tmp_path,
        [
            person(at(8, 34, 10), "Patroni failed over payments-db at 08:10, pg-02 is primary now"),
            person(at(8, 36), "FYI the DB failed over at 08:10 UTC, that's what kicked this off"),
        ],
        [
            annotation(1, at(8, 10, 20), "Patroni failover: payments-db", ["failover"], "sa-1-pa"),
            annotation(2, at(8, 41, 12), "Raised pool size to 50 on payments-api", ["config"]),
        ],
    )
    assert mitigated(tl) == (at(8, 41, 12), 26 * 60 + 8)  # nc11e: 26m 08s (08:15:04 → 08:41:12)


def test_a_status_update_by_the_pagerduty_app_is_no_mitigation(tmp_path: Path) -> None:
    link = f"<{PD_HTML}|#4711 Checkout 5xx>"
    copy = f"Status update on {link} by Kim Nguyen: Orders delayed. Mitigation in progress."
    tl = timeline(
        tmp_path,
        [pd_app(at(8, 30, 5), copy), person(at(8, 31), "Kim Nguyen: Status update: mitigating")],
        [annotation(3, at(9, 3, 14), "Expanded kafka-broker-2 data volume", ["kafka", "disk"])],
    )
    rows = {e.time: e for e in tl.events}
    assert rows[at(8, 30, 5)].kind is Kind.UPDATE
    assert mitigated(tl) == (at(9, 3, 14), 48 * 60 + 10)


def test_a_plan_a_revert_prs_status_and_a_partial_recovery_set_no_figure(tmp_path: Path) -> None:
    tl = timeline(
        tmp_path,
        [
            person(at(8, 39, 40), "ok. Rahul raise it now, revert after"),
            person(at(8, 44, 50), "half the pods recovered, the other 6 still throwing"),
            person(at(8, 46, 30), "opening a revert of #2291 so it sticks"),
            person(at(8, 58), "reverted #2291, deploy is live"),
        ],
    )
    assert mitigated(tl) == (at(8, 58), 42 * 60 + 56)
    assert not any(e.kind is Kind.RESOLVE and "slack" in e.sources for e in tl.events)
    partial = next(e for e in tl.events if e.time == at(8, 44, 50))
    assert partial.kind is Kind.UPDATE  # a row, a status


def test_a_restart_and_an_annotation_tagged_mitigation_are_mitigations(tmp_path: Path) -> None:
    kube = {
        **pd_app(at(8, 20), "Pod orders-consumer-7f9c6d-02 restarted (CrashLoopBackOff)"),
        "bot_id": "B0KUBE0001",
        "bot_profile": {"id": "B0KUBE0001", "name": "kube-events", "app_id": "A0KUBE0001"},
    }
    restart = (
        "restarting orders-consumer and notifications-worker deployments now (rollout restart)"
    )
    tl = timeline(tmp_path, [kube, person(at(8, 50), restart)])
    assert mitigated(tl) == (at(8, 50), 34 * 60 + 56)

    tagged = [annotation(4, at(8, 40, 10), "Grew the disk", ["kafka", "mitigation", "disk"])]
    tl = timeline(tmp_path / "tagged", [person(at(8, 50), restart)], tagged)
    assert mitigated(tl) == (at(8, 40, 10), 25 * 60 + 6)


@pytest.mark.parametrize(
    "text",
    ["impact started 08:12 UTC", "errors began at 09:12 CET (08:12 UTC)", "errors began 08:12Z"],
)
def test_a_stated_impact_start_sets_time_to_detect(tmp_path: Path, text: str) -> None:
    tl = timeline(tmp_path, [person(at(8, 36, 45), text)])
    figures = metrics.as_json(metrics.compute(tl))
    assert figures["time_to_detect_s"] == 3 * 60 + 4  # 08:12:00 → 08:15:04 (the trigger)


def test_a_stated_impact_start_before_the_collection_window_still_counts(tmp_path: Path) -> None:
    # the window opens an hour before the trigger (07:15:04); the message states 06:30 UTC
    tl = timeline(tmp_path, [person(at(8, 36, 45), "impact started 06:30 UTC (before paging)")])
    marks = metrics.milestones(tl)
    assert marks.impact_start is not None and marks.impact_start.time == at(6, 30)
    figures = metrics.as_json(metrics.compute(tl))
    assert figures["time_to_detect_s"] == 1 * 3600 + 45 * 60 + 4  # 06:30:00 → 08:15:04
