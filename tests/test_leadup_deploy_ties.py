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
