"""The Summary's "preceded" clauses name the most relevant change and deploy the timeline shows,
never a deploy only for being the latest (nc13b #3b: a staging-credentials deploy two days
before the incident was named instead of the one that shipped the PR the root cause names), and
a production deploy before a staging one.

GitHub ``GET /repos/o/r/deployments`` with their statuses (``environment``,
``production_environment``), search ``is:pr is:merged`` items and ``GET /pulls/{n}``
(``merge_commit_sha``), a Slack message naming the root cause, PagerDuty log entries: the wire
shapes of ``tests.test_figures_wire``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from reconstruct.render import metrics
from reconstruct.render.lede import fit
from tests.test_figures_wire import (
    at,
    bundle,
    deployment,
    log_entry,
    markdown,
    merged_pr,
    slack_message,
    timeline_of,
)

START = at(14, 12)
ROOT_SHA = "412" + "a" * 37
HAND_SHA = "5ee" + "c" * 37
OTHER_SHA = "903" + "b" * 37
ROOT_CAUSE = slack_message(at(14, 30), "root cause: #412 raised the cache TTL, cache never warms")


def staging(ident: int, sha: str, when: Any) -> Any:
    return deployment(
        ident, sha, when, environment="staging", original_environment="staging",
        production_environment=False,
    )  # fmt: skip


def lede(
    tmp_path: Path, prs: list[dict[str, Any]], deploys: list[Any], messages: list[Any]
) -> tuple[str, metrics.Milestones]:
    entries = [log_entry("R1", "trigger", START), log_entry("R3", "resolve", at(14, 59))]
    tl = timeline_of(
        bundle(
            tmp_path,
            START,
            at(14, 59),
            entries=entries,
            messages=messages,
            deployments=deploys,
            prs=prs,
        )
    )
    text = markdown(tl).split("## Summary\n", 1)[1].split("## Impact", 1)[0]
    return text, metrics.milestones(tl)


def test_a_named_change_without_a_known_deploy_names_no_other_deploy(tmp_path: Path) -> None:
    """#412's merge went out in a deploy of another sha (built by hand: no PR or commit ties
    it); the latest deploy shipped #903, which nothing names: no deploy is said to precede."""
    prs = [
        merged_pr(412, "Raise cache TTL to 600s", "", START - timedelta(days=3), ROOT_SHA),
        merged_pr(903, "Tune checkout batch size", "", at(13, 40), OTHER_SHA),
    ]
    deploys = [
        deployment(1, HAND_SHA, START - timedelta(days=3) + timedelta(minutes=50)),
        deployment(2, OTHER_SHA, at(13, 50, 30)),
    ]
    text, marks = lede(tmp_path, prs, deploys, [ROOT_CAUSE])
    assert marks.last_change is not None and "PR #412" in marks.last_change.summary
    assert marks.last_deploy is None
    assert "A change, “Merged PR #412: Raise cache TTL to 600s (opened by kim)”" in text
    assert "A deploy" not in text and "903bbbb" not in text and "5eecccc" not in text


def test_without_a_named_change_the_latest_deploy_still_counts(tmp_path: Path) -> None:
    """The same timeline without the root-cause message: no change is named, the latest
    change and the deploy that shipped it are said (the weakest tier, as before)."""
    prs = [merged_pr(903, "Tune checkout batch size", "", at(13, 40), OTHER_SHA)]
    deploys = [
        deployment(1, HAND_SHA, START - timedelta(days=3) + timedelta(minutes=50)),
        deployment(2, OTHER_SHA, at(13, 50, 30)),
    ]
    text, _ = lede(tmp_path, prs, deploys, [slack_message(at(14, 30), "looking into it")])
    assert "The deploy that shipped it, “Deployed PR #903" in text


def test_the_production_deploy_that_shipped_the_change_outranks_staging(tmp_path: Path) -> None:
    prs = [merged_pr(412, "Raise cache TTL to 600s", "", START - timedelta(days=3), ROOT_SHA)]
    deploys = [
        staging(1, ROOT_SHA, START - timedelta(days=3) + timedelta(minutes=20)),
        deployment(2, ROOT_SHA, START - timedelta(days=2)),
    ]
    text, marks = lede(tmp_path, prs, deploys, [ROOT_CAUSE])
    assert marks.last_deploy is not None and "production" in marks.last_deploy.tags
    assert (
        "The deploy that shipped it, “Deployed PR #412 (Raise cache TTL to 600s) to production"
        in (text)
    )
    assert "preceded the first alert by 2d 0h 00m." in text
    assert "to staging" not in text


def test_with_no_change_a_production_deploy_outranks_a_later_staging_one(tmp_path: Path) -> None:
    """No PR at all: of two deploys in the window before the first alert, the earlier one to
    production is named, not the later one to staging."""
    deploys = [deployment(1, ROOT_SHA, at(13, 30)), staging(2, OTHER_SHA, at(13, 50))]
    text, marks = lede(tmp_path, [], deploys, [slack_message(at(14, 30), "looking into it")])
    assert marks.last_deploy is not None and "412aaaa" in marks.last_deploy.summary
    assert "A deploy, “Deployed acme/checkout 412aaaa (main) to production”" in text
    assert "903bbbb" not in text


SHIPPED = (
    "Deployed PR #412 (Switch ClusterIssuer to letsencrypt-dns01 (Cloudflare DNS-01)) to "
    "production: northwind/platform-infra d4e5f60"
)


def test_a_title_with_its_own_brackets_gives_up_whole_before_the_end_is_cut() -> None:
    """The quote keeps where the deploy went and what (repository, commit): the PR title goes
    first, its inner group, then the whole title (it was "... (…)) to production: …")."""
    assert fit(SHIPPED, 100) == (
        "Deployed PR #412 (…) to production: northwind/platform-infra d4e5f60"
    )
    assert fit(SHIPPED, len(SHIPPED) - 5) == (
        "Deployed PR #412 (Switch ClusterIssuer to letsencrypt-dns01 (…)) to production: "
        "northwind/platform-infra d4e5f60"
    )
    for limit in range(1, len(SHIPPED) + 1):
        got = fit(SHIPPED, limit)
        assert len(got) <= limit and got.count("(") == got.count(")"), got
