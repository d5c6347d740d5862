"""Row economy at storm size (#11), on the tools' wire formats: many evidence links of one kind,
an alert storm seen by three tools (one row per instance, named for its rule), a rule flapping
without firing, a person's rollback annotation and their message, the pages of an escalation.

PagerDuty ``GET /incidents/{id}/alerts``: ``body.details`` is the Events API v2
``custom_details``; Grafana's PagerDuty notifier sends ``{"firing": "Labels:\\n - alertname =
...", "num_firing": ...}``. Grafana ``GET /api/annotations``: unified alerting's state
annotations write the labels in ``text`` (``"<rule> {alertname=X, pod=p} - B=1, C=1"``). Slack
``conversations.history``: Grafana's Slack notifier posts an attachment, ``title`` "[FIRING:1]
<group label values> (<other common label values>)", ``text`` its ``__text_alert_list``.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from reconstruct.config import CollapseConfig, Config
from reconstruct.model import Event, Identity, Incident, Kind, Link
from reconstruct.normalize import normalize
from reconstruct.pipeline import build_timeline
from reconstruct.render import RenderOptions, render
from tests.test_rows import (
    CHANNEL,
    INC_ID,
    INC_NO,
    INC_URL,
    LEE,
    PD,
    T0,
    WINDOW,
    WS,
    alert_state,
    annotation,
    bundle,
    escalate,
    iso,
    notify,
    one,
    said,
    texts,
    timeline,
    trigger,
    ts,
)

RULE = "PaymentsLatencyHigh"


def pd_alert(n: int, minutes: float, trigger_id: str, pod: str | None = None) -> dict[str, Any]:
    """One alert of GET /incidents/{id}/alerts as Grafana's PagerDuty notifier raises it."""
    labels = f"Labels:\n - alertname = {RULE}\n - grafana_folder = Payments\n"
    if pod is not None:
        labels += f" - pod = {pod}\n"
    title = f"[FIRING:1] {RULE} payments" + (f" ({pod})" if pod else "")
    return {
        "id": f"QAL{n:04d}",
        "type": "alert",
        "summary": title,
        "created_at": iso(minutes),
        "html_url": f"{PD}/alerts/QAL{n:04d}",
        "status": "resolved",
        "alert_key": f"k-{n}",
        "severity": "critical",
        "first_trigger_log_entry": {
            "id": trigger_id,
            "type": "trigger_log_entry_reference",
            "html_url": f"{INC_URL}/log_entries/{trigger_id}",
        },
        "incident": {"id": INC_ID, "type": "incident_reference"},
        "body": {
            "type": "alert_body",
            "details": {"firing": labels, "num_firing": "1", "num_resolved": "0"},
        },
    }


def grafana_state(minutes: float, pod: str, prev: str, new: str) -> dict[str, Any]:
    record = alert_state(minutes, RULE, prev, new)
    record["text"] = f"{RULE} {{alertname={RULE}, grafana_folder=Payments, pod={pod}}} - B=2.1"
    return record


def slack_alert_post(minutes: float, pod: str, status: str = "FIRING") -> dict[str, Any]:
    """Grafana's Slack notifier: a bot message with one attachment."""
    title = f"[{status}{':1' if status == 'FIRING' else ''}] {RULE} payments ({pod})"
    body = f"**{status.title()}**\n\nValue: B=2.1\nLabels:\n - alertname = {RULE}\n"
    body += f" - grafana_folder = Payments\n - pod = {pod}\nAnnotations:\n - summary = slow\n"
    return {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B07GRFN2KLM",
        "username": "Grafana",
        "text": "",
        "ts": ts(minutes),
        "attachments": [{"id": 1, "title": title, "text": body, "fallback": title}],
    }


