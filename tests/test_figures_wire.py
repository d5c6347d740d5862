"""Figures, milestones and the Summary's lede from small inputs in each tool's own wire format
(written here, the way the APIs write them), through the real parsers, normalizer and renderer.

- Slack: ``conversations.history`` messages with ``edited: {user, ts}``.
- GitHub: ``GET /repos/o/r/deployments`` (``task``, ``payload``, ``description``,
  ``environment``, ``original_environment``, ``transient_environment``) and their statuses;
  search ``is:pr is:merged`` items and ``GET /pulls/{n}`` (revert PRs: title ``Revert "..."``,
  body ``Reverts owner/repo#123``, as GitHub's revert button writes them).
- PagerDuty: ``/incidents/{id}/log_entries`` (``*_log_entry`` types, ``incident`` references
  ``{id, type, summary: "[#4710] title"}``) and ``/incidents/{id}/alerts``
  (``first_trigger_log_entry`` references).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.config import Config
from reconstruct.model import Kind, Timeline, Window
from reconstruct.pipeline import build_timeline
from reconstruct.render import RenderOptions, metrics, render

PD_ID = "Q1WIRE0001"
PD_HTML = f"https://acme.pagerduty.com/incidents/{PD_ID}"
CHANNEL = "C0INC4711"
KIM = "U02KIM0001"


def at(hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(2026, 5, 6, hh, mm, ss, tzinfo=UTC)


def z(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def slack_ts(when: datetime, seq: int = 0) -> str:
    return f"{int(when.timestamp())}.{seq:06d}"


# -- wire records ---------------------------------------------------------------------------------
def pd_incident(start: datetime, resolved: datetime | None) -> dict[str, Any]:
    return {
        "id": PD_ID,
        "type": "incident",
        "summary": "[#4711] Checkout 5xx",
        "incident_number": 4711,
        "title": "Checkout 5xx",
        "created_at": z(start),
        "status": "resolved" if resolved else "acknowledged",
        "resolved_at": z(resolved) if resolved else None,
        "html_url": PD_HTML,
        "service": {"id": "PSVC001", "type": "service_reference", "summary": "checkout"},
        "priority": {"id": "PPRI1", "type": "priority_reference", "summary": "P1"},
    }


def log_entry(
    entry_id: str,
    kind: str,
    when: datetime,
    *,
    incident: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    entry = {
        "id": entry_id,
        "type": f"{kind}_log_entry",
        "summary": extra.pop("summary", kind.capitalize()),
        "self": f"https://api.pagerduty.com/log_entries/{entry_id}?incident_id={PD_ID}",
        "html_url": f"{PD_HTML}/log_entries/{entry_id}",
        "created_at": z(when),
        "agent": {"id": "PKIM", "type": "user_reference", "summary": "Kim Nguyen"},
        "channel": {"type": "website"},
        "incident": incident or {"id": PD_ID, "type": "incident_reference"},
    }
    entry.update(extra)
    return entry


def slack_message(when: datetime, text: str, *, edited: datetime | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "message", "user": KIM, "text": text, "ts": slack_ts(when)}
    if edited is not None:
        message["edited"] = {"user": KIM, "ts": slack_ts(edited, 0)}
    return message


def deployment(
    ident: int, sha: str, when: datetime, **extra: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    status_desc = extra.pop("status_description", None)
    record = {
        "url": f"https://api.github.com/repos/acme/checkout/deployments/{ident}",
        "id": ident,
        "sha": sha,
        "ref": "main",
        "task": "deploy",
        "payload": {},
        "original_environment": "production",
        "environment": "production",
        "description": None,
        "creator": {"login": "deploy-bot[bot]"},
        "created_at": z(when - timedelta(minutes=1)),
        "repository_url": "https://api.github.com/repos/acme/checkout",
        "transient_environment": False,
        "production_environment": True,
    }
    record.update(extra)
    statuses = [
        {
            "id": ident * 10,
            "state": "success",
            "description": status_desc,
            "environment": record["environment"],
            "log_url": f"https://deploy.acme.example/runs/{ident}",
            "created_at": z(when),
        }
    ]
    return record, statuses


def rollback(
    first: datetime, suspect: datetime, back: datetime, shas: tuple[str, str] = ("a" * 40, "b" * 40)
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Three production deploys (ids 1 to 3): the old SHA (``shas[0]``) live at ``first``, the
    suspect one (``shas[1]``) at ``suspect``, and the old SHA again at ``back``: a redeploy of
    the previous SHA, which is GitHub's record of a rollback."""
    old, new = shas
    return [deployment(1, old, first), deployment(2, new, suspect), deployment(3, old, back)]


