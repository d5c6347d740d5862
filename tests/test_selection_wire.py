"""What the timeline keeps, from small bundles in each tool's wire format: bot posts that concern
this incident, the lead-up change that matters, regions that overlap the incident, and the
accounting of everything else (issue #10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.config import Config, GitHubConfig
from reconstruct.model import Event, Timeline, Window
from reconstruct.pipeline import build_timeline

T0 = datetime(2026, 3, 14, 9, 42, tzinfo=UTC)
WINDOW = Window(T0 - timedelta(hours=1), T0 + timedelta(hours=2), T0 - timedelta(days=14))
SHA = "9c1e7a4f0b2d83c6e5a17f9d0c4b8e2a6d3f5b71"
INC, DEPLOYS, OPS = "C0INC4711", "C0DEPLOYS", "C0OPSBOTS"


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def ts(when: datetime, n: int = 0) -> str:
    return f"{int(when.timestamp())}.{n:06d}"


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def message(when: datetime, text: str, *, bot: bool = False, n: int = 0) -> dict[str, Any]:
    """A conversations.history message: a person's (``user``) or an app's (``bot_message``)."""
    if bot:
        return {
            "type": "message",
            "subtype": "bot_message",
            "ts": ts(when, n),
            "bot_id": "B0BOT1",
            "username": "deploybot",
            "text": text,
        }
    return {"type": "message", "ts": ts(when, n), "user": "U0PRIYA", "text": text}


def pr_item(number: int, title: str, merged: datetime, labels: tuple[str, ...] = ()) -> Any:
    """One result of GET /search/issues?q=is:pr+is:merged (a PR is an issue with pull_request)."""
    return {
        "number": number,
        "title": title,
        "html_url": f"https://github.com/acme/checkout/pull/{number}",
        "closed_at": iso(merged),
        "labels": [{"name": name} for name in labels],
        "user": {"login": "marco"},
        "pull_request": {
            "url": f"https://api.github.com/repos/acme/checkout/pulls/{number}",
            "html_url": f"https://github.com/acme/checkout/pull/{number}",
            "merged_at": iso(merged),
        },
    }


def timeline(
    tmp_path: Path,
    *,
    slack: dict[str, list[dict[str, Any]]] | None = None,
    notes: list[dict[str, Any]] | None = None,
    log_entries: list[Any] | None = None,
    prs: list[Any] | None = None,
    deployments: list[tuple[dict[str, Any], list[dict[str, Any]] | None]] = (),  # type: ignore[assignment]
    annotations: list[dict[str, Any]] | None = None,
    config: Config | None = None,
    service: str = "checkout",
) -> Timeline:
    writer = BundleWriter(tmp_path / "bundle", "Q1INC47")
    incident = {
        "id": "Q1INC47",
        "incident_number": 4711,
        "title": "Checkout returning 5xx",
        "status": "resolved",
        "created_at": iso(T0),
        "resolved_at": iso(T0 + timedelta(minutes=50)),
        "html_url": "https://acme.pagerduty.com/incidents/Q1INC47",
        "service": {"id": "PSVC", "type": "service_reference", "summary": service},
    }
    writer.add("pagerduty/incident.json", [{"incident": incident}])
    writer.add("pagerduty/log_entries.json", [{"log_entries": log_entries or []}])
    writer.add("pagerduty/alerts.json", [{"alerts": []}])
    writer.add("pagerduty/notes.json", [{"notes": notes or []}])
    writer.set_source("pagerduty", "ok")
    names = {INC: "inc-4711", DEPLOYS: "deploys", OPS: "ops-bots"}
    for channel, messages in (slack or {}).items():
        writer.add(f"slack/{channel}/conversations.history.json", [{"messages": messages}])
    writer.set_source(
        "slack",
        "ok",
        meta={
            "workspace_url": "https://acme.slack.com/",
            "incident_channel": INC,
            "channels": names,
        },
    )
    base = "github/acme/checkout/"
    writer.add(base + "repo.json", [{"full_name": "acme/checkout"}])
    writer.add(base + "merged_prs.json", [{"items": prs or []}])
    writer.add(base + "deployments.json", [[d for d, _ in deployments]])
    for deployment, statuses in deployments:
        if statuses is not None:  # None: not read (a live run skips old deployments)
            writer.add(f"{base}statuses/{deployment['id']}.json", [statuses])
    writer.set_source("github", "ok", meta={"repos": ["acme/checkout"]})
    writer.add("grafana/annotations.json", [annotations or []])
    writer.set_source("grafana", "ok", meta={"url": "https://grafana.acme.example"})
    path = writer.finish(WINDOW, T0 + timedelta(days=1))
    return build_timeline(Bundle.open(path), config or Config())


def row(tl: Timeline, text: str) -> Event:
    found = [e for e in tl.events if text in e.summary]
    assert len(found) == 1, [e.summary for e in tl.events]
    return found[0]


def absent(tl: Timeline, text: str) -> bool:
    return not any(text in e.summary for e in tl.events)


def check_accounts(tl: Timeline) -> None:
    for account in tl.accounts.values():
        assert account.shown + sum(account.omitted.values()) == account.collected


# -- B: bot posts in shared channels ------------------------------------------------------------


def test_bot_posts_about_this_incident_are_rows_and_other_services_are_counted(
    tmp_path: Path,
) -> None:
    deployed = T0 + timedelta(minutes=20)
    deployment = {
        "id": 77,
        "sha": SHA,
        "ref": "main",
        "environment": "production",
        "created_at": iso(deployed - timedelta(minutes=2)),
    }
    statuses = [{"id": 1, "state": "success", "created_at": iso(deployed)}]
    annotation = {
        "id": 900,
        "alertId": 12,
        "alertName": "CheckoutErrorRate",
        "dashboardUID": "chk",
        "panelId": 4,
        "newState": "Alerting",
        "prevState": "Normal",
        "time": ms(T0 - timedelta(minutes=1)),
        "timeEnd": ms(T0 - timedelta(minutes=1)),
        "text": "CheckoutErrorRate {alertname=CheckoutErrorRate} - B=0.91",
    }
    slack = {
        INC: [message(T0 + timedelta(minutes=1), "looking")],
        DEPLOYS: [
            # A build of the commit deployed during the incident, long before the deploy.
            message(
                T0 - timedelta(minutes=30), "Build 512 for acme/checkout@9c1e7a4 passed", bot=True
            ),
            message(
                T0 + timedelta(minutes=5), "Released search-api 7d3e0b2 to production", bot=True
            ),
            message(
                T0 + timedelta(minutes=6),
                "Merged https://github.com/acme/checkout/pull/1203 into main",
                bot=True,
            ),
        ],
        OPS: [
            message(
                T0 + timedelta(minutes=3), "Failover of checkout primary to db-2 done", bot=True
            ),
            message(T0 + timedelta(minutes=4), "Failover of search-db primary done", bot=True),
            # The alerting bot repeats the incident's alert 30 minutes on (no merge partner).
            message(T0 + timedelta(minutes=30), "[FIRING:1] CheckoutErrorRate", bot=True),
            message(T0 + timedelta(minutes=31), "[FIRING:1] DiskFull search-db", bot=True),
        ],
    }
    tl = timeline(
        tmp_path, slack=slack, deployments=[(deployment, statuses)], annotations=[annotation]
    )
    assert row(tl, "Build 512").reason == "bot post about commit 9c1e7a4"
    assert row(tl, "pull/1203").reason == "bot post (change) about PR #1203"
    assert row(tl, "Failover of checkout").reason == "bot post about checkout"
    assert row(tl, "[FIRING:1] CheckoutErrorRate").reason == (
        "bot post (alert) about this incident's alert checkouterrorrate"
    )
    for other in ("search-api", "search-db primary", "DiskFull", "looking"):
        assert absent(tl, other)
    assert tl.accounts["slack"].omitted == {
        "bot posts about other services in slack:#deploys": 1,
        "bot posts about other services in slack:#ops-bots": 2,
        "messages without a keyword, pin or reaction in slack:#inc-4711": 1,
    }
    assert tl.accounts["slack"].shown == 4
    check_accounts(tl)


# -- C: the lead-up change that matters ---------------------------------------------------------


def test_a_note_blaming_the_redis_client_surfaces_the_upgrade_pr(tmp_path: Path) -> None:
    note = {
        "id": "PNOTE1",
        "created_at": iso(T0 + timedelta(minutes=25)),
        "content": "Cause: the new Redis client's connection limit is below our worker count",
        "user": {"id": "PU1", "type": "user_reference", "summary": "Kim Nguyen"},
    }
    prs = [
        pr_item(1180, "Upgrade redis client to 5.x", T0 - timedelta(days=8), ("dependencies",)),
        pr_item(1181, "Fix typo in README", T0 - timedelta(days=2), ("docs",)),
        pr_item(1182, "Add dark mode to the cart", T0 - timedelta(days=3), ("ui",)),
        pr_item(1183, "Bump pytest from 8.2 to 8.3", T0 - timedelta(days=4), ("dependencies",)),
    ]
    tl = timeline(tmp_path, notes=[note], prs=prs)
    upgrade = row(tl, "Upgrade redis client")
    assert upgrade.reason == (
        'leadup change sharing "client", "redis" with the incident\'s title and notes'
    )
    assert "leadup" in upgrade.tags
    for other in ("README", "dark mode", "pytest"):
        assert absent(tl, other)
    assert tl.accounts["github"].omitted == {
        "earlier changes not found relevant to this incident in github:acme/checkout": 3
    }
    check_accounts(tl)


def test_one_common_word_relates_no_change_and_an_identifier_does(tmp_path: Path) -> None:
    note = {
        "id": "PNOTE2",
        "created_at": iso(T0 + timedelta(minutes=25)),
        "content": "Cause: max_conn on the read replicas is 50 and the consumer fleet doubled; "
        "one line fix",
        "user": {"id": "PU1", "type": "user_reference", "summary": "Kim Nguyen"},
    }
    prs = [
        pr_item(1190, "Raise max_conn to 200", T0 - timedelta(days=6), ()),
        pr_item(1191, "Fix typo in consumer log line", T0 - timedelta(days=2), ("docs",)),
        pr_item(1192, "Autoscale the consumer fleet", T0 - timedelta(days=3), ()),
        pr_item(1193, "Show read-only badge", T0 - timedelta(days=4), ("ui",)),
    ]
    tl = timeline(tmp_path, notes=[note], prs=prs)
    # an identifier alone relates a change ("conn" and "max" alone are too short or common)
    assert row(tl, "Raise max_conn").reason == (
        'leadup change sharing "max_conn" with the incident\'s title and notes'
    )
    # two uncommon words do
    assert row(tl, "Autoscale the consumer").reason == (
        'leadup change sharing "consumer", "fleet" with the incident\'s title and notes'
    )
    # "line" is a common word and "consumer" alone one word: never enough; "read" alone neither
    for other in ("typo", "read-only"):
        assert absent(tl, other)
    assert tl.accounts["github"].omitted == {
        "earlier changes not found relevant to this incident in github:acme/checkout": 2
    }
    check_accounts(tl)


def test_a_change_named_in_the_evidence_is_always_shown_and_the_rest_is_capped(
    tmp_path: Path,
) -> None:
    slack = {
        INC: [
            message(T0 + timedelta(minutes=9), "root cause: #1190 changed the cart session ttl"),
        ]
    }
    prs = [
        pr_item(1190, "Add dark mode to the cart", T0 - timedelta(days=5), ("ui",)),
        pr_item(1191, "Shorter session TTL for carts", T0 - timedelta(days=6)),
        pr_item(1192, "Cart session timeout 30s", T0 - timedelta(days=4), ("config",)),
        pr_item(1193, "Session cookie rename", T0 - timedelta(days=2)),
    ]
    config = Config(github=GitHubConfig(repos=("acme/checkout",), leadup_changes=1))
    tl = timeline(tmp_path, slack=slack, prs=prs, config=config)
    assert row(tl, "Add dark mode").reason == 'leadup change "#1190" named in the evidence'
    # One more by relevance (the cap): "cart" and "session" from the root cause (2 each), the
    # "timeout" term (2) and the config label (1) score 7; "session" + "ttl" + the "ttl" term
    # score 6; "session" alone 2.
    chosen = [e.summary for e in tl.events if "leadup" in e.tags]
    assert len(chosen) == 2
    assert any("Cart session timeout 30s" in s for s in chosen)
    assert absent(tl, "Session cookie rename") and absent(tl, "Shorter session TTL")
    check_accounts(tl)


# -- D: a region that began before the window -------------------------------------------------


def test_a_region_that_began_before_the_window_and_overlaps_it_is_shown_with_its_span(
    tmp_path: Path,
) -> None:
    load_test = {
        "id": 31,
        "time": ms(T0 - timedelta(hours=3)),
        "timeEnd": ms(T0 + timedelta(minutes=30)),
        "text": "Load test: 5k rps on checkout",
        "tags": ["loadtest"],
    }
    freeze = {  # began before the lead-up even started, still on during the incident
        "id": 32,
        "time": ms(T0 - timedelta(days=20)),
        "timeEnd": ms(T0 + timedelta(days=1)),
        "text": "Maintenance window eu-west-1",
        "tags": ["maintenance"],
    }
    over = {  # over before the window began
        "id": 33,
        "time": ms(T0 - timedelta(hours=5)),
        "timeEnd": ms(T0 - timedelta(hours=4)),
        "text": "Earlier load test",
        "tags": ["loadtest"],
    }
    tl = timeline(tmp_path, annotations=[load_test, freeze, over])
    load = row(tl, "Load test: 5k rps")
    assert load.time == T0 - timedelta(hours=3)
    assert load.summary == ("Load test: 5k rps on checkout (for 3h 30m, until 10:12:00 UTC)")
    assert load.reason == "region overlapping the incident (began before the window)"
    assert row(tl, "Maintenance window").summary.endswith("until 2026-03-15 09:42:00 UTC)")
    assert absent(tl, "Earlier load test")
    assert tl.accounts["grafana"].omitted == {"records before the incident window in grafana": 1}
    check_accounts(tl)


# -- A: PagerDuty log entries of every type: a row, or counted as not understood ----------------


def test_every_log_entry_is_a_row_with_its_own_words_or_counted(tmp_path: Path) -> None:
    def entry(n: int, kind: str | None, summary: str | None) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": f"R{n}",
            "created_at": iso(T0 + timedelta(minutes=n)),
            "html_url": f"https://acme.pagerduty.com/incidents/Q1INC47/log_entries/R{n}",
        }
        if kind is not None:
            record["type"] = kind
        if summary is not None:
            record["summary"] = summary
        return record

    entries = [
        entry(1, "urgency_change_log_entry", "Urgency changed from low to high"),
        entry(2, "snooze_log_entry", "Snoozed for 30 minutes by Priya Raman"),
        entry(3, "some_future_log_entry", "Something PagerDuty adds next year"),
        entry(4, None, None),  # no type and no summary: nothing to show
        {"type": "notify_log_entry", "created_at": iso(T0)},  # no id
        "not a log entry",
    ]
    tl = timeline(tmp_path, log_entries=entries)
    assert row(tl, "Urgency changed").reason == "PagerDuty log entry"
    assert row(tl, "Snoozed for 30 minutes").reason == "PagerDuty log entry"
    assert row(tl, "Something PagerDuty adds").reason == "PagerDuty log entry"
    assert tl.accounts["pagerduty"].omitted == {"not understood": 3}
    assert tl.accounts["pagerduty"].collected == 6
    check_accounts(tl)


def test_a_service_is_named_by_its_distinctive_words_not_by_a_longer_name(tmp_path: Path) -> None:
    slack = {
        OPS: [
            message(
                T0 + timedelta(minutes=3), "Failover of checkout primary to db-2 done", bot=True
            ),
            message(T0 + timedelta(minutes=4), "Restarted checkout-api pods (3/3 ready)", bot=True),
            message(T0 + timedelta(minutes=5), "Failover of checkout-worker queue done", bot=True),
            message(T0 + timedelta(minutes=6), "Scaled the API gateway to 12 nodes", bot=True),
        ]
    }
    tl = timeline(tmp_path, slack=slack, service="Checkout API")
    assert row(tl, "Failover of checkout primary").reason == "bot post about checkout"
    # a restart of pods is a mitigation, by a bot as by a person (#11)
    assert row(tl, "Restarted checkout-api").reason == "bot post (mitigate) about checkout-api"
    assert absent(tl, "checkout-worker") and absent(tl, "API gateway")
    assert tl.accounts["slack"].omitted == {"bot posts about other services in slack:#ops-bots": 2}


def test_deployments_without_an_outcome_are_counted_for_why(tmp_path: Path) -> None:
    def deployment(ident: int, created: datetime) -> dict[str, Any]:
        return {
            "id": ident,
            "sha": SHA,
            "ref": "main",
            "environment": "production",
            "created_at": iso(created),
        }

    pending = [{"id": 5, "state": "pending", "created_at": iso(T0)}]
    tl = timeline(
        tmp_path,
        deployments=[
            (deployment(1, T0 - timedelta(minutes=5)), pending),  # never went live
            (deployment(2, T0 - timedelta(days=20)), None),  # before the lead-up: not read
            (deployment(3, T0 - timedelta(days=9)), None),  # an older lead-up deploy: not read
        ],
    )
    never = "deployments that never went live (no success or failure status)"
    assert tl.accounts["github"].omitted == {
        "earlier deploys in github:acme/checkout": 1,
        f"{never} in github:acme/checkout": 1,
        "outside the collection window": 1,
    }
    check_accounts(tl)