# -- F1: many evidence links of one label --------------------------------------------------------
def grouped_alerts(count: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The trigger log entry and ``count`` alerts grouped under it (their first trigger)."""
    first = trigger()
    alerts = [pd_alert(n, 0.01 * n, first["id"], f"p-{n:03d}") for n in range(count)]
    return [first], alerts


def markdown(tl: Any, config: Config | None = None) -> str:
    return render(tl, RenderOptions(timeline_only=True), config or Config())


def test_a_row_with_many_links_of_one_label_shows_the_first_last_and_count(
    tmp_path: Path,
) -> None:
    entries, alerts = grouped_alerts(100)
    tl = timeline(tmp_path, entries, [], [], [], alerts)
    row = one(tl, "triggered")
    assert len([ln for ln in row.links if "/alerts/" in ln.url]) == 100, "every link is kept"
    line = next(ln for ln in markdown(tl).splitlines() if "triggered" in ln)
    assert line.count("[PD alert") == 2 and "(100 PD alert links)" in line
    assert f"[PD alert]({PD}/alerts/QAL0000) … [PD alert (100)]({PD}/alerts/QAL0099)" in line
    assert "[PD log entry]" in line, "the other labels are shown as they are"
    data = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    (trig,) = [e for e in data["events"] if "triggered" in e["summary"]]
    assert len([ln for ln in trig["links"] if "/alerts/" in ln["url"]]) == 100
    expanded = Config(collapse=CollapseConfig(expand=True))
    line = next(ln for ln in markdown(tl, expanded).splitlines() if "triggered" in ln)
    assert line.count("[PD alert") == 100, "--expand shows every link"
    html = render(tl, RenderOptions(fmt="html"), Config())
    (cell,) = [ln for ln in html.splitlines() if "triggered" in ln and "<td>" in ln]
    assert "(100 PD alert links)</summary>" in cell, "HTML opens the group to every link"
    assert cell.count(f'href="{PD}/alerts/') == 102  # first and last, then all 100
    page = render(tl, RenderOptions(fmt="page"), Config())
    (cell,) = [ln for ln in page.splitlines() if "triggered" in ln and "<td" in ln]
    assert "(100 PD alert links)</summary>" in cell and cell.count(f"{PD}/alerts/") == 102


def test_a_few_links_of_one_label_are_all_shown(tmp_path: Path) -> None:
    entries, alerts = grouped_alerts(5)
    tl = timeline(tmp_path, entries, [], [], [], alerts)
    line = next(ln for ln in markdown(tl).splitlines() if "triggered" in ln)
    assert line.count("[PD alert") == 5 and " … " not in line, "at most 5 (the default) shown"
    fewer = Config(collapse=CollapseConfig(max_links=2))
    line = next(ln for ln in markdown(tl, fewer).splitlines() if "triggered" in ln)
    assert "(5 PD alert links)" in line, "[collapse] max_links sets the bound"


# -- F2: an alert storm across instances, seen by three tools -----------------------------------
def storm(count: int, with_posts: bool = True) -> tuple[list[Any], list[Any], list[Any]]:
    """``count`` pods fire: Grafana every 6 s from 0, its Slack post 2 s later, the PagerDuty
    alert (its own trigger entry) two minutes later every 5 s, so by time alone pod k's alert
    lies next to another pod's annotation. All clear at minute 40."""
    entries, alerts, notes, posts = [], [], [], []
    for k in range(count):
        pod = f"payments-{k:03d}"
        notes.append(grafana_state(0.1 * k, pod, "Normal", "Alerting"))
        notes.append(grafana_state(40 + 0.1 * k, pod, "Alerting", "Normal"))
        if with_posts:
            posts.append(slack_alert_post(0.1 * k + 0.03, pod))
            posts.append(slack_alert_post(40 + 0.1 * k + 0.03, pod, "RESOLVED"))
        # its own trigger entry (not among the incident's log entries read: the alert is a row)
        alerts.append(pd_alert(k, 2 + k / 12, f"RTRIGA{k:03d}", pod))
    return [trigger(), *entries], alerts, notes + posts


def pods_of(event: Event) -> set[str]:
    """The pods a row's records name (their links and texts)."""
    records = event.members or (event,)
    found = set()
    for record in records:
        found |= {t.split("=", 1)[1] for t in record.tags if t.startswith("label:pod=")}
    return found


def test_a_storm_merges_per_instance_and_is_named_for_its_rule(tmp_path: Path) -> None:
    entries, alerts, notes = storm(30)
    posts = [n for n in notes if "attachments" in n]
    grafana = [n for n in notes if "attachments" not in n]
    tl = timeline(tmp_path, entries, posts, [], grafana, alerts)
    rows = [e for e in tl.events if RULE in e.summary]
    fired = one(tl, "30 pods firing by")
    # PagerDuty's alert, "[FIRING:1] PaymentsLatencyHigh payments (payments-000)" as Grafana's
    # notifier wrote it, reads as the dashboard's rows do (its labels from the alert's details)
    assert (
        fired.summary == f"Grafana alert {RULE} (pod=payments-000) firing; 30 pods firing by 09:44"
    )
    assert one(tl, "this one last").summary.endswith(
        "; all 30 pods cleared, this one last, 10:22–10:24"
    )
    for member in fired.members:
        assert len(pods_of(member)) == 1, f"one instance per merged row: {member.summary}"
    merged = [m for m in fired.members if len(m.sources) == 3]
    assert len(merged) >= 25, "most firings are seen by the three tools, each of one pod"
    assert all(len(pods_of(m)) == 1 for m in merged)
    assert len(rows) == 2, texts(tl)  # the first firing and the last clearing, each joined


def test_without_the_chat_posts_the_storm_is_still_one_rule(tmp_path: Path) -> None:
    entries, alerts, notes = storm(30, with_posts=False)
    tl = timeline(tmp_path, entries, [], [], notes, alerts)
    storms = [e for e in tl.events if e.members and "firing by" in e.summary]
    assert [e.summary.rpartition("; ")[2] for e in storms] == ["30 pods firing by 09:44"]
    assert len(storms[0].members) == 30, "one rule's storm: every pod's firing"


def test_alerts_of_two_pods_never_merge_on_the_rule_and_time(tmp_path: Path) -> None:
    """Grafana's annotation for pod A and the PagerDuty alert for pod B, 10 s apart: two
    records of two instances, never one alert (the row names both, ``collapse._small_wave``);
    a chat title naming the pod by value only joins its own pod's annotation."""
    alerts = [pd_alert(1, 5.2, "RTRIGB", "payments-b")]
    entries = [trigger()]
    notes = [grafana_state(5, "payments-a", "Normal", "Alerting")]
    post = slack_alert_post(5.05, "payments-a")
    post["attachments"][0]["text"] = "**Firing**\n\nValue: B=2.1\n"  # no labels: values only
    tl = timeline(tmp_path, entries, [post], [], notes, alerts)
    (row,) = [e for e in tl.events if RULE in e.summary]
    assert row.summary.endswith("(pod=payments-a) firing; also on payments-b at 09:47"), row
    a, b = row.members
    assert sorted(a.sources) == ["grafana", "slack"], "the title names payments-a"
    assert pods_of(a) == {"payments-a"} and pods_of(b) == {"payments-b"}
    assert b.sources == ("pagerduty",)
    expand = Config(collapse=CollapseConfig(expand=True))
    tl = timeline(tmp_path / "expand", entries, [post], [], notes, alerts, config=expand)
    assert len([e for e in tl.events if RULE in e.summary]) == 2, "two records, two alerts"


# -- F4: flapping whatever the states -----------------------------------------------------------
def test_a_rule_going_pending_and_back_without_firing_is_one_row_no_flap(tmp_path: Path) -> None:
    """Grafana's Pending -> Normal never fired: no firing, no clearing, no flap (#11); ten of
    them are one row that says so."""
    flaps = [
        alert_state(1.5 * k, "CardAuthP99", *(("Normal", "Pending") if k % 2 == 0
                                              else ("Pending", "Normal")))
        for k in range(20)
    ]  # fmt: skip
    other = [alert_state(3, "DiskFull", "Normal", "Pending")]
    tl = timeline(tmp_path, [trigger()], [], [], [*flaps, *other])
    rows = [e for e in tl.events if "CardAuthP99" in e.summary]
    assert [e.summary for e in rows] == [
        "CardAuthP99 went pending 10 times and never fired, 09:42–10:10"
    ]
    assert len(rows[0].members) == 20
    assert one(tl, "DiskFull").members == (), "another rule's one state stays its row"


def test_slow_pending_changes_are_not_flapping(tmp_path: Path) -> None:
    changes = [
        alert_state(25 * k, "CardAuthP99", *(("Normal", "Pending") if k % 2 == 0
                                             else ("Pending", "Normal")))
        for k in range(4)
    ]  # fmt: skip
    tl = timeline(tmp_path, [trigger()], [], [], changes)
    rows = [e for e in tl.events if "CardAuthP99" in e.summary]
    assert [e.summary for e in rows] == [
        "Grafana alert CardAuthP99 pending 09:42, back to normal 10:07 without firing",
        "Grafana alert CardAuthP99 pending 10:32, back to normal 10:57 without firing",
    ], "each pending and its end one row, fewer than a series"


# -- F5: a person's words in two tools, whatever kind -------------------------------------------
ROLLBACK = "rolling back checkout to v2.3.1 now (rollback)"


def rollback_note(minutes: float, login: str, email: str) -> dict[str, Any]:
    """A person's annotation whose words make it a rollback (kind deploy, tag rollback)."""
    note = annotation(minutes, ROLLBACK, login, email)
    note["tags"] = ["rollback", "checkout"]
    return note


def test_a_persons_rollback_message_and_annotation_are_one_row(tmp_path: Path) -> None:
    messages = [said("U02LEE", 20, ROLLBACK)]
    notes = [rollback_note(20.25, "lee", "lee@acme.example")]
    tl = timeline(tmp_path, [trigger()], messages, [LEE], notes)
    rows = [e for e in tl.events if "rolling back" in e.summary]
    assert len(rows) == 1, texts(tl)
    assert sorted(rows[0].sources) == ["grafana", "slack"] and rows[0].actor == "Lee Turner"
    assert "rollback" in rows[0].tags


def test_another_persons_rollback_annotation_stays_its_row(tmp_path: Path) -> None:
    messages = [said("U02LEE", 20, ROLLBACK)]
    notes = [rollback_note(20.25, "kim", "kim@acme.example")]
    tl = timeline(tmp_path, [trigger()], messages, [LEE], notes)
    assert len([e for e in tl.events if "rolling back" in e.summary]) == 2


def test_a_persons_message_never_merges_with_a_deployment_record() -> None:
    """A deploy tool's own record (a GitHub deployment, kind deploy, no words of a person)."""
    incident = Incident(INC_ID, INC_NO, "Checkout errors", "P1", ("checkout",), T0, None, INC_URL)
    message = Event(
        T0 + timedelta(minutes=30), Kind.MESSAGE, "deployed checkout abc1234 to production",
        ("slack",), (Link("slack", f"{WS}archives/{CHANNEL}/p1"),), "slack:C:1", "lee",
        tags=frozenset({"human", "incident-channel", "pinned"}), scope="slack:#inc-4711",
    )  # fmt: skip
    deployment = Event(
        T0 + timedelta(minutes=30, seconds=20), Kind.DEPLOY,
        "Deployed checkout abc1234 to production", ("github",),
        (Link("github", "https://github.com/acme/checkout/deployments", "deploy run"),),
        "github:deployment:1", "lee", scope="github:acme/checkout",
    )  # fmt: skip
    ident = [Identity("slack", "lee", "lee@acme.example", "Lee Turner", "lee")]
    result = normalize([message, deployment], incident, WINDOW, Config(), ident)
    assert len(result.events) == 2


# -- F8: the pages of an escalation -------------------------------------------------------------
def test_pages_within_a_minute_of_an_escalation_are_its_row(tmp_path: Path) -> None:
    pages = [notify(5.05, "Kim Nguyen", "push"), notify(5.5, "Kim Nguyen", "email"),
             notify(5.9, "Kim Nguyen", "email")]  # fmt: skip
    later = [notify(7 + k, "Kim Nguyen", "email") for k in range(5)]
    tl = timeline(tmp_path, [trigger(), escalate(5, "Priya Raman", "Kim Nguyen"), *pages, *later])
    row = one(tl, "Escalated to Kim Nguyen")
    # the escalation keeps its words; its repeats after it (nothing between) join its row
    assert row.summary == (
        "Escalated to Kim Nguyen by Priya Raman; paged by push and email (3 notifications);"
        " paged again 5 times, 09:49–09:53 (5 email notifications)"
    )
    assert len(row.members) == 1 + 5
    rows = [e.summary for e in tl.events if "Kim Nguyen" in e.summary]
    assert len(rows) == 1, "no stray page row beside the escalation"


def test_a_page_two_minutes_after_an_escalation_is_not_its_row(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger(), escalate(5, "Priya Raman", "Kim Nguyen"),
                             notify(7, "Kim Nguyen", "email")])  # fmt: skip
    assert one(tl, "Escalated to Kim Nguyen").summary.endswith("by Priya Raman")
    assert "Paged Kim Nguyen by email" in texts(tl)