def merged_pr(number: int, title: str, body: str, merged: datetime, sha: str) -> dict[str, Any]:
    return {
        "number": number,
        "title": title,
        "body": body,
        "html_url": f"https://github.com/acme/checkout/pull/{number}",
        "merged_at": z(merged),
        "merge_commit_sha": sha,
        "user": {"login": "kim"},
        "labels": [],
    }


def search_item(pr: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": pr["number"],
        "title": pr["title"],
        "body": pr["body"],
        "closed_at": pr["merged_at"],
        "pull_request": {"merged_at": pr["merged_at"], "html_url": pr["html_url"]},
        "user": pr["user"],
        "labels": [],
    }


# -- bundle ---------------------------------------------------------------------------------------
def bundle(
    tmp_path: Path,
    start: datetime,
    resolved: datetime | None,
    *,
    entries: list[dict[str, Any]] | None = None,
    alerts: list[dict[str, Any]] | None = None,
    messages: list[dict[str, Any]] | None = None,
    deployments: list[tuple[dict[str, Any], list[dict[str, Any]]]] | None = None,
    prs: list[dict[str, Any]] | None = None,
    repo: str = "acme/checkout",
    notes: list[dict[str, Any]] | None = None,
    status: str | None = None,
    end: datetime | None = None,
    leadup: timedelta = timedelta(days=14),
) -> Bundle:
    """The incident PagerDuty triggered at ``start`` (``entries``: its log entries, else the
    trigger alone) and resolved at ``resolved`` (None: acknowledged, unless ``status`` says
    otherwise), with the Slack and GitHub records given; the window ends at ``end`` (else half
    an hour after the resolution) and reaches ``leadup`` back."""
    writer = BundleWriter(tmp_path / "bundle", PD_ID)
    entries = entries if entries is not None else [log_entry("RTRIG", "trigger", start)]
    incident = pd_incident(start, resolved)
    incident["status"] = status or incident["status"]
    writer.add("pagerduty/incident.json", [{"incident": incident}])
    writer.add(
        "pagerduty/log_entries.json",
        [{"log_entries": entries, "limit": 100, "offset": 0, "more": False}],
    )
    writer.add("pagerduty/alerts.json", [{"alerts": alerts or [], "more": False}])
    writer.add("pagerduty/notes.json", [{"notes": notes or []}])
    writer.set_source("pagerduty", "ok")
    if messages is not None:
        writer.add(
            f"slack/{CHANNEL}/conversations.history.json",
            [{"ok": True, "messages": messages, "has_more": False}],
        )
        writer.set_source(
            "slack",
            "ok",
            meta={
                "incident_channel": CHANNEL,
                "channels": {CHANNEL: "inc-4711"},
                "workspace_url": "https://acme.slack.com/",
            },
        )
    if deployments is not None or prs is not None:
        base = f"github/{repo}/"
        writer.add(
            base + "repo.json",
            [{"full_name": repo, "html_url": f"https://github.com/{repo}"}],
        )
        writer.add(base + "deployments.json", [[d for d, _ in deployments or []]])
        for record, statuses in deployments or []:
            writer.add(f"{base}statuses/{record['id']}.json", [statuses])
        writer.add(
            base + "merged_prs.json",
            [{"total_count": len(prs or []), "items": [search_item(p) for p in prs or []]}],
        )
        for pr in prs or []:
            writer.add(f"{base}pulls/{pr['number']}.json", [pr])
        writer.set_source("github", "ok")
    end = end or (resolved or start) + timedelta(minutes=30)
    window = Window(
        start=start - timedelta(hours=1),
        end=end,
        leadup_start=start - leadup,
        ongoing=incident["status"] != "resolved",
    )
    return Bundle.open(writer.finish(window, end))


