"""One name per person for GitHub logins: the login <-> email pairs of the default branch's commits.

The GitHub side is collected live (real PyGithub over HTTPS to ``tests/fakes/github.py``, which
serves ``GET /repos/o/r/commits`` items as GitHub does: ``author`` the linked account or null,
``commit.author.email`` the git author's address); PagerDuty and Slack records are written in
their own wire formats beside it (``users.list`` members with ``profile.email``; a
``GET /users/{id}`` body with ``email``). The Timeline is then built from that bundle, as
``--bundle DIR`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors.github.authors import is_noreply
from reconstruct.collectors.github.live import collect
from reconstruct.collectors.people import identities
from reconstruct.config import Config, PeopleConfig
from reconstruct.model import Identity, Timeline
from reconstruct.normalize.people import directory, person_of, targets_of
from reconstruct.pipeline import build_timeline
from tests.fakes import github as fk
from tests.fakes.server import FakeServer
from tests.test_github_live import REPO, WINDOW, Recorder, iso, make_ctx

INC_ID = "Q1GHPEOPLE"
PD = "https://acme.pagerduty.com"
WS = "https://acme.slack.com/"
CHANNEL = "C0INC4712A"
T0 = WINDOW.start + timedelta(minutes=42)


def at(minutes: float) -> str:
    return iso(T0 + timedelta(minutes=minutes))


def slack_user(uid: str, handle: str, real: str, email: str) -> dict[str, Any]:
    profile = {"display_name": handle, "real_name": real, "email": email}
    return {"id": uid, "name": handle, "real_name": real, "is_bot": False, "profile": profile}


MARCO_SLACK = slack_user("U03MARCO", "marco", "Marco Bianchi", "marco@acme.example")
ANA_SLACK = slack_user("U04ANA", "asouza", "Ana Souza", "ana@acme.example")


def pr(number: int, author: str, minutes: float, title: str = "Tune pool timeout") -> Any:
    return fk.pull(REPO, number, title, at(minutes), author=author)


def commits(login: str | None, *emails: str, start: float = -600) -> list[dict[str, Any]]:
    """One commit per email, oldest first (``start`` minutes from T0, an hour apart)."""
    return [
        fk.commit(REPO, f"{login}-{k}".ljust(40, "0")[:40], login, email, at(start + 60 * k))
        for k, email in enumerate(emails)
    ]


def world(
    tmp_path: Path,
    server: FakeServer,
    ca_bundle: Path,
    *,
    pulls: list[dict[str, Any]],
    history: list[dict[str, Any]] = (),  # type: ignore[assignment]
    slack_users: list[dict[str, Any]] = (),  # type: ignore[assignment]
    deployments: list[dict[str, Any]] = (),  # type: ignore[assignment]
    fault: Callable[[FakeServer], None] | None = None,
    name: str = "bundle",
) -> tuple[dict[str, Any], Bundle]:
    """GitHub collected live into a bundle that also holds an incident, Slack users and a
    PagerDuty user (Marco, ``marco@acme.example``, acknowledging)."""
    gh = fk.FakeGitHub(server, token="ghp_s3cret_value_never_printed")
    statuses = {
        d["id"]: [fk.status(REPO, d["id"], d["id"] * 10, "success", d["created_at"])]
        for d in deployments
    }
    gh.add_repo(REPO, deployments=deployments, statuses=statuses, pulls=pulls, commits=history)
    if fault is not None:
        fault(server)
    recorder = Recorder()
    ctx = replace(make_ctx(gh.base_url, ca_bundle, recorder), policy=recorder.settings())
    marco_ref = {"id": "PMARCO1", "type": "user_reference", "summary": "Marco Bianchi"}
    with BundleWriter(tmp_path / name, INC_ID) as out:
        incident = {
            "id": INC_ID,
            "type": "incident",
            "incident_number": 4712,
            "title": "Checkout errors",
            "status": "resolved",
            "created_at": at(0),
            "resolved_at": at(60),
            "html_url": f"{PD}/incidents/{INC_ID}",
            "service": {"id": "PSVC", "type": "service_reference", "summary": "checkout"},
        }
        ack = {
            "id": "RACK0001",
            "type": "acknowledge_log_entry",
            "summary": "Acknowledged by Marco Bianchi",
            "html_url": f"{PD}/incidents/{INC_ID}/log_entries/RACK0001",
            "created_at": at(3),
            "agent": marco_ref,
            "channel": {"type": "website"},
            "incident": {"id": INC_ID, "type": "incident_reference"},
        }
        out.add("pagerduty/incident.json", [{"incident": incident}])
        out.add("pagerduty/log_entries.json", [{"log_entries": [ack], "more": False}])
        out.add("pagerduty/alerts.json", [{"alerts": [], "more": False}])
        pd_user = {"id": "PMARCO1", "type": "user", "name": "Marco Bianchi"}
        out.add("pagerduty/users.json", [{"user": {**pd_user, "email": "MARCO@acme.example"}}])
        out.set_source("pagerduty", "ok")
        out.add("slack/auth.test.json", [{"ok": True, "url": WS}])
        out.add("slack/users.list.json", [{"ok": True, "members": list(slack_users)}])
        out.add(
            f"slack/{CHANNEL}/conversations.info.json",
            [{"ok": True, "channel": {"id": CHANNEL, "name": "inc-4712"}}],
        )
        out.add(
            f"slack/{CHANNEL}/conversations.history.json",
            [{"ok": True, "messages": [], "has_more": False}],
        )
        meta = {"workspace_url": WS, "incident_channel": CHANNEL, "channels": {CHANNEL: "inc-4712"}}
        out.set_source("slack", "ok", meta=meta)
        github_meta = dict(collect(ctx, out))
        out.set_source("github", "ok", meta=github_meta)
        path = out.finish(WINDOW, WINDOW.end + timedelta(hours=1))
    return github_meta, Bundle.open(path)


def rows(tl: Timeline) -> dict[str, tuple[str | None, str | None]]:
    """Each PR or deploy row's summary -> (actor, person id)."""
    return {
        e.summary.split(":")[0]: (e.actor, person_of(e))
        for e in tl.events
        if e.summary.startswith(("Merged PR", "Deployed", "Acknowledged"))
    }