# -- instance labels from the tools' alert text ----------------------------------------------
def test_labels_are_read_from_grafanas_alert_list_in_any_layout() -> None:
    from reconstruct.normalize.instances import instance_tags, labels_in_text

    text = (
        "**Firing**\n\nValue: B=2.1\nLabels:\n - alertname = Cache hit ratio\n"
        " - grafana_folder = Cache\n - pod = cache-07\nAnnotations:\n - summary = low\n"
        "Source: https://grafana.acme.example/alerting/grafana/x/view\n"
    )
    want = {"alertname": "Cache hit ratio", "grafana_folder": "Cache", "pod": "cache-07"}
    assert labels_in_text(text) == want
    assert labels_in_text(" ".join(text.split())) == want, "a chat post's text, one line"
    assert instance_tags(want) == {"label:pod=cache-07", "alertname:Cache hit ratio"}
    two = text + text.replace("cache-07", "cache-08")
    assert labels_in_text(two) == {"alertname": "Cache hit ratio", "grafana_folder": "Cache"}, (
        "a notification of two alerts names no one pod"
    )
    assert labels_in_text("pod = cache-07, no list here") == {}


def test_a_person_quoting_an_alert_gets_no_instance(tmp_path: Path) -> None:
    """A person's message pasting the alert text is no alert record: no labels, no merge."""
    text = f"seeing this: Labels: - alertname = {RULE} - pod = payments-000"
    messages = [said("U02LEE", 0.1, text, reactions=[{"name": "pushpin", "count": 1}])]
    tl = timeline(tmp_path, [trigger()], messages, [LEE], [])
    row = one(tl, "seeing this")
    assert not any(t.startswith(("label:", "alertname:")) for t in row.tags)