def timeline_of(b: Bundle) -> Timeline:
    return build_timeline(b, Config())


def figures(tl: Timeline) -> dict[str, int | None]:
    return metrics.as_json(metrics.compute(tl))


def markdown(tl: Timeline) -> str:
    return render(tl, RenderOptions(), Config())


# -- edited messages ------------------------------------------------------------------------------
def test_an_edited_slack_message_counts_from_its_edit(tmp_path: Path) -> None:
    start = at(14, 13)
    msg = slack_message(
        at(14, 16), "mitigation: rolled back the checkout deploy", edited=at(14, 50)
    )
    tl = timeline_of(bundle(tmp_path, start, at(15, 10), messages=[msg]))
    (row,) = [e for e in tl.events if e.kind is Kind.MITIGATE]
    assert row.time == at(14, 16) and row.edited_at == at(14, 50)
    # 14:13 -> 14:50 (the edit), never 14:16 (the post): 37 min, not 3
    assert figures(tl)["time_to_mitigate_s"] == 37 * 60
    text = markdown(tl)
    assert (
        "- **Time to mitigate:** 37m 00s "
        "(14:13:00 → 14:50:00; from the edit of the 14:16 message)\n" in text
    )
    assert "mitigation: rolled back the checkout deploy (edited 14:50) —" in text
    assert "It was mitigated at [14:50](" in text
    assert "(“mitigation: rolled back the checkout deploy”, an edit of the 14:16 message)" in text
    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    assert doc["milestones"]["mitigated"]["from_edit"] is True
    assert doc["milestones"]["mitigated"]["time"] == "2026-05-06T14:50:00Z"


def test_an_unedited_message_and_an_edit_of_nothing_count_from_the_post(tmp_path: Path) -> None:
    start = at(14, 13)
    # Slack writes edited.ts == ts for some bot updates: no later edit, the post's time stands
    same = slack_message(at(14, 16), "rolled back the checkout deploy", edited=at(14, 16))
    tl = timeline_of(bundle(tmp_path, start, at(15, 10), messages=[same]))
    assert figures(tl)["time_to_mitigate_s"] == 3 * 60
    assert "(edited" not in markdown(tl)


def test_another_record_confirms_an_earlier_mitigation(tmp_path: Path) -> None:
    start = at(14, 13)
    msg = slack_message(at(14, 16), "mitigation: rolled back", edited=at(14, 50))
    # the sha live before the suspect deploy, back again
    deploys = rollback(at(12, 0), at(14, 0), at(14, 31))
    tl = timeline_of(bundle(tmp_path, start, at(15, 10), messages=[msg], deployments=deploys))
    assert figures(tl)["time_to_mitigate_s"] == 18 * 60  # the GitHub rollback at 14:31
    assert "- **Time to mitigate:** 18m 00s (14:13:00 → 14:31:00)\n" in markdown(tl)


# -- rollbacks and reverts ------------------------------------------------------------------------
def test_a_github_redeploy_of_the_previous_sha_is_the_mitigation(tmp_path: Path) -> None:
    deploys = rollback(at(11, 0), at(13, 58), at(14, 40), shas=("1" * 40, "2" * 40))
    tl = timeline_of(bundle(tmp_path, at(14, 12), at(15, 0), deployments=deploys))
    assert figures(tl)["time_to_mitigate_s"] == 28 * 60
    mark = metrics.milestones(tl).mitigated
    assert mark is not None and mark.event is not None
    assert mark.event.summary == "Rolled back acme/checkout to 1111111 (main) in production"


def test_deployment_conventions_that_say_rollback(tmp_path: Path) -> None:
    cases: list[dict[str, Any]] = [
        {"task": "deploy:rollback"},
        {"task": "rollback"},
        {"description": "Rolling back to v2.3.0"},
        {"payload": {"rollback": True, "from": "v2.3.1"}},
        {"status_description": "Rolled back to 1a2b3c4"},
    ]
    for i, extra in enumerate(cases):
        deploys = [deployment(1, "3" * 40, at(14, 30), **extra)]
        tl = timeline_of(bundle(tmp_path / str(i), at(14, 12), at(15, 0), deployments=deploys))
        assert figures(tl)["time_to_mitigate_s"] == 18 * 60, extra


