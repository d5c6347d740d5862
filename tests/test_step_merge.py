"""One step, one row: one person's records of the same step in several tools, minutes apart.

A responder fails a database over, marks it on the dashboard, notes it on the incident two
minutes later and says so in Slack a quarter of an hour later, stating when it was done ("for
the record: failover completed at 10:23 UTC"). Those are one step: one row at the earliest
record's time, every link, the clearest record's words; its time to mitigate is unchanged.
Negative cases: two people, two objects, two step kinds, a PR or a deployment, a step's start
and its end, records further apart than ``[collapse] step_merge_window``.

Inputs in the tools' wire formats, written here (helpers in ``tests.test_rows``): Grafana
``GET /api/annotations`` items a person wrote (``login``, ``email``, ``tags``, ``alertId`` 0),
PagerDuty ``annotate_log_entry`` notes (``channel.summary``; GET /incidents/{id}/log_entries),
Slack ``conversations.history`` messages (``user``, ``text``, ``ts``) with ``users.list``
profiles (``profile.email`` joins a person across tools).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.config import CollapseConfig, Config, PeopleConfig, load_config
from reconstruct.errors import ConfigError
from reconstruct.model import Event, Identity, Incident, Kind, Link, Timeline
from reconstruct.normalize import normalize
from reconstruct.render.metrics import milestones
from tests.test_rows import (
    CHANNEL,
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
    pd_app_post,
    said,
    texts,
    timeline,
    trigger,
    user,
)

KIM_PD = {"id": "PKIM001", "type": "user", "name": "Kim Nguyen", "email": "kim@acme.example"}
ANNOTATED = "Failover orders-pg -> orders-pg-replica-1 (patronictl failover, planned switch)"
NOTED = (
    "Failed over orders-pg to orders-pg-replica-1 (patronictl); writes healthy on the new primary"
)


def clock(minutes: float) -> str:
    """The UTC clock time ``minutes`` after T0 (09:42), as a person writes it: ``10:23``."""
    return (T0 + timedelta(minutes=minutes)).strftime("%H:%M")


def kim_note(minutes: float, text: str) -> dict[str, Any]:
    ref = {**user("Kim Nguyen"), "id": "PKIM001"}
    return entry("annotate", minutes, agent=ref, channel={"type": "note", "summary": text})


def kim_annotation(minutes: float, text: str, *tags: str) -> dict[str, Any]:
    record = annotation(minutes, text, "kim", "kim@acme.example")
    record["tags"] = list(tags)
    return record


def build(
    tmp_path: Path,
    notes: list[dict[str, Any]],
    messages: list[dict[str, Any]],
    annotations: list[dict[str, Any]],
    config: Config | None = None,
) -> Timeline:
    return timeline(
        tmp_path,
        [trigger(), *notes],
        messages,
        [KIM, LEE],
        annotations,
        [],
        [KIM_PD],
        config=config,
    )


def rows_with(tl: Timeline, needle: str) -> list[Event]:
    return [e for e in tl.events if needle in e.summary]


def mitigated_at(tl: Timeline) -> timedelta | None:
    mark = milestones(tl).mitigated
    return None if mark is None else mark.time - T0


def failover(tmp_path: Path, slack_at: float, slack_text: str, **kw: Any) -> Timeline:
    """Kim's failover: annotation at +41 (10:23), note at +43, Slack report at ``slack_at``."""
    return build(
        tmp_path,
        [kim_note(43, NOTED)],
        [said("U03KIM", slack_at, slack_text)],
        [kim_annotation(41, ANNOTATED, "failover", "mitigation", "orders-pg")],
        **kw,
    )


