"""Deploys before the incident window: a row only with a tie to the incident, or because they
shipped a lead-up change shown (issue #11, found by a tester: a deploy of ``acme/search-api``
was a lead-up row of a checkout incident).

The same checkout incident as ``test_window_changes`` (the bundle, in GitHub's deployments,
statuses and search wire formats, built by its ``timeline``): another team's ``acme/billing-api``
went live at 02:42, seven hours before the window; ``acme/checkout`` (named like the affected
service ``checkout``) went live the day before. The tie is ``during``'s one rule
(``during.ties``), without the window's own two (a deploy before the first alert; one word
naming the affected service).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from reconstruct.config import Config, GitHubConfig
from reconstruct.normalize import normalize
from reconstruct.render import RenderOptions, render
from tests.test_window_changes import (
    BILLING_SHA,
    CHECKOUT_SHA,
    T0,
    bot_post,
    check_accounts,
    deployment,
    message,
    pr_item,
    row,
    rows_with,
    timeline,
)

BILLING_EARLY = T0 - timedelta(hours=7)  # 02:42, the window starts at 08:42
CHECKOUT_EARLY = T0 - timedelta(days=1)
UNTIED = (
    "deploys in the lead-up with no tie to the incident in github:acme/billing-api "
    "(7d3e0b2 to production at 02:42)"
)


def early(description: str = "") -> dict[str, list[tuple[dict[str, object], list[object]]]]:
    """Both lead-up deploys, billing-api's the newer."""
    return {
        "acme/billing-api": [
            deployment("acme/billing-api", 601, BILLING_SHA, BILLING_EARLY, description)
        ],
        "acme/checkout": [deployment("acme/checkout", 602, CHECKOUT_SHA, CHECKOUT_EARLY)],
    }  # type: ignore[dict-item]


def test_a_lead_up_deploy_of_another_service_is_a_named_count(tmp_path: Path) -> None:
    tl = timeline(tmp_path, deployments=early())  # type: ignore[arg-type]
    assert not rows_with(tl, "billing-api")
    assert row(tl, "Deployed acme/checkout 9c1e7a4").reason == (
        "leadup: deploy to production; tie to the incident: "
        'repository named like the affected service "checkout"'
    )
    assert tl.accounts["github"].omitted == {UNTIED: 1}
    assert tl.omitted["github:acme/billing-api"] == 1
    check_accounts(tl)
    document = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    (aside,) = document["set_aside"]
    assert aside["summary"] == "Deployed acme/billing-api 7d3e0b2 (main) to production"
    assert aside["reason"] == UNTIED
    assert [link["url"] for link in aside["links"]] == [
        "https://deploy.acme.example/acme/billing-api/runs/601",
        f"https://github.com/acme/billing-api/commit/{BILLING_SHA}",
    ]
    markdown = render(tl, RenderOptions(fmt="markdown"), Config())
    assert (
        "1 deploy in the lead-up with no tie to the incident in github:acme/billing-api "
        "(7d3e0b2 to production at 02:42)" in markdown
    )
    why = render(tl, RenderOptions(fmt="markdown", why=True), Config()).split("**Not shown**")[1]
    assert "- 02:42 acme-deploybot (bot): Deployed acme/billing-api 7d3e0b2 (main)" in why
    again = normalize(tl.events, tl.incident, tl.window, Config())
    assert again.events == tl.events  # the tied row keeps its tie


def test_a_lead_up_deploy_anyone_names_is_a_row(tmp_path: Path) -> None:
    said = message(T0 + timedelta(minutes=25), "what went out in 7d3e0b2 this morning?")
    tl = timeline(tmp_path, messages=[said], deployments=early())  # type: ignore[arg-type]
    assert row(tl, "Deployed acme/billing-api").reason == (
        "leadup: deploy to production; tie to the incident: commit 7d3e0b2 named in the evidence"
    )
    assert not tl.set_aside
    check_accounts(tl)


def test_a_lead_up_deploy_is_no_possible_trigger_for_being_early(tmp_path: Path) -> None:
    """During the window a production deploy before the first alert is a possible trigger;
    before the window every deploy is before it, so that says nothing: only the latest
    ``leadup_deploys`` deploys with a tie are rows, the untied among them are counted."""
    config = Config(github=GitHubConfig(repos=("acme/billing-api", "acme/checkout")))
    tl = timeline(tmp_path, deployments=early(), config=config)  # type: ignore[arg-type]
    assert not rows_with(tl, "billing-api")
    assert len(tl.set_aside) == 1


