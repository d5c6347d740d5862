"""Which deploys before the window the timeline shows (``[github] leadup_deploys``,
``normalize.leaddeploys``), from GitHub's wire format: collected by the real client from the
loopback fake (deployments with their ``sha``/``ref``, statuses, the merged-PR search, the default
branch's commits), parsed and normalized.

Found by a tester: with 2 lead-up deploys and the default of 3 the table showed only the newer,
unrelated one and dropped the deploy that shipped the root-cause PR (the slice of the last N
wrapped around when N exceeded the deploys there were); 2 or 4 showed both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconstruct.collectors.github.parse import parse
from reconstruct.config import Config, LeadupSettings
from reconstruct.model import Event, Kind, Link
from reconstruct.normalize import normalize
from reconstruct.normalize.leaddeploys import CLOSE
from tests.fakes import github as fk
from tests.fakes.server import FakeServer
from tests.test_github_live import REPO, TOKEN, WINDOW, Recorder, iso, make_ctx, run

ROOT = "5aa0d19" + "1" * 33
"""The squash commit of PR #3310 (the latent change), deployed 24 minutes after its merge."""
LOKI = "77b1e20" + "2" * 33
"""The squash commit of PR #3317 (unrelated), deployed two days later."""
OTHER = "0c0ffee" + "3" * 33
"""A commit no PR merged (a direct push): its deploy ships no PR the tools know of."""
MERGED = WINDOW.start - timedelta(days=3)


def world(gh: fk.FakeGitHub, *, extra_deploys: int = 0) -> None:
    """PR #3310 merged 3 days before the window and deployed 24 min later; PR #3317 merged and
    deployed the next day; ``extra_deploys`` newer deploys of a direct push after that; one
    deploy inside the window."""
    prs = [
        fk.pull(REPO, 3310, "public-api: set PodDisruptionBudget maxUnavailable", iso(MERGED)),
        fk.pull(REPO, 3317, "Increase Loki retention to 30d", iso(MERGED + timedelta(days=1))),
    ]
    commits = [
        fk.commit(REPO, LOKI, "dev-ana", "ana@acme.example", iso(MERGED + timedelta(days=1)),
                  message="Increase Loki retention to 30d (#3317)"),
        fk.commit(REPO, ROOT, "dev-ana", "ana@acme.example", iso(MERGED),
                  message="public-api: set PodDisruptionBudget maxUnavailable (#3310)\n\nbody"),
    ]  # fmt: skip
    plan: list[tuple[str, datetime]] = [
        (ROOT, MERGED + timedelta(minutes=18)),
        (LOKI, MERGED + timedelta(days=1, minutes=20)),
        *((OTHER, MERGED + timedelta(days=2, hours=k)) for k in range(extra_deploys)),
        (OTHER, WINDOW.start + timedelta(minutes=30)),
    ]
    deployments, statuses = [], {}
    for n, (sha, created) in enumerate(plan):
        ident = 4388 + n
        deployments.append(fk.deployment(REPO, ident, sha, "main", iso(created)))
        statuses[ident] = [
            fk.status(REPO, ident, 2 * ident, "success", iso(created + timedelta(minutes=6))),
            fk.status(
                REPO, ident, 2 * ident + 1, "in_progress", iso(created + timedelta(minutes=1))
            ),
        ]  # newest first, as GitHub lists statuses
    deployments.reverse()  # newest first, as GitHub lists deployments
    gh.add_repo(REPO, deployments=deployments, statuses=statuses, pulls=prs, commits=commits)


def collected(
    server: FakeServer, ca_bundle: Path, tmp_path: Path, deploys: int, **world_args: Any
) -> list[Event]:
    """Collect from a fresh fake with ``[github] leadup_deploys = deploys``; the parsed events."""
    gh = fk.FakeGitHub(server, token=TOKEN)
    world(gh, **world_args)
    recorder = Recorder()
    ctx = make_ctx(gh.base_url, ca_bundle, recorder)
    github = ctx.config.github.model_copy(update={"leadup_deploys": deploys})
    ctx = replace(ctx, config=ctx.config.model_copy(update={"github": github}))
    _, bundle = run(ctx, tmp_path / f"n{deploys}", recorder.settings())
    return list(parse(bundle))


def shown(
    events: list[Event],
    deploys: int,
    match: tuple[str, ...] = ("disruption",),
    changes: int = 5,
    service: bool = True,
) -> dict[str, tuple[str, str]]:
    """Key -> (summary, reason) of the deploy rows before the window, normalized with
    ``deploys`` as ``leadup_deploys`` and ``match`` as the lead-up terms; ``service``: REPO is
    the affected service's (each of its deploys has a tie), else no deploy has one."""
    settings = LeadupSettings(
        deploys=deploys,
        changes=changes,
        match=match,
        repos=frozenset({REPO}),
        service_repos=frozenset({REPO} if service else ()),
    )
    incident = make_ctx("https://x.invalid", None, Recorder()).incident
    rows = normalize(events, incident, WINDOW, Config(), leadup=settings).events
    return {
        e.key: (e.summary, e.reason)
        for e in rows
        if e.kind is Kind.DEPLOY and e.time < WINDOW.start
    }


