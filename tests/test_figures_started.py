"""Time to mitigate does not count a step said started ("deploy of the revert started") while a
later record says it done: the revert's deploy going live counts (nc13b F2: 14:47:30, the
message, was counted instead of the deploy live at 14:52:05). A step said done stays counted,
whatever else the message says started.

Slack ``conversations.history`` messages, GitHub search items and ``GET /pulls/{n}`` of a
revert PR (body ``Reverts acme/checkout#1187``, as GitHub's revert button writes it), its
deployment and statuses, PagerDuty log entries: ``tests.test_figures_wire``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_figures_wire import (
    at,
    bundle,
    deployment,
    figures,
    merged_pr,
    slack_message,
    timeline_of,
)

REVERT_SHA = "7" * 40


def ttm(tmp_path: Path, said: str) -> int | None:
    revert = merged_pr(
        1210, 'Revert "Reduce product cache TTL to 60s"', "Reverts acme/checkout#1187",
        at(14, 25), REVERT_SHA,
    )  # fmt: skip
    deploys = [deployment(5, REVERT_SHA, at(14, 33))]
    messages = [slack_message(at(14, 27), said)]
    tl = timeline_of(
        bundle(tmp_path, at(14, 12), at(15, 0), messages=messages, deployments=deploys,
               prs=[revert])
    )  # fmt: skip
    return figures(tl)["time_to_mitigate_s"]


@pytest.mark.parametrize(
    "said",
    [
        "deploy of the revert started",
        "revert deploy started",
        "rollback kicked off",
        "kicked off the rollback of checkout",
        "the redeploy of checkout has just begun",
    ],
)
def test_a_step_said_started_waits_for_the_deploy_going_live(tmp_path: Path, said: str) -> None:
    assert ttm(tmp_path, said) == 21 * 60  # 14:12 -> 14:33, the deploy live


@pytest.mark.parametrize(
    "said",
    ["rolled back checkout; errors started dropping", "rollback done, started monitoring"],
)
def test_a_step_said_done_counts_whatever_started_after_it(tmp_path: Path, said: str) -> None:
    assert ttm(tmp_path, said) == 15 * 60  # 14:12 -> 14:27, the message
