"""At the deadline every source keeps the pages it already read (issue #13), through the shared
``collectors._partial``: the first page of a listing is answered, the next one never comes or
trickles; page one's records are in the bundle and its rows in the draft, the source is marked
failed with one warning naming it, the deadline and what was kept, and the run exits 3.
(PagerDuty's and Slack's cases: ``test_collect_deadline``.)"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.fakes.github import deployment, pull
from tests.test_collect_deadline import DEADLINE, HANGS, SLACK_BY
from tests.test_live_end_to_end import Live, MakeServer, row


@pytest.fixture
def live(
    make_server: MakeServer, ca_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Live:
    return Live(make_server, ca_bundle, tmp_path, monkeypatch)


def _run(live: Live) -> tuple[int, str, str, Path]:
    started = time.monotonic()
    code, out, err, dest = live.collect("--timeout", f"{DEADLINE:g}", "--quiet")
    elapsed = time.monotonic() - started
    assert elapsed < DEADLINE + SLACK_BY, f"took {elapsed:.1f}s"
    return code, out, err, dest


def _warning(err: str, source: str) -> str:
    (line,) = [x for x in err.splitlines() if x.startswith(f"reconstruct: warning: {source}: ")]
    assert "--timeout deadline" in line, line
    assert "Traceback" not in err
    return line


def _records(path: Path) -> int:
    pages = json.loads(path.read_text(encoding="utf-8"))
    return sum(len(p["items"] if isinstance(p, dict) else p) for p in pages)


@pytest.mark.parametrize("hang", list(HANGS))
def test_grafana_keeps_the_annotation_pages_read_before_the_deadline(live: Live, hang: str) -> None:
    # Pages of 2 annotations, newest first: page 1 holds the alert's resolution (10:26) and the
    # rollback's deploy annotation; page 2 never comes.
    live.config.write_text(
        live.config.read_text().replace("[grafana]\n", "[grafana]\npage_size = 2\n")
    )
    live.world.grafana.server.fail_next("GET", r".*/api/annotations", *[HANGS[hang]] * 50, after=1)
    code, out, err, dest = _run(live)
    assert code == 3, err
    line = _warning(err, "grafana")
    assert "the annotations are cut short at page 2: " in line
    assert line.endswith("(kept: all (2 annotations))"), line
    sources = live.manifest(dest)["sources"]
    assert sources["grafana"]["status"] == "failed"
    assert _records(dest / "grafana" / "annotations.json") == 2
    assert row(out, "Grafana alert CheckoutErrorRate resolved")
    assert "Grafana alert CheckoutErrorRate firing" not in out, "page 2 was never read"


def _filler_prs(live: Live, count: int) -> None:
    """``count`` more PRs merged in the lead-up, numbered below the demo's: the merged-PR search
    needs a second page of 100, and the demo's 8 PRs are all on the first."""
    repo = live.world.github.repos["acme/checkout"]
    for number in range(1, count + 1):
        merged = f"2026-03-0{1 + number % 3}T0{number % 10}:00:00Z"
        repo["pulls"][number] = pull("acme/checkout", number, f"Bump lib {number}", merged)


@pytest.mark.parametrize("hang", list(HANGS))
def test_github_keeps_the_merged_prs_read_before_the_deadline(live: Live, hang: str) -> None:
    _filler_prs(live, 100)
    live.world.github.server.fail_next("GET", r"/search/issues", *[HANGS[hang]] * 50, after=1)
    code, out, err, dest = _run(live)
    assert code == 3, err
    line = _warning(err, "github")
    assert "merged pull requests of acme/checkout (search) (page 2)" in line, line
    assert line.endswith("(kept: acme/checkout (5 deployments, 4 with statuses, 100 merged PRs))")
    assert live.manifest(dest)["sources"]["github"]["status"] == "failed"
    assert _records(dest / "github" / "acme" / "checkout" / "merged_prs.json") == 100
    assert row(out, "Merged PR #1187").startswith("| 2026-03-03 10:14 |")
    assert "[deploy run](https://deploy.acme.example/checkout/runs/2301877465)" in row(
        out, "to production: acme/checkout 4f2c9e1"
    ), "the listings that were complete are kept whole"


@pytest.mark.parametrize("hang", list(HANGS))
def test_github_keeps_the_deployments_listed_before_the_deadline(live: Live, hang: str) -> None:
    # 100 more lead-up deployments: the listing (newest first) needs a second page, which the
    # ``Link`` header names by the repository's id; it never comes. Page one's deployments are
    # kept and counted, and the statuses of those that can show were asked for as page one
    # arrived (issue #13): the rollback during the incident is a row although page two hangs.
    repo = live.world.github.repos["acme/checkout"]
    for n in range(100):
        created = f"2026-03-0{1 + n % 2}T{n % 24:02d}:{n % 60:02d}:00Z"
        repo["deployments"].append(deployment("acme/checkout", 1000 + n, "c" * 40, "main", created))
    repo_id = repo["repo"]["id"]
    live.world.github.server.fail_next(
        "GET", rf"/repositories/{repo_id}/deployments", *[HANGS[hang]] * 50
    )
    code, out, err, dest = _run(live)
    assert code == 3, err
    line = _warning(err, "github")
    assert "deployments of acme/checkout (page 2)" in line, line
    assert "(kept: acme/checkout (100 deployments, 4 with statuses, 7 merged PRs))" in line
    assert _records(dest / "github" / "acme" / "checkout" / "deployments.json") == 100
    assert row(out, "Merged PR #1187")
    assert row(out, "Deployed revert PR #1203")
    assert "deployments whose statuses were not read" not in out


def test_what_was_kept_is_added_to_a_new_error_of_the_same_kind() -> None:
    from reconstruct.collectors._partial import keeping
    from reconstruct.errors import SourceAuthError, SourceTimedOut

    late = SourceTimedOut("github", "search (page 2): no complete answer by the deadline")
    kept = keeping(late, ["acme/checkout (5 deployments)", ""])
    assert type(kept) is SourceTimedOut and kept.source == "github"
    assert kept.detail == f"{late.detail} (kept: acme/checkout (5 deployments))"
    revoked = SourceAuthError("slack", "token_revoked")
    alone = keeping(revoked, [])
    assert (type(alone), alone.detail) == (SourceAuthError, "token_revoked")
    assert alone is not revoked, "a new error: `raise keeping(exc, ...) from exc` is no cycle"
