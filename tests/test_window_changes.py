"""Deploys and merged PRs during the incident: a row only with a tie to the incident (issue #11).

A checkout incident (PagerDuty service ``checkout``, trigger at 09:42, first alert at 09:41).
Another team's ``acme/billing-api`` deploys to production at 10:02 and merges a PR at 10:10:
no row, a named count, listed with its links in JSON and under the table with ``--why``. The
same deploy stays a row when anything ties it to the incident: it is the affected service's,
a message names its repository, PR or commit, it is a revert, or it went live before the
first alert. Deployments are ``GET /repos/{owner}/{repo}/deployments`` records (``environment``,
``ref``, ``sha``, ``creator``, ``payload``, ``description``; the repository from
``repository_url``), each with its ``/statuses`` (a ``success`` status is the time it went
live); PRs are ``GET /search/issues?q=is:pr+is:merged`` results; messages are Slack
``conversations.history`` records.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.config import Config, GitHubConfig
from reconstruct.model import Timeline
from reconstruct.normalize import normalize
from reconstruct.render import RenderOptions, render
from tests import builders_selection as wire
from tests.builders_selection import (
    ALERT,
    API,
    DEPLOYS,
    INC,
    T0,
    check_accounts,
    iso,
    row,
    rows_with,
)

BILLING_SHA = "7d3e0b2a9c4f61e08b5d2c7a3f9e1b4d6c8a0e52"
CHECKOUT_SHA = "9c1e7a4f0b2d83c6e5a17f9d0c4b8e2a6d3f5b71"


def bot_post(when: datetime, text: str) -> dict[str, Any]:
    """A deploy bot's post (``bot_message``) in a shared channel."""
    return wire.message(when, text, bot=True, n=100)


def message(when: datetime, text: str, n: int = 0) -> dict[str, Any]:
    return wire.message(when, text, n=n)


