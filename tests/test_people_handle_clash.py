"""Two people shown by one handle are told apart whatever ``[people] display`` is.

Inputs: Slack ``users.list`` members and ``conversations.history`` messages, Grafana
``GET /api/annotations`` items (``login``/``email``/``userId``: Grafana's own account id), built
by the helpers of ``test_rows``. Alice's Slack handle is ``alice``; her Grafana login is
``alice-w`` (the same email joins them); Grafana user 9 has the login ``alice`` and no email:
another account of Grafana, so another person. GitHub's ``alice`` (a noreply address) beside
Slack's ``alice`` (Alice, GitHub ``alice-w``) is the clash: both would read "alice".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconstruct.config import Config, PeopleConfig
from reconstruct.model import Timeline
from reconstruct.pipeline import build_timeline
from tests import test_github_people as gh
from tests.fakes.server import FakeServer
from tests.test_rows import annotation, said, slack_user, timeline, trigger

ALICE = slack_user("U0ALICE", "alice", "Alice Wong", "alice@acme.example")


def other_alice(minutes: float, text: str) -> dict[str, Any]:
    note = annotation(minutes, text, "alice")
    note["userId"] = 9
    return note


def actors(tmp_path: Path, display: str, *notes: dict[str, Any]) -> dict[str, str | None]:
    tl: Timeline = timeline(
        tmp_path,
        [trigger()],
        [said("U0ALICE", 10, "rolling back checkout to v41 now")],
        [ALICE],
        list(notes),
        config=Config(people=PeopleConfig(display=display)),
    )
    return {e.summary: e.actor for e in tl.events if e.actor}


MINE = annotation(12, "scaled checkout to 12 replicas", "alice-w", "alice@acme.example")


def test_distinct_handles_need_no_tool(tmp_path: Path) -> None:
    shown = actors(tmp_path, "handle", MINE, other_alice(14, "raised the checkout pool size"))
    assert shown["raised the checkout pool size"] == "alice", shown
    assert shown["rolling back checkout to v41 now"] == "alice-w", shown
    assert shown["scaled checkout to 12 replicas"] == "alice-w", "one person, one name"


def test_by_real_name_the_two_differ_already(tmp_path: Path) -> None:
    shown = actors(tmp_path, "name", MINE, other_alice(14, "raised the checkout pool size"))
    assert shown["raised the checkout pool size"] == "alice", shown
    assert shown["rolling back checkout to v41 now"] == "Alice Wong", shown


def test_a_login_nothing_says_is_someone_else_keeps_the_plain_handle(tmp_path: Path) -> None:
    """Slack's ``alice`` and Grafana's ``alice`` (no email; no Grafana account of Alice's to
    differ from): nothing says they are two, so no tool is named (README: nothing guessed)."""
    shown = actors(tmp_path, "handle", other_alice(14, "raised the checkout pool size"))
    assert shown["raised the checkout pool size"] == "alice", shown
    assert shown["rolling back checkout to v41 now"] == "alice", shown


def test_a_github_login_like_someones_slack_handle_is_told_apart(
    make_server: Callable[..., FakeServer], ca_bundle: Path, tmp_path: Path
) -> None:
    """Slack ``alice`` is Alice Wong (GitHub ``alice-w``, her commits' email); GitHub's own
    ``alice`` commits with a noreply address, so nothing joins her: two people, and with
    ``display = "handle"`` both would read "alice"."""
    history = [
        *gh.commits("alice-w", "alice@acme.example"),
        *gh.commits("alice", "6002+alice@users.noreply.github.com", start=-300),
    ]
    slack = gh.slack_user("U0ALICE", "alice", "Alice Wong", "alice@acme.example")
    pulls = [gh.pr(21, "alice-w", 10), gh.pr(22, "alice", 20)]
    _, bundle = gh.world(
        tmp_path, make_server(), ca_bundle, pulls=pulls, history=history, slack_users=[slack]
    )
    config = Config(people=PeopleConfig(display="handle"))
    found = gh.rows(build_timeline(bundle, config))
    assert found["Merged PR #21"][0] != found["Merged PR #22"][0], found
    assert found["Merged PR #22"] == ("alice (GitHub)", "github:alice"), found
    assert found["Merged PR #21"] == ("alice (Slack)", "email:alice@acme.example"), found
    by_name = gh.rows(build_timeline(bundle, Config()))
    assert by_name["Merged PR #21"][0] == "Alice Wong", "told apart by their names already"
