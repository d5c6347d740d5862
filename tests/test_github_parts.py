"""GitHub, one part failing (issue #13): a 5xx or a cut-short answer on one repository, or on one
page of its listings, fails that repository only; what was read of it is kept (its bundle files
and a ``(kept: ...)`` note in ``failed_parts``), and the other repositories are collected whole.
Through PyGithub's requester against the loopback GitHub fake."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors.github.live import collect
from reconstruct.collectors.github.parse import parse
from reconstruct.errors import SourceError, SourceUnavailable
from reconstruct.model import Kind
from tests.fakes import github as fk
from tests.fakes.server import FakeServer, Response
from tests.test_github_live import (
    REPO,
    TOKEN,
    WINDOW,
    Recorder,
    _small,
    big_checkout,
    make_ctx,
    run,
)

OTHER = "acme/payments"


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(make_server: Callable[..., FakeServer]) -> FakeServer:
    return make_server()


CUT = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
    b'[{"id": 1, "sha": "abc'
)
FAULTS = {
    "5xx": lambda: fk.error(503, "Service Unavailable"),
    "cut-short body": lambda: Response(raw=CUT),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_one_repository_failing_leaves_the_other_whole(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path, fault: str
) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    _small(gh)
    _small(gh, OTHER)
    server.fail_next("GET", rf"/repos/{OTHER}$", *[FAULTS[fault]() for _ in range(10)])
    ctx = make_ctx(gh.base_url, ca_bundle, recorder, repos=(REPO, OTHER))
    meta, bundle = run(ctx, tmp_path, recorder.settings())
    assert meta["repos"] == [REPO]
    assert list(meta["failed_parts"]) == [OTHER]
    assert f"repository {OTHER}" in meta["failed_parts"][OTHER]
    assert "(kept:" not in meta["failed_parts"][OTHER]  # nothing of it was read
    assert meta["warnings"][0].startswith(f"skipped {OTHER}: ")
    assert {e.scope for e in parse(bundle)} == {f"github:{REPO}"}
    assert bundle.files(f"github/{OTHER}/") == []


def test_both_repositories_answering_keeps_both(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    _small(gh)
    _small(gh, OTHER)
    ctx = make_ctx(gh.base_url, ca_bundle, recorder, repos=(REPO, OTHER))
    meta, bundle = run(ctx, tmp_path, recorder.settings())
    assert meta["repos"] == [REPO, OTHER]
    assert "failed_parts" not in meta
    assert {e.scope for e in parse(bundle)} == {f"github:{REPO}", f"github:{OTHER}"}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_deployments_page_2_failing_keeps_what_was_read(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path, fault: str
) -> None:
    gh = fk.FakeGitHub(server, token=TOKEN)
    big_checkout(gh)  # 235 deployments (3 pages of 100), 152 merged PRs (2 search pages)
    # page 1 is /repos/o/r/deployments; its Link header names page 2 by the repository's id
    server.fail_next(
        "GET", r"/repositories/\d+/deployments$", *[FAULTS[fault]() for _ in range(10)]
    )
    ctx = make_ctx(gh.base_url, ca_bundle, recorder)
    with BundleWriter(tmp_path / "bundle", "Q1ABC") as out:
        with pytest.raises(SourceUnavailable) as info:
            collect(replace(ctx, policy=recorder.settings()), out)
        out.set_source("github", "failed", error=info.value.detail)
        path = out.finish(WINDOW, WINDOW.end)
    line = info.value.detail
    assert f"deployments of {REPO} (page 2)" in line, line
    assert line.endswith("152 merged PRs))"), line
    assert f"(kept: {REPO} (100 deployments, " in line, line
    bundle = Bundle.open(path)
    files = bundle.files(f"github/{REPO}/")
    assert f"github/{REPO}/merged_prs.json" in files
    changes = [e for e in parse(bundle) if e.kind is Kind.CHANGE]
    assert len(changes) >= 2  # the window's merged PRs (the lead-up's show as a count)


def test_statuses_are_read_as_each_deployments_page_arrives(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    # page 2 of the deployments never comes: the deploy in the window and the lead-up's last
    # three (all on page 1) still show, their statuses read while page 2 was awaited
    gh = fk.FakeGitHub(server, token=TOKEN)
    expected = big_checkout(gh)
    server.fail_next("GET", r"/repositories/\d+/deployments$", *[Response(delay=30)] * 10)
    deadline = time.monotonic() + 3
    ctx = replace(make_ctx(gh.base_url, ca_bundle, recorder), deadline=deadline)
    with BundleWriter(tmp_path / "bundle", "Q1ABC") as out:
        with pytest.raises(SourceError) as info:
            collect(replace(ctx, policy=recorder.settings(timeout=30)), out)
        out.set_source("github", "failed", error=info.value.detail)
        path = out.finish(WINDOW, WINDOW.end)
    line = info.value.detail
    assert f"deployments of {REPO} (page 2)" in line, line
    assert line.endswith(
        f"(kept: {REPO} (100 deployments, {expected['statuses']} with statuses, 152 merged PRs))"
    ), line
    deploys = [e for e in parse(Bundle.open(path)) if e.kind is Kind.DEPLOY]
    assert len(deploys) == expected["statuses"]
    # the bound holds: statuses only for the deployments that can be shown
    assert server.count("GET", r".*/statuses") == expected["statuses"]


def test_a_rate_limit_lifting_after_the_run_keeps_what_was_read(
    server: FakeServer, ca_bundle: Path, recorder: Recorder, tmp_path: Path
) -> None:
    # One 429 whose Retry-After is a day away stops every request, but the repositories read
    # so far are written and named; the line gives the day the limit lifts.
    gh = fk.FakeGitHub(server, token=TOKEN)
    _small(gh)
    _small(gh, OTHER)
    server.fail_next(
        "GET",
        rf"/repos/{OTHER}/deployments/\d+/statuses",
        fk.secondary_limit(retry_after=86400, status=429),
    )
    ctx = make_ctx(gh.base_url, ca_bundle, recorder, repos=(REPO, OTHER))
    with BundleWriter(tmp_path / "bundle", "Q1ABC") as out:
        with pytest.raises(SourceUnavailable) as info:
            collect(replace(ctx, policy=recorder.settings()), out)
        out.set_source("github", "failed", error=info.value.detail)
        path = out.finish(WINDOW, WINDOW.end)
    line = info.value.detail
    assert "GitHub rate limit reached while reading statuses of deployment" in line, line
    assert re.search(r"lifts at \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 1d 0h 00m\)", line), line
    assert f"(kept: {REPO} (" in line, line
    bundle = Bundle.open(path)
    assert f"github/{REPO}/deployments.json" in bundle.files(f"github/{REPO}/")
    assert f"github:{REPO}" in {e.scope for e in parse(bundle)}
