"""A revert going live is a deploy of the revert, not a rollback (#11).

GitHub's deployment object (``GET /repos/o/r/deployments``: ``sha``, ``ref``, ``task`` (default
``deploy``), ``description``, ``payload``, ``created_at``) and its statuses (``state`` ``success``
when it went live), a revert PR as GitHub's revert button writes it (title ``Revert "..."``, body
``Reverts owner/repo#N``), and a deploy bot's Slack post (``subtype: bot_message``): the row says
what shipped, and time to mitigate still runs to the revert going live.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconstruct.model import Kind
from reconstruct.render import metrics
from tests.test_figures_wire import (
    at,
    bundle,
    deployment,
    figures,
    merged_pr,
    slack_ts,
    timeline_of,
)

REVERT_SHA = "7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f60718293"
START = at(14, 0, 10)


def _deploy_rows(tl: Any) -> list[Any]:
    return [e for e in tl.events if e.kind is Kind.DEPLOY]


def test_a_revert_pr_deployed_says_deployed_not_rolled_back(tmp_path: Path) -> None:
    """The newcomer's incident: PR #415 reverts #412; deploybot ships its merge commit with the
    description "deploybot: edge-gateway 7c1d2e3 (revert #412)"."""
    revert = merged_pr(
        415,
        'Revert "Switch cert-manager issuer to new ACME account"',
        "Reverts acme/checkout#412",
        at(14, 23),
        REVERT_SHA,
    )
    deploys = [
        deployment(5000415, REVERT_SHA, at(14, 29, 10),
                   description="deploybot: edge-gateway 7c1d2e3 (revert #412)")
    ]  # fmt: skip
    tl = timeline_of(bundle(tmp_path, START, at(14, 47, 30), deployments=deploys, prs=[revert]))
    (row,) = _deploy_rows(tl)
    assert row.summary == (
        "Deployed revert PR #415 (reverts PR #412) to production: acme/checkout 7c1d2e3 (main)"
    )
    assert "Rolled back" not in row.summary
    assert {"revert", "rollback"} <= row.tags
    # mitigated when the revert went live (14:29:10), not at its merge (14:23)
    assert figures(tl)["time_to_mitigate_s"] == 29 * 60
    mark = metrics.milestones(tl).mitigated
    assert mark is not None and mark.event is row


def test_a_deployment_whose_words_say_revert(tmp_path: Path) -> None:
    """No revert PR in the bundle: the description names what it reverts."""
    deploys = [
        deployment(
            7, REVERT_SHA, at(14, 30), description="deploybot: checkout 7c1d2e3 (revert #412)"
        )
    ]
    tl = timeline_of(bundle(tmp_path, START, at(15, 0), deployments=deploys))
    (row,) = _deploy_rows(tl)
    assert row.summary == "Deployed a revert of #412 to production: acme/checkout 7c1d2e3 (main)"
    assert figures(tl)["time_to_mitigate_s"] == 29 * 60 + 50


def test_rolled_back_only_when_it_rolls_back(tmp_path: Path) -> None:
    """``task: rollback`` and "rolling back" read as a rollback, whatever else they say; an
    earlier sha deployed again is one too."""
    cases: list[dict[str, Any]] = [
        {"task": "rollback", "description": "revert #412"},
        {"description": "deploybot: rolling back edge-gateway"},
    ]
    for i, extra in enumerate(cases):
        deploys = [deployment(10 + i, REVERT_SHA, at(14, 30), **extra)]
        tl = timeline_of(bundle(tmp_path / str(i), START, at(15, 0), deployments=deploys))
        (row,) = _deploy_rows(tl)
        assert row.summary == "Rolled back acme/checkout to 7c1d2e3 (main) in production", extra
        assert figures(tl)["time_to_mitigate_s"] == 29 * 60 + 50


def test_a_failed_revert_deploy_is_worded_as_one_and_mitigates_nothing(tmp_path: Path) -> None:
    record, statuses = deployment(9, REVERT_SHA, at(14, 30), description="revert #412")
    statuses[0]["state"] = "failure"
    tl = timeline_of(bundle(tmp_path, START, at(15, 0), deployments=[(record, statuses)]))
    (row,) = _deploy_rows(tl)
    assert row.summary == (
        "Deploy of a revert of #412 to production failed: acme/checkout 7c1d2e3 (main)"
    )
    assert figures(tl)["time_to_mitigate_s"] is None


def test_a_plain_deploy_is_neither(tmp_path: Path) -> None:
    deploys = [deployment(11, REVERT_SHA, at(14, 30), description="deploybot: release")]
    tl = timeline_of(bundle(tmp_path, START, at(15, 0), deployments=deploys))
    (row,) = _deploy_rows(tl)
    assert row.summary == "Deployed acme/checkout 7c1d2e3 (main) to production"
    assert not row.tags & {"revert", "rollback"}
    assert figures(tl)["time_to_mitigate_s"] is None


def test_a_deploy_bots_revert_post_is_a_revert_deploy(tmp_path: Path) -> None:
    """A deploy bot's Slack post "Deployed revert of #412 to production" keeps its words and is
    tagged a revert (its reason says so) and a mitigation."""
    post = {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B0DEPLOY1",
        "username": "deploybot",
        "text": "Deployed edge-gateway 7c1d2e3 (revert of #412) to production",
        "ts": slack_ts(at(14, 31)),
    }
    tl = timeline_of(bundle(tmp_path, START, at(15, 0), messages=[post]))
    (row,) = _deploy_rows(tl)
    assert row.summary.endswith("Deployed edge-gateway 7c1d2e3 (revert of #412) to production")
    assert {"revert", "rollback"} <= row.tags
    assert figures(tl)["time_to_mitigate_s"] == 30 * 60 + 50
