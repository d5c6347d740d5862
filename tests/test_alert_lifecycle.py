"""An alert's life as Grafana records it, in the rows an author pastes (#11, nc13b).

Grafana's unified alerting writes one state annotation per change of an alert instance
(``GET /api/annotations``; ``ngalert/state/historian`` ``buildAnnotationTextAndData``:
``prevState``/``newState`` as ``state.FormatStateAndReason`` gives them, ``Normal``, ``Pending``,
``Alerting``, ``Normal (MissingSeries)``..., ``text`` = ``"<rule title> {<labels>} -
<refID>=<%f value>, ..."``). A rule with a pending period writes Normal -> Pending -> Alerting
-> Normal per instance: Pending -> Alerting is one firing, Pending -> Normal no firing at all, and
neither is a flap. A warning that fired and cleared before the incident is a lead-up row, never
the incident's first firing. Grafana's PagerDuty notifier sends the Events API v2 ``client``
"Grafana" and links (``payload.links``, PagerDuty's ``body.contexts``) to the dashboard; its
alerts read as Grafana's rows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconstruct.config import Config
from reconstruct.model import Event, Timeline
from reconstruct.render import RenderOptions, render
from reconstruct.render.metrics import milestones
from tests.test_pd_alert_subject import alert as pd_alert
from tests.test_rows import annotation, one, texts, timeline, trigger
from tests.test_storm_times import state

PROBE = "BlackboxProbeFailed"
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1", "sa-east-1"]
WARN = "CertExpirySoon"


def regional_storm() -> list[dict[str, Any]]:
    """Each region's probe goes Pending, fires 40 s later, clears at 40..41 minutes."""
    notes = []
    for k, region in enumerate(REGIONS):
        probe = f"probe-{region}"
        notes.append(state(-2 + 0.2 * k, probe, "Normal", "Pending", rule=PROBE))
        notes.append(state(-2 + 0.2 * k + 0.7, probe, "Pending", "Alerting", rule=PROBE))
        notes.append(state(40 + 0.2 * k, probe, "Alerting", "Normal", rule=PROBE))
    return notes


def rows(tl: Timeline, needle: str) -> list[Event]:
    return [e for e in tl.events if needle in e.summary]


# -- Pending is no firing, no flap ----------------------------------------------------------------
def test_a_regional_storm_through_pending_is_its_first_firing_and_a_clearing(
    tmp_path: Path,
) -> None:
    tl = timeline(tmp_path, [trigger()], [], [], regional_storm())
    assert not [t for t in texts(tl) if "flapped" in t], texts(tl)
    first, last = rows(tl, PROBE)
    assert first.summary == (
        f"Grafana alert {PROBE} (instance=probe-us-east-1) firing (pending since 09:40);"
        " 6 instances firing by 09:41"
    )
    assert len(first.members) == 12, "six Pending records, six firings"
    assert last.summary.endswith("; all 6 instances cleared, this one last, 10:22–10:23")


def test_a_flapping_rule_counts_firings_not_its_pending_steps(tmp_path: Path) -> None:
    """One instance: Pending, firing, clearing, four times in 20 minutes, and twice Pending
    back to Normal: 4 firings and 4 clearings (8 changes, adding up), 2 pending never fired."""
    probe = "probe-eu-west-1"
    notes = []
    for k in range(4):
        at = 5 + 5 * k
        notes.append(state(at, probe, "Normal", "Pending", rule=PROBE))
        notes.append(state(at + 1, probe, "Pending", "Alerting", rule=PROBE))
        notes.append(state(at + 3, probe, "Alerting", "Normal", rule=PROBE))
    for at in (26, 28):
        notes.append(state(at, probe, "Normal", "Pending", rule=PROBE))
        notes.append(state(at + 0.5, probe, "Pending", "Normal", rule=PROBE))
    other = [state(1, "web-1", "Normal", "Alerting", rule="Other")]  # the first firing
    other.append(state(50, "web-1", "Alerting", "Normal", rule="Other"))  # the last clearing
    tl = timeline(tmp_path, [trigger()], [], [], [*other, *notes])
    row = one(tl, "flapped")
    assert row.summary == (
        f"{PROBE} flapped 8 times 09:48–10:05, last state Normal"
        " (4 firings, 4 clearings; 2 pending never fired)"
    )
    assert len(row.members) == len(notes), "every record kept"