def test_failed_transient_or_plain_deploys_are_not_mitigation(tmp_path: Path) -> None:
    plain = [deployment(1, "4" * 40, at(14, 30))]
    transient = [deployment(2, "5" * 40, at(14, 30), task="rollback", transient_environment=True)]
    failed_record, failed_statuses = deployment(3, "6" * 40, at(14, 30), task="rollback")
    failed_statuses[0]["state"] = "failure"
    for i, deploys in enumerate((plain, transient, [(failed_record, failed_statuses)])):
        tl = timeline_of(bundle(tmp_path / str(i), at(14, 12), at(15, 0), deployments=deploys))
        assert figures(tl)["time_to_mitigate_s"] is None


def test_a_revert_pr_going_live_is_the_mitigation(tmp_path: Path) -> None:
    revert_sha = "7" * 40
    revert = merged_pr(
        1210,
        'Revert "Reduce product cache TTL to 60s"',
        "Reverts acme/checkout#1187",
        at(14, 25),
        revert_sha,
    )
    deploys = [deployment(5, revert_sha, at(14, 33))]
    tl = timeline_of(bundle(tmp_path, at(14, 12), at(15, 0), deployments=deploys, prs=[revert]))
    mark = metrics.milestones(tl).mitigated
    assert mark is not None and mark.event is not None
    assert mark.time == at(14, 33)  # when it went live, not the merge at 14:25
    assert mark.event.summary == (
        "Deployed revert PR #1210 (reverts PR #1187) to production: acme/checkout 7777777 (main)"
    )
    change = next(e for e in tl.events if e.kind is Kind.CHANGE)
    assert "revert" in change.tags
    assert change.summary.endswith("(reverts PR #1187)")


def test_a_revert_merge_without_a_deploy_row_is_the_mitigation(tmp_path: Path) -> None:
    revert = merged_pr(1211, 'Revert "Bump pool size"', "", at(14, 25), "8" * 40)
    tl = timeline_of(bundle(tmp_path, at(14, 12), at(15, 0), prs=[revert]))
    assert figures(tl)["time_to_mitigate_s"] == 13 * 60


# -- reopened and merged incidents ----------------------------------------------------------------
def test_resolve_reopen_resolve_runs_to_the_final_resolution(tmp_path: Path) -> None:
    entries = [
        log_entry("R1", "trigger", at(10, 0)),
        log_entry("R2", "acknowledge", at(10, 2)),
        log_entry("R3", "resolve", at(10, 20)),
        log_entry("R4", "acknowledge", at(10, 35)),  # status set back to acknowledged: reopened
        log_entry("R5", "resolve", at(10, 52)),
    ]
    tl = timeline_of(bundle(tmp_path, at(10, 0), at(10, 52), entries=entries))
    reopen = next(e for e in tl.events if "reopen" in e.tags)
    assert reopen.time == at(10, 35)
    assert reopen.kind is Kind.UPDATE
    assert reopen.summary == "Incident #4711 reopened (acknowledged) by Kim Nguyen"
    got = figures(tl)
    assert got["time_to_resolve_s"] == 52 * 60
    assert got["time_to_ack_s"] == 2 * 60
    text = markdown(tl)
    assert (
        "- **Time to resolve:** 52m 00s "
        "(10:00:00 → 10:52:00; reopened 10:35; to the final resolution)\n" in text
    )
    assert "| 10:35 | Incident #4711 reopened (acknowledged) by Kim Nguyen —" in text


def test_a_reopen_entry_named_as_such_is_read_too(tmp_path: Path) -> None:
    entries = [
        log_entry("R1", "trigger", at(10, 0)),
        log_entry("R3", "resolve", at(10, 20)),
        log_entry("R4", "reopen", at(10, 35), summary="Reopened by Kim Nguyen"),
        log_entry("R5", "resolve", at(10, 52)),
    ]
    tl = timeline_of(bundle(tmp_path, at(10, 0), at(10, 52), entries=entries))
    assert [e.summary for e in tl.events if "reopen" in e.tags] == [
        "Incident #4711 reopened by Kim Nguyen"
    ]
    assert figures(tl)["time_to_resolve_s"] == 52 * 60