def deployment(
    repo: str, ident: int, sha: str, live: datetime, description: str = ""
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A deployment as the deployments API lists it, and its statuses (newest first)."""
    bot = {"login": "acme-deploybot[bot]", "id": 148220193, "type": "Bot"}
    record = {
        "url": f"{API}/{repo}/deployments/{ident}",
        "id": ident,
        "node_id": "MDEwOkRlcGxveW1lbnQx",
        "sha": sha,
        "ref": "main",
        "task": "deploy",
        "payload": {},
        "original_environment": "production",
        "environment": "production",
        "description": description or None,
        "creator": bot,
        "created_at": iso(live - timedelta(minutes=3)),
        "updated_at": iso(live),
        "statuses_url": f"{API}/{repo}/deployments/{ident}/statuses",
        "repository_url": f"{API}/{repo}",
        "transient_environment": False,
        "production_environment": True,
    }
    statuses = [
        {
            "url": f"{API}/{repo}/deployments/{ident}/statuses/{ident * 10 + n}",
            "id": ident * 10 + n,
            "state": state,
            "creator": bot,
            "description": "",
            "environment": "production",
            "target_url": f"https://deploy.acme.example/{repo}/runs/{ident}",
            "log_url": f"https://deploy.acme.example/{repo}/runs/{ident}",
            "environment_url": "",
            "created_at": iso(when),
            "updated_at": iso(when),
            "deployment_url": f"{API}/{repo}/deployments/{ident}",
            "repository_url": f"{API}/{repo}",
        }
        for n, (state, when) in enumerate(
            (("success", live), ("in_progress", live - timedelta(minutes=3)))
        )
    ]
    return record, statuses


def pr_item(
    repo: str, number: int, title: str, merged: datetime, body: str | None = None
) -> dict[str, Any]:
    return wire.pr_item(number, title, merged, repo=repo, body=body)


def timeline(
    tmp_path: Path,
    *,
    messages: list[dict[str, Any]] = (),  # type: ignore[assignment]
    deploys_channel: list[dict[str, Any]] = (),  # type: ignore[assignment]
    deployments: dict[str, list[tuple[dict[str, Any], list[dict[str, Any]]]]] | None = None,
    prs: dict[str, list[dict[str, Any]]] | None = None,
    config: Config | None = None,
) -> Timeline:
    """The incident resolved at 10:52 with Grafana's alert at 09:41, the repositories
    ``acme/billing-api`` and ``acme/checkout``, the incident channel and ``#deploys``."""
    slack = {INC: list(messages)}
    if deploys_channel:
        slack[DEPLOYS] = list(deploys_channel)
    repos = ["acme/billing-api", "acme/checkout"]
    return wire.timeline(
        tmp_path,
        resolved=timedelta(minutes=70),
        channels={INC: "inc-4711", DEPLOYS: "deploys"},
        slack=slack,
        repos={r: ((prs or {}).get(r, []), (deployments or {}).get(r, [])) for r in repos},
        annotations=[ALERT],
        config=config,
    )


BILLING_LIVE = T0 + timedelta(minutes=20)  # 10:02, after the first alert (09:41)


def billing_deploy(live: datetime = BILLING_LIVE, description: str = "") -> Any:
    return {
        "acme/billing-api": [deployment("acme/billing-api", 501, BILLING_SHA, live, description)]
    }


def test_a_deploy_and_a_pr_of_another_service_are_a_named_count(tmp_path: Path) -> None:
    prs = {
        "acme/billing-api": [
            pr_item("acme/billing-api", 88, "Add invoice PDF export", T0 + timedelta(minutes=28))
        ]
    }
    tl = timeline(tmp_path, deployments=billing_deploy(), prs=prs)
    assert not rows_with(tl, "billing-api") and not rows_with(tl, "invoice")
    assert tl.accounts["github"].omitted == {
        "deploys of other services during the incident in github:acme/billing-api "
        "(7d3e0b2 to production at 10:02)": 1,
        "changes of other services merged during the incident in github:acme/billing-api "
        "(PR #88 at 10:10)": 1,
    }
    assert tl.omitted["github:acme/billing-api"] == 2
    check_accounts(tl)
    document = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    listed = {e["summary"]: e for e in document["set_aside"]}
    deploy = listed["Deployed acme/billing-api 7d3e0b2 (main) to production"]
    assert [link["url"] for link in deploy["links"]] == [
        "https://deploy.acme.example/acme/billing-api/runs/501",
        f"https://github.com/acme/billing-api/commit/{BILLING_SHA}",
    ]
    assert deploy["reason"].startswith("deploys of other services during the incident")
    assert document["omitted"]["github:acme/billing-api"] == 2
    markdown = render(tl, RenderOptions(fmt="markdown"), Config())
    assert (
        "1 deploy of other services during the incident in github:acme/billing-api "
        "(7d3e0b2 to production at 10:02)" in markdown
    )
    assert "1 change of other services merged during the incident" in markdown
    assert "**Not shown**" not in markdown
    why = render(tl, RenderOptions(fmt="markdown", why=True), Config())
    note = why.split("**Not shown**", 1)[1]
    assert "no tie to the incident" in note
    assert "- 10:02 acme-deploybot (bot): Deployed acme/billing-api 7d3e0b2" in note
    assert "(https://deploy.acme.example/acme/billing-api/runs/501)" in note
    html = render(tl, RenderOptions(fmt="html", why=True), Config()).split("Not shown", 1)[1]
    assert '<a href="https://deploy.acme.example/acme/billing-api/runs/501">deploy run</a>' in html


def test_window_changes_all_shows_every_one(tmp_path: Path) -> None:
    config = Config(github=GitHubConfig(window_changes="all"))
    tl = timeline(tmp_path, deployments=billing_deploy(), config=config)
    assert row(tl, "Deployed acme/billing-api").reason == "deploy to production"
    assert not tl.set_aside
    check_accounts(tl)


def test_the_affected_services_own_deploy_is_a_row(tmp_path: Path) -> None:
    deploys = {"acme/checkout": [deployment("acme/checkout", 77, CHECKOUT_SHA, BILLING_LIVE)]}
    tl = timeline(tmp_path, deployments=deploys)
    assert row(tl, "Deployed acme/checkout").reason == (
        "deploy to production; tie to the incident: "
        'repository named like the affected service "checkout"'
    )
    assert not tl.set_aside


def test_a_repository_the_services_map_names_is_the_affected_services(tmp_path: Path) -> None:
    config = Config(github=GitHubConfig(services={"checkout": ("acme/billing-api",)}))
    tl = timeline(tmp_path, deployments=billing_deploy(), config=config)
    assert row(tl, "Deployed acme/billing-api").reason.endswith(
        "tie to the incident: repository of an affected service (acme/billing-api)"
    )


@pytest.mark.parametrize(
    ("text", "tie"),
    [
        ("is the billing-api deploy related?", '"billing-api" named in the evidence'),
        ("anyone looked at acme/billing-api?", '"acme/billing-api" named in the evidence'),
        ("what went out in 7d3e0b2?", "commit 7d3e0b2 named in the evidence"),
        ("could PR 88 be it?", '"PR 88" named in the evidence'),
    ],
)
def test_a_deploy_anyone_names_in_the_incident_channel_is_a_row(
    tmp_path: Path, text: str, tie: str
) -> None:
    """A plain message (no keyword: no row itself) naming the repository, the commit or the
    PR the deploy shipped ties it; the PR's merge row is tied by the deploy sharing its PR."""
    prs = {
        "acme/billing-api": [
            pr_item("acme/billing-api", 88, "Add invoice PDF export", T0 + timedelta(minutes=10))
        ]
    }
    deploys = billing_deploy(description="deploybot: billing-api 7d3e0b2 (PR #88)")
    deploys["acme/billing-api"][0][0]["payload"] = {"pr": 88}
    tl = timeline(
        tmp_path,
        messages=[message(T0 + timedelta(minutes=30), text)],
        deployments=deploys,
        prs=prs,
    )
    # the deployment's payload names PR #88: the row says what it shipped
    deploy = row(tl, "Deployed PR #88 (Add invoice PDF export) to production: acme/billing-api")
    merged = row(tl, "Merged PR #88")
    assert not rows_with(tl, text)  # the message itself stays counted
    tied = [deploy.reason, merged.reason]
    assert any(reason.endswith(f"tie to the incident: {tie}") for reason in tied), tied
    assert not tl.set_aside
    check_accounts(tl)
    again = normalize(tl.events, tl.incident, tl.window, Config())
    assert again.events == tl.events  # the tie holds once the message is gone


def test_a_bare_word_in_another_word_names_nothing(tmp_path: Path) -> None:
    """``billing`` alone, or ``billing-api-7f9c`` (a pod), is not the repository ``billing-api``."""
    messages = [message(T0 + timedelta(minutes=30), "pod billing-api-7f9c restarted, billing ok")]
    tl = timeline(tmp_path, messages=messages, deployments=billing_deploy())
    assert not rows_with(tl, "Deployed acme/billing-api")
    assert len(tl.set_aside) == 1


def test_a_revert_during_the_incident_is_a_row(tmp_path: Path) -> None:
    prs = {
        "acme/billing-api": [
            pr_item(
                "acme/billing-api",
                90,
                'Revert "Add invoice PDF export"',
                T0 + timedelta(minutes=25),
            )
        ]
    }
    tl = timeline(tmp_path, prs=prs)
    assert row(tl, "Merged PR #90").reason == "merged PR; tie to the incident: a revert"


def test_a_production_deploy_before_the_first_alert_is_a_row(tmp_path: Path) -> None:
    """09:35, six minutes before the first alert: a possible trigger, whatever its repository
    (of the incident's repositories: none configured, any)."""
    tl = timeline(tmp_path, deployments=billing_deploy(T0 - timedelta(minutes=7)))
    assert row(tl, "Deployed acme/billing-api").reason.endswith(
        "tie to the incident: deployed before the first alert (a possible trigger)"
    )
    configured = Config(github=GitHubConfig(repos=("acme/checkout", "acme/billing-api")))
    tl = timeline(
        tmp_path / "b", deployments=billing_deploy(T0 - timedelta(minutes=7)), config=configured
    )
    assert rows_with(tl, "Deployed acme/billing-api")


def test_a_bot_post_about_a_change_set_aside_is_counted_with_other_services(
    tmp_path: Path,
) -> None:
    """A CI bot's post naming the other service's commit concerned the incident only through
    that commit: with the deploy set aside it is a bot post about another service."""
    posts = [bot_post(T0 - timedelta(minutes=30), "Build 512 for acme/billing-api@7d3e0b2 passed")]
    tl = timeline(tmp_path, deployments=billing_deploy(), deploys_channel=posts)
    assert not rows_with(tl, "Build 512") and not rows_with(tl, "billing-api")
    assert tl.accounts["slack"].omitted == {"bot posts about other services in slack:#deploys": 1}
    check_accounts(tl)
    shown = timeline(
        tmp_path / "all",
        deployments=billing_deploy(),
        deploys_channel=posts,
        config=Config(github=GitHubConfig(window_changes="all")),
    )
    assert row(shown, "Build 512").reason == "bot post about commit 7d3e0b2"


def test_the_pr_a_revert_reverts_is_a_row(tmp_path: Path) -> None:
    """GitHub's revert button writes ``Reverts owner/repo#88`` in the body: the revert ties the
    PR it reverts, merged during the incident too."""
    repo = "acme/billing-api"
    prs = {
        repo: [
            pr_item(repo, 88, "Add invoice PDF export", T0 + timedelta(minutes=10)),
            pr_item(
                repo,
                90,
                'Revert "Add invoice PDF export"',
                T0 + timedelta(minutes=25),
                body="Reverts acme/billing-api#88",
            ),
        ]
    }
    tl = timeline(tmp_path, prs=prs)
    assert row(tl, "Merged PR #88").reason == (
        'merged PR; tie to the incident: "PR #88" named by a change tied to the incident'
    )
    assert not tl.set_aside


def test_a_change_during_the_incident_naming_the_affected_service_is_a_row(
    tmp_path: Path,
) -> None:
    """Another repository's PR whose title names the affected service ("checkout") during the
    incident is part of the response (a status banner); an unrelated title of the same
    repository is still a count."""
    at = T0 + timedelta(minutes=28)
    prs = {
        "acme/billing-api": [
            pr_item("acme/billing-api", 88, "Show the web banner for checkout outages", at),
            pr_item("acme/billing-api", 89, "Add invoice PDF export", at),
        ]
    }
    tl = timeline(tmp_path, prs=prs)
    (row,) = rows_with(tl, "banner")
    assert row.reason.endswith('tie to the incident: naming the affected service "checkout"')
    assert not rows_with(tl, "invoice")
    check_accounts(tl)
