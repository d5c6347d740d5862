"""The fault matrix for GitHub (``tests/faults.py``): each fault injected into the GitHub fake of
the demo world, and the promised outcome checked through the real CLI with a short ``--timeout``.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconstruct.collectors._http import RetryPolicy
from tests.builtin import err_lines
from tests.fakes import github as fk
from tests.fakes.demo_world import TOKENS
from tests.fakes.server import Response
from tests.faults import FAULTS, Outcome
from tests.test_live_end_to_end import Live, MakeServer, bundle_bytes, row, rows

TIMEOUT = 5.0
FAST = RetryPolicy(backoff=0.01)
"""Three retries per request with short backoff (handed to the CLI as click's context object);
Retry-After is honoured as given."""
STATUSES = r"/repos/acme/checkout/deployments/\d+/statuses"
SEARCH = r"/search/issues"
EVERYTHING = r"/.*"


@dataclass(frozen=True)
class Case:
    inject: Callable[[Live], None]
    says: str = ""
    """Text the warning (WARNING, PARTIAL) must hold: what is missing, or the fix."""
    manifest: str = ""
    """PARTIAL: the failed fetch, as the manifest records it."""


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _set_config(live: Live, old: str, new: str) -> None:
    text = live.config.read_text()
    assert old in text
    live.config.write_text(text.replace(old, new))


def _rate_limited(live: Live) -> None:
    live.world.github.server.fail_next(
        "GET", STATUSES, fk.secondary_limit(retry_after=1, status=429)
    )


def _server_error_burst(live: Live) -> None:
    live.world.github.server.fail_next("GET", SEARCH, *[fk.error(502, "Server Error")] * 3)


def _server_down(live: Live) -> None:
    live.world.github.server.fail_next("GET", EVERYTHING, *[fk.error(503, "Unavailable")] * 50)


def _connection_refused(live: Live) -> None:
    _set_config(live, live.world.github.base_url, f"https://127.0.0.1:{_closed_port()}")


def _read_timeout_once(live: Live) -> None:
    # The per-request timeout is at most half of what --timeout leaves (about 2.5 s here).
    live.world.github.server.fail_next("GET", SEARCH, Response(503, {}, delay=3.5))


def _truncated_json_once(live: Live) -> None:
    cut = Response(
        200, b'[{"url": "https://api.github.com/re', {"Content-Type": "application/json"}
    )
    live.world.github.server.fail_next("GET", STATUSES, cut)


def _invalid_json(live: Live) -> None:
    page = Response(
        200, "<!DOCTYPE html><html>Sign in to GitHub</html>", {"Content-Type": "text/html"}
    )
    live.world.github.server.fail_next("GET", EVERYTHING, *[page] * 50)


def _repeating_cursor(live: Live) -> None:
    live.world.github.cursor_loop.add("/search/issues")


def _token_expired_midrun(live: Live) -> None:
    live.world.github.server.fail_next("GET", STATUSES, fk.error(401, "Bad credentials"))


def _permission_one(live: Live) -> None:
    gh = live.world.github
    gh.add_repo("acme/payments")
    gh.server.fail_next(
        "GET",
        r"/repos/acme/payments",
        fk.error(403, "Resource not accessible by personal access token"),
    )
    _set_config(live, 'repos = ["acme/checkout"]', 'repos = ["acme/checkout", "acme/payments"]')


CASES: dict[str, Case] = {
    "rate_limited": Case(_rate_limited),
    "server_error_burst": Case(_server_error_burst),
    "server_down": Case(
        _server_down,
        says="server errors (5xx) 4 times; it may be down, try again later",
        manifest="repository acme/checkout",
    ),
    "connection_refused": Case(
        _connection_refused,
        says="check [github] base_url and the network",
        manifest="reading repository acme/checkout",
    ),
    "read_timeout_once": Case(_read_timeout_once),
    "truncated_json_once": Case(_truncated_json_once),
    "invalid_json": Case(
        _invalid_json,
        says="check [github] base_url (GitHub Enterprise: https://HOST/api/v3)",
        manifest="an HTML page, not JSON, for repository acme/checkout",
    ),
    "repeating_cursor": Case(
        _repeating_cursor,
        says="merged pull requests of acme/checkout (search): GitHub's next-page link led back",
    ),
    "token_expired_midrun": Case(
        _token_expired_midrun,
        says="GITHUB_TOKEN was rejected (401 Bad credentials)",
        manifest="reading statuses of deployment",
    ),
    "permission_one": Case(
        _permission_one,
        says="skipped acme/payments: GITHUB_TOKEN may not read repository acme/payments (403)",
    ),
}


@pytest.fixture
def live(
    make_server: MakeServer, ca_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Live:
    return Live(make_server, ca_bundle, tmp_path, monkeypatch, policy=FAST)


def test_every_fault_has_a_case() -> None:
    assert set(CASES) == set(FAULTS), "the matrix must cover exactly tests/faults.py's FAULTS"


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_github_fault(fault: str, live: Live) -> None:
    outcome, _ = FAULTS[fault]
    case = CASES[fault]  # a fault without a case fails here
    case.inject(live)
    started = time.monotonic()
    code, out, err, dest = live.collect("--timeout", str(TIMEOUT))
    elapsed = time.monotonic() - started
    assert elapsed < TIMEOUT, f"{fault}: took {elapsed:.1f}s"

    manifest = live.manifest(dest)
    github = manifest["sources"]["github"]
    warnings = [line for line in err_lines(err) if line.startswith("reconstruct: warning:")]
    for text in (out, err):
        assert "Traceback" not in text
        assert TOKENS["GITHUB_TOKEN"] not in text
    assert TOKENS["GITHUB_TOKEN"].encode() not in bundle_bytes(dest)
    assert row(out, "Incident #4821 triggered")  # PagerDuty and Slack
    assert row(out, "Grafana alert CheckoutErrorRate firing")

    if outcome is Outcome.PARTIAL:
        assert code == 3, err
        assert github["status"] == "failed"
        assert case.manifest in github["error"], github["error"]
        assert not [r for r in rows(out) if "Merged PR #" in r or "[deploy run]" in r]
        assert len(warnings) == 1, err
        assert warnings[0].startswith("reconstruct: warning: github: ")
        assert case.says in warnings[0], warnings[0]
        assert case.says in out.replace("\\", ""), "the draft says what is missing"
        return

    assert code == 0, err
    assert github["status"] == "ok"
    assert row(out, "Merged PR #1187").startswith("| 2026-03-03 10:14 |")
    assert row(out, "Deployed revert PR #1203")
    assert github["meta"]["repos"] == ["acme/checkout"]
    if outcome is Outcome.COMPLETE:
        assert live.world.github.server.unserved_faults() == 0, "the fault was really served"
        assert warnings == [], err
        assert "warnings" not in github["meta"]
        assert manifest["complete"] is True
    else:
        assert len(warnings) == 1, err
        assert warnings[0].startswith("reconstruct: warning: github: ")
        assert case.says in warnings[0], warnings[0]
        assert case.says in out.replace("\\", "")


def test_rate_limit_wait_and_retries_are_counted(live: Live) -> None:
    _rate_limited(live)
    code, _, err, dest = live.collect("--timeout", str(TIMEOUT))
    assert code == 0, err
    meta = live.manifest(dest)["sources"]["github"]["meta"]
    assert meta["rate_limit_waits"] == 1
    assert meta["requests"] == 11  # the 10 of a clean run, one of them twice


def test_a_stalled_body_is_a_timeout_not_a_lost_connection(live: Live) -> None:
    # The headers come, then the body stops for longer than a request may wait.
    live.policy = RetryPolicy(retries=1, backoff=0.01, timeout=0.5)
    stalled = Response(200, b'[{"id": 1}]', {"Content-Type": "application/json"}, trickle=2)
    live.world.github.server.fail_next("GET", SEARCH, *[stalled] * 2)
    code, _, err, dest = live.collect("--timeout", "20")
    assert code == 3, err
    error = live.manifest(dest)["sources"]["github"]["error"]
    assert "GitHub stopped sending merged pull requests of acme/checkout (search)" in error, error
    assert "ConnectionError" not in error


def test_a_rate_limit_lifting_tomorrow_keeps_what_was_read(live: Live) -> None:
    # one 429 with a day's Retry-After stops GitHub; what was read is written and named
    live.world.github.server.fail_next(
        "GET", STATUSES, fk.secondary_limit(retry_after=86400, status=429)
    )
    code, out, err, dest = live.collect("--timeout", str(TIMEOUT))
    assert code == 3, err
    warnings = [line for line in err_lines(err) if line.startswith("reconstruct: warning:")]
    assert len(warnings) == 1, err
    line = warnings[0]
    assert line.startswith(
        "reconstruct: warning: github: GitHub rate limit reached while reading statuses of "
        "deployment "
    ), line
    assert "UTC (in 1d 0h 00m); rerun then (kept: acme/checkout (" in line, line
    assert "github" in live.manifest(dest)["sources"]
    assert any(p.startswith("github/acme/checkout/") for p in _bundle_files(dest)), "kept"
    assert row(out, "Incident #4821 triggered"), "the other sources render"


def _bundle_files(dest: Path) -> list[str]:
    return [str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()]