def test_records_of_a_merged_incident_say_where_they_came_from(tmp_path: Path) -> None:
    source = {"id": "PSRC4710", "type": "incident_reference", "summary": "[#4710] Cache errors"}
    entries = [
        log_entry("R0", "trigger", at(9, 58), incident=source),
        log_entry("R1", "trigger", at(10, 0)),
        log_entry("R2", "resolve", at(10, 5), incident=source, summary="Resolved by merge"),
        log_entry("R9", "resolve", at(10, 40)),
    ]
    moved = {
        "id": "PALERT1",
        "type": "alert",
        "summary": "Cache hit ratio below 50%",
        "html_url": "https://acme.pagerduty.com/alerts/PALERT1",
        "created_at": z(at(9, 57)),
        "status": "resolved",
        "alert_key": "cache-hit-ratio",
        "severity": "critical",
        "incident": {"id": PD_ID, "type": "incident_reference"},
        "first_trigger_log_entry": {
            "id": "RSRC",
            "type": "trigger_log_entry_reference",
            "self": "https://api.pagerduty.com/log_entries/RSRC?incident_id=PSRC4710",
            "html_url": "https://acme.pagerduty.com/incidents/PSRC4710/log_entries/RSRC",
        },
    }
    tl = timeline_of(bundle(tmp_path, at(10, 0), at(10, 40), entries=entries, alerts=[moved]))
    summaries = {e.key: e.summary for e in tl.events}
    assert summaries["pagerduty:alert:PALERT1"] == (
        "Alert (critical): Cache hit ratio below 50% (moved in from merged incident #4710)"
    )
    assert summaries["pagerduty:log_entry:R0"] == ("Merged incident #4710 triggered: Cache errors")
    merged_resolve = next(e for e in tl.events if e.key == "pagerduty:log_entry:R2")
    assert merged_resolve.kind is Kind.UPDATE  # the other incident's resolution, not this one's
    assert merged_resolve.summary == "Resolved by Kim Nguyen (in merged incident #4710)"
    assert figures(tl)["time_to_resolve_s"] == 40 * 60
    assert not any("reopen" in e.tags for e in tl.events)


# -- impact start, detection and the lede ---------------------------------------------------------
def test_impact_start_detection_and_the_lede(tmp_path: Path) -> None:
    start = at(14, 12)
    msgs = [
        slack_message(at(14, 5), "customers are reporting checkout errors since a few minutes"),
        slack_message(at(14, 40), "mitigated: rolled back to v2.3.0"),
    ]
    deploys = [deployment(1, "9" * 40, at(13, 58), ref="v2.3.1")]
    entries = [
        log_entry("R1", "trigger", start),
        log_entry(
            "R2",
            "notify",
            at(14, 12, 30),
            user={"id": "PKIM", "type": "user_reference", "summary": "Kim Nguyen"},
        ),
        log_entry("R3", "resolve", at(14, 59)),
    ]
    tl = timeline_of(
        bundle(tmp_path, start, at(14, 59), entries=entries, messages=msgs, deployments=deploys)
    )
    marks = metrics.milestones(tl)
    assert marks.impact_start is not None and marks.impact_start.time == at(14, 5)
    assert marks.detected is not None and marks.detected.time == start
    assert figures(tl)["time_to_detect_s"] == 7 * 60
    text = markdown(tl)
    assert "- **Time to detect:** 7m 00s (14:05:00 → 14:12:00)\n" in text
    duration = "14:05 – 14:59 UTC (54m 00s; PagerDuty incident 14:12 – 14:59 UTC)"
    assert f"- **Duration:** {duration}\n" in text
    summary = text.split("## Summary\n", 1)[1].split("## Impact", 1)[0]
    assert "_Draft by reconstruct" in summary
    slack = f"https://acme.slack.com/archives/{CHANNEL}/p"
    assert f"between [14:05]({slack}{slack_ts(at(14, 5)).replace('.', '')}) and [14:59](" in summary
    assert "UTC, checkout _(what users saw" in summary
    assert "A deploy, “Deployed acme/checkout 9999999 (v2.3.1) to production”, at " in summary
    assert "[13:58](https://deploy.acme.example/runs/1) preceded the first alert by 14m 00s." in (
        summary
    )
    assert "It was mitigated at [14:40](" in summary
    assert "_(how many users, or what share of requests)_" in summary
    assert "_(revenue impact, if known)_" in summary
    assert "caus" not in summary.lower()

    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    assert doc["metrics"]["time_to_detect_s"] == 420
    assert doc["milestones"]["impact_start"]["time"] == "2026-05-06T14:05:00Z"
    assert doc["summary"]["draft"] is True
    assert doc["summary"]["lede"].startswith("On 2026-05-06, between 14:05 and 14:59 UTC, checkout")
    assert "preceded the first alert by 14m 00s" in doc["summary"]["lede"]
    preceded = next(c for c in doc["summary"]["clauses"] if c["name"] == "preceded")
    assert preceded["rows"][0]["time"] == "2026-05-06T13:58:00Z"
    assert "how many users, or what share of requests" in doc["summary"]["blanks"]