@pytest.fixture
def server(make_server: Callable[..., FakeServer]) -> FakeServer:
    return make_server()


def key(ident: int) -> str:
    return f"github:deployment:{REPO}:{ident}:success"


def test_raising_the_limit_never_removes_a_row_and_counts_the_latest_first(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    events = collected(server, ca_bundle, tmp_path, 10, extra_deploys=3)  # every status read
    # no lead-up change shown (a term nothing matches): the count alone decides among the
    # deploys of a direct push (what they shipped is unknown: their repository is their tie);
    # those of PRs #3310 and #3317 shipped a change not found relevant: never rows
    by_limit = [set(shown(events, n, match=("nothing-matches",))) for n in range(6)]
    assert by_limit[0] == set()
    assert by_limit[1] == {key(4392)}, "the latest first"
    assert by_limit[2] == {key(4391), key(4392)}
    assert by_limit[3] == by_limit[4] == by_limit[5] == {key(4390), key(4391), key(4392)}
    for fewer, more in pairwise(by_limit):
        assert fewer <= more


def test_the_deploy_that_shipped_a_lead_up_change_is_shown_beyond_the_limit(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    events = collected(server, ca_bundle, tmp_path, 10, extra_deploys=3)
    rows = shown(events, 1)  # PR #3310 is shown (it matches "disruption"); 5 lead-up deploys
    assert set(rows) == {key(4388), key(4392)}, "the latest, and the one that shipped #3310"
    summary, reason = rows[key(4388)]
    assert summary == (
        "Deployed PR #3310 (public-api: set PodDisruptionBudget maxUnavailable) to production: "
        f"{REPO} 5aa0d19 (main)"
    )
    assert reason == "leadup: deploy to production that shipped PR #3310"
    assert rows[key(4392)] == (
        f"Deployed {REPO} 0c0ffee (main) to production",  # a direct push: no PR named
        "leadup: deploy to production; tie to the incident: repository of an affected service "
        f"({REPO})",
    )
    # negative: PR #3317 is not shown, so its deploy (4389) comes only within the count
    assert key(4389) not in rows
    assert set(shown(events, 0)) == {key(4388)}
    assert set(shown(events, 0, match=("nothing-matches",))) == set()


def test_a_deploy_that_shipped_a_shown_change_needs_no_tie(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    # no deploy is tied to this incident (REPO is no affected service's, nothing names them):
    # the count shows none of them, the deploy that put PR #3310 live stays
    events = collected(server, ca_bundle, tmp_path, 10, extra_deploys=2)
    rows = shown(events, 3, service=False)
    assert rows == {
        key(4388): (
            "Deployed PR #3310 (public-api: set PodDisruptionBudget maxUnavailable) to "
            f"production: {REPO} 5aa0d19 (main)",
            "leadup: deploy to production that shipped PR #3310",
        )
    }
    assert shown(events, 3, match=("nothing-matches",), service=False) == {}


def test_a_live_run_at_the_default_shows_the_deploy_that_shipped_the_root_cause(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    # the tester's case: 2 lead-up deploys, the default of 3 (it showed only the Loki deploy)
    # (the Loki deploy, tied only by its repository, shipped PR #3317, not found relevant: set
    # aside since issue #11, "Deployed PR #2288 (docs: fix README typo)" shown beside a PR #2288
    # counted as not relevant)
    events = collected(server, ca_bundle, tmp_path, Config().github.leadup_deploys)
    rows = shown(events, Config().github.leadup_deploys)
    assert set(rows) == {key(4388)}
    assert rows[key(4388)][1] == "leadup: deploy to production that shipped PR #3310"


def test_a_live_run_reads_statuses_only_for_the_latest_deploys(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    # leadup_deploys = 1 with 2 newer deploys: the root cause's deployment is listed, never read
    # (no time it went live): counted as an earlier deploy, never shown, never guessed
    events = collected(server, ca_bundle, tmp_path, 1, extra_deploys=2)
    rows = shown(events, 1)
    assert set(rows) == {key(4391)}
    assert all(e.key != key(4388) for e in events)


def test_a_deploy_row_names_the_pr_only_on_an_exact_commit(
    server: FakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    # PR #3321 merged inside the window (its single-PR body is read: merge_commit_sha and
    # head.sha); a branch deploy of its head commit, a deploy of its merge commit, and a deploy
    # of a commit that merely follows the merge (it holds the PR, but is not its commit)
    merged = WINDOW.start + timedelta(minutes=10)
    merge, head, later = "8e41c07" + "4" * 33, "e230bd1" + "5" * 33, "9d9d9d9" + "6" * 33
    pr = fk.pull(REPO, 3321, "GKE: upgrade pool-b to 1.31", iso(merged), merge_commit_sha=merge)
    pr["head"] = {"ref": "mei/pool-b-131", "sha": head}
    plan = [(head, merged - timedelta(minutes=5)), (merge, merged + timedelta(minutes=5))]
    plan.append((later, merged + timedelta(minutes=30)))
    gh = fk.FakeGitHub(server, token=TOKEN)
    deployments, statuses = [], {}
    for n, (sha, created) in enumerate(plan):
        deployments.append(fk.deployment(REPO, 70 + n, sha, "main", iso(created)))
        statuses[70 + n] = [fk.status(REPO, 70 + n, 700 + n, "success", iso(created))]
    gh.add_repo(REPO, deployments=deployments[::-1], statuses=statuses, pulls=[pr])
    recorder = Recorder()
    _, bundle = run(make_ctx(gh.base_url, ca_bundle, recorder), tmp_path, recorder.settings())
    rows = {e.key: e.summary for e in parse(bundle) if e.kind is Kind.DEPLOY}
    named = "PR #3321 (GKE: upgrade pool-b to 1.31) to production"
    assert rows == {
        key(70): f"Deployed {named}: {REPO} e230bd1 (main)",
        key(71): f"Deployed {named}: {REPO} 8e41c07 (main)",
        key(72): f"Deployed {REPO} 9d9d9d9 (main) to production",
    }


@settings(max_examples=60, deadline=None)
@given(
    hours=st.lists(st.integers(1, 300), min_size=0, max_size=8, unique=True),
    ships=st.lists(st.booleans(), min_size=8, max_size=8),
    others=st.lists(st.booleans(), min_size=8, max_size=8),
    limit=st.integers(0, 9),
)
def test_raising_the_limit_never_removes_a_row_property(
    hours: list[int], ships: list[bool], others: list[bool], limit: int
) -> None:
    """Any lead-up deploys, of the affected service's repository (a tie) or another team's
    (none), some shipping a lead-up change that is shown (its merge commit deployed): the rows
    at N are among the rows at N + 1, every shipping deploy is shown, no other team's deploy
    is, and N counts the latest tied ones (of the repository's deploys of unknown content,
    those to production within a day before the trigger: ``leaddeploys.CLOSE``)."""
    events: list[Event] = []
    shipping: set[str] = set()
    for n, hour in enumerate(hours):
        sha = f"{n + 1:x}abcdef"[:7]
        when = WINDOW.start - timedelta(hours=hour)
        repo = "acme/search-api" if others[n] else REPO
        deploy = Event(
            time=when,
            kind=Kind.DEPLOY,
            summary=f"Deployed {repo} {sha} (main) to production",
            sources=("github",),
            links=(Link("github", f"https://github.com/{repo}/commit/{sha}", f"commit {sha}"),),
            key=key(n),
            refs=frozenset({f"sha:{sha}"}),
            tags=frozenset({"production"}),
            scope=f"github:{repo}",
        )
        events.append(deploy)
        if ships[n] and not others[n]:  # a PR merged a minute before, named ("disruption")
            events.append(
                Event(
                    time=when - timedelta(minutes=1),
                    kind=Kind.CHANGE,
                    summary=f"Merged PR #{n + 1}: Tune disruption budget {n}",
                    sources=("github",),
                    links=(Link("github", f"https://github.com/{REPO}/pull/{n + 1}", "PR"),),
                    key=f"github:pr:{REPO}#{n + 1}",
                    refs=frozenset({f"pr:{REPO}#{n + 1}", f"sha:{sha}"}),
                    scope=f"github:{REPO}",
                )
            )
            shipping.add(key(n))
    # every change is shown (8 at most, the cap here): each one's deploy is a row
    now, more = set(shown(events, limit, changes=8)), set(shown(events, limit + 1, changes=8))
    assert now <= more
    assert shipping <= now
    first = make_ctx("https://x.invalid", None, Recorder()).incident.started_at
    tied = [
        e
        for e in events
        if e.kind is Kind.DEPLOY
        and e.scope == f"github:{REPO}"
        and (e.key in shipping or first - e.time <= CLOSE)
    ]
    newest = sorted(tied, key=lambda e: e.time)
    assert {e.key for e in newest[len(newest) - min(limit, len(newest)) :]} <= now
    assert len(now - shipping) <= limit
    assert not any(others[int(k.split(":")[-2])] for k in now)
