"""One name per person, the negative cases of a shared handle: a login or handle that two tools
(or two users of one tool) show is never a join; only an email or ``[people] aliases`` is.

Inputs are Slack ``users.list`` members (``profile.email`` only with ``users:read.email``) and
Grafana ``GET /api/annotations`` items (``login``/``email``/``userId``), built by the helpers of
``test_rows``.
"""

from __future__ import annotations

from pathlib import Path

from reconstruct.config import Config, PeopleConfig
from reconstruct.model import Identity
from reconstruct.normalize.people import directory
from tests.test_rows import annotation, said, slack_user, timeline, trigger

ANA = slack_user("U0ANA", "asouza", "Ana Souza", "ana@acme.example")
WORDS = "failing over checkout-db to the replica now"


def test_same_handle_in_two_tools_without_email_is_two_people(tmp_path: Path) -> None:
    """Slack ``asouza`` (with email) and a Grafana login ``asouza`` without one: two names, two
    rows, even with the same words within a minute."""
    note = annotation(19.3, WORDS, "asouza")
    tl = timeline(tmp_path, [trigger()], [said("U0ANA", 19, WORDS)], [ANA], [note])
    rows = [e for e in tl.events if WORDS in e.summary]
    assert len(rows) == 2, [e.summary for e in tl.events]
    assert sorted(e.actor or "" for e in rows) == ["Ana Souza", "asouza"]
    joined = annotation(19.3, WORDS, "asouza", "ana@acme.example")  # her email: one step
    tl = timeline(tmp_path / "b", [trigger()], [said("U0ANA", 19, WORDS)], [ANA], [joined])
    assert [e.actor for e in tl.events if WORDS in e.summary] == ["Ana Souza"]


def test_a_login_one_tool_shows_with_and_without_email_joins_no_one(tmp_path: Path) -> None:
    """Grafana ``asouza`` once with Ana's email and once (another user) with none: a record
    names only the login, so it cannot say which; it keeps the login and merges with nothing."""
    with_email = annotation(10, "rolling back checkout to v41", "asouza", "ana@acme.example")
    without = annotation(19.3, WORDS, "asouza")
    without["userId"] = 9
    tl = timeline(tmp_path, [trigger()], [said("U0ANA", 19, WORDS)], [ANA], [with_email, without])
    rows = [e for e in tl.events if WORDS in e.summary]
    assert sorted(e.actor or "" for e in rows) == ["Ana Souza", "asouza"]


def test_directory_never_joins_on_handle_or_name() -> None:
    ids = [
        Identity("slack", "asouza", "ana@acme.example", "Ana Souza", "asouza"),
        Identity("grafana", "asouza", "", handle="asouza"),
        Identity("grafana", "Ana Souza", "", handle="Ana Souza"),
        Identity("pagerduty", "Ana Souza", "", "Ana Souza"),
    ]
    people = directory(ids, PeopleConfig())
    ana = people.person("slack", "asouza")
    assert ana.display == "Ana Souza"
    for tool, name in [("grafana", "asouza"), ("grafana", "Ana Souza"), ("pagerduty", "Ana Souza")]:
        assert people.person(tool, name) == type(ana)(f"{tool}:{name}", name), (tool, name)
    aliased = directory(
        ids, PeopleConfig(aliases={"Ana Souza": ["grafana:asouza", "slack:asouza"]})
    )
    assert aliased.person("grafana", "asouza") == aliased.person("slack", "asouza")


def test_an_ambiguous_login_is_resolved_only_by_config(tmp_path: Path) -> None:
    ids = [
        Identity("grafana", "asouza", "ana@acme.example", handle="asouza"),
        Identity("grafana", "asouza", "", handle="asouza"),
        Identity("slack", "asouza", "ana@acme.example", "Ana Souza", "asouza"),
    ]
    assert directory(ids, PeopleConfig()).person("grafana", "asouza").id == "grafana:asouza"
    config = Config(people=PeopleConfig(aliases={"Ana": ["grafana:asouza", "ana@acme.example"]}))
    assert directory(ids, config.people).person("grafana", "asouza").id == "alias:Ana"
