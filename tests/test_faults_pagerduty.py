"""The fault matrix (``tests/faults.py``) for PagerDuty, through the real CLI and the real SDK.

Every fault is injected into the PagerDuty fake of the demo world (the other three sources
answer normally) and the run must keep the promise of its ``Outcome``:

- COMPLETE: exit 0, the PagerDuty rows are in the draft, the manifest says ``ok``.
- WARNING: exit 0, the draft keeps what exists, stderr and the draft name what was skipped.
- PARTIAL: PagerDuty's incident GET comes first and without the incident there is nothing to
  render, so a fault there stops the run with one line (exit 1, nothing saved). A fault on the
  log entries, alerts or notes fails the source instead: the draft renders from the incident,
  the pages fetched until then and the other sources (exit 3), and the manifest's error names
  the failed fetch (``log_entries page at offset 5: ...``).

Always: no traceback, no token anywhere, and the run ends well within its ``--timeout``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconstruct.collectors._http import RetryPolicy
from tests.builtin import builtin_sources, err_lines
from tests.fakes.demo_world import TOKENS
from tests.fakes.pagerduty import error, rate_limited
from tests.fakes.server import Request, Response
from tests.faults import FAULTS, Outcome
from tests.test_live_end_to_end import Live, MakeServer, bundle_bytes, row, rows

INCIDENT = "Q3CKSTMPD1"
SERIES = rf"/incidents/{INCIDENT}/(log_entries|alerts|notes)"
LOG = rf"/incidents/{INCIDENT}/log_entries"
ALERTS = rf"/incidents/{INCIDENT}/alerts"
TIMEOUT = 8.0
"""``--timeout`` of every run; each must end well within it."""
HTML = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
# Rows only PagerDuty's records give (the log entries' and the notes' own links).
PD_ESCALATE = "Escalated to Kim Nguyen by Priya Raman"
PD_ACK_LINK = f"acme.pagerduty.com/incidents/{INCIDENT}/log_entries/R3SMSD3GTWZ76G"
PD_NOTE = "Note by Kim Nguyen: SEV-1 declared"
PD_ALERT_LINK = "acme.pagerduty.com/alerts/QXUSOCDQETOIJG"


FAST = RetryPolicy(backoff=0.0025, jitter=0)
"""Three retries per request with millisecond backoff, handed to the CLI as click's context
object; Retry-After is honoured as given. Request timeouts stay real (half the time left):
``read_timeout_once`` waits for one."""


@pytest.fixture
def live(
    make_server: MakeServer, ca_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Live:
    return Live(make_server, ca_bundle, tmp_path, monkeypatch, policy=FAST)


@dataclass
class Run:
    code: int
    out: str
    err: str
    dest: Path
    elapsed: float

    def warnings(self) -> list[str]:
        return [line for line in err_lines(self.err) if line.startswith("reconstruct: warning")]


@dataclass(frozen=True)
class Case:
    inject: Callable[[Live], None]
    check: Callable[[Live, Run], None]
    timeout: float = TIMEOUT


def run(live: Live, timeout: float) -> Run:
    started = time.monotonic()
    code, out, err, dest = live.collect("--timeout", f"{timeout:g}")
    return Run(code, out, err, dest, time.monotonic() - started)


# -- what every outcome looks like -----------------------------------------------------------
def assert_complete(live: Live, r: Run) -> None:
    assert r.code == 0, r.err
    assert r.warnings() == [], r.err
    assert row(r.out, PD_ESCALATE)
    assert PD_ACK_LINK in row(r.out, "Acknowledged by Priya Raman")
    assert row(r.out, PD_NOTE)
    assert PD_ALERT_LINK in row(r.out, "Incident #4821 triggered")
    manifest = live.manifest(r.dest)
    assert manifest["complete"] is True
    assert manifest["sources"]["pagerduty"]["status"] == "ok"
    assert manifest["sources"]["pagerduty"]["meta"]["log_entries"] == 9


def assert_warning(live: Live, r: Run, says: str) -> dict[str, object]:
    """Exit 0, one PagerDuty warning containing ``says`` on stderr and in the draft."""
    assert r.code == 0, r.err
    warnings = [w for w in r.warnings() if w.startswith("reconstruct: warning: pagerduty: ")]
    assert len(warnings) == 1, r.err
    assert says in warnings[0]
    assert says in r.out, "the draft names what was skipped too"
    manifest = live.manifest(r.dest)
    pagerduty = manifest["sources"]["pagerduty"]
    assert pagerduty["status"] == "ok"
    assert any(says in w for w in pagerduty["meta"]["warnings"])
    meta: dict[str, object] = pagerduty["meta"]
    return meta


def assert_partial(live: Live, r: Run, says: str) -> str:
    """Exit 3: PagerDuty failed (``says`` in its error), the other sources rendered."""
    assert r.code == 3, r.err
    warnings = [w for w in r.warnings() if w.startswith("reconstruct: warning: pagerduty: ")]
    assert len(warnings) == 1, r.err
    assert says in warnings[0]
    assert says in r.out, "the draft says what is missing"
    manifest = live.manifest(r.dest)
    assert manifest["complete"] is False
    pagerduty = manifest["sources"]["pagerduty"]
    assert pagerduty["status"] == "failed"
    assert says in pagerduty["error"]
    assert {n: s["status"] for n, s in builtin_sources(manifest).items() if n != "pagerduty"} == {
        "slack": "ok",
        "github": "ok",
        "grafana": "ok",
    }
    # The other sources render; the incident itself heads the draft.
    assert r.out.startswith("# Post-mortem: Checkout returning 5xx for most requests\n")
    assert row(r.out, "Declaring a SEV-1")
    assert row(r.out, "Deployed revert PR #1203")
    error: str = pagerduty["error"]
    return error


def assert_fatal(live: Live, r: Run, says: str) -> None:
    """The incident itself could not be fetched: one line, exit 1, nothing saved."""
    assert r.code == 1, r.err
    assert r.out == ""
    assert len(err_lines(r.err)) == 1, r.err
    assert r.err.startswith("reconstruct: error: pagerduty: ")
    assert says in r.err
    live.assert_nothing_saved()


# -- the cases ---------------------------------------------------------------------------------
def _rate_limited(live: Live) -> None:
    # Both concurrent series are told to wait a second; the waits overlap.
    live.world.pagerduty.server.fail_next("GET", LOG, rate_limited("1"))
    live.world.pagerduty.server.fail_next("GET", ALERTS, rate_limited("1"))


def _check_rate_limited(live: Live, r: Run) -> None:
    assert_complete(live, r)
    meta = live.manifest(r.dest)["sources"]["pagerduty"]["meta"]
    assert meta["rate_limited_waits"] == 2
    assert live.world.pagerduty.count(LOG) == 2


def _server_error_burst(live: Live) -> None:
    unavailable = error(503, "Service Unavailable", 2000)
    live.world.pagerduty.server.fail_next("GET", LOG, *[unavailable] * 3)


def _check_server_error_burst(live: Live, r: Run) -> None:
    assert_complete(live, r)
    assert live.manifest(r.dest)["sources"]["pagerduty"]["meta"]["retries"] == 3
    assert live.world.pagerduty.count(LOG) == 4


def _server_down(live: Live) -> None:
    # The incident GET succeeds; then every request of the three series gets a 503.
    unavailable = error(503, "Service Unavailable", 2000)
    live.world.pagerduty.server.fail_next("GET", SERIES, *[unavailable] * 50)


def _check_server_down(live: Live, r: Run) -> None:
    err = assert_partial(
        live,
        r,
        "log_entries page at offset 0: PagerDuty is unavailable "
        f"(503 for /incidents/{INCIDENT}/log_entries: Service Unavailable)",
    )
    assert "alerts page at offset 0: PagerDuty is unavailable (503" in err
    assert "notes: PagerDuty is unavailable (503" in err
    # No PagerDuty record (a chat post may still link the incident page it names).
    assert not [line for line in rows(r.out) if "[PD log entry]" in line or "[PD note]" in line]
    assert live.world.pagerduty.count(LOG) == 4, "three retries, then the source fails"


def _connection_refused(live: Live) -> None:
    live.world.pagerduty.server.stop()  # nothing listens on the API's port any more


def _check_connection_refused(live: Live, r: Run) -> None:
    # No incident, nothing to reconstruct: one line (the series variant: dropped connections).
    assert_fatal(live, r, "cannot reach https://127.0.0.1:")
    assert "check the network, proxy and [pagerduty] base_url" in r.err


def _read_timeout_once(live: Live) -> None:
    # A request may use half the time left (2 s of a 4 s --timeout): this answer comes too late.
    live.world.pagerduty.server.fail_next("GET", LOG, Response(delay=3.0))


def _check_read_timeout_once(live: Live, r: Run) -> None:
    assert_complete(live, r)
    assert live.manifest(r.dest)["sources"]["pagerduty"]["meta"]["retries"] == 1
    assert live.world.pagerduty.count(LOG) == 2


def _truncated_json_once(live: Live) -> None:
    cut = b'{"log_entries": [{"id": "R6GYCXCUKCVKOA", "type": "resolve_log_entry", "summ'
    live.world.pagerduty.server.fail_next(
        "GET", LOG, Response(200, cut, {"Content-Type": "application/json"})
    )


def _check_truncated_json_once(live: Live, r: Run) -> None:
    assert_complete(live, r)
    assert live.manifest(r.dest)["sources"]["pagerduty"]["meta"]["retries"] == 1
    pages = (r.dest / "pagerduty" / "log_entries.json").read_bytes()
    assert b'"summ' not in pages.replace(b'"summary"', b""), "the cut body is not kept"


def _invalid_json(live: Live) -> None:
    page = Response(200, HTML, {"Content-Type": "text/html"})
    live.world.pagerduty.server.fail_next("GET", SERIES, *[page] * 50)


def _check_invalid_json(live: Live, r: Run) -> None:
    err = assert_partial(
        live,
        r,
        f"log_entries page at offset 0: GET /incidents/{INCIDENT}/log_entries: "
        "the answer is not JSON (HTTP 200, text/html",
    )
    assert "check [pagerduty] base_url and any proxy in between" in err
    assert "nginx" not in err and "<html>" not in err, "the page itself is not quoted"


def _repeating_cursor(live: Live) -> None:
    live.world.pagerduty.max_limit = 5  # the demo's 9 log entries take two pages
    live.world.pagerduty.stuck.add("log_entries")  # the first one, ``more: true``, forever


def _check_repeating_cursor(live: Live, r: Run) -> None:
    meta = assert_warning(
        live,
        r,
        "log_entries: pagination repeated itself at offset 5 (the page held only records "
        "already seen); kept 1 page, 5 records; the list may be incomplete",
    )
    assert meta["truncated"] is True
    assert meta["log_entries"] == 5
    assert live.world.pagerduty.count(LOG) == 2, "stopped at the first repeated page"
    assert row(r.out, PD_ESCALATE)  # on the first page (newest first)
    assert PD_ACK_LINK not in r.out  # on the second, never served


def _token_expired_midrun(live: Live) -> None:
    live.world.pagerduty.max_limit = 5

    def expire(req: Request) -> Response | None:
        if req.path == LOG and req.param("offset") not in (None, "0"):
            return error(401, "Authentication failed", 2006)
        return None

    live.world.pagerduty.intercept(expire)


def _check_token_expired_midrun(live: Live, r: Run) -> None:
    err = assert_partial(
        live,
        r,
        "log_entries page at offset 5: PAGERDUTY_TOKEN was rejected (401): the key is "
        "invalid or revoked",
    )
    assert "(kept: log_entries (5), alerts (1), notes (2))" in err
    assert row(r.out, PD_ESCALATE), "the first page is kept"
    assert row(r.out, PD_NOTE)
    assert PD_ACK_LINK not in r.out
    assert live.world.pagerduty.count(LOG) == 2, "a 401 is not retried"


def _permission_one(live: Live) -> None:
    denied = error(403, "Access Denied", 2010)
    live.world.pagerduty.server.fail_next("GET", ALERTS, *[denied] * 50)


def _check_permission_one(live: Live, r: Run) -> None:
    meta = assert_warning(
        live,
        r,
        f"alerts skipped: PAGERDUTY_TOKEN lacks access to /incidents/{INCIDENT}/alerts "
        "(403: Access Denied)",
    )
    assert meta["alerts"] == 0 and meta["log_entries"] == 9 and meta["notes"] == 2
    assert row(r.out, PD_ESCALATE) and row(r.out, PD_NOTE)
    assert PD_ACK_LINK in r.out
    assert PD_ALERT_LINK not in r.out
    assert live.world.pagerduty.count(ALERTS) == 1, "a 403 is not retried"
    assert not (r.dest / "pagerduty" / "alerts.json").exists()


CASES: dict[str, Case] = {
    "rate_limited": Case(_rate_limited, _check_rate_limited),
    "server_error_burst": Case(_server_error_burst, _check_server_error_burst),
    "server_down": Case(_server_down, _check_server_down),
    "connection_refused": Case(_connection_refused, _check_connection_refused),
    "read_timeout_once": Case(_read_timeout_once, _check_read_timeout_once, timeout=4.0),
    "truncated_json_once": Case(_truncated_json_once, _check_truncated_json_once),
    "invalid_json": Case(_invalid_json, _check_invalid_json),
    "repeating_cursor": Case(_repeating_cursor, _check_repeating_cursor),
    "token_expired_midrun": Case(_token_expired_midrun, _check_token_expired_midrun),
    "permission_one": Case(_permission_one, _check_permission_one),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault(fault: str, live: Live) -> None:
    promised, what = FAULTS[fault]
    case = CASES.get(fault)
    assert case is not None, f"no PagerDuty case for fault {fault!r} ({what})"
    case.inject(live)
    r = run(live, case.timeout)
    assert r.elapsed < case.timeout * 0.9, f"took {r.elapsed:.1f}s of --timeout {case.timeout:g}"
    case.check(live, r)
    # The promised outcome, whatever the case checked in detail.
    if promised is Outcome.COMPLETE:
        assert r.code == 0 and r.warnings() == []
    elif promised is Outcome.WARNING:
        assert r.code == 0 and r.warnings()
    else:
        assert r.code in (1, 3)
    assert "Traceback" not in r.err and "Traceback" not in r.out
    for value in TOKENS.values():
        assert value not in r.out and value not in r.err
        if r.dest.exists():
            assert value.encode() not in bundle_bytes(r.dest)


def test_every_case_is_a_known_fault() -> None:
    assert sorted(CASES) == sorted(FAULTS)


# -- PARTIAL faults on the incident GET: nothing to render, one line ---------------------------
@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ("server_down", "PagerDuty is unavailable (503 for incident 4821: Service Unavailable)"),
        ("invalid_json", "GET incident 4821: the answer is not JSON (HTTP 200, text/html"),
    ],
)
def test_fault_on_the_incident_itself_is_one_line(live: Live, fault: str, says: str) -> None:
    answer = (
        error(503, "Service Unavailable", 2000)
        if fault == "server_down"
        else Response(200, HTML, {"Content-Type": "text/html"})
    )
    live.world.pagerduty.server.fail_next("GET", r"/incidents/4821", *[answer] * 50)
    r = run(live, TIMEOUT)
    assert_fatal(live, r, says)
    assert live.world.pagerduty.count(r"/incidents/4821") == 4, "three retries"
    assert all(not s.requests for n, s in live.world.servers.items() if n != "pagerduty")


# -- connections dropped on the series (connection_refused cannot hit only them) -------------------
def test_dropped_connections_on_the_series_fail_the_source(live: Live) -> None:
    live.world.pagerduty.server.fail_next("GET", SERIES, *[Response(close=True)] * 50)
    r = run(live, TIMEOUT)
    assert r.elapsed < TIMEOUT * 0.9
    closed = "closed the connection before its answer was complete"
    err = assert_partial(live, r, "log_entries page at offset 0: https://127.0.0.1:")
    assert "notes: https://127.0.0.1:" in err and "alerts page at offset 0: https://" in err
    assert err.count(closed) == 3, err  # log entries, alerts and notes, each named
    assert "cannot reach" not in err, "it was reached: the connection was closed"
    assert "Traceback" not in r.err
