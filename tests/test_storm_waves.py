"""A rule firing again, and re-evaluations that change nothing, in the rows an author keeps (#11).

Grafana ``GET /api/annotations`` items of unified alerting's state history as Grafana writes
them: ``text`` is ``"<rule title> {<labels>} - <refID>=<value %f>, ..."``
(``historian.buildAnnotationTextAndData``; the values are empty when the evaluation returned no
data and the state is kept), ``newState`` / ``prevState`` are ``FormatStateAndReason``:
``Alerting``, ``Normal``, ``NoData``, ``Alerting (NoData, KeepLast)``. Grafana writes a record
whenever the state *or its reason* changes (``StateTransition.Changed``), so an instance still
firing whose query went empty under the rule's KeepLast handling is
``Alerting`` -> ``Alerting (NoData, KeepLast)``.

A consumer-lag storm: another rule (the broker's disk) holds the incident's first firing and
last clearing; six consumers fire at 09:41, four clear at 10:02, three of those fire again at
10:32, all clear at 11:02.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconstruct.config import CollapseConfig, Config
from reconstruct.model import Timeline
from reconstruct.render import RenderOptions, render
from tests.test_row_storms import RULE as PAY
from tests.test_row_storms import slack_alert_post
from tests.test_rows import ms, texts, timeline, trigger

RULE = "KafkaConsumerLagHigh"
DISK = "KafkaBrokerDiskUsageHigh"
_ids = iter(range(70_001, 79_999))


def state(
    minutes: float,
    pod: str,
    prev: str,
    new: str,
    rule: str = RULE,
    values: dict[str, float] | None = None,
) -> dict[str, Any]:
    """One state annotation of ``rule`` for ``pod``; ``values`` {} for an evaluation without
    data (Grafana then writes no values after the " - ")."""
    if values is None:
        firing = new.startswith(("Pending", "Alerting"))
        values = {"B": 412000.0, "C": 1.0} if firing else {"B": 120.0, "C": 0.0}
    labels = f"alertname={rule}, consumer_group=orders, grafana_folder=Kafka, pod={pod}"
    return {
        "id": next(_ids),
        "alertId": 501 if rule == RULE else 502,
        "alertName": rule,
        "dashboardId": 77,
        "dashboardUID": "kafka-overview",
        "panelId": 3,
        "userId": 0,
        "newState": new,
        "prevState": prev,
        "created": ms(minutes) + 120,
        "updated": ms(minutes) + 120,
        "time": ms(minutes),
        "timeEnd": ms(minutes),
        "text": f"{rule} {{{labels}}} - " + ", ".join(f"{k}={v:f}" for k, v in values.items()),
        "tags": [],
        "login": "",
        "email": "",
        "data": {"values": values},
    }


PODS = [f"orders-consumer-{n}" for n in range(6)]
DISK_ROWS = [state(-3, "kafka-broker-2", "Normal", "Alerting", DISK),
             state(95, "kafka-broker-2", "Alerting", "Normal", DISK)]  # fmt: skip


def lag_storm() -> list[dict[str, Any]]:
    notes = [state(-1 + 0.2 * k, pod, "Normal", "Alerting") for k, pod in enumerate(PODS)]
    notes += [state(20 + 0.1 * k, pod, "Alerting", "Normal") for k, pod in enumerate(PODS[:4])]
    notes += [state(50 + 0.3 * k, pod, "Normal", "Alerting") for k, pod in enumerate(PODS[1:4])]
    still = [*PODS[1:4], *PODS[4:]]
    notes += [state(80 + 0.1 * k, pod, "Alerting", "Normal") for k, pod in enumerate(still)]
    return notes


def rows_of(tl: Timeline, needle: str = RULE) -> list[tuple[str, str]]:
    return [(f"{e.time:%H:%M}", e.summary) for e in tl.events if needle in e.summary]


# -- a rule firing again -------------------------------------------------------------------------
def test_a_rule_without_a_milestone_firing_again_is_a_row_at_that_time(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger()], [], [], [*DISK_ROWS, *lag_storm()])
    assert rows_of(tl) == [
        ("09:41", f"6 alerts of {RULE} fired across 6 pods, 09:41–09:42"),
        ("10:02", f"{RULE} cleared on 4 of 6 pods (orders-consumer-0 … orders-consumer-3),"
                  " at 10:02"),
        ("10:32", f"{RULE} firing again on 3 pods (orders-consumer-1 … orders-consumer-3),"
                  " at 10:32"),
        # instances are counted, not clearings: 4 + 2 = 6 pods, three of them cleared again
        ("11:02", f"{RULE} cleared on the last 2 of 6 pods (orders-consumer-4,"
                  " orders-consumer-5) and again on orders-consumer-1 … orders-consumer-3,"
                  " at 11:02"),
    ]  # fmt: skip
    again = next(e for e in tl.events if "firing again" in e.summary)
    assert len(again.members) == 3 and all(m.time.minute == 32 for m in again.members)


def test_a_clearing_wave_of_pods_that_cleared_before_is_cleared_again(tmp_path: Path) -> None:
    notes = [state(-1 + 0.2 * k, pod, "Normal", "Alerting") for k, pod in enumerate(PODS)]
    notes += [state(20 + 0.1 * k, pod, "Alerting", "Normal") for k, pod in enumerate(PODS)]
    notes += [state(50 + 0.3 * k, pod, "Normal", "Alerting") for k, pod in enumerate(PODS[1:4])]
    notes += [state(80 + 0.1 * k, pod, "Alerting", "Normal") for k, pod in enumerate(PODS[1:4])]
    tl = timeline(tmp_path, [trigger()], [], [], [*DISK_ROWS, *notes])
    assert rows_of(tl)[-1] == (
        "11:02",
        f"{RULE} cleared again on 3 pods (orders-consumer-1 … orders-consumer-3), at 11:02",
    ), rows_of(tl)


def test_a_later_wave_of_pods_that_never_fired_is_more_alerts_not_again(tmp_path: Path) -> None:
    notes = [state(-1 + 0.2 * k, pod, "Normal", "Alerting") for k, pod in enumerate(PODS[:3])]
    notes += [state(30 + 0.2 * k, pod, "Normal", "Alerting") for k, pod in enumerate(PODS[3:])]
    tl = timeline(tmp_path, [trigger()], [], [], [*DISK_ROWS, *notes])
    assert rows_of(tl) == [
        ("09:41", f"3 alerts of {RULE} fired across 3 pods, at 09:41"),
        ("10:12", f"3 more alerts of {RULE} fired across 3 pods, at 10:12"),
    ]


def test_a_second_wave_beside_the_milestone_and_another_rule_never_join(
    tmp_path: Path,
) -> None:
    """The storm holds the incident's first firing: its first wave joins that row, the second
    is a row of its own; the disk rule's three pods firing at 10:32 too stay its own row."""
    disk = [state(50 + 0.2 * k, f"kafka-broker-{k}", "Normal", "Alerting", DISK)
            for k in range(3)]  # fmt: skip
    tl = timeline(tmp_path, [trigger()], [], [], [*lag_storm(), *disk])
    rows = rows_of(tl)
    assert rows[0][1].endswith("; 6 pods firing by 09:42"), rows
    assert ("10:32", f"{RULE} firing again on 3 pods (orders-consumer-1 … orders-consumer-3),"
                     " at 10:32") in rows  # fmt: skip
    assert rows_of(tl, DISK) == [
        ("10:32", f"3 alerts of {DISK} fired across 3 pods, at 10:32"),
    ]