def test_long_instance_names_never_push_a_clearings_times_out_of_its_row(tmp_path: Path) -> None:
    """Kubernetes pod names (``<deployment>-<replicaset hash>-<5 random>``, 30 characters and
    more) in a wave's list: the row names as many as fit and counts the rest, so the times the
    wave cleared stay in the row, never cut by the renderer's summary limit (nc13a's
    "…czbjp and 6 more cleared 14…")."""
    pods = [
        f"payments-ledger-kafka-consumer-6c9f7b8d4-{c}{c}{n:02d}x"
        for n in range(2)
        for c in "bcdfghjklm"
    ]
    labels = "alertname=LedgerConsumerLagHigh, pod={}"
    grafana = [alert_state(1 + i / 60, "LedgerConsumerLagHigh", "Normal", "Alerting",
                           labels.format(p)) for i, p in enumerate(pods)]  # fmt: skip
    grafana += [alert_state(30 + i / 60, "LedgerConsumerLagHigh", "Alerting", "Normal",
                            labels.format(p)) for i, p in enumerate(pods[:10])]  # fmt: skip
    grafana += [alert_state(60 + i / 60, "LedgerConsumerLagHigh", "Alerting", "Normal",
                            labels.format(p)) for i, p in enumerate(pods[10:])]  # fmt: skip
    tl = timeline(tmp_path, [trigger()], [], [], grafana)
    config = Config()
    cleared = [e for e in tl.events if "clear" in e.summary]
    assert cleared, texts(tl)
    for row in cleared:
        assert len(row.summary) <= config.render.max_summary, row.summary
        assert re.search(r"\d\d:\d\d\)?$", row.summary), f"ends with its times: {row.summary}"
        assert " more" in row.summary, "the names that do not fit are counted"
    out = render(tl, RenderOptions(), config)
    assert "…" not in "".join(line for line in out.splitlines() if "clear" in line)


