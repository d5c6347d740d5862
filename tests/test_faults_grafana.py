"""The fault matrix for Grafana: every fault of ``tests.faults.FAULTS`` injected into the Grafana
fake, and the promised ``Outcome`` checked through the real CLI against the four-fake demo world.

The retry waits and request timeout are shrunk by a ``RetryPolicy`` handed to the CLI (click's
context object): the shared retry loop, ``ctx.wait`` and the request timeouts run as in production.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconstruct.collectors._http import RetryPolicy
from tests.builtin import builtin_sources, err_lines
from tests.fakes.demo_world import TOKENS
from tests.fakes.server import Response
from tests.faults import FAULTS, Outcome
from tests.test_live_end_to_end import Live, MakeServer, bundle_bytes, row, rows

FAST = RetryPolicy(retries=4, backoff=0.01, max_wait=5.0, timeout=0.5)
"""5 attempts, with millisecond backoff and a 0.5 s request timeout."""
DEMO_IDS = [48217, 48216, 48215, 48212, 48211]
"""The demo's Grafana annotations, newest first (one page)."""
FIRING = "Grafana alert CheckoutErrorRate firing"
TIMEOUT = 10.0


@dataclass(frozen=True)
class Case:
    inject: Callable[[Live], None]
    requests: int | None
    """Requests the Grafana fake sees (None: not checked)."""
    says: tuple[str, ...] = ()
    """What the one Grafana warning line must contain (WARNING and PARTIAL)."""
    policy: RetryPolicy = FAST
    page_size: int | None = None
    """``[grafana] page_size`` (None: the default)."""


def _fail(live: Live, *responses: Response) -> None:
    live.world.grafana.server.fail_next("GET", live.world.grafana.path, *responses)


def _add_config(live: Live, *lines: str) -> None:
    # [grafana] is the last table of the demo world's config: these lines extend it.
    with live.config.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def _stop(live: Live) -> None:
    live.world.grafana.server.stop()  # the config keeps its (now closed) port


def _repeat(live: Live) -> None:
    live.world.grafana.ignore_to = True


def _expire(live: Live) -> None:
    live.world.grafana.expire_after = 1


def _forbid_one(live: Live) -> None:
    grafana = live.world.grafana
    grafana.dashboards.add("payments")
    grafana.forbidden_dashboards.add("payments")
    _add_config(live, 'dashboards = ["checkout-overview", "payments"]')


HTML = Response(200, "<!doctype html><title>Grafana</title>", {"Content-Type": "text/html"})
CUT = Response(200, b'[{"id": 48217, "ti', {"Content-Type": "application/json"})

CASES: dict[str, Case] = {
    "rate_limited": Case(
        lambda live: _fail(live, Response(429, {"message": "Too Many"}, {"Retry-After": "0"})), 2
    ),
    "server_error_burst": Case(lambda live: _fail(live, *[Response(503, "unavailable")] * 3), 4),
    "server_down": Case(
        lambda live: _fail(live, *[Response(503, {"message": "db down"})] * 50),
        5,
        ("the annotations were not fetched", "HTTP 503 5 times", "db down", "retry"),
    ),
    "connection_refused": Case(
        _stop, None, ("the annotations were not fetched", "cannot reach", "[grafana] url")
    ),
    "read_timeout_once": Case(lambda live: _fail(live, Response(200, [], delay=1.5)), 2),
    "truncated_json_once": Case(lambda live: _fail(live, CUT), 2),
    "invalid_json": Case(
        lambda live: _fail(live, *[HTML] * 20),
        1,
        ("the annotations were not fetched", "did not return JSON (text/html)", "sub-path"),
    ),
    "repeating_cursor": Case(
        _repeat,
        2,
        ("all: Grafana returned page 2 again", "kept 2 annotations", "may be missing"),
        page_size=2,
    ),
    "token_expired_midrun": Case(
        _expire,
        2,
        (
            "the annotations are cut short at page 2: ",
            "(kept: all (2 annotations))",
            "GRAFANA_TOKEN was rejected (401",
            "create a new service account token",
        ),
        page_size=2,
    ),
    "permission_one": Case(
        _forbid_one,
        2,
        ("skipped dashboard payments", "403 Forbidden", "Viewer role", "on dashboard payments"),
    ),
}


def case_for(name: str) -> Case:
    if name not in CASES:
        pytest.fail(f"fault {name!r} of tests/faults.py has no Grafana case: add it to CASES")
    return CASES[name]


def test_the_matrix_is_complete() -> None:
    assert sorted(CASES) == sorted(FAULTS), "every fault, and only those, has a Grafana case"


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault(
    name: str,
    make_server: MakeServer,
    ca_bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outcome, _ = FAULTS[name]
    case = case_for(name)
    live = Live(make_server, ca_bundle, tmp_path, monkeypatch, policy=case.policy)
    if case.page_size is not None:
        _add_config(live, f"page_size = {case.page_size}")
    case.inject(live)

    started = time.monotonic()
    code, out, err, dest = live.collect("--timeout", f"{TIMEOUT:g}")
    elapsed = time.monotonic() - started
    assert elapsed < TIMEOUT / 2, f"{name}: took {elapsed:.1f}s"

    assert "Traceback" not in out + err
    saved = bundle_bytes(dest)
    for value in TOKENS.values():
        assert value not in out and value not in err and value.encode() not in saved
    if case.requests is not None:
        assert len(live.world.grafana.requests()) == case.requests
    manifest = live.manifest(dest)
    grafana = manifest["sources"]["grafana"]
    others = {n: s["status"] for n, s in builtin_sources(manifest).items() if n != "grafana"}
    assert others == {"pagerduty": "ok", "slack": "ok", "github": "ok"}
    assert row(out, "Incident #4821 triggered")  # PagerDuty and Slack
    assert row(out, "Declaring a SEV-1")  # Slack
    warnings = [line for line in err_lines(err) if "warning" in line]
    path = dest / "grafana" / "annotations.json"
    stored = json.loads(path.read_text()) if path.exists() else []
    ids = [record["id"] for page in stored for record in page]

    if outcome is Outcome.COMPLETE:
        assert code == 0, err
        assert warnings == []
        assert grafana["status"] == "ok"
        assert grafana["meta"] == {"url": live.world.grafana.url}
        assert ids == DEMO_IDS
        assert row(out, FIRING)
        assert len([r for r in rows(out) if "[Grafana" in r]) == 5
        return

    (line,) = warnings
    assert line.startswith("reconstruct: warning: grafana: ")
    for text in case.says:
        assert text in line, f"{name}: {text!r} not in {line!r}"
    draft = out.replace("\\[", "[").replace("\\]", "]")  # Markdown escapes
    assert f"**Warning:** {line.removeprefix('reconstruct: warning: ')}" in draft
    if outcome is Outcome.WARNING:
        assert code == 0, err
        assert grafana["status"] == "ok"
        assert manifest["complete"] is True
        assert len(grafana["meta"]["warnings"]) == 1
        assert ids, "what was read is kept"
    else:
        assert outcome is Outcome.PARTIAL
        assert code == 3, err
        assert grafana["status"] == "failed"
        assert manifest["complete"] is False
        assert line == f"reconstruct: warning: grafana: {grafana['error']}"
    if name == "repeating_cursor":
        assert ids == DEMO_IDS[:2]
    if name == "token_expired_midrun":
        assert ids == DEMO_IDS[:2], "the page read before the 401 is kept"
    if name == "permission_one":
        assert grafana["meta"]["failed_parts"].keys() == {"payments"}
        assert ids == [48217, 48215, 48212], "checkout-overview's annotations are kept"
