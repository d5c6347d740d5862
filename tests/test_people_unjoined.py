"""People no email or alias joins across tools: the author is told once which handles, and the
``[people] aliases`` line to add (issue #11: a tester's nc13a, "lferreira-acme: Merged PR #512"
beside PagerDuty's and Slack's "Luis Ferreira", noticed only by reading the rows).

GitHub collected live (PyGithub over HTTPS to ``tests/fakes/github.py``: search results, PRs,
``GET /repos/o/r/commits``), PagerDuty and Slack in their own wire formats beside it: the
bundle of ``tests.test_github_people``. Nothing is guessed from names: the line lists, never
joins.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconstruct.config import Config, PeopleConfig
from reconstruct.pipeline import build_timeline
from reconstruct.render import RenderOptions, render
from tests.fakes.server import FakeServer
from tests.test_cli import run
from tests.test_github_people import MARCO_SLACK, commits, pr, rows, world

HINT = (
    "1 person of the rows known to one tool only, joined to no other tool's by an email or "
    "[people] aliases: github:lferreira-acme; if one is someone another tool names, add under "
    '[people.aliases]: "<their name>" = ["github:lferreira-acme", "<their email>"]'
)


@pytest.fixture
def server(make_server: Callable[..., FakeServer]) -> FakeServer:
    return make_server()


def test_a_login_no_email_joins_is_named_with_the_alias_line_to_add(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    """lferreira-acme merged PR #512 and made no commit in range (no email); Marco Bianchi
    (PagerDuty and Slack, joined by email) has no GitHub login: they may be one person."""
    _, bundle = world(
        tmp_path,
        server,
        ca_bundle,
        pulls=[pr(512, "lferreira-acme", 30)],
        slack_users=[MARCO_SLACK],
    )
    tl = build_timeline(bundle, Config())
    assert rows(tl)["Merged PR #512"] == ("lferreira-acme", "github:lferreira-acme")
    assert tl.hints == (HINT,)
    assert HINT not in tl.warnings
    plain = render(tl, RenderOptions(), Config())
    assert "Hint" not in plain and 'lferreira-acme", "<their' not in plain  # the pasted draft
    why = render(tl, RenderOptions(why=True), Config())
    (line,) = [x for x in why.splitlines() if x.startswith("- Hint: ")]
    assert "github:lferreira-acme" in line and "\\[people.aliases\\]" in line
    html = render(tl, RenderOptions(fmt="html", why=True), Config())
    assert '<p class="hint">Hint: 1 person of the rows' in html


def test_the_cli_says_it_once_on_stderr(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    _, bundle = world(
        tmp_path, server, ca_bundle, pulls=[pr(512, "lferreira-acme", 30)], slack_users=[]
    )
    code, _, err = run("--bundle", str(bundle.root), "-q", "-o", str(tmp_path / "d.md"))
    assert code == 0
    assert [x for x in err.splitlines() if "hint" in x] == [f"reconstruct: hint: {HINT}"]


def test_no_line_once_an_alias_joins_the_login(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    _, bundle = world(
        tmp_path,
        server,
        ca_bundle,
        pulls=[pr(512, "lferreira-acme", 30)],
        slack_users=[MARCO_SLACK],
    )
    aliases = {"Marco Bianchi": ["github:lferreira-acme", "marco@acme.example"]}
    tl = build_timeline(bundle, Config(people=PeopleConfig(aliases=aliases)))
    assert rows(tl)["Merged PR #512"][0] == "Marco Bianchi"
    assert tl.hints == ()


def test_no_line_when_a_commit_email_joins_everyone(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    _, bundle = world(
        tmp_path,
        server,
        ca_bundle,
        pulls=[pr(1203, "marco-bianchi", 30)],
        history=commits("marco-bianchi", "marco@acme.example"),
        slack_users=[MARCO_SLACK],
    )
    tl = build_timeline(bundle, Config())
    assert rows(tl)["Merged PR #1203"][0] == "Marco Bianchi"
    assert tl.hints == ()


def test_a_bot_login_is_no_one_to_join(server: FakeServer, ca_bundle: Path, tmp_path: Path) -> None:
    _, bundle = world(
        tmp_path,
        server,
        ca_bundle,
        pulls=[pr(17, "dependabot[bot]", 10, "Bump pytest")],
        slack_users=[MARCO_SLACK],
    )
    assert build_timeline(bundle, Config()).hints == ()


def test_no_line_when_everyone_else_has_a_github_login(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    """Marco is aliased to his GitHub login: lee-t (no email) cannot be him, nor anyone else
    of the rows."""
    _, bundle = world(
        tmp_path,
        server,
        ca_bundle,
        pulls=[pr(16, "lee-t", 20)],
        slack_users=[MARCO_SLACK],
    )
    aliases = {"Marco Bianchi": ["github:marco-bianchi", "marco@acme.example"]}
    tl = build_timeline(bundle, Config(people=PeopleConfig(aliases=aliases)))
    assert rows(tl)["Merged PR #16"][0] == "lee-t"
    assert tl.hints == ()