def test_window_changes_all_shows_the_latest_lead_up_deploys(tmp_path: Path) -> None:
    config = Config(github=GitHubConfig(window_changes="all"))
    tl = timeline(tmp_path, deployments=early(), config=config)  # type: ignore[arg-type]
    assert row(tl, "Deployed acme/billing-api").reason == "leadup: deploy to production"
    assert row(tl, "Deployed acme/checkout").reason == "leadup: deploy to production"
    assert not tl.set_aside


def test_the_count_is_of_tied_deploys_and_raising_it_never_removes_a_row(tmp_path: Path) -> None:
    """With ``leadup_deploys = 1`` the newer deploy (billing-api, no tie) is counted and the
    latest tied one (checkout, older) is the row; 0 shows none and counts none."""
    rows = {}
    for n in (0, 1, 2):
        config = Config(github=GitHubConfig(leadup_deploys=n))
        tl = timeline(tmp_path / str(n), deployments=early(), config=config)  # type: ignore[arg-type]
        rows[n] = {e.key for e in tl.events if "leadup" in e.tags}
        check_accounts(tl)
        assert len(tl.set_aside) == (0 if n == 0 else 1)
    assert rows[0] == set()
    assert rows[1] == rows[2] == {"github:deployment:acme/checkout:602:success"}


def test_a_bot_post_about_a_lead_up_deploy_set_aside_is_about_another_service(
    tmp_path: Path,
) -> None:
    """A deploy bot's post in ``#deploys`` during the window naming the commit of another
    team's lead-up deploy is no row: counted with the bot posts about other services."""
    post = bot_post(T0 + timedelta(minutes=10), "billing-api 7d3e0b2 canary promoted to 100%")
    tl = timeline(tmp_path, deploys_channel=[post], deployments=early())  # type: ignore[arg-type]
    assert not rows_with(tl, "billing-api")
    assert tl.accounts["slack"].omitted == {"bot posts about other services in slack:#deploys": 1}
    check_accounts(tl)


# A tester's case (nc14b): "Deployed PR #2288 (docs: fix README typo)" was a lead-up row, tied
# only by its repository (the affected service's), while PR #2288 itself was counted "not found
# relevant". The deployment names its PR in its ``payload`` (any JSON the creator sets, GitHub's
# ``POST /repos/{owner}/{repo}/deployments``), as a deploy bot writes it.
TYPO_SHA = "4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f"
OLD_SHA = "3b7c9d1e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c"
TYPO_MERGED = T0 - timedelta(days=1, minutes=30)
SHIPPED_UNRELATED = (
    "deploys in the lead-up in github:acme/checkout that shipped PR #2288, not found relevant "
    "to this incident"
)


def checkout_deploy(
    title: str = "docs: fix README typo", pr: int | None = 2288, sha: str = TYPO_SHA
) -> tuple[
    dict[str, list[tuple[dict[str, object], list[object]]]], dict[str, list[dict[str, object]]]
]:
    """(deployments, PRs): PR #2288 (``title``) merged 30 minutes before a deploy of
    ``acme/checkout`` whose payload names ``pr`` (none: its sha is all that is known)."""
    record, statuses = deployment("acme/checkout", 700, sha, T0 - timedelta(days=1))
    if pr is not None:
        record["payload"] = {"pr": pr, "environment": "production"}
    prs = {"acme/checkout": [pr_item("acme/checkout", 2288, title, TYPO_MERGED)]}
    return {"acme/checkout": [(record, statuses)]}, prs  # type: ignore[dict-item]


def test_a_deploy_tied_only_by_its_repository_that_shipped_a_pr_not_relevant_is_set_aside(
    tmp_path: Path,
) -> None:
    deployments, prs = checkout_deploy()
    tl = timeline(tmp_path, deployments=deployments, prs=prs)  # type: ignore[arg-type]
    assert not rows_with(tl, "PR #2288")  # neither the PR nor the deploy that shipped it
    assert tl.accounts["github"].omitted == {
        SHIPPED_UNRELATED: 1,
        "earlier changes not found relevant to this incident in github:acme/checkout": 1,
    }
    check_accounts(tl)
    document = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    (aside,) = document["set_aside"]
    assert aside["summary"].startswith("Deployed PR #2288 (docs: fix README typo) to production")
    assert aside["reason"] == SHIPPED_UNRELATED
    markdown = render(tl, RenderOptions(fmt="markdown"), Config())
    assert (
        "1 deploy in the lead-up in github:acme/checkout that shipped PR #2288, not found "
        "relevant to this incident" in markdown
    )
    why = render(tl, RenderOptions(fmt="markdown", why=True), Config()).split("**Not shown**")[1]
    (line,) = [x for x in why.splitlines() if "Deployed PR #2288" in x]
    assert line.endswith("(shipped PR #2288, not found relevant to this incident)")
    html = render(tl, RenderOptions(fmt="html", why=True), Config())
    assert "(shipped PR #2288, not found relevant to this incident)</li>" in html
    again = normalize(tl.events, tl.incident, tl.window, Config())
    assert again.events == tl.events