# -- one step in three tools ----------------------------------------------------------------------
def test_one_persons_failover_in_three_tools_minutes_apart_is_one_row(tmp_path: Path) -> None:
    """The annotation at 10:23, the note two minutes later, the Slack report at 10:39 stating
    10:23: one row at 10:23 with every tool's link, worded as the note (said done, naming
    both objects), and time to mitigate still 41 minutes."""
    report = (
        f"for the record: failover completed at {clock(41)} UTC, writes healthy on"
        " orders-pg-replica-1 since then"
    )
    tl = failover(tmp_path, 57, report)
    rows = [e for e in tl.events if "orders-pg" in e.summary]
    assert len(rows) == 1, texts(tl)
    row = rows[0]
    assert row.time == T0 + timedelta(minutes=41)
    assert sorted(row.sources) == ["grafana", "pagerduty", "slack"]
    assert {link.source for link in row.links} >= {"grafana", "pagerduty", "slack"}
    assert len({link.url for link in row.links}) == len(row.links)
    assert "Failed over orders-pg to orders-pg-replica-1" in row.summary
    assert row.kind is Kind.MITIGATE
    assert mitigated_at(tl) == timedelta(minutes=41)
    mark = milestones(tl).mitigated
    assert mark is not None and mark.event == row, "time to mitigate cites the joined row"


def test_a_later_report_joins_at_the_time_it_states(tmp_path: Path) -> None:
    """Posted 30 minutes after the annotation (beyond the 20-minute window), the report stating
    the annotation's time joins; the same words without the time stay their own row."""
    stated = f"failover of orders-pg completed at {clock(41)} UTC"
    tl = failover(tmp_path / "stated", 71, stated)
    rows = rows_with(tl, "orders-pg")
    assert [r.sources for r in rows] == [("grafana", "pagerduty", "slack")], texts(tl)
    assert rows[0].time == T0 + timedelta(minutes=41)
    tl = failover(tmp_path / "plain", 71, "failover of orders-pg completed")
    rows = rows_with(tl, "orders-pg")
    assert [r.sources for r in rows] == [("grafana", "pagerduty"), ("slack",)], texts(tl)


def test_a_time_stated_before_every_record_still_counts_for_time_to_mitigate(
    tmp_path: Path,
) -> None:
    """The note at +50, the Slack report at +58 stating +41 (10:23): one row at the stated
    time, worded as the note (said done, naming both objects); time to mitigate is the stated
    time, as it was when the report was a row of its own."""
    report = f"failover to orders-pg-replica-1 completed at {clock(41)} UTC"
    tl = build(tmp_path, [kim_note(50, NOTED)], [said("U03KIM", 58, report)], [])
    rows = rows_with(tl, "orders-pg")
    assert [r.sources for r in rows] == [("pagerduty", "slack")], texts(tl)
    assert rows[0].time == T0 + timedelta(minutes=41)
    assert "Failed over orders-pg" in rows[0].summary
    assert mitigated_at(tl) == timedelta(minutes=41)


def test_the_apps_post_of_the_note_joins_a_row_placed_at_a_stated_time(tmp_path: Path) -> None:
    """The PagerDuty Slack app's post of the note (+50.3) joins the row of the note, which sits
    at +41, the time the report states: the post is 18 s from the note itself."""
    report = f"failover to orders-pg-replica-1 completed at {clock(41)} UTC"
    app = pd_app_post(50.3, f"Kim Nguyen added a note to #4711: {NOTED}")
    tl = build(tmp_path, [kim_note(50, NOTED)], [said("U03KIM", 58, report), app], [])
    rows = rows_with(tl, "orders-pg")
    assert len(rows) == 1, texts(tl)
    assert rows[0].time == T0 + timedelta(minutes=41)
    assert f"p{app['ts'].replace('.', '')}" in " ".join(link.url for link in rows[0].links)


def test_the_window_is_a_config_key(tmp_path: Path) -> None:
    """The report ten minutes after the annotation, eight after the note: one row by default
    (20 minutes); with ``step_merge_window = 5m`` the annotation and the note (two minutes
    apart) are one row and the report its own."""
    tight = Config(collapse=CollapseConfig(step_merge_window=timedelta(minutes=5)))
    text = "failover to orders-pg-replica-1 completed"
    rows = rows_with(failover(tmp_path / "a", 51, text), "orders-pg")
    assert [r.sources for r in rows] == [("grafana", "pagerduty", "slack")]
    rows = rows_with(failover(tmp_path / "b", 51, text, config=tight), "orders-pg")
    assert [r.sources for r in rows] == [("grafana", "pagerduty"), ("slack",)]


