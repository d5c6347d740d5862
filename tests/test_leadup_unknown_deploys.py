"""Lead-up deploys of unknown content (issue #11, a tester's nc12a: "Deployed acme/checkout
3b7c9d1 (main) to production" four days before a checkout incident was a row, tied to it only by
its repository, its commit no collected PR's or commit's: the tester deleted it).

Such a deploy may have shipped anything, so it stays a row only when it went live to production
at most a day before the first symptom (``leaddeploys.CLOSE``); otherwise it is a named count
with its reason, listed in JSON ``set_aside`` and under the table with ``--why``. A stronger tie
(its commit named) keeps it; a deploy during the window is never judged by this rule.

The bundle is ``test_window_changes``'s checkout incident (first alert at 09:41, trigger 09:42):
deployments as ``GET /repos/{owner}/{repo}/deployments`` lists them, each with its
``/statuses`` (``success``: when it went live), no PR for their commit.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from reconstruct.config import Config, GitHubConfig
from reconstruct.normalize import normalize
from reconstruct.render import RenderOptions, render
from tests.test_leadup_deploy_ties import OLD_SHA
from tests.test_window_changes import (
    CHECKOUT_SHA,
    T0,
    check_accounts,
    deployment,
    message,
    pr_item,
    row,
    rows_with,
    timeline,
)

UNKNOWN = (
    "deploys in the lead-up in github:acme/checkout of unknown content, tied only by the "
    "repository (9c1e7a4 to production at 2026-03-11 09:42)"
)
NOTE = (
    "(unknown content: its commit is no collected PR's or commit's; tied only by its "
    "repository, not to production within a day before the first symptom)"
)


def checkout(live_before: timedelta, environment: str = "production") -> dict[str, object]:
    record, statuses = deployment("acme/checkout", 602, CHECKOUT_SHA, T0 - live_before)
    if environment != "production":
        record.update(
            environment=environment,
            original_environment=environment,
            production_environment=False,
        )
        for status in statuses:
            status["environment"] = environment
    return {"acme/checkout": [(record, statuses)]}


def test_a_deploy_of_unknown_content_days_before_is_a_named_count(tmp_path: Path) -> None:
    tl = timeline(tmp_path, deployments=checkout(timedelta(days=3)))  # type: ignore[arg-type]
    assert not rows_with(tl, "9c1e7a4")
    assert tl.accounts["github"].omitted == {UNKNOWN: 1}
    check_accounts(tl)
    document = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    (aside,) = document["set_aside"]
    assert aside["summary"] == "Deployed acme/checkout 9c1e7a4 (main) to production"
    assert aside["reason"] == UNKNOWN
    markdown = render(tl, RenderOptions(fmt="markdown"), Config())
    assert (
        "1 deploy in the lead-up in github:acme/checkout of unknown content, tied only by the "
        "repository (9c1e7a4 to production at 2026-03-11 09:42)" in markdown
    )
    assert "**Not shown**" not in markdown
    why = render(tl, RenderOptions(fmt="markdown", why=True), Config()).split("**Not shown**")[1]
    assert "whose content is unknown, not to production within a day" in why.splitlines()[0]
    (line,) = [x for x in why.splitlines() if "Deployed acme/checkout 9c1e7a4" in x]
    assert line.startswith("- 2026-03-11 09:42 ")
    assert line.endswith(NOTE)
    again = normalize(tl.events, tl.incident, tl.window, Config())
    assert again.events == tl.events


def test_a_production_deploy_of_unknown_content_within_a_day_stays_a_row(tmp_path: Path) -> None:
    tl = timeline(tmp_path, deployments=checkout(timedelta(hours=23, minutes=58)))  # type: ignore[arg-type]
    assert row(tl, "Deployed acme/checkout 9c1e7a4").reason == (
        "leadup: deploy to production; tie to the incident: "
        'repository named like the affected service "checkout"'
    )
    assert not tl.set_aside
    check_accounts(tl)


def test_just_over_a_day_before_the_first_alert_is_set_aside(tmp_path: Path) -> None:
    """The first alert is at 09:41: a deploy at 09:40 the day before is a day and a minute
    before it."""
    tl = timeline(tmp_path, deployments=checkout(timedelta(days=1, minutes=2)))  # type: ignore[arg-type]
    assert not rows_with(tl, "9c1e7a4")
    assert [e.reason.partition(" (")[0] for e in tl.set_aside] == [UNKNOWN.partition(" (")[0]]


def test_a_deploy_of_unknown_content_to_staging_just_before_is_a_named_count(
    tmp_path: Path,
) -> None:
    tl = timeline(tmp_path, deployments=checkout(timedelta(hours=2), "staging"))  # type: ignore[arg-type]
    assert not rows_with(tl, "9c1e7a4")
    (aside,) = tl.set_aside
    assert aside.summary == "Deployed acme/checkout 9c1e7a4 (main) to staging"
    assert aside.reason == (
        "deploys in the lead-up in github:acme/checkout of unknown content, tied only by the "
        "repository (9c1e7a4 at 07:42)"
    )
    check_accounts(tl)


def test_a_deploy_of_unknown_content_whose_commit_is_named_stays_a_row(tmp_path: Path) -> None:
    said = message(T0 + timedelta(minutes=20), "anyone know what 9c1e7a4 shipped on Wednesday?")
    tl = timeline(tmp_path, messages=[said], deployments=checkout(timedelta(days=3)))  # type: ignore[arg-type]
    # a stronger tie than its repository (whose tie its reason still says first: ``during.ties``)
    assert row(tl, "Deployed acme/checkout 9c1e7a4").reason.startswith("leadup: deploy to")
    assert not tl.set_aside


def test_a_deploy_of_unknown_content_during_the_window_is_a_row(tmp_path: Path) -> None:
    record, statuses = deployment("acme/checkout", 602, CHECKOUT_SHA, T0 + timedelta(minutes=10))
    tl = timeline(tmp_path, deployments={"acme/checkout": [(record, statuses)]})  # type: ignore[dict-item]
    assert rows_with(tl, "Deployed acme/checkout 9c1e7a4")
    assert not tl.set_aside


def test_the_first_deploy_after_a_shown_change_no_deploy_names_stays_a_row(
    tmp_path: Path,
) -> None:
    """PR #2288 (a search result: its merge commit unknown, so no deploy says it shipped it) is
    a lead-up change shown; the deploy of its repository 20 minutes after its merge, three days
    before the incident, may have shipped it: a row, though what it shipped is unknown. A later
    deploy of unknown content, two days before, is set aside."""
    first_live = T0 - timedelta(days=3)
    later = deployment("acme/checkout", 603, OLD_SHA, T0 - timedelta(days=2))
    merged = T0 - timedelta(days=3, minutes=20)
    prs = {"acme/checkout": [pr_item("acme/checkout", 2288, "Reduce cart cache TTL", merged)]}
    deployments = {
        "acme/checkout": [deployment("acme/checkout", 602, CHECKOUT_SHA, first_live), later]
    }
    config = Config(github=GitHubConfig(leadup_match=("ttl",)))
    tl = timeline(tmp_path, deployments=deployments, prs=prs, config=config)  # type: ignore[arg-type]
    assert rows_with(tl, "Merged PR #2288")
    assert row(tl, "Deployed acme/checkout 9c1e7a4").reason.startswith("leadup: deploy to")
    assert [e.summary for e in tl.set_aside] == [
        "Deployed acme/checkout 3b7c9d1 (main) to production"
    ]
    check_accounts(tl)