def test_a_deploy_of_the_repository_whose_change_is_unknown_stays_a_row(tmp_path: Path) -> None:
    """No PR is known for its sha (a direct push, or merged before the collection range): it
    may have shipped anything, so the affected service's repository is tie enough."""
    deployments, prs = checkout_deploy(pr=None)
    tl = timeline(tmp_path, deployments=deployments, prs=prs)  # type: ignore[arg-type]
    assert row(tl, "Deployed acme/checkout 4e5f6a7").reason == (
        "leadup: deploy to production; tie to the incident: "
        'repository named like the affected service "checkout"'
    )
    assert not tl.set_aside


def test_a_deploy_whose_pr_is_named_in_the_evidence_stays_a_row(tmp_path: Path) -> None:
    said = message(T0 + timedelta(minutes=20), "could yesterday's #2288 be it?")
    deployments, prs = checkout_deploy()
    tl = timeline(tmp_path, messages=[said], deployments=deployments, prs=prs)  # type: ignore[arg-type]
    assert row(tl, "Merged PR #2288").reason == 'leadup change "#2288" named in the evidence'
    assert row(tl, "Deployed PR #2288").reason == (
        "leadup: deploy to production that shipped PR #2288"
    )
    assert not tl.set_aside


def test_a_deploy_whose_pr_has_words_in_common_stays_a_row(tmp_path: Path) -> None:
    """A term of the installation's ``leadup_match``: the PR is a lead-up change shown, and the
    deploy that shipped it a row."""
    config = Config(github=GitHubConfig(leadup_match=("ttl",)))
    deployments, prs = checkout_deploy(title="Reduce cart cache TTL to 60s")
    tl = timeline(tmp_path, deployments=deployments, prs=prs, config=config)  # type: ignore[arg-type]
    assert rows_with(tl, "Merged PR #2288")
    assert row(tl, "Deployed PR #2288").reason == (
        "leadup: deploy to production that shipped PR #2288"
    )
    assert not tl.set_aside


def test_setting_aside_what_a_deploy_shipped_keeps_the_count_monotonic(tmp_path: Path) -> None:
    """The typo deploy is never a row, whatever ``leadup_deploys``; the newest deploy, of an
    unknown change to production 20 hours before the first alert, is one from 1 up; another
    team's is counted from 3 up (the latest 3 of all hold it), and so is an older deploy of an
    unknown change (3 days before: it would be among the latest 3 rows but for its rule)."""
    typo, prs = checkout_deploy()
    close = deployment("acme/checkout", 602, CHECKOUT_SHA, T0 - timedelta(hours=20))
    old = deployment("acme/checkout", 603, OLD_SHA, T0 - timedelta(days=3))
    billing = deployment("acme/billing-api", 601, BILLING_SHA, T0 - timedelta(days=2))
    deployments = {
        "acme/checkout": [*typo["acme/checkout"], close, old],
        "acme/billing-api": [billing],
    }
    rows, aside = {}, {}
    for n in range(5):
        config = Config(github=GitHubConfig(leadup_deploys=n))
        tl = timeline(tmp_path / str(n), deployments=deployments, prs=prs, config=config)  # type: ignore[arg-type]
        check_accounts(tl)
        rows[n] = {e.key for e in tl.events if "leadup" in e.tags}
        aside[n] = {e.key.split(":")[3] for e in tl.set_aside}
        assert not rows_with(tl, "PR #2288")
    assert rows[0] == set()
    assert (
        rows[1] == rows[2] == rows[3] == rows[4] == {"github:deployment:acme/checkout:602:success"}
    )
    assert [aside[n] for n in range(5)] == [
        set(),
        set(),
        {"700"},
        {"700", "601", "603"},
        {"700", "601", "603"},
    ]


def test_a_deploys_repository_in_its_text_is_no_word_in_common(tmp_path: Path) -> None:
    """ "Deployed PR #2288 (Raise billing client timeout to 5s) to production: acme/checkout ..."
    names "checkout" only as its repository: with a default term ("timeout") that is no
    mention of the affected service, as the PR's own "Merged PR #2288: ..." is none (a tester's
    nc12c: "Deployed PR #886 (Increase DB connection pool timeout to 5s) ... shopco/orders-api"
    was shown while PR #886 was not found relevant)."""
    deployments, prs = checkout_deploy(title="Raise billing client timeout to 5s")
    tl = timeline(tmp_path, deployments=deployments, prs=prs)  # type: ignore[arg-type]
    assert not rows_with(tl, "PR #2288")
    assert [e.reason for e in tl.set_aside] == [SHIPPED_UNRELATED]
    check_accounts(tl)