# -- re-evaluations that change nothing ----------------------------------------------------------
def keep_last(minutes: float, pods: list[str]) -> list[dict[str, Any]]:
    """Grafana's records of pods still firing whose query returned no data (KeepLast)."""
    return [state(minutes, pod, "Alerting", "Alerting (NoData, KeepLast)", values={})
            for pod in pods]  # fmt: skip


def test_a_re_evaluation_keeping_the_state_is_counted_in_its_storm_row(tmp_path: Path) -> None:
    notes = [*DISK_ROWS, *lag_storm(), *keep_last(30, PODS[4:])]
    tl = timeline(tmp_path, [trigger()], [], [], notes)
    assert not any("still firing" in e.summary and RULE in e.summary and not e.members
                   for e in tl.events), texts(tl)  # fmt: skip
    first = rows_of(tl)[0]
    assert first == (
        "09:41",
        f"6 alerts of {RULE} fired across 6 pods, 09:41–09:42; 2 re-evaluations at 10:12:"
        " still firing on orders-consumer-4, orders-consumer-5",
    )
    row = tl.events[[e.summary for e in tl.events].index(first[1])]
    assert len(row.members) == 8
    assert [ln.label for ln in row.links] == ["first: Grafana panel", "last: Grafana panel"]
    assert row.links[-1].url == row.members[5].links[0].url, "the last firing's, not 10:12's"
    # JSON keeps each record once; --expand shows each as its own row
    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    members = [(m["time"], m["summary"]) for e in doc["events"] for m in e.get("members", ())]
    assert len(members) == len(set(members)) == len(lag_storm()) + 2, "each record once"
    expanded = timeline(tmp_path / "x", [trigger()], [], [], notes,
                        config=Config(collapse=CollapseConfig(expand=True)))  # fmt: skip
    assert len([s for s in texts(expanded) if "last state kept" in s]) == 2


def test_a_re_evaluation_of_a_lone_alert_is_counted_in_its_row(tmp_path: Path) -> None:
    notes = [
        state(5, "orders-consumer-0", "Normal", "Alerting"),
        *keep_last(12, ["orders-consumer-0"]),
        *keep_last(14, ["orders-consumer-0"]),
    ]
    tl = timeline(tmp_path, [trigger()], [], [], [*DISK_ROWS, *notes])
    assert rows_of(tl) == [
        (
            "09:47",
            f"Grafana alert {RULE} (pod=orders-consumer-0) firing;"
            " 2 re-evaluations 09:54–09:56: still firing",
        )
    ]
    (row,) = [e for e in tl.events if RULE in e.summary]
    assert len(row.members) == 3 and [ln.label for ln in row.links] == ["Grafana panel"]