def test_detection_without_an_earlier_symptom_says_so(tmp_path: Path) -> None:
    tl = timeline_of(bundle(tmp_path, at(14, 12), at(14, 59)))
    assert figures(tl)["time_to_detect_s"] == 0
    text = markdown(tl)
    assert (
        "- **Time to detect:** 0s "
        "(14:12:00 → 14:12:00; no symptom recorded before the first alert)\n" in text
    )
    assert "- **Duration:** 14:12 – 14:59 UTC (47m 00s)\n" in text


def test_ongoing_incident_lede_and_duration(tmp_path: Path) -> None:
    tl = timeline_of(bundle(tmp_path, at(14, 12), None))
    text = markdown(tl)
    assert "- **Duration:** 14:12 UTC – ongoing\n" in text
    assert "since [14:12](" in text and "the incident is not resolved yet." in text
    assert figures(tl)["time_to_resolve_s"] is None


# -- Slack's `edited` in both wire formats --------------------------------------------------------
def test_edited_ts_is_read_from_the_web_api_and_from_exports(tmp_path: Path) -> None:
    import zipfile

    from reconstruct.collectors.base import CollectContext
    from reconstruct.collectors.slack import SOURCE
    from reconstruct.collectors.slack.parse import parse
    from reconstruct.model import Incident

    posted, edited = at(14, 16), at(14, 50)
    message = slack_message(posted, "mitigation: rolled back", edited=edited)
    # conversations.history, as the Web API returns it
    api = bundle(tmp_path / "api", at(14, 13), at(15, 10), messages=[message])
    (from_api,) = parse(api)
    assert from_api.edited_at == edited and "edited" in from_api.tags

    # a workspace export: channels.json, users.json, <channel>/<YYYY-MM-DD>.json
    zip_path = tmp_path / "export.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("channels.json", json.dumps([{"id": CHANNEL, "name": "inc-4711"}]))
        zf.writestr("users.json", json.dumps([{"id": KIM, "name": "kim"}]))
        zf.writestr("inc-4711/2026-05-06.json", json.dumps([message]))
    window = Window(at(13, 13), at(15, 40), at(13, 13) - timedelta(days=14))
    incident = Incident("Q1WIRE0001", 4711, "Checkout 5xx", "P1", (), at(14, 13), None, None)
    ctx = CollectContext(
        config=Config.model_validate({"slack": {"workspace_url": "https://acme.slack.com/"}}),
        incident=incident,
        incident_raw={"id": PD_ID},
        window=window,
        token=None,
        progress=lambda s, m: None,
        options={"slack_export": zip_path, "slack_channel": CHANNEL},
    )
    writer = BundleWriter(tmp_path / "export-bundle", PD_ID)
    assert SOURCE.collect is not None
    writer.set_source("slack", "ok", meta=dict(SOURCE.collect(ctx, writer)))
    (from_export,) = parse(Bundle.open(writer.finish(window, at(16, 0))))
    assert from_export.edited_at == edited and from_export.time == posted


def test_a_note_after_the_resolution_is_no_reopen(tmp_path: Path) -> None:
    entries = [
        log_entry("R1", "trigger", at(10, 0)),
        log_entry("R3", "resolve", at(10, 20)),
        log_entry("R4", "annotate", at(10, 25), summary="Reopened the ticket in Jira"),
    ]
    tl = timeline_of(bundle(tmp_path, at(10, 0), at(10, 20), entries=entries))
    assert not any("reopen" in e.tags for e in tl.events)
    assert figures(tl)["time_to_resolve_s"] == 20 * 60
    assert "reopened" not in markdown(tl).split("## Timeline")[0]


