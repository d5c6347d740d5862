"""A change linked or named only in a chat message that is not a row is still shown in the lead-up.

"fyi <https://github.com/acme/checkout/pull/1194>" in the incident channel is a person's plain
message (no keyword: not a row), yet it names PR #1194: the lead-up shows the PR. In another
channel (a busy ``#deploys``) only a name that says its repository counts (a PR URL,
``acme/checkout#1195``); a bare "#1196" there names nothing. Messages are conversations.history
records (Slack writes a URL in ``text`` as ``<url>``); PRs are search results of merged PRs.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from reconstruct.config import Config, GitHubConfig
from tests.test_selection_wire import (
    DEPLOYS,
    INC,
    T0,
    absent,
    check_accounts,
    message,
    pr_item,
    row,
    timeline,
)


def test_a_pr_linked_only_in_a_message_not_shown_is_in_the_leadup(tmp_path: Path) -> None:
    slack = {
        INC: [
            message(T0 + timedelta(minutes=7), "fyi <https://github.com/acme/checkout/pull/1194>"),
            message(T0 + timedelta(minutes=8), "could it be PR 1197?", n=1),
        ],
        DEPLOYS: [
            message(T0 + timedelta(minutes=9), "anyone seen acme/checkout#1195 go out?"),
            message(T0 + timedelta(minutes=10), "#1196 looks fine to me", n=1),
        ],
    }
    prs = [
        pr_item(1194, "Tune the payment widget", T0 - timedelta(days=3)),
        pr_item(1195, "Rename a helper", T0 - timedelta(days=4)),
        pr_item(1196, "Bump the footer year", T0 - timedelta(days=5)),
        pr_item(1197, "Reword the help page", T0 - timedelta(days=6)),
    ]
    config = Config(github=GitHubConfig(repos=("acme/checkout",), leadup_changes=0))
    tl = timeline(tmp_path, slack=slack, prs=prs, config=config)
    assert row(tl, "Tune the payment widget").reason == "leadup change linked in the evidence"
    assert row(tl, "Reword the help page").reason == 'leadup change "PR 1197" named in the evidence'
    assert row(tl, "Rename a helper").reason == "leadup change linked in the evidence"
    assert absent(tl, "Bump the footer year")  # a bare number in another channel
    assert absent(tl, "fyi") and absent(tl, "could it be")  # the messages stay counted
    check_accounts(tl)