def test_an_untagged_annotation_of_the_step_joins(tmp_path: Path) -> None:
    """An annotation without tags (its kind from nothing but its words) still records the
    step: it joins the note of it."""
    tl = build(tmp_path, [kim_note(45, NOTED)], [], [kim_annotation(41, ANNOTATED)])
    rows = rows_with(tl, "orders-pg")
    assert [r.sources for r in rows] == [("grafana", "pagerduty")], texts(tl)
    assert rows[0].time == T0 + timedelta(minutes=41)


def test_the_key_reads_from_the_file_with_its_default(tmp_path: Path) -> None:
    """``[collapse] step_merge_window``: 20 minutes unless set; "0s" is one line naming it."""
    assert Config().collapse.step_merge_window == timedelta(minutes=20)
    path = tmp_path / "reconstruct.toml"
    path.write_text('[collapse]\nstep_merge_window = "5m"\n', encoding="utf-8")
    assert load_config(path, environ={}).collapse.step_merge_window == timedelta(minutes=5)
    path.write_text('[collapse]\nstep_merge_window = "0s"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="step_merge_window"):
        load_config(path, environ={})


def test_a_step_on_an_object_named_by_a_plain_word_joins(tmp_path: Path) -> None:
    """No name with a digit or a dash: the word after the step verb is its object."""
    tl = build(
        tmp_path,
        [kim_note(47, "Rolled back checkout to the previous release")],
        [],
        [kim_annotation(41, "Rollback checkout", "mitigation")],
    )
    rows = rows_with(tl, "checkout")
    assert [r.sources for r in rows] == [("grafana", "pagerduty")], texts(tl)
    assert rows[0].summary.endswith("Rolled back checkout to the previous release")


# -- never one row ------------------------------------------------------------------------------
def test_two_peoples_records_of_one_step_stay_two_rows(tmp_path: Path) -> None:
    tl = build(
        tmp_path,
        [],
        [said("U02LEE", 45, "failed over orders-pg to orders-pg-replica-1")],
        [kim_annotation(41, ANNOTATED, "failover", "mitigation", "orders-pg")],
    )
    rows = rows_with(tl, "orders-pg")
    assert sorted(r.sources for r in rows) == [("grafana",), ("slack",)], texts(tl)


@pytest.mark.parametrize(
    ("annotated", "noted"),
    [
        ("Restarted redis-0", "Restarted redis-1 (CONFIG REWRITE then restart)"),
        ("Restarted the cache", "Restarted the scheduler"),
        ("Restarted checkout", "Restarted checkout-api"),
    ],
)
def test_restarts_of_two_objects_stay_two_rows(tmp_path: Path, annotated: str, noted: str) -> None:
    """Two names, two plain words, or a plain word and a name: never one object."""
    tl = build(tmp_path, [kim_note(45, noted)], [], [kim_annotation(41, annotated, "mitigation")])
    assert len(rows_with(tl, "Restarted")) == 2, texts(tl)


@pytest.mark.parametrize(
    "annotated", ["Restarted orders-pg", "Rolled back orders-pg to the previous config"]
)
def test_two_step_kinds_on_one_object_stay_two_rows(tmp_path: Path, annotated: str) -> None:
    """A restart or a rollback of orders-pg and its failover: two steps, two rows."""
    tl = build(
        tmp_path,
        [kim_note(45, "Failed over orders-pg to orders-pg-replica-1")],
        [],
        [kim_annotation(41, annotated, "mitigation")],
    )
    assert len(rows_with(tl, "orders-pg")) == 2, texts(tl)


def test_a_step_under_way_and_done_an_hour_later_stay_two_rows(tmp_path: Path) -> None:
    """The start at +10, the end 60 minutes later: two rows; time to mitigate is the end."""
    tl = build(
        tmp_path,
        [kim_note(70, NOTED)],
        [
            said(
                "U03KIM",
                10,
                "starting patronictl failover orders-pg --candidate orders-pg-replica-1 now",
            )
        ],
        [],
    )
    assert len(rows_with(tl, "orders-pg")) == 2, texts(tl)
    assert mitigated_at(tl) == timedelta(minutes=70)


def test_a_steps_start_never_swallows_its_end_within_the_window(tmp_path: Path) -> None:
    """The start at +32, the end at +41 (nine minutes, within the window): one row at the
    end's time saying when it began (``startdone``), and time to mitigate is the end's, never
    the start's."""
    tl = build(
        tmp_path,
        [kim_note(43, NOTED)],
        [
            said(
                "U03KIM",
                32,
                "starting patronictl failover orders-pg --candidate orders-pg-replica-1 now",
            )
        ],
        [kim_annotation(41, ANNOTATED, "failover", "mitigation", "orders-pg")],
    )
    rows = rows_with(tl, "orders-pg")
    assert [r.time - T0 for r in rows] == [timedelta(minutes=41)]
    assert rows[0].summary.endswith(f"(started {T0 + timedelta(minutes=32):%H:%M})")
    assert mitigated_at(tl) == timedelta(minutes=41)


def test_a_persons_message_never_joins_a_deployment_or_a_pr() -> None:
    """Kim's "rolled back checkout-api to v2.3.0", the deploy tool's rollback of checkout-api
    she ran 3 minutes before and her revert PR: three rows (they join by refs, never words)."""
    incident = Incident(INC_ID, INC_NO, "Checkout errors", "P1", ("checkout",), T0, None, INC_URL)
    message = Event(
        T0 + timedelta(minutes=30), Kind.MESSAGE, "rolled back checkout-api to v2.3.0",
        ("slack",), (Link("slack", f"{WS}archives/{CHANNEL}/p1"),), "slack:C:1", "U03KIM",
        tags=frozenset({"human", "incident-channel"}), scope="slack:#inc-4711",
    )  # fmt: skip
    deployment = Event(
        T0 + timedelta(minutes=27), Kind.DEPLOY, "Rolled back checkout-api to v2.3.0",
        ("github",), (Link("github", "https://github.com/acme/checkout/deployments", "deploy"),),
        "github:deploy:1", "kim-n", tags=frozenset({"rollback", "production"}),
        scope="github:acme/checkout",
    )  # fmt: skip
    pr = Event(
        T0 + timedelta(minutes=29), Kind.CHANGE,
        "Merged PR #1203: Roll back checkout-api to v2.3.0",
        ("github",), (Link("github", "https://github.com/acme/checkout/pull/1203", "PR #1203"),),
        "github:pr:acme/checkout#1203", "kim-n", scope="github:acme/checkout",
    )  # fmt: skip
    config = Config(people=PeopleConfig(aliases={"Kim Nguyen": ["slack:U03KIM", "github:kim-n"]}))
    ident = [Identity("slack", "U03KIM", "kim@acme.example", "Kim Nguyen", "kim")]
    result = normalize([message, deployment, pr], incident, WINDOW, config, ident)
    assert len(result.events) == 3, [e.summary for e in result.events]
    assert result.steps == 0


def test_a_job_suspended_in_chat_and_in_a_note_minutes_apart_is_one_row(tmp_path: Path) -> None:
    """Kim's Slack "suspended the reconcile cronjob" at +41 and her PagerDuty note "Suspended
    CronJob orders-reconcile" four minutes later: one step (a pause; the plain word is the
    name's qualifier), one row, time to mitigate from the first."""
    tl = build(
        tmp_path,
        [kim_note(45, "Suspended CronJob orders-reconcile")],
        [said("U03KIM", 41, "suspended the reconcile cronjob")],
        [],
    )
    rows = [e for e in tl.events if "uspended" in e.summary]
    assert [sorted(r.sources) for r in rows] == [["pagerduty", "slack"]], texts(tl)
    assert rows[0].kind is Kind.MITIGATE
    assert mitigated_at(tl) == timedelta(minutes=41)