def test_the_pictures_show_the_figures_milestones(tmp_path: Path) -> None:
    from reconstruct.render.story import story

    # the only mitigation: a GitHub rollback
    deploys = rollback(at(11, 0), at(13, 58), at(14, 40), shas=("1" * 40, "2" * 40))
    entries = [
        log_entry("R1", "trigger", at(14, 12)),
        log_entry("R3", "resolve", at(14, 50)),
        log_entry("R4", "trigger", at(14, 55)),  # reopened
        log_entry("R5", "resolve", at(15, 5)),
    ]
    tl = timeline_of(bundle(tmp_path, at(14, 12), at(15, 5), entries=entries, deployments=deploys))
    shape = story(tl)
    mitigated, resolved = shape.milestone("mitigated"), shape.milestone("resolved")
    assert mitigated is not None and mitigated.time == at(14, 40)
    assert mitigated.row is not None and "Rolled back" in tl.events[mitigated.row].summary
    assert resolved is not None and resolved.time == at(15, 5)
    assert figures(tl)["time_to_resolve_s"] == 53 * 60


def test_a_stated_impact_start_in_utc_is_read_and_a_bare_time_is_not(tmp_path: Path) -> None:
    stated = slack_message(at(14, 30), "impact started at 14:02 UTC according to the 5xx panel")
    tl = timeline_of(bundle(tmp_path / "utc", at(14, 12), at(14, 59), messages=[stated]))
    marks = metrics.milestones(tl)
    assert marks.impact_start is not None and marks.impact_start.time == at(14, 2)
    assert marks.impact_start.stated
    assert figures(tl)["time_to_detect_s"] == 10 * 60
    assert (
        "- **Time to detect:** 10m 00s "
        "(14:02:00 → 14:12:00; impact start as stated in the 14:30 message)" in markdown(tl)
    )
    bare = slack_message(at(14, 30), "impact started at 14:02 according to the 5xx panel")
    tl = timeline_of(bundle(tmp_path / "bare", at(14, 12), at(14, 59), messages=[bare]))
    assert figures(tl)["time_to_detect_s"] == 0  # no zone: never guessed


def test_a_deploy_bots_rollback_post_is_the_mitigation(tmp_path: Path) -> None:
    bot = {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B0DEPLOY1",
        "username": "deploy-bot",
        "text": "Rolled back checkout to v2.3.0 in production (incident #4711)",
        "ts": slack_ts(at(14, 31)),
    }
    plain = {**bot, "text": "Deployed checkout v2.3.2 to production", "ts": slack_ts(at(14, 20))}
    tl = timeline_of(bundle(tmp_path, at(14, 12), at(15, 0), messages=[plain, bot]))
    rows = {e.summary: e for e in tl.events if e.kind is Kind.DEPLOY}
    assert "rollback" in rows[bot["text"]].tags and "rollback" not in rows[plain["text"]].tags
    assert figures(tl)["time_to_mitigate_s"] == 19 * 60


def test_the_lede_is_escaped_and_pings_no_one(tmp_path: Path) -> None:
    hostile = slack_message(
        at(14, 20),
        "@channel rolled back | see [runbook](javascript:alert(1)) <script>x</script> `code`",
    )
    tl = timeline_of(bundle(tmp_path, at(14, 12), at(14, 59), messages=[hostile]))
    text = markdown(tl)
    summary = text.split("## Summary\n", 1)[1].split("## Impact", 1)[0]
    assert "It was mitigated at [14:20](https://acme.slack.com/archives/" in summary
    assert "[runbook](" not in summary and "<script>" not in summary  # no live link or markup
    assert "\\[runbook\\]" in summary and "\\|" in summary
    assert "`code`" in summary and "\\`" not in summary  # Slack's inline code: a code span
    assert "@\u200bchannel" in summary and "@channel" not in summary
    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    assert "“@channel rolled back" in doc["summary"]["lede"]  # data: as written