def test_the_incidents_trigger_stays_a_row_of_its_own_inside_its_rules_storm(
    tmp_path: Path,
) -> None:
    """PagerDuty titles the incident with the first alert's ``payload.summary``, which Grafana's
    notifier writes "[FIRING:3] <rule> <group>" (Events API v2): the trigger names the storm's
    rule and falls inside the storm's span, yet it is the incident's own milestone, a row with
    its PagerDuty links (never a member a storm row shows only by its first and last links),
    titled without the status bracket that only counted alerts at that moment."""
    first = trigger(1.5)
    notes = [grafana_state(0.2 * k, f"payments-{k:03d}", "Normal", "Alerting") for k in range(12)]
    alerts = [pd_alert(k, 1.5, first["id"], f"payments-{k:03d}") for k in range(3)]
    title = f"[FIRING:3] {RULE} payments"
    group = slack_alert_post(1.51, "payments-000")  # Grafana's Slack post of the same group
    group["attachments"][0]["title"] = group["attachments"][0]["fallback"] = title
    group["attachments"][0]["text"] = "**Firing**\n" + "".join(
        f"\nValue: B=2.1\nLabels:\n - alertname = {RULE}\n - pod = payments-{k:03d}\n"
        for k in range(3)
    )
    made = bundle(tmp_path, [first], [group], [], notes, alerts, title=title)
    tl = build_timeline(made, Config())
    row = one(tl, "triggered")
    assert row.summary == f"Incident #{INC_NO} triggered: {RULE} payments"
    assert any(link.url == first["html_url"] for link in row.links)
    assert not row.members or all("triggered" not in m.summary for m in row.members)
    storm_rows = [e for e in tl.events if "pods firing by" in e.summary]
    assert len(storm_rows) == 1, texts(tl)
    assert all("triggered" not in m.summary for m in storm_rows[0].members)
    line = next(ln for ln in markdown(tl).splitlines() if "triggered" in ln)
    assert first["html_url"] in line, "the trigger's log entry is linked in Markdown"
