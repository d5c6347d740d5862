"""Live GitHub collection through real PyGithub against the fake in tests/fakes/github.py."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors._http import RetryPolicy
from reconstruct.collectors.base import CollectContext
from reconstruct.collectors.github.live import collect, repos_for
from reconstruct.collectors.github.parse import parse
from reconstruct.config import Config, Secret
from reconstruct.errors import SourceAuthError, SourceNotFound, SourceUnavailable
from reconstruct.model import Incident, Kind, Link, Window
from tests.fakes import github as fk
from tests.fakes.server import FakeServer

TOKEN = "ghp_s3cret_value_never_printed"
WINDOW = Window(
    start=datetime(2026, 3, 14, 9, 0, tzinfo=UTC),
    end=datetime(2026, 3, 14, 11, 0, tzinfo=UTC),
    leadup_start=datetime(2026, 2, 28, 9, 0, tzinfo=UTC),
)
SHA_LIVE = "abc1234def5678abc1234def5678abc1234def56"
REPO = "acme/checkout"


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def sha_for(k: int) -> str:
    return SHA_LIVE if k == 1 else f"{k:07x}".ljust(40, "0")


class Recorder:
    def __init__(self) -> None:
        self.progress: list[str] = []
        self.sleeps: list[float] = []

    def report(self, source: str, message: str) -> None:
        assert source == "github"
        self.progress.append(message)

    def settings(self, **overrides: Any) -> RetryPolicy:
        """The policy of a test run: no backoff, a secondary limit's wait of 1 s (60 times the
        backoff of 1/60 s when a retry has none: it is 0 here), rate limits up to 30 s."""
        values: dict[str, Any] = {
            "backoff": 1 / 60,
            "jitter": 0,
            "max_wait": 30.0,
            "timeout": 10,
        }
        values.update(overrides)
        return RetryPolicy(**values)


def make_ctx(
    base_url: str,
    ca_bundle: Path | None,
    recorder: Recorder,
    *,
    repos: Iterable[str] = (REPO,),
    services: tuple[str, ...] = (),
    service_map: dict[str, list[str]] | None = None,
    environments: Iterable[str] = ("production",),
    token: str | None = TOKEN,
) -> CollectContext:
    config = Config.model_validate(
        {
            "tls": {"ca_bundle": str(ca_bundle) if ca_bundle else None},
            "github": {
                "base_url": base_url,
                "repos": list(repos),
                "services": service_map or {},
                "environments": list(environments),
            },
        }
    )
    incident = Incident(
        id="Q1ABC",
        number=1234,
        title="Checkout 5xx",
        severity="P1",
        services=services,
        started_at=WINDOW.start,
        resolved_at=WINDOW.end,
        url=None,
    )
    return CollectContext(
        config=config,
        incident=incident,
        incident_raw={},
        window=WINDOW,
        token=Secret(token, "GITHUB_TOKEN") if token else None,
        progress=recorder.report,
        sleep=recorder.sleeps.append,
    )


def run(ctx: CollectContext, tmp_path: Path, policy: RetryPolicy) -> tuple[dict[str, Any], Bundle]:
    with BundleWriter(tmp_path / "bundle", "Q1ABC") as out:
        meta = dict(collect(replace(ctx, policy=policy), out))
        out.set_source("github", "ok", meta=meta)
        path = out.finish(WINDOW, WINDOW.end + timedelta(hours=1))
    return meta, Bundle.open(path)


def big_checkout(gh: fk.FakeGitHub) -> dict[str, int]:
    """230 production deploys every 3h back from 10:30 (113 inside the leadup range), staging
    noise, 150 leadup PRs + 2 in the window + 1 before the leadup + 1 open."""
    newest = datetime(2026, 3, 14, 10, 30, tzinfo=UTC)
    deployments, statuses = [], {}
    for k in range(230):
        created = newest - timedelta(hours=3 * k)
        ident = 5000 - k
        deployments.append(fk.deployment(REPO, ident, sha_for(k), f"v3.{230 - k}", iso(created)))
        statuses[ident] = [
            fk.status(REPO, ident, 2 * ident, "in_progress", iso(created + timedelta(minutes=1))),
            fk.status(REPO, ident, 2 * ident + 1, "success", iso(created + timedelta(minutes=2))),
        ]
    for k in range(5):
        created = newest - timedelta(hours=k)
        deployments.append(
            fk.deployment(REPO, 9000 + k, sha_for(k), "main", iso(created), "staging")
        )
    leadup_start = datetime(2026, 3, 1, tzinfo=UTC)
    pulls = [
        fk.pull(REPO, 1000 + n, f"Change {n}", iso(leadup_start + timedelta(hours=2 * n)))
        for n in range(150)
    ]
    pulls += [
        fk.pull(
            REPO,
            1187,
            "Reduce product cache TTL to 60s",
            "2026-03-14T09:30:00Z",
            ("config",),
            merge_commit_sha=SHA_LIVE,
        ),
        fk.pull(REPO, 1188, "Add retry to payments client", "2026-03-14T10:15:00Z", ("retry",)),
        fk.pull(REPO, 900, "Ancient change", "2026-02-01T10:00:00Z"),
        fk.pull(REPO, 1190, "Still open", None),
    ]
    gh.add_repo(REPO, deployments=deployments, statuses=statuses, pulls=pulls)
    # Statuses asked for: the one deployment inside the window (10:30) and the lead-up walk back
    # to the 3 newest before it (07:30, 04:30, 01:30; [github] leadup_deploys = 3).
    return {"in_range": 113, "statuses": 4, "prs": 152}


@pytest.fixture
def server(make_server: Callable[..., FakeServer]) -> FakeServer:
    return make_server()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def test_pages_leadup_and_exact_request_counts(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    expected = big_checkout(gh)
    meta, bundle = run(make_ctx(gh.base_url, ca_bundle, recorder), tmp_path, recorder.settings())

    # 1 repo GET + 2 deployment pages (the 2nd reaches past the leadup start; page 3 is never
    # asked) + 1 statuses GET per deployment the timeline can show (not per in-range one: 4 of
    # 113) + 2 search pages + 2 in-window PR GETs + 1 commits page (the PRs' author, dev-ana, is
    # a person: her commit email is looked for; the repository has no commits in range).
    assert server.count("GET", r"/repos/acme/checkout") == 1
    assert server.count("GET", r"/(repos/acme/checkout|repositories/\d+)/deployments") == 2
    assert server.count("GET", r"/repos/acme/checkout/deployments/\d+/statuses") == 4
    asked = sorted(
        int(r.path.split("/")[-2]) for r in server.requests if r.path.endswith("/statuses")
    )
    assert asked == [4997, 4998, 4999, 5000], "the window's deploy, then the 3 newest before"
    assert server.count("GET", r"/search/issues") == 2
    assert server.count("GET", r"/repos/acme/checkout/pulls/\d+") == 2
    assert server.count("GET", r"/repos/acme/checkout/pulls/(1187|1188)") == 2
    assert server.count("GET", r"/repos/acme/checkout/commits") == 1
    total = 1 + 2 + expected["statuses"] + 2 + 2 + 1
    assert server.count() == total  # nothing else: no lazy completion GETs, no retries
    assert meta["requests"] == total
    assert meta["repos"] == [REPO]
    assert "failed_parts" not in meta

    # requests: per_page=100 and the environment filter; page 2 came from Link rel=next
    first = next(r for r in server.requests if r.path.endswith("/deployments"))
    assert first.query["per_page"] == ["100"] and first.query["environment"] == ["production"]
    assert any(r.path.startswith("/repositories/") for r in server.requests)
    search = next(r for r in server.requests if r.path == "/search/issues")
    q = search.query["q"][0]
    assert "repo:acme/checkout" in q and "is:pr" in q and "is:merged" in q
    assert "merged:2026-02-28T09:00:00+00:00..2026-03-14T11:00:00+00:00" in q
    assert all(r.headers["authorization"] == f"token {TOKEN}" for r in server.requests)

    # raw bodies as returned
    assert [len(p) for p in bundle.pages("github/acme/checkout/deployments.json")] == [100, 100]
    [repo_body] = bundle.pages("github/acme/checkout/repo.json")
    assert repo_body["url"] == f"{server.base_url}/repos/acme/checkout"
    search_pages = bundle.pages("github/acme/checkout/merged_prs.json")
    assert [p["total_count"] for p in search_pages] == [152, 152]
    assert bundle.files("github/acme/checkout/pulls/") == [
        "github/acme/checkout/pulls/1187.json",
        "github/acme/checkout/pulls/1188.json",
    ]

    events = list(parse(bundle))
    deploys = [e for e in events if e.kind is Kind.DEPLOY]
    changes = {e.key: e for e in events if e.kind is Kind.CHANGE}
    assert len(deploys) == expected["statuses"]
    assert meta["leadup_deployments_not_read"] == {
        REPO: expected["in_range"] - expected["statuses"]
    }, "the lead-up deployments not read are counted"
    assert len(changes) == expected["prs"]
    live = next(e for e in deploys if e.key == "github:deployment:acme/checkout:4999:success")
    # its sha is PR #1187's merge commit: the row names the PR it shipped
    assert live.summary == (
        "Deployed PR #1187 (Reduce product cache TTL to 60s) to production: "
        "acme/checkout abc1234 (v3.229)"
    )
    assert live.time == datetime(2026, 3, 14, 7, 32, tzinfo=UTC)
    assert live.refs == {"sha:abc1234", "deploy:v3.229", "pr:acme/checkout#1187"}
    assert live.tags == {
        "production",
        "requested:2026-03-14T07:30:00Z",  # its created_at
        "bot-actor:deploy-bot (bot)",  # created by an app (creator type Bot)
    }
    assert live.links == (
        Link("github", "https://ci.acme.dev/deploys/4999/9999", "deploy run"),
        Link(
            "github",
            f"https://github.com/acme/checkout/commit/{SHA_LIVE}",
            f"commit {SHA_LIVE[:7]}",
        ),
    )
    ttl = changes["github:pr:acme/checkout#1187"]
    assert ttl.summary == "Merged PR #1187: Reduce product cache TTL to 60s (labels: config)"
    assert ttl.refs == {"pr:acme/checkout#1187", "sha:abc1234"}
    assert ttl.links == (Link("github", "https://github.com/acme/checkout/pull/1187", "PR #1187"),)
    assert "github:pr:acme/checkout#900" not in changes
    assert any("4 with statuses read" in m for m in recorder.progress)


def _small(gh: fk.FakeGitHub, repo: str = REPO) -> None:
    gh.add_repo(
        repo,
        deployments=[
            fk.deployment(repo, 2, SHA_LIVE, "v2.3.1", "2026-03-14T09:40:00Z"),
            fk.deployment(repo, 1, sha_for(7), "v2.3.0", "2026-01-01T00:00:00Z"),
        ],
        statuses={
            2: [fk.status(repo, 2, 21, "failure", "2026-03-14T09:44:00Z", log_url="")],
            1: [fk.status(repo, 1, 11, "success", "2026-01-01T00:05:00Z")],
        },
        pulls=[fk.pull(repo, 7, "Tune pool timeout", "2026-03-13T10:00:00Z", ("config",))],
    )


def test_enterprise_base_url_with_api_v3_prefix(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN, prefix="/api/v3")
    _small(gh)
    assert gh.base_url.endswith("/api/v3")
    _, bundle = run(make_ctx(gh.base_url, ca_bundle, recorder), tmp_path, recorder.settings())
    assert all(r.path.startswith("/api/v3/") for r in server.requests)
    # repo + 1 deployment page + 1 statuses (the January deploy is outside the leadup) + search
    # + commits (the PR's author is a person)
    assert server.count() == 5
    events = {e.key: e for e in parse(bundle)}
    failed = events["github:deployment:acme/checkout:2:failure"]
    assert failed.summary == "Deploy of acme/checkout abc1234 (v2.3.1) to production failed"
    web = f"{server.base_url}/acme/checkout"
    assert failed.links == (
        Link("github", f"{web}/deployments", "deployments"),
        Link("github", f"{web}/commit/{SHA_LIVE}", f"commit {SHA_LIVE[:7]}"),
    )
    assert events["github:pr:acme/checkout#7"].links == (Link("github", f"{web}/pull/7", "PR #7"),)


def test_several_environments_and_service_repos(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    _small(gh)
    gh.add_repo(
        "acme/payments",
        deployments=[
            fk.deployment("acme/payments", 9, sha_for(9), "v1", "2026-03-14T09:50:00Z", "canary")
        ],
        statuses={9: [fk.status("acme/payments", 9, 91, "success", "2026-03-14T09:51:00Z")]},
    )
    ctx = make_ctx(
        gh.base_url,
        ca_bundle,
        recorder,
        environments=("production", "canary"),
        services=("Payments API",),
        service_map={"payments api": ["acme/payments"], "other": ["acme/other"]},
    )
    assert repos_for(ctx) == [REPO, "acme/payments"]
    meta, bundle = run(ctx, tmp_path, recorder.settings())
    assert meta["repos"] == [REPO, "acme/payments"]
    assert server.count("GET", r"/repos/[\w-]+/[\w-]+/deployments") == 4
    keys = {e.key for e in parse(bundle)}
    assert "github:deployment:acme/payments:9:success" in keys
    assert "github:deployment:acme/checkout:2:failure" in keys


def test_no_repos_configured_makes_no_request(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    ctx = make_ctx(server.base_url, ca_bundle, recorder, repos=(), token=None)
    meta, _ = run(ctx, tmp_path, recorder.settings())
    assert meta["repos"] == [] and "no repositories" in meta["note"]
    assert server.count() == 0


# -- errors ---------------------------------------------------------------------------------------
def collect_error(ctx: CollectContext, tmp_path: Path, policy: RetryPolicy) -> Exception:
    with BundleWriter(tmp_path / "b", "Q1ABC") as out, pytest.raises(Exception) as info:
        collect(replace(ctx, policy=policy), out)
    return info.value


def test_missing_token(server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path) -> None:
    err = collect_error(
        make_ctx(server.base_url, ca_bundle, recorder, token=None), tmp_path, recorder.settings()
    )
    assert isinstance(err, SourceAuthError)
    assert str(err).startswith("github: GITHUB_TOKEN is missing;")
    assert "`repo` scope" in str(err)
    assert server.count() == 0


def test_bad_credentials_stop_at_once(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    gh = fk.FakeGitHub(server, token="the-right-one")
    _small(gh)
    _small(gh, "acme/payments")
    ctx = make_ctx(gh.base_url, ca_bundle, recorder, repos=(REPO, "acme/payments"))
    err = collect_error(ctx, tmp_path, recorder.settings())
    assert isinstance(err, SourceAuthError)
    assert "GITHUB_TOKEN was rejected (401 Bad credentials)" in str(err)
    assert TOKEN not in str(err) and "s3cret" not in repr(err.__cause__ or "")
    assert server.count() == 1


def test_forbidden_names_the_permission(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    _small(gh)
    server.fail_next(
        "GET",
        r"/repos/acme/checkout/deployments",
        fk.error(403, "Resource not accessible by personal access token"),
    )
    err = collect_error(make_ctx(gh.base_url, ca_bundle, recorder), tmp_path, recorder.settings())
    assert isinstance(err, SourceAuthError)
    assert "GITHUB_TOKEN may not read deployments of acme/checkout (403)" in str(err)
    assert "Deployments" in str(err) and "`repo` scope" in str(err)
    assert recorder.sleeps == []


def test_saml_sso_403(server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    _small(gh)
    server.fail_next(
        "GET",
        r"/repos/acme/checkout",
        fk.error(403, "Resource protected by organization SAML enforcement."),
    )
    err = collect_error(make_ctx(gh.base_url, ca_bundle, recorder), tmp_path, recorder.settings())
    assert isinstance(err, SourceAuthError) and "SAML SSO" in str(err)


def test_unknown_repo(server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    ctx = make_ctx(gh.base_url, ca_bundle, recorder, repos=("acme/nope",))
    err = collect_error(ctx, tmp_path, recorder.settings())
    assert isinstance(err, SourceNotFound)
    assert "repository acme/nope: not found (404)" in str(err)
    assert "[github] repos" in str(err)


def test_one_repo_fails_the_other_is_kept(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    _small(gh)
    ctx = make_ctx(gh.base_url, ca_bundle, recorder, repos=("acme/gone", REPO))
    meta, bundle = run(ctx, tmp_path, recorder.settings())
    assert meta["repos"] == [REPO]
    assert set(meta["failed_parts"]) == {"acme/gone"}
    assert "not found" in meta["failed_parts"]["acme/gone"]
    assert bundle.files("github/acme/gone/") == []
    assert any(m.startswith("acme/gone failed:") for m in recorder.progress)
    assert {e.scope for e in parse(bundle)} == {"github:acme/checkout"}


def test_a_repo_failing_midway_keeps_what_was_read_of_it(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    _small(gh)
    _small(gh, "acme/payments")
    # (repositories are fetched side by side: the fault names checkout's own path)
    server.fail_next(
        "GET", r"/repos/acme/checkout/deployments/2/statuses", fk.error(422, "Validation Failed")
    )
    ctx = make_ctx(gh.base_url, ca_bundle, recorder, repos=(REPO, "acme/payments"))
    meta, bundle = run(ctx, tmp_path, recorder.settings())
    assert meta["repos"] == ["acme/payments"]
    assert "(422)" in meta["failed_parts"][REPO]
    assert meta["failed_parts"][REPO].endswith(
        "(kept: acme/checkout (2 deployments, 0 with statuses, 1 merged PR))"
    ), meta["failed_parts"]
    # the listings read whole are kept; the statuses that failed are not written
    files = bundle.files("github/acme/checkout/")
    assert "github/acme/checkout/deployments.json" in files
    assert "github/acme/checkout/merged_prs.json" in files
    assert "github/acme/checkout/statuses/2.json" not in files
    assert {e.scope for e in parse(bundle)} == {"github:acme/checkout", "github:acme/payments"}


def test_all_repos_fail(server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    ctx = make_ctx(gh.base_url, ca_bundle, recorder, repos=("acme/a", "acme/b"))
    err = collect_error(ctx, tmp_path, recorder.settings())
    assert isinstance(err, SourceNotFound)
    assert "acme/a" in str(err) and "(and 1 more repositories failed)" in str(err)


@pytest.mark.parametrize(
    ("fault", "wait"),
    [
        (lambda: fk.secondary_limit(retry_after=2, status=429), 2.0),
        (lambda: fk.secondary_limit(retry_after=3, status=403), 3.0),
        (lambda: fk.secondary_limit(retry_after=None, status=403), 1.0),  # whole seconds
        (lambda: fk.rate_limited(reset_in=5, status=403), 6.0),
        (lambda: fk.rate_limited(reset_in=5, status=429), 6.0),
    ],
)
def test_rate_limits_wait_and_report(
    server: FakeServer,
    ca_bundle: Path,
    recorder: Recorder,
    tmp_path: Path,
    fault: Callable[[], fk.Response],
    wait: float,
) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    _small(gh)
    server.fail_next("GET", r"/search/issues", fault())
    meta, _ = run(make_ctx(gh.base_url, ca_bundle, recorder), tmp_path, recorder.settings())
    assert meta["repos"] == [REPO]
    assert server.count("GET", r"/search/issues") == 2
    assert len(recorder.sleeps) == 1 and wait - 1.5 <= recorder.sleeps[0] <= wait
    waited = f"waiting {math.ceil(recorder.sleeps[0])}s"
    assert [m for m in recorder.progress if m.startswith("rate limited reading")] == [
        f"rate limited reading merged pull requests of {REPO} (search) (retry 1 of 5), {waited}"
    ]


def test_rate_limit_too_long_fails_without_waiting(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    _small(gh)
    _small(gh, "acme/payments")
    server.fail_next("GET", r"/repos/acme/checkout", fk.rate_limited(reset_in=3600))
    ctx = make_ctx(gh.base_url, ca_bundle, recorder, repos=(REPO, "acme/payments"))
    err = collect_error(ctx, tmp_path, recorder.settings())
    assert isinstance(err, SourceUnavailable) and "rate limit" in str(err)
    assert "UTC (in 1h 00m)" in str(err)
    assert recorder.sleeps == [] and server.count() == 1


def test_rate_limit_retries_are_bounded(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    _small(gh)
    server.fail_next("GET", r"/repos/acme/checkout", *[fk.secondary_limit(1, 429)] * 10)
    err = collect_error(
        make_ctx(gh.base_url, ca_bundle, recorder),
        tmp_path,
        recorder.settings(rate_limit_retries=2),
    )
    assert isinstance(err, SourceUnavailable)
    # the one wording of the shared policy (PagerDuty and Grafana say the same)
    assert str(err) == (
        "github: repository acme/checkout: GitHub still rate limited it after 2 waits "
        "(HTTP 429); wait a few minutes and rerun"
    )
    assert server.count() == 3 and recorder.sleeps == [1.0, 1.0]


def test_server_errors_are_retried_then_unavailable(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    _small(gh)
    server.fail_next("GET", r"/repos/acme/checkout", *[fk.error(502, "Server Error")] * 10)
    err = collect_error(
        make_ctx(gh.base_url, ca_bundle, recorder), tmp_path, recorder.settings(retries=3)
    )
    assert isinstance(err, SourceUnavailable)
    assert "server errors (5xx) 4 times" in str(err)
    assert server.count() == 4  # 1 + 3 bounded retries


def test_transient_server_error_recovers(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    _small(gh)
    server.fail_next("GET", r"/search/issues", fk.error(503, "Unavailable"), fk.error(500, "x"))
    meta, _ = run(make_ctx(gh.base_url, ca_bundle, recorder), tmp_path, recorder.settings())
    assert meta["repos"] == [REPO]
    assert server.count("GET", r"/search/issues") == 3


def test_untrusted_tls_names_ca_bundle(
    server: FakeServer, recorder: Recorder, tmp_path: Path
) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    _small(gh)
    err = collect_error(
        make_ctx(gh.base_url, None, recorder), tmp_path, recorder.settings(retries=0)
    )
    assert isinstance(err, SourceUnavailable) and "[tls] ca_bundle" in str(err)


def test_html_instead_of_json_points_at_base_url(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    # A GitHub Enterprise base_url without /api/v3 gets the web UI's HTML.
    server.route("GET", r"/repos/.*", lambda req, m: fk.Response(200, "<html>sign in</html>"))
    err = collect_error(
        make_ctx(server.base_url, ca_bundle, recorder), tmp_path, recorder.settings()
    )
    assert isinstance(err, SourceUnavailable) and "/api/v3" in str(err)


def test_next_link_back_to_an_earlier_page_stops_with_a_warning(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    expected = big_checkout(gh)  # 152 merged PRs: two search pages
    gh.cursor_loop.add("/search/issues")  # page 2 links back to page 1
    meta, bundle = run(make_ctx(gh.base_url, ca_bundle, recorder), tmp_path, recorder.settings())
    assert server.count("GET", r"/search/issues") == 2, "page 1 is not asked again"
    assert [len(p["items"]) for p in bundle.pages("github/acme/checkout/merged_prs.json")] == [
        100,
        52,
    ]
    [warning] = meta["warnings"]
    assert warning.startswith("merged pull requests of acme/checkout (search): GitHub's next-page")
    assert "stopped after 2 pages" in warning
    assert meta["requests"] == 1 + 2 + expected["statuses"] + 2 + 2 + 1


def test_the_leadup_walk_goes_on_past_deployments_that_never_went_live(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    # Newest first before the window: two deployments that never went live (queued, then
    # inactive), then five that did. The walk reads statuses until 3 deploys are found.
    gh = fk.FakeGitHub(server, token=TOKEN)
    start = WINDOW.start
    deployments, statuses = [], {}
    for k in range(7):
        created = start - timedelta(hours=k + 1)
        ident = 700 - k
        deployments.append(fk.deployment(REPO, ident, sha_for(k + 2), f"v{k}", iso(created)))
        state = "queued" if k < 2 else "success"
        statuses[ident] = [fk.status(REPO, ident, ident * 10, state, iso(created))]
    gh.add_repo(REPO, deployments=deployments, statuses=statuses, pulls=[])
    meta, bundle = run(make_ctx(gh.base_url, ca_bundle, recorder), tmp_path, recorder.settings())
    asked = [int(r.path.split("/")[-2]) for r in server.requests if r.path.endswith("/statuses")]
    assert sorted(asked, reverse=True) == [700, 699, 698, 697, 696]
    assert meta["leadup_deployments_not_read"] == {REPO: 2}
    deploys = [e for e in parse(bundle) if e.kind is Kind.DEPLOY]
    assert len(deploys) == 3