def test_a_pending_longer_than_the_pending_window_is_no_state_change(tmp_path: Path) -> None:
    """A rule whose pending period (15 minutes) is longer than ``pending_window``: its Pending
    records stay rows, but fire twice in 50 minutes and it is no flap (2 firings, 2 clearings,
    not 6 changes)."""
    probe = "probe-eu-west-1"
    notes = []
    for at in (5, 30):
        notes.append(state(at, probe, "Normal", "Pending", rule=PROBE))
        notes.append(state(at + 15, probe, "Pending", "Alerting", rule=PROBE))
        notes.append(state(at + 20, probe, "Alerting", "Normal", rule=PROBE))
    other = [state(1, "web-1", "Normal", "Alerting", rule="Other")]
    other.append(state(80, "web-1", "Alerting", "Normal", rule="Other"))
    tl = timeline(tmp_path, [trigger()], [], [], [*other, *notes])
    assert not [t for t in texts(tl) if "flapped" in t], texts(tl)
    assert len(rows(tl, PROBE)) == 6, "every record its row, as no series takes them"


def test_a_rule_that_really_flaps_still_does(tmp_path: Path) -> None:
    """Negative: Alerting and Normal without Pending, 8 changes in 14 minutes."""
    notes = [
        state(5 + 2 * k, "probe-eu-west-1", *(("Normal", "Alerting") if k % 2 == 0
                                              else ("Alerting", "Normal")), rule=PROBE)
        for k in range(8)
    ]  # fmt: skip
    other = [state(1, "web-1", "Normal", "Alerting", rule="Other")]
    other.append(state(50, "web-1", "Alerting", "Normal", rule="Other"))
    tl = timeline(tmp_path, [trigger()], [], [], [*other, *notes])
    assert one(tl, "flapped").summary == (
        f"{PROBE} flapped 8 times 09:47–10:01, last state Normal (4 firings, 4 clearings)"
    )


# -- a warning before the incident ----------------------------------------------------------------
def warning(fired: float, cleared: float) -> list[dict[str, Any]]:
    host = "api.acme.example:443"
    return [
        state(fired - 8, host, "Normal", "Pending", rule=WARN),
        state(fired, host, "Pending", "Alerting", rule=WARN),
        state(cleared, host, "Alerting", "Normal", rule=WARN),
    ]


def test_a_warning_that_cleared_before_the_incident_is_one_lead_up_row(tmp_path: Path) -> None:
    """CertExpirySoon fired at 09:00 and cleared at 09:10, the page came at 09:42: one row for
    the warning, and the probe's first firing (the detection) a row of its own, its storm
    joined to it, as without the warning."""
    tl = timeline(tmp_path, [trigger()], [], [], [*warning(-42, -32), *regional_storm()])
    (warned,) = rows(tl, WARN)
    assert warned.summary == (
        f"Grafana alert {WARN} (instance=api.acme.example:443) fired (pending since 08:52);"
        " cleared 09:10, before the incident began"
    )
    assert len(warned.members) == 3
    without = timeline(tmp_path / "without", [trigger()], [], [], regional_storm())
    assert [e.summary for e in rows(tl, PROBE)] == [e.summary for e in rows(without, PROBE)]
    marks = milestones(tl)
    assert marks.detected is not None and PROBE in marks.detected.event.summary  # type: ignore[union-attr]


