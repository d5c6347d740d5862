"""One step, one row: a person's words that a revert's deploy is under way join that deploy.

A responder merges the revert and says "reverting #512 now, #515 merged"; the deploy tool starts
the deploy seconds later and it goes live six minutes after. The deployment's row already says
"(started 14:25 via deploybot)": the person's start words are the same step, so they join that
row as a member with their link. The row keeps its time (when it went live), so time to
mitigate does not move. Words about another PR, outside the deploy's span, or a plan stay rows.

Inputs in the tools' wire formats (helpers in ``tests.test_figures_wire``): GitHub's
``GET /repos/{owner}/{repo}/deployments`` records and their statuses, a merged PR whose body
GitHub's revert button writes ("Reverts acme/checkout#512"), the deploy bot's Slack post
(``bot_id``, ``bot_profile``) and a person's Slack message (``user``, ``text``, ``ts``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from reconstruct.model import Event, Kind, Timeline
from reconstruct.render.jsonout import document
from tests.test_deploy_starts import SHA, bot_post, person
from tests.test_figures_wire import at, bundle, deployment, figures, merged_pr, timeline_of

LIVE = at(14, 30, 20)
REVERT = merged_pr(
    515,
    'Revert "Lower max.poll.interval.ms to 30s"',
    "Reverts acme/checkout#512\n\nThe rebalance storm started with this change.",
    at(14, 20),
    SHA,
)


def run(tmp_path: Path, words: list[dict[str, Any]], task: str = "deploy") -> Timeline:
    """The revert PR #515 merged at 14:20, its deploy requested at 14:24:35 (GitHub's
    ``created_at``), the bot's start post at 14:25:04, live at 14:30:20; plus ``words``."""
    deploys = [deployment(7, SHA, LIVE, created_at="2026-05-06T14:24:35Z", task=task)]
    start = bot_post(at(14, 25, 4), "Deploying checkout 4f2c9e1 to production, started by Kim")
    return timeline_of(
        bundle(
            tmp_path,
            at(14, 0),
            at(15, 0),
            messages=[start, *words],
            deployments=deploys,
            prs=[REVERT],
        )
    )


def deploy_row(tl: Timeline) -> Event:
    (row,) = [e for e in tl.events if e.kind is Kind.DEPLOY]
    return row


def link_of(when: datetime) -> str:
    return f"p{int(when.timestamp())}000000"


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("reverting #512 now, #515 merged, argo sync running", at(14, 24, 10)),
        ("deploy of the revert started", at(14, 26)),
        ("rollback of checkout to 4f2c9e1 started", at(14, 27)),
        ("rolling back with PR 515 now", at(14, 29)),
    ],
    ids=["reverted-pr", "the-revert", "sha", "pr"],
)
def test_a_persons_start_words_join_the_deploy_row(
    tmp_path: Path, text: str, when: datetime
) -> None:
    """Within the span (from a minute before the request to going live), naming the deploy:
    one row at 14:30:20 in the deploy's words, the message's link kept, both records its JSON
    ``members``; time to mitigate is the same as without the words."""
    alone = run(tmp_path / "alone", [])
    tl = run(tmp_path / "words", [person(when, text)])
    row = deploy_row(tl)
    assert row.time == LIVE and row.summary == deploy_row(alone).summary
    assert not [e for e in tl.events if e.summary == text], [e.summary for e in tl.events]
    assert any(link_of(when) in link.url for link in row.links), row.links
    assert set(deploy_row(alone).links) < set(row.links)
    (out,) = [e for e in document(tl)["events"] if e["kind"] == "deploy"]
    assert text in [m["summary"] for m in out["members"]]
    assert figures(tl)["time_to_mitigate_s"] == figures(alone)["time_to_mitigate_s"] == 1820


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("reverting #509 now", at(14, 26)),
        ("reverting #512 now, #515 merged", at(14, 10)),
        ("reverting #512 now, #515 merged", at(14, 40)),
        ("will revert #512 after lunch", at(14, 26)),
        ("rolling back checkout to 9c1e7a4 now", at(14, 26)),
        ("revert of #512 in progress, raising the pool size meanwhile", at(14, 26)),
    ],
    ids=["another-pr", "before-the-span", "after-going-live", "a-plan", "another-sha", "more"],
)
def test_other_words_leave_the_deploy_row_alone(tmp_path: Path, text: str, when: datetime) -> None:
    tl = run(tmp_path, [person(when, text)])
    row = deploy_row(tl)
    assert not any(link_of(when) in link.url for link in row.links), row.links
    assert text not in [m.summary for m in row.members]
