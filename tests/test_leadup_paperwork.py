"""Docs, runbook and alert-rule changes are no lead-up change by shared words (issue #11, found
by a tester: "Add runbook link to PostgresReplicaLagHigh alert" was a lead-up row of a Postgres
WAL-disk-full incident, tied by "postgres", "high" and "replica").

A bundle in the tools' wire formats: the PagerDuty incident and a note, a Grafana annotation of
the ``PostgresReplicaLagHigh`` rule firing, GitHub's merged-PR search results
(``GET /search/issues?q=is:pr+is:merged``) and, for some PRs, their changed files
(``GET /repos/{owner}/{repo}/pulls/{n}/files``: an array of ``sha``, ``filename``, ``status``,
``additions``, ``deletions``, ``changes``, ``blob_url``, ``raw_url``, ``contents_url``,
``patch``; https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.config import Config, GitHubConfig
from reconstruct.model import Kind, Timeline, Window
from reconstruct.normalize.leadup import paperwork_path
from reconstruct.pipeline import build_timeline

T0 = datetime(2026, 10, 14, 8, 2, tzinfo=UTC)
WINDOW = Window(T0 - timedelta(hours=1), T0 + timedelta(hours=3), T0 - timedelta(days=14))
REPO = "shopco/pg-infra"
API = f"https://api.github.com/repos/{REPO}"
NOTE = (
    "WAL disk on orders-pg-0 filled up because WAL archiving stalled after the credentials "
    "rotation; failed over to orders-pg-replica-1"
)


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def pr_item(number: int, title: str, days: float, labels: tuple[str, ...] = ()) -> Any:
    """One result of GET /search/issues?q=is:pr+is:merged (a PR is an issue with pull_request)."""
    merged = iso(T0 - timedelta(days=days))
    return {
        "url": f"https://api.github.com/repos/{REPO}/issues/{number}",
        "number": number,
        "title": title,
        "html_url": f"https://github.com/{REPO}/pull/{number}",
        "state": "closed",
        "closed_at": merged,
        "labels": [{"id": 7, "name": name, "color": "ededed"} for name in labels],
        "user": {"login": "meichen", "type": "User"},
        "pull_request": {
            "url": f"{API}/pulls/{number}",
            "html_url": f"https://github.com/{REPO}/pull/{number}",
            "merged_at": merged,
        },
    }


def pr_file(filename: str, status: str = "modified") -> dict[str, Any]:
    """One entry of GET /repos/{owner}/{repo}/pulls/{n}/files."""
    blob = "bbcd538c8e72b8c175046e27cc8f907076331401"
    return {
        "sha": blob,
        "filename": filename,
        "status": status,
        "additions": 3,
        "deletions": 1,
        "changes": 4,
        "blob_url": f"https://github.com/{REPO}/blob/{blob}/{filename}",
        "raw_url": f"https://github.com/{REPO}/raw/{blob}/{filename}",
        "contents_url": f"{API}/contents/{filename}?ref={blob}",
        "patch": "@@ -1,2 +1,4 @@\n-old\n+new",
    }


ALERT = {
    "id": 901,
    "alertId": 14,
    "alertName": "PostgresReplicaLagHigh",
    "dashboardUID": "pg",
    "panelId": 5,
    "newState": "Alerting",
    "prevState": "Normal",
    "time": ms(T0 + timedelta(minutes=7)),
    "timeEnd": ms(T0 + timedelta(minutes=7)),
    "text": "PostgresReplicaLagHigh {alertname=PostgresReplicaLagHigh} - B=412",
}


def timeline(
    tmp_path: Path,
    prs: list[Any],
    files: dict[int, list[dict[str, Any]]] | None = None,
    note: str = NOTE,
) -> Timeline:
    writer = BundleWriter(tmp_path / "bundle", "Q1ORDPG")
    incident = {
        "id": "Q1ORDPG",
        "incident_number": 5310,
        "title": "[FIRING:1] PostgresDiskUsageHigh orders-pg pgdata",
        "status": "resolved",
        "created_at": iso(T0),
        "resolved_at": iso(T0 + timedelta(hours=2)),
        "html_url": "https://shopco.pagerduty.com/incidents/Q1ORDPG",
        "service": {"id": "PSVC", "type": "service_reference", "summary": "orders-db"},
    }
    writer.add("pagerduty/incident.json", [{"incident": incident}])
    writer.add("pagerduty/log_entries.json", [{"log_entries": []}])
    writer.add("pagerduty/alerts.json", [{"alerts": []}])
    notes = [
        {
            "id": "PNOTE1",
            "created_at": iso(T0 + timedelta(minutes=50)),
            "content": note,
            "user": {"id": "PU1", "type": "user_reference", "summary": "Ravi Iyer"},
        }
    ]
    writer.add("pagerduty/notes.json", [{"notes": notes}])
    writer.set_source("pagerduty", "ok")
    base = f"github/{REPO}/"
    writer.add(base + "repo.json", [{"full_name": REPO}])
    writer.add(base + "merged_prs.json", [{"items": prs}])
    writer.add(base + "deployments.json", [[]])
    for number, entries in (files or {}).items():
        writer.add(f"{base}pulls/{number}/files.json", [entries])
    writer.set_source("github", "ok", meta={"repos": [REPO]})
    writer.add("grafana/annotations.json", [[ALERT]])
    writer.set_source("grafana", "ok", meta={"url": "https://grafana.shopco.example"})
    path = writer.finish(WINDOW, T0 + timedelta(days=1))
    return build_timeline(Bundle.open(path), Config(github=GitHubConfig(repos=(REPO,))))


def leadup(tl: Timeline) -> dict[int, str]:
    """PR number -> reason of the lead-up changes shown."""
    return {
        int(e.key.rpartition("#")[2]): e.reason
        for e in tl.events
        if e.kind is Kind.CHANGE and "leadup" in e.tags
    }


def check_accounts(tl: Timeline) -> None:
    for account in tl.accounts.values():
        assert account.shown + sum(account.omitted.values()) == account.collected


def test_runbook_and_alert_rule_changes_share_no_words_with_the_incident(
    tmp_path: Path,
) -> None:
    prs = [
        pr_item(2420, "Add runbook link to PostgresReplicaLagHigh alert", 1, ("monitoring",)),
        pr_item(2421, "Page on PostgresReplicaLagHigh only after 10m", 2),
        pr_item(2424, "Retry stalled WAL archiving on orders-pg", 3, ("config",)),
    ]
    tl = timeline(tmp_path, prs)
    assert leadup(tl) == {
        2424: 'leadup change matching "retry"; leadup change sharing "archiving", "stalled", '
        '"wal" with the incident\'s title and notes'
    }
    assert tl.accounts["github"].omitted == {
        f"earlier changes not found relevant to this incident in github:{REPO}": 2
    }
    check_accounts(tl)


def test_a_docs_only_change_by_its_files_is_no_lead_up_change_and_code_files_are(
    tmp_path: Path,
) -> None:
    prs = [
        pr_item(2422, "Describe WAL archiving stalls and disk cleanup", 1),
        pr_item(2423, "Update runbook: lower WAL archiving timeout", 2),
    ]
    files = {
        2422: [pr_file("docs/postgres/wal.md"), pr_file("runbooks/pg-disk-full.md", "added")],
        2423: [pr_file("charts/orders-pg/values.yaml"), pr_file("docs/runbook.md")],
    }
    tl = timeline(tmp_path, prs, files)
    # 2422 shares "wal", "archiving", "disk" but changes docs only; 2423's title says runbook,
    # its files say it changes the chart's values too: its words count
    assert leadup(tl) == {
        2423: 'leadup change matching "timeout"; leadup change sharing "archiving", "wal" with '
        "the incident's title and notes"
    }
    check_accounts(tl)
    # the same two without their files: the titles decide ("runbook": paperwork)
    bare = timeline(tmp_path / "bare", prs)
    assert set(leadup(bare)) == {2422}


def test_a_runbook_change_named_in_the_evidence_is_shown(tmp_path: Path) -> None:
    prs = [pr_item(2420, "Add runbook link to PostgresReplicaLagHigh alert", 1)]
    tl = timeline(tmp_path, prs, note=f"{NOTE}; the runbook from #2420 was wrong about WAL-G")
    assert leadup(tl) == {2420: 'leadup change "#2420" named in the evidence'}


@pytest.mark.parametrize(
    ("path", "paper"),
    [
        ("README.md", True),
        ("docs/postgres/wal.md", True),
        ("runbooks/pg-disk-full.md", True),
        ("alerts/postgres.yaml", True),
        ("prometheus/rules/pg.rules.yml", True),
        ("monitoring/pg-alerts.yaml", True),
        ("dashboards/pg-overview.json", True),
        ("charts/orders-pg/values.yaml", False),
        ("src/alerts/notify.py", False),
        ("config/postgresql.conf", False),
        ("terraform/rds.tf", False),
    ],
)
def test_paperwork_paths(path: str, paper: bool) -> None:
    assert paperwork_path(path) is paper


def test_the_files_are_no_records_of_their_own(tmp_path: Path) -> None:
    files = {2422: [pr_file("docs/a.md"), {"no": "filename"}, "not an object"]}
    tl = timeline(tmp_path, [pr_item(2422, "Describe WAL archiving stalls", 1)], files)
    assert not [e for e in tl.events if e.kind is Kind.CHANGE]  # docs only: not relevant
    assert tl.accounts["github"].collected == 1  # the PR; its files are none
    assert tl.accounts["github"].omitted == {
        f"earlier changes not found relevant to this incident in github:{REPO}": 1
    }
    check_accounts(tl)


def test_an_alert_rule_name_is_no_word_but_a_firewall_rule_name_is(tmp_path: Path) -> None:
    """A name next to "alert" is an alert rule's even when the window has no such rule; next to
    "rule" alone it may be anything's ("firewall rule")."""
    prs = [
        pr_item(2430, "Silence PgWalArchiveStalled alert during backups", 1),
        pr_item(2431, "Open wal_archiving rule for the object store", 2),
    ]
    said = f"{NOTE}; PgWalArchiveStalled never fired: wal_archiving was blocked"
    tl = timeline(tmp_path, prs, note=said)
    assert set(leadup(tl)) == {2431}