def test_a_warning_still_firing_when_the_incident_began_is_its_first_firing(
    tmp_path: Path,
) -> None:
    """Negative: cleared after the incident's start, the warning is a symptom of it: its
    firing stays a row (the first firing), its clearing another."""
    tl = timeline(tmp_path, [trigger()], [], [], [*warning(-42, 5), *regional_storm()])
    warned = rows(tl, WARN)
    assert [e.summary for e in warned] == [
        f"Grafana alert {WARN} (instance=api.acme.example:443) firing (pending since 08:52)",
        f"Grafana alert {WARN} (instance=api.acme.example:443) resolved",
    ]
    assert rows(tl, PROBE)[0].summary.startswith(f"6 alerts of {PROBE} fired across 6 instances"), (
        "the probes' storm is no first firing"
    )


# -- values and tags are JSON's, not the row's -----------------------------------------------------
def test_an_alerts_values_are_in_json_not_in_its_row(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger()], [], [], warning(-42, 5))
    assert not [t for t in texts(tl) if "B=" in t], texts(tl)
    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    records = [r for e in doc["events"] for r in [e, *e.get("members", ())]]
    values = {r["summary"]: r.get("values") for r in records}
    head = f"Grafana alert {WARN} (instance=api.acme.example:443)"
    assert values[f"{head} firing"] == ["B=0.6, C=1"], "the firing record, a member"
    assert values[f"{head} pending (condition met, not firing yet)"] == ["B=0.6, C=1"]
    assert values[f"{head} resolved"] == ["B=0, C=0"]
    trigger_row = next(r for r in records if "triggered" in r["summary"])
    assert "values" not in trigger_row, "only an alert evaluation has values"


def test_a_persons_annotation_is_their_words_its_tags_in_json(tmp_path: Path) -> None:
    note = annotation(3, "Ran kubectl cert-manager renew -n edge edge-tls", login="oskar")
    note["tags"] = ["cert-manager", "Manual"]
    bare = annotation(4, "")
    bare["tags"] = ["cert-manager"]
    tl = timeline(tmp_path, [trigger()], [], [], [note, bare])
    assert one(tl, "Ran kubectl").summary == "Ran kubectl cert-manager renew -n edge edge-tls"
    assert one(tl, "(tags: cert-manager)").summary == "Grafana annotation (tags: cert-manager)"
    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    (ran,) = [e for e in doc["events"] if e["summary"].startswith("Ran kubectl")]
    assert ran["tags"] == ["cert-manager", "manual"]


# -- Grafana's PagerDuty alerts -------------------------------------------------------------------
GRAFANA_BODY = "https://grafana.acme.example/d/edge-probes/edge?orgId=1&viewPanel=2"


def probe_alert(body: dict[str, Any]) -> dict[str, Any]:
    record = pd_alert(
        f"[FIRING:1] {PROBE} probe-us-east-1 (Edge critical)",
        {"alertname": PROBE, "instance": "probe-us-east-1", "job": "blackbox"},
    )
    record["body"].update(body)
    return record


def test_a_pagerduty_alert_grafana_sent_reads_as_grafanas_rows(tmp_path: Path) -> None:
    """No ``grafana_folder`` label listed, no integration named: the link Grafana sent (a
    dashboard panel), or the client it named, says who sent it."""
    bodies = [
        {"contexts": [{"type": "link", "href": GRAFANA_BODY, "text": "Dashboard"}]},
        {"cef_details": {"client": "Grafana", "client_url": "https://grafana.acme.example/"}},
    ]
    for n, body in enumerate(bodies):
        tl = timeline(tmp_path / str(n), [trigger()], [], [], [], [probe_alert(body)])
        assert one(tl, PROBE).summary == (
            f"Grafana alert {PROBE} (instance=probe-us-east-1) firing"
        ), body


def test_a_pagerduty_alert_another_tool_sent_claims_no_tool(tmp_path: Path) -> None:
    """Negative: Alertmanager's link is Prometheus' graph, its client "Alertmanager"."""
    body = {
        "contexts": [{"type": "link", "href": "https://prom.acme.example/graph?g0.expr=up"}],
        "cef_details": {"client": "Alertmanager"},
    }
    tl = timeline(tmp_path, [trigger()], [], [], [], [probe_alert(body)])
    assert one(tl, PROBE).summary == f"Alert {PROBE} (instance=probe-us-east-1) firing"