def test_the_only_record_of_an_instance_or_a_paused_rule_stays_a_row(tmp_path: Path) -> None:
    """Still firing with no earlier record of that pod (it fired before the window): a row; a
    person pausing the rule while it fires is news, not a re-evaluation."""
    paused = state(31, "orders-consumer-4", "Alerting", "Alerting (Paused)")
    notes = [*DISK_ROWS, *lag_storm(), *keep_last(30, ["orders-consumer-9"]), paused]
    tl = timeline(tmp_path, [trigger()], [], [], notes)
    rows = rows_of(tl)
    assert (
        "10:12",
        f"Grafana alert {RULE} (pod=orders-consumer-9) still firing (no data, last state kept)",
    ) in rows
    assert (
        "10:13",
        f"Grafana alert {RULE} (pod=orders-consumer-4) still firing, rule paused",
    ) in rows
    assert "re-evaluation" not in rows[0][1]


def test_a_rule_going_nodata_on_many_pods_is_a_row_one_pod_its_own_row(tmp_path: Path) -> None:
    """``Alerting`` -> ``NoData`` is a change of state: news, one row per wave."""
    nodata = [state(30 + 0.1 * k, pod, "Alerting", "NoData", values={})
              for k, pod in enumerate(PODS[:4])]  # fmt: skip
    error = [state(60, "orders-consumer-5", "Alerting", "Error", values={})]
    notes = [state(-1 + 0.2 * k, pod, "Normal", "Alerting") for k, pod in enumerate(PODS)]
    tl = timeline(tmp_path, [trigger()], [], [], [*DISK_ROWS, *notes, *nodata, *error])
    rows = rows_of(tl)
    assert (
        "10:12",
        f"{RULE} went NoData on 4 pods (orders-consumer-0 … orders-consumer-3), at 10:12",
    ) in rows, rows
    assert (
        "10:42",
        f"Grafana alert {RULE} (pod=orders-consumer-5) evaluation error (the query or"
        " expression failed)",
    ) in rows, rows


def test_a_flapping_rule_keeps_its_repeats_in_its_flapping_row(tmp_path: Path) -> None:
    """A flapping rule's KeepLast re-evaluation is a member of the flapping row, uncounted."""
    pod = "orders-consumer-0"
    cycle = [("Normal", "Alerting"), ("Alerting", "Normal")]
    flaps = [state(2 + 2 * k, pod, *cycle[k % 2]) for k in range(8)]
    tl = timeline(tmp_path, [trigger()], [], [], [*DISK_ROWS, *flaps, *keep_last(3, [pod])])
    (row,) = [e for e in tl.events if RULE in e.summary]
    assert row.summary == (
        f"{RULE} flapped 8 times 09:44–09:58, last state Normal"
        " (4 firings, 4 clearings; 1 repeat of a state not counted)"
    )
    assert len(row.members) == 9


def test_a_notifiers_repeat_for_pods_still_firing_is_no_firing_again(tmp_path: Path) -> None:
    """Grafana's Slack notifier (Alertmanager's ``repeat_interval``) posts ``[FIRING:1]`` again
    for pods that never cleared: "still firing, notified again", never "firing again"."""
    pods = [f"payments-{k:03d}" for k in range(4)]
    posts = [slack_alert_post(-1 + 0.2 * k, pod) for k, pod in enumerate(pods)]
    posts += [slack_alert_post(60 + 0.2 * k, pod) for k, pod in enumerate(pods)]
    disk = [state(-3, "kafka-broker-2", "Normal", "Alerting", DISK)]
    tl = timeline(tmp_path, [trigger()], posts, [], disk)
    assert rows_of(tl, PAY) == [
        ("09:41", f"4 alerts of {PAY} fired across 4 pods, at 09:41"),
        ("10:42", f"{PAY} still firing on 4 pods (payments-000 … payments-003), notified again"
                  " at 10:42"),
    ]  # fmt: skip


def test_re_evaluations_of_the_first_firings_wave_are_counted_in_the_milestones_row(
    tmp_path: Path,
) -> None:
    """The storm holds the incident's first firing (orders-consumer-0): re-evaluations of the
    wave joined to it, and of the milestone's own pod, are counted in that row."""
    notes = [*lag_storm(), *keep_last(10, ["orders-consumer-0"]), *keep_last(30, PODS[4:])]
    tl = timeline(tmp_path, [trigger()], [], [], notes)
    first = next(e for e in tl.events if RULE in e.summary)
    assert first.summary == (
        f"Grafana alert {RULE} (pod=orders-consumer-0) firing;"
        " 6 pods firing by 09:42; 3 re-evaluations 09:52–10:12: still firing on"
        " orders-consumer-0, orders-consumer-4, orders-consumer-5"
    )
    assert len(first.members) == 6 + 3
    assert not any("last state kept" in s and not e.members for e in tl.events for s in [e.summary])