@pytest.fixture
def server(make_server: Callable[..., FakeServer]) -> FakeServer:
    return make_server()


def test_a_login_is_joined_to_its_slack_and_pagerduty_person_by_commit_email(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    """marco-bianchi's newest commits carry his noreply address (merges on github.com), an
    older one marco@acme.example: his PR row reads Marco Bianchi, the person Slack and
    PagerDuty know by that email (PagerDuty's in capitals: emails compare case-insensitively)."""
    history = commits(
        "marco-bianchi", "marco@acme.example", "51920664+marco-bianchi@users.noreply.github.com"
    )
    meta, bundle = world(
        tmp_path,
        server,
        ca_bundle,
        pulls=[pr(1203, "marco-bianchi", 30, 'Revert "Reduce product cache TTL to 60s"')],
        history=history,
        slack_users=[MARCO_SLACK],
    )
    assert "warnings" not in meta
    assert bundle.has("github/acme/checkout/commits.json")
    tl = build_timeline(bundle, Config())
    found = rows(tl)
    assert found["Merged PR #1203"] == ("Marco Bianchi", "email:marco@acme.example")
    assert found["Acknowledged by Marco Bianchi"][1] == "email:marco@acme.example"
    request = next(r for r in server.requests if r.path.endswith("/commits"))
    assert request.query == {
        "since": ["2026-02-28T09:00:00Z"],
        "until": ["2026-03-14T11:00:00Z"],
        "per_page": ["100"],
    }


def test_the_listing_stops_once_every_login_has_an_email(
    make_server: Callable[..., FakeServer], ca_bundle: Path, tmp_path: Path
) -> None:
    """150 commits in range (two pages, newest first): ana's address is on the first page, so
    the second is never asked; lee's only commit is on the second page: both are read."""
    filler = [
        fk.commit(REPO, f"{k:040x}", "dev-ben", "ben@acme.example", at(-2000 + k))
        for k in range(148)
    ]
    ana = commits("ana-dev", "ana@acme.example", start=-10)
    lee = commits("lee-t", "lee@acme.example", start=-5000)
    server = make_server()
    pulls = [pr(7, "ana-dev", 20)]
    _, bundle = world(tmp_path, server, ca_bundle, pulls=pulls, history=filler + ana + lee)
    assert server.count("GET", r"/repos/acme/checkout/commits") == 1
    assert [len(p) for p in bundle.pages("github/acme/checkout/commits.json")] == [100]

    server = make_server()
    pulls = [pr(7, "ana-dev", 20), pr(8, "lee-t", 25)]
    _, bundle = world(
        tmp_path, server, ca_bundle, pulls=pulls, history=filler + ana + lee, name="two"
    )
    assert server.count("GET", r"/repos/acme/checkout/commits") == 1 + 1  # page 2 by its Link
    assert [len(p) for p in bundle.pages("github/acme/checkout/commits.json")] == [100, 50]


def test_many_pages_left_ask_per_login_instead(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    """350 commits in range (4 pages). Page 1 leaves lee-t (only older commits) and sam-o
    (noreply only) without an address: 3 pages remain against 2 logins, so it asks
    ``author=<login>`` of the same range once each instead: 3 requests, not 4."""
    filler = [
        fk.commit(REPO, f"{k:040x}", "dev-ben", "ben@acme.example", at(-3000 + k))
        for k in range(340)
    ]
    history = [
        *filler,
        *commits("ana-dev", "ana@acme.example", start=-10),
        *commits("lee-t", "lee@acme.example", start=-9000),
        *commits("sam-o", *["60317720+sam-o@users.noreply.github.com"] * 8, start=-2900),
    ]
    lee = slack_user("U06LEE", "lee", "Lee Turner", "lee@acme.example")
    pulls = [pr(21, "ana-dev", 10), pr(22, "lee-t", 20), pr(23, "sam-o", 30)]
    _, bundle = world(
        tmp_path, server, ca_bundle, pulls=pulls, history=history, slack_users=[ANA_SLACK, lee]
    )
    asked = [r for r in server.requests if r.path.endswith("/commits")]
    assert sorted(str(r.param("author")) for r in asked) == ["None", "lee-t", "sam-o"]
    assert all(r.param("since") == "2026-02-28T09:00:00Z" for r in asked)
    pages = bundle.pages("github/acme/checkout/commits.json")
    assert [len(p) for p in pages] == [100, 1, 8], "page 1, then lee-t's and sam-o's answers"
    found = rows(build_timeline(bundle, Config()))
    assert found["Merged PR #21"][0] == "Ana Souza"
    assert found["Merged PR #22"][0] == "Lee Turner"
    assert found["Merged PR #23"][0] == "sam-o"


def test_a_noreply_address_never_joins(server: FakeServer, ca_bundle: Path, tmp_path: Path) -> None:
    """sam-o commits only with noreply addresses; a Slack profile showing the very same address
    is still not him (a noreply address names the GitHub account, no mailbox another tool
    knows). The listing is read to its end looking for a usable address."""
    noreply = ["60317720+sam-o@users.noreply.github.com", "sam-o@users.noreply.github.com"]
    assert all(is_noreply(a) for a in noreply) and not is_noreply("sam@acme.example")
    odd = slack_user("U05SAM", "sam", "Sam Okafor", "sam-o@users.noreply.github.com")
    history = commits("sam-o", *noreply)
    _, bundle = world(
        tmp_path, server, ca_bundle, pulls=[pr(9, "sam-o", 20)], history=history, slack_users=[odd]
    )
    assert rows(build_timeline(bundle, Config()))["Merged PR #9"] == ("sam-o", "github:sam-o")
    github = [i for i in identities(bundle) if i.source == "github"]
    assert github and all(i.email == "" for i in github), github


def test_two_logins_stay_two_people_and_an_unknown_email_keeps_the_login(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    """ana-dev (ana@acme.example, Ana in Slack) and ana-ops (another address) are two people;
    lee-t's address is in no other tool: his row keeps his login. Nothing joins on the names."""
    history = [
        *commits("ana-dev", "ana@acme.example"),
        *commits("ana-ops", "ana.ops@acme.example", start=-300),
        *commits("lee-t", "lee@elsewhere.example", start=-200),
    ]
    pulls = [pr(11, "ana-dev", 10), pr(12, "ana-ops", 20), pr(13, "lee-t", 30)]
    _, bundle = world(
        tmp_path, server, ca_bundle, pulls=pulls, history=history, slack_users=[ANA_SLACK]
    )
    found = rows(build_timeline(bundle, Config()))
    assert found["Merged PR #11"] == ("Ana Souza", "email:ana@acme.example")
    assert found["Merged PR #12"] == ("ana-ops", "email:ana.ops@acme.example")
    assert found["Merged PR #13"] == ("lee-t", "email:lee@elsewhere.example")


def test_one_login_with_two_addresses_is_one_person(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    """A personal address on the newest commit, the work one on an older: one GitHub account,
    so both are his, and the work one joins Slack's Marco."""
    history = commits("marco-bianchi", "marco@acme.example", "marco.b@gmail.example")
    _, bundle = world(
        tmp_path,
        server,
        ca_bundle,
        pulls=[pr(14, "marco-bianchi", 10)],
        history=history,
        slack_users=[MARCO_SLACK],
    )
    assert rows(build_timeline(bundle, Config()))["Merged PR #14"][0] == "Marco Bianchi"


def test_people_aliases_still_override(server: FakeServer, ca_bundle: Path, tmp_path: Path) -> None:
    history = commits("marco-bianchi", "marco@acme.example")
    _, bundle = world(
        tmp_path,
        server,
        ca_bundle,
        pulls=[pr(15, "marco-bianchi", 10), pr(16, "lee-t", 20)],
        history=history,
        slack_users=[MARCO_SLACK],
    )
    aliases = {"Marco B.": ["slack:marco"], "Lee Turner": ["github:lee-t"]}
    tl = build_timeline(bundle, Config(people=PeopleConfig(aliases=aliases)))
    found = rows(tl)
    assert found["Merged PR #15"] == ("Marco B.", "alias:Marco B.")
    assert found["Acknowledged by Marco B."][1] == "alias:Marco B."
    assert found["Merged PR #16"] == ("Lee Turner", "alias:Lee Turner"), "a login with no commits"
    assert not [w for w in tl.warnings if "[people]" in w], "both aliases name someone"


def test_bots_are_nobodys_person_and_ask_for_nothing(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    """Only bots made the PRs and deployments: no commits request at all. A bot's commit with
    an address a Slack person has does not make the bot that person."""
    deployment = fk.deployment(REPO, 44, "a" * 40, "main", at(20))  # creator deploy-bot[bot]
    bot_commit = fk.commit(REPO, "b" * 40, "deploy-bot[bot]", "marco@acme.example", at(-30))
    _, bundle = world(
        tmp_path,
        server,
        ca_bundle,
        pulls=[pr(17, "dependabot[bot]", 10, "Bump pytest")],
        history=[bot_commit],
        deployments=[deployment],
        slack_users=[MARCO_SLACK],
    )
    assert server.count("GET", r"/repos/acme/checkout/commits") == 0
    assert not bundle.has("github/acme/checkout/commits.json")
    found = rows(build_timeline(bundle, Config()))
    assert found["Merged PR #17"][0] == "dependabot (bot)"  # an app's login, read as such
    assert found["Deployed acme/checkout aaaaaaa (main) to production"][0] == "deploy-bot (bot)"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (403, "Resource not accessible by personal access token"),
        (404, "Not Found"),
        (500, "Server Error"),
    ],
)
def test_a_failing_commits_listing_keeps_the_rows_and_the_login(
    make_server: Callable[..., FakeServer],
    ca_bundle: Path,
    tmp_path: Path,
    status: int,
    message: str,
) -> None:
    """The commits listing is optional: when GitHub refuses it (a token without Contents: read)
    or keeps failing, the repository's rows are all there, the login stays, a warning says so."""
    history = commits("marco-bianchi", "marco@acme.example")
    pulls = [pr(18, "marco-bianchi", 10)]
    deployment = fk.deployment(REPO, 45, "c" * 40, "main", at(20))
    args: dict[str, Any] = {"pulls": pulls, "history": history, "deployments": [deployment]}
    _, clean = world(tmp_path, make_server(), ca_bundle, slack_users=[MARCO_SLACK], **args)
    attempts = 4 if status == 500 else 1  # 5xx: retried (policy.retries = 3), then given up

    def fail(srv: FakeServer) -> None:
        responses = [fk.error(status, message) for _ in range(attempts)]
        srv.fail_next("GET", r"/repos/acme/checkout/commits", *responses)

    server = make_server()
    meta, bundle = world(
        tmp_path, server, ca_bundle, slack_users=[MARCO_SLACK], fault=fail, name="b", **args
    )
    assert server.unserved_faults() == 0
    assert not bundle.has("github/acme/checkout/commits.json")
    (warning,) = meta["warnings"]
    assert warning.startswith("acme/checkout: commit emails not read (")
    assert "GitHub logins keep their names unless [people] aliases map them" in warning
    assert meta["repos"] == [REPO] and "failed_repos" not in meta
    before, after = build_timeline(clean, Config()), build_timeline(bundle, Config())
    assert [(e.time, e.kind, e.key) for e in after.events] == [
        (e.time, e.kind, e.key) for e in before.events
    ]
    assert rows(before)["Merged PR #18"][0] == "Marco Bianchi"
    assert rows(after)["Merged PR #18"] == ("marco-bianchi", "github:marco-bianchi")


def test_account_ids_keep_two_people_with_one_name_apart() -> None:
    """Two Grafana accounts showing the login ``kim`` (userId 7 with an email, 9 without): a
    record cannot say which, so ``kim`` joins no one. One account (one id) whose annotations
    show two addresses is one person with both."""
    kim = Identity("slack", "kim", "kim@acme.example", "Kim Nguyen", "kim", uid="U03KIM")
    two = [
        Identity("grafana", "kim", "kim@acme.example", handle="kim", uid="7"),
        Identity("grafana", "kim", "", handle="kim", uid="9"),
    ]
    assert directory([kim, *two], PeopleConfig()).person("grafana", "kim").id == "grafana:kim"
    one = [
        Identity("grafana", "kim", "kim@acme.example", handle="kim", uid="7"),
        Identity("grafana", "kim", "kim.n@home.example", handle="kim", uid="7"),
    ]
    person = directory([kim, *one], PeopleConfig()).person("grafana", "kim")
    assert person.display == "Kim Nguyen"


def test_the_merger_is_the_actor_and_the_author_gets_one_name_too(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    """PR #1204 opened by marco-bianchi, merged by ana-souza (``merged_by`` of the PR GitHub
    returns for the PR merged in the window): Ana merged it, Marco is named as its author,
    each by the name their commit email joins them to."""
    history = [
        *commits("marco-bianchi", "marco@acme.example"),
        *commits("ana-souza", "ana@acme.example", start=-500),
    ]
    pull = fk.pull(
        REPO, 1204, "Tune pool timeout", at(30), author="marco-bianchi", merged_by="ana-souza"
    )
    _, bundle = world(
        tmp_path,
        server,
        ca_bundle,
        pulls=[pull],
        history=history,
        slack_users=[MARCO_SLACK, ANA_SLACK],
    )
    [row] = [e for e in build_timeline(bundle, Config()).events if "PR #1204" in e.summary]
    assert (row.actor, person_of(row)) == ("Ana Souza", "email:ana@acme.example")
    assert row.summary == "Merged PR #1204: Tune pool timeout (opened by Marco Bianchi)"
    assert targets_of(row) == {"email:marco@acme.example"}


def test_the_merger_of_a_pr_in_the_window_is_asked_for_too(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    """lee-t merged PR #31 (``merged_by``, read from the PR itself) and opened nothing; page 1
    of 250 commits does not show him, so his ``author=`` commits are asked for: the merge row
    reads Lee Turner, the name Slack knows by that email."""
    filler = [
        fk.commit(REPO, f"{k:040x}", "dev-ben", "ben@acme.example", at(-3000 + k))
        for k in range(240)
    ]
    history = [
        *filler,
        *commits("ana-dev", "ana@acme.example", start=-10),
        *commits("lee-t", "lee@acme.example", start=-9000),
    ]
    lee = slack_user("U06LEE", "lee", "Lee Turner", "lee@acme.example")
    pulls = [fk.pull(REPO, 31, "Tune pool timeout", at(30), author="ana-dev", merged_by="lee-t")]
    _, bundle = world(
        tmp_path, server, ca_bundle, pulls=pulls, history=history, slack_users=[ANA_SLACK, lee]
    )
    asked = [r for r in server.requests if r.path.endswith("/commits")]
    assert sorted(str(r.param("author")) for r in asked) == ["None", "lee-t"]
    [row] = [e for e in build_timeline(bundle, Config()).events if "PR #31" in e.summary]
    assert row.actor == "Lee Turner"
    assert row.summary == "Merged PR #31: Tune pool timeout (opened by Ana Souza)"
