"""What the timeline keeps, from small bundles in each tool's wire format: bot posts that concern
this incident, the lead-up change that matters, regions that overlap the incident, and the
accounting of everything else (issue #10)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from reconstruct.config import Config, GitHubConfig
from reconstruct.model import Timeline
from tests import builders_selection as wire
from tests.builders_selection import (
    ALERT,
    DEPLOYS,
    INC,
    T0,
    absent,
    check_accounts,
    iso,
    message,
    ms,
    pr_item,
    row,
)
from tests.builders_selection import ts as ts  # tests.test_chatter_count reads it here

SHA = "9c1e7a4f0b2d83c6e5a17f9d0c4b8e2a6d3f5b71"
OPS = "C0OPSBOTS"


def timeline(
    tmp_path: Path,
    *,
    slack: dict[str, list[dict[str, Any]]] | None = None,
    notes: list[dict[str, Any]] | None = None,
    log_entries: list[Any] | None = None,
    prs: list[Any] | None = None,
    deployments: list[wire.Deployment] = (),  # type: ignore[assignment]
    annotations: list[dict[str, Any]] | None = None,
    config: Config | None = None,
    service: str = "checkout",
) -> Timeline:
    """The incident resolved at 10:32, with the ``acme/checkout`` repository and the incident,
    deploys and ops-bots channels (those ``slack`` holds read)."""
    return wire.timeline(
        tmp_path,
        resolved=timedelta(minutes=50),
        channels={INC: "inc-4711", DEPLOYS: "deploys", OPS: "ops-bots"},
        slack=slack or {},
        repos={"acme/checkout": (prs or [], deployments)},
        annotations=annotations or [],
        notes=notes or [],
        log_entries=log_entries or [],
        service=service,
        config=config,
    )


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
    tl = timeline(tmp_path, slack=slack, deployments=[(deployment, statuses)], annotations=[ALERT])
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
