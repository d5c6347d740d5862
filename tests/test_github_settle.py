"""A rate limit that ends the GitHub run keeps the answers already on their way
(``collectors.github.live._Run._settle``, ``SETTLE_WAIT``).

Two repositories: the demo's acme/checkout and acme/web. acme/web's deployments listing answers
late (``FakeGitHub.slow``); meanwhile acme/checkout's listing gets GitHub's primary rate-limit
answer (403, ``x-ratelimit-remaining: 0``, ``x-ratelimit-reset`` tomorrow in epoch seconds, "API
rate limit exceeded for user ID ..."; docs.github.com/en/rest/using-the-rest-api/
rate-limits-for-the-rest-api), which lifts only after the run. The run stops asking, takes in
acme/web's listing when it arrives, and keeps it: its rows and counts are there, GitHub is one
warning and the run exits 3, within ``--timeout``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from reconstruct.collectors._http import RetryPolicy
from tests.builtin import err_lines
from tests.fakes import github as fk
from tests.test_live_end_to_end import Live, MakeServer, row

TIMEOUT = 5.0
LATE = 0.5
"""Seconds acme/web's deployments listing takes to answer (well under ``SETTLE_WAIT``)."""
WEB = "acme/web"


@pytest.fixture
def live(
    make_server: MakeServer, ca_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Live:
    return Live(make_server, ca_bundle, tmp_path, monkeypatch, policy=RetryPolicy(backoff=0.01))


def _add_web(live: Live) -> None:
    """acme/web: one deployment listed from before the lead-up (no statuses are asked for it,
    so what is kept does not depend on when the listing came) and one PR merged in the incident
    window (2026-03-14, 09:42 - 10:29 UTC)."""
    gh = live.world.github
    gh.add_repo(
        WEB,
        deployments=[fk.deployment(WEB, 9001, "d" * 40, "main", "2026-02-10T12:00:00Z")],
        pulls=[
            fk.pull(WEB, 77, "Show the web banner for checkout outages", "2026-03-14T10:05:00Z")
        ],
    )
    text = live.config.read_text()
    assert 'repos = ["acme/checkout"]' in text
    live.config.write_text(
        text.replace('repos = ["acme/checkout"]', f'repos = ["acme/checkout", "{WEB}"]')
    )


def test_a_rate_limit_ending_the_run_keeps_a_repository_answered_meanwhile(live: Live) -> None:
    _add_web(live)
    gh = live.world.github
    gh.slow[rf"/repos/{WEB}/deployments"] = LATE
    gh.server.fail_next(
        "GET", r"/repos/acme/checkout/deployments", fk.rate_limited(reset_in=86400, status=403)
    )
    started = time.monotonic()
    code, out, err, dest = live.collect("--timeout", f"{TIMEOUT:g}")
    elapsed = time.monotonic() - started
    assert elapsed < TIMEOUT, f"took {elapsed:.1f}s"
    assert gh.server.unserved_faults() == 0, "the rate limit was served"

    assert code == 3, err
    warnings = [line for line in err_lines(err) if line.startswith("reconstruct: warning:")]
    assert len(warnings) == 1, err
    line = warnings[0]
    assert line.startswith(
        "reconstruct: warning: github: GitHub rate limit reached while reading deployments of "
        "acme/checkout; it lifts at "
    ), line
    assert line.endswith(
        "UTC (in 1d 0h 00m); rerun then (kept: acme/checkout (0 deployments, 0 with statuses, "
        f"7 merged PRs), {WEB} (1 deployment, 0 with statuses, 1 merged PR))"
    ), line
    assert live.manifest(dest)["sources"]["github"]["status"] == "failed"

    listed = json.loads((dest / "github" / "acme" / "web" / "deployments.json").read_text())
    assert [d["id"] for page in listed for d in page] == [9001]
    assert row(out, "Merged PR #77: Show the web banner for checkout outages").startswith(
        "| 10:05 |"
    )
    assert row(out, "Merged PR #1187: Reduce product cache TTL to 60s")
    # every record read is a row or counted: 7 + 1 PRs, the deployment from before the lead-up
    assert "- github: 9 records collected, 3 shown in the table, 6 not shown (" in out
    assert "; 1 outside the collection window)." in out
    assert row(out, "Incident #4821 triggered"), "the other sources render"
