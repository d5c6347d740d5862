"""The fault matrix (``tests/faults.py``) for Slack: each fault injected into the Slack fake of the
demo world, the real CLI run end to end, the promised outcome asserted on what the user sees."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconstruct.collectors._http import RetryPolicy
from reconstruct.collectors.slack.live import MISSING
from tests.builtin import err_lines
from tests.fakes.demo_world import DEPLOYS_CHANNEL, INCIDENT_CHANNEL, TOKENS
from tests.fakes.server import Response
from tests.faults import FAULTS, Outcome
from tests.test_live_end_to_end import Live, MakeServer, bundle_bytes, row, rows

HTML = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
DEADLINE = 20
HISTORY = f"conversations.history #inc-4821 ({INCIDENT_CHANNEL})"


@dataclass(frozen=True)
class Case:
    inject: Callable[[Live], None]
    says: tuple[str, ...] = ()
    """Texts of the Slack warning (WARNING, PARTIAL) or the manifest's error (PARTIAL)."""
    timeout: int = DEADLINE


def _error(status: int, body: str = HTML) -> Response:
    return Response(status, body, {"Content-Type": "text/html"})


def rate_limited(live: Live) -> None:
    limited = {"ok": False, "error": "ratelimited"}
    slack = live.world.slack
    slack.inject("conversations.history", Response(429, limited, {"Retry-After": "0"}), after=1)
    slack.inject("conversations.replies", Response(429, limited, {"Retry-After": "1"}))


def server_error_burst(live: Live) -> None:
    burst = [_error(500), _error(503), _error(500)]
    live.world.slack.inject(
        "conversations.history", *burst, after=2, channel=INCIDENT_CHANNEL
    )  # page 3 of #inc-4821


def server_down(live: Live) -> None:
    live.world.slack.server.fail_next("POST", r"/api/.*", *[_error(503)] * 50)


def connection_refused(live: Live) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    text = live.config.read_text().replace(
        live.world.slack.base_url, f"https://127.0.0.1:{port}/api/"
    )
    live.config.write_text(text)


def read_timeout_once(live: Live) -> None:
    # --timeout 6 leaves each request at most a third of the time left (~2 s): the first history
    # page of #inc-4821 answers after 3 s, times out, and is asked again.
    live.world.slack.inject("conversations.history", Response(delay=3), channel=INCIDENT_CHANNEL)


def truncated_json_once(live: Live) -> None:
    cut = Response(
        200, b'{"ok": true, "messages": [{"type": "mess', {"Content-Type": "application/json"}
    )
    live.world.slack.inject("conversations.history", cut, after=1, channel=INCIDENT_CHANNEL)


def invalid_json(live: Live) -> None:
    page = _error(200, "<html><body>Sign in to Acme SSO</body></html>")
    live.world.slack.server.fail_next("POST", r"/api/.*", *[page] * 50)


def repeating_cursor(live: Live) -> None:
    live.world.slack.repeat_cursor["conversations.history"] = 3


def token_expired_midrun(live: Live) -> None:
    live.world.slack.expire_token_after = 5  # auth.test, conversations.list, then some reads


def permission_one(live: Live) -> None:
    live.world.slack.not_in_channel.add(DEPLOYS_CHANNEL)


CASES: dict[str, Case] = {
    "rate_limited": Case(rate_limited),
    "server_error_burst": Case(server_error_burst),
    "server_down": Case(
        server_down, ("auth.test: Slack answered HTTP 503", "no Slack messages", "retry later")
    ),
    "connection_refused": Case(
        connection_refused, ("auth.test: cannot reach https://127.0.0.1:", "check the network")
    ),
    "read_timeout_once": Case(read_timeout_once, timeout=6),
    "truncated_json_once": Case(truncated_json_once),
    "invalid_json": Case(
        invalid_json,
        ("auth.test: Slack answered HTTP 200 with a body that is not JSON", "base_url"),
    ),
    "repeating_cursor": Case(
        repeating_cursor, (f"{HISTORY}: Slack's pagination returned to an earlier page",)
    ),
    "token_expired_midrun": Case(
        token_expired_midrun, ("SLACK_TOKEN was rejected (token_expired) on ", "set SLACK_TOKEN")
    ),
    "permission_one": Case(
        permission_one, (f"skipped {DEPLOYS_CHANNEL}", "/invite @reconstruct in #deploys")
    ),
}


FAST = RetryPolicy(retries=4, backoff=0.01)
"""Five tries per request with short backoff (handed to the CLI as click's context object)."""


@pytest.fixture
def live(
    make_server: MakeServer,
    ca_bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Live:
    world = Live(make_server, ca_bundle, tmp_path, monkeypatch, policy=FAST)
    # 15 per page: #inc-4821's 41 messages take three history pages.
    world.config.write_text(
        world.config.read_text().replace("[slack]\n", "[slack]\npage_size = 15\n")
    )
    return world


def test_every_fault_has_a_case() -> None:
    assert set(CASES) == set(FAULTS)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault(fault: str, live: Live) -> None:
    if fault not in CASES:
        pytest.fail(f"no Slack case for fault {fault!r}: add one to CASES")
    outcome, _ = FAULTS[fault]
    case = CASES[fault]
    clean = None
    if outcome is Outcome.COMPLETE:
        code, clean, err, _ = live.collect("--timeout", str(DEADLINE), name="clean")
        assert code == 0, err
    case.inject(live)
    began = time.monotonic()
    code, out, err, dest = live.collect("--timeout", str(case.timeout))
    elapsed = time.monotonic() - began
    assert elapsed < case.timeout, f"took {elapsed:.1f}s"
    assert "Traceback" not in err
    for text in (out, err, bundle_bytes(dest).decode(errors="replace")):
        assert TOKENS["SLACK_TOKEN"] not in text
    warnings = [line for line in err_lines(err) if line.startswith("reconstruct: warning:")]
    slack = live.manifest(dest)["sources"]["slack"]

    if outcome is Outcome.COMPLETE:
        assert code == 0, err
        assert out == clean, "retries hid the fault: the same draft"
        assert live.world.slack.unserved_faults() == 0, "the fault was really served"
        assert warnings == []
        assert slack["status"] == "ok"
    elif outcome is Outcome.WARNING:
        assert code == 0, err
        assert slack["status"] == "ok"
        assert row(out, "Declaring a SEV-1")
        (warning,) = warnings
        assert warning.startswith("reconstruct: warning: slack: ")
        assert all(text in warning for text in case.says), warning
        assert warning.removeprefix("reconstruct: warning: ") in out, "the draft says it too"
    else:
        assert code == 3, err
        assert row(out, "Acknowledged by Priya Raman")  # PagerDuty
        assert row(out, "Deployed revert PR #1203")  # GitHub and Grafana
        assert not [r for r in rows(out) if "slack.com/archives" in r]
        (warning,) = warnings
        assert warning.startswith("reconstruct: warning: slack: ")
        assert all(text in warning for text in case.says), warning
        assert slack["status"] == "failed"
        assert all(text in slack["error"] for text in case.says), slack["error"]


def test_rate_limits_are_counted_and_honoured(live: Live) -> None:
    rate_limited(live)
    code, _, err, dest = live.collect("--timeout", str(DEADLINE))
    assert code == 0, err
    meta = live.manifest(dest)["sources"]["slack"]["meta"]
    assert meta["rate_limit_waits"] == 2
    # 15 per page, one 429, and one listing per channel (3) for threads begun before the window
    assert live.world.slack.count("conversations.history") == 3 + 2 + 1 + 3


def test_a_retry_after_past_the_deadline_fails_at_once(live: Live) -> None:
    limited = Response(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "120"})
    live.world.slack.inject("conversations.history", limited, channel=INCIDENT_CHANNEL)
    began = time.monotonic()
    code, _, err, dest = live.collect("--timeout", "10")
    assert time.monotonic() - began < 5, "no sleeping towards the deadline"
    assert code == 3, err
    error = live.manifest(dest)["sources"]["slack"]["error"]
    assert f"{HISTORY} page 1: rate limited (HTTP 429)" in error
    assert "would pass the --timeout deadline" in error


CUT = Response(
    raw=b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n"
    b'{"ok": true, "messages": [{"type": "message", "ts": "17'
)
"""A history page whose body stops after 62 of its 400 bytes (the connection closed)."""
LIMITED = Response(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"})
PAGE_THREE = {
    # fault: (response, tries, what the warning says)
    "503 every time": (_error(503), 5, "Slack answered HTTP 503 (5 tries)"),
    "cut short every time": (CUT, 5, "closed the connection before its answer was complete"),
    "rate limited beyond the policy": (LIMITED, 6, "still rate limited after 5 waits"),
}


@pytest.mark.parametrize("fault", list(PAGE_THREE))
def test_a_failure_on_page_three_keeps_pages_one_and_two_and_the_other_channels(
    live: Live, fault: str
) -> None:
    # #inc-4821's 41 messages take three pages of 15; page 3 fails on every try.
    response, tries, says = PAGE_THREE[fault]
    live.world.slack.inject(
        "conversations.history", *[response] * tries, after=2, channel=INCIDENT_CHANNEL
    )
    code, out, err, dest = live.collect("--timeout", str(DEADLINE))
    assert code == 3, err
    assert live.world.slack.unserved_faults() == 0
    manifest = live.manifest(dest)
    slack = manifest["sources"]["slack"]
    assert slack["status"] == "ok" and manifest["complete"] is False
    (warning,) = [line for line in err.splitlines() if line.startswith("reconstruct: warning:")]
    assert warning.startswith(f"reconstruct: warning: slack: {HISTORY} page 3: "), warning
    assert says in warning, warning
    said = f"the messages of #inc-4821 ({INCIDENT_CHANNEL}) after page 2 are not in this draft"
    assert f"{said} (kept 30 messages)" in warning, warning
    assert MISSING not in warning and MISSING not in out
    assert list(slack["meta"]["failed_parts"]) == [INCIDENT_CHANNEL]
    pages = json.loads(
        (dest / "slack" / INCIDENT_CHANNEL / "conversations.history.json").read_text()
    )
    assert [len(p["messages"]) for p in pages] == [15, 15]
    assert row(out, "Declaring a SEV-1"), "page 1 is in the draft"
    assert (dest / "slack" / DEPLOYS_CHANNEL / "conversations.history.json").exists()


def test_a_failed_listing_of_earlier_threads_costs_only_itself(live: Live) -> None:
    # The incident channel's three window pages answer; the fourth history request, the
    # optional listing of threads begun before the window (``[slack] thread_lookback``), 503s.
    live.world.slack.inject(
        "conversations.history", *[_error(503)] * 5, after=3, channel=INCIDENT_CHANNEL
    )
    code, out, err, dest = live.collect("--timeout", str(DEADLINE))
    assert code == 3, err
    assert live.world.slack.unserved_faults() == 0
    lookback = [
        r
        for r in live.world.slack.server.requests
        if r.path.endswith("/conversations.history")
        and r.param("channel") == INCIDENT_CHANNEL
        and r.param("inclusive") in ("0", "false", "False")
    ]
    assert len(lookback) == 5, "the failing request was the lookback listing"
    slack = live.manifest(dest)["sources"]["slack"]
    assert slack["status"] == "ok"
    (warning,) = [line for line in err.splitlines() if line.startswith("reconstruct: warning:")]
    assert f"{HISTORY} (threads begun before the window) page 1: Slack answered HTTP 503" in (
        warning
    ), warning
    assert "begun before the window are not in this draft (its messages in the window are)" in (
        warning
    )
    assert list(slack["meta"]["failed_parts"]) == [INCIDENT_CHANNEL]
    pages = json.loads(
        (dest / "slack" / INCIDENT_CHANNEL / "conversations.history.json").read_text()
    )
    assert sum(len(p["messages"]) for p in pages) == 41, "every window page kept"
    assert row(out, "Declaring a SEV-1")
    assert list((dest / "slack" / INCIDENT_CHANNEL / "replies").glob("*.json")), "threads read"


def test_an_incident_channel_slack_never_serves_fails_slack_keeping_the_others(
    live: Live,
) -> None:
    # Nothing of #inc-4821 can be read: the source fails (its own channel is the point), but
    # #deploys, read meanwhile, is still written and named as kept.
    live.world.slack.inject("conversations.history", *[_error(503)] * 5, channel=INCIDENT_CHANNEL)
    code, _, err, dest = live.collect("--timeout", str(DEADLINE))
    assert code == 3, err
    slack = live.manifest(dest)["sources"]["slack"]
    assert slack["status"] == "failed"
    assert slack["error"].startswith(f"{HISTORY} page 1: Slack answered HTTP 503 (5 tries)")
    said = f"the messages of #inc-4821 ({INCIDENT_CHANNEL}) are not in this draft"
    assert said in slack["error"] and MISSING not in slack["error"], slack["error"]
    assert f"(kept: #deploys ({DEPLOYS_CHANNEL}) (0 threads), #alerts-" in slack["error"]
    assert (dest / "slack" / DEPLOYS_CHANNEL / "conversations.history.json").exists()
    assert not (dest / "slack" / INCIDENT_CHANNEL).exists()


# -- one channel or one thread that Slack does not serve: partial, the rest kept -----------------
DEPLOYS = f"#deploys ({DEPLOYS_CHANNEL})"
THREAD = "1773481780.019235"
"""The first thread of #inc-4821 (its replies: "cache hit ratio went from 97% to 12%")."""


@pytest.mark.parametrize("fault", ["503 every time", "no answer"])
def test_an_extra_channel_slack_does_not_serve_is_partial_and_named(live: Live, fault: str) -> None:
    live.policy = RetryPolicy(retries=2, backoff=0.01, timeout=0.5)
    down = _error(503) if fault == "503 every time" else Response(delay=2)
    live.world.slack.inject("conversations.history", *[down] * 20, channel=DEPLOYS_CHANNEL)
    code, out, err, dest = live.collect("--timeout", str(DEADLINE))
    assert code == 3, err
    manifest = live.manifest(dest)
    assert manifest["complete"] is False
    slack = manifest["sources"]["slack"]
    assert slack["status"] == "ok"
    assert DEPLOYS_CHANNEL in slack["meta"]["failed_parts"]
    (warning,) = [line for line in err_lines(err) if line.startswith("reconstruct: warning:")]
    assert f"conversations.history {DEPLOYS} page 1: " in warning, warning
    assert f"the messages of {DEPLOYS} are not in this draft" in warning
    assert MISSING not in warning and MISSING not in out, "Slack messages are in this draft"
    assert row(out, "Declaring a SEV-1")
    assert not (dest / "slack" / DEPLOYS_CHANNEL).exists()


def test_a_thread_whose_replies_fail_keeps_the_channel_and_other_threads(live: Live) -> None:
    live.world.slack.inject(
        "conversations.replies", *[_error(503)] * 20, channel=INCIDENT_CHANNEL
    )  # both threads' replies fail at first; the retries of one use up the faults
    code, out, err, dest = live.collect("--timeout", str(DEADLINE))
    assert code == 3, err
    manifest = live.manifest(dest)
    assert manifest["complete"] is False
    assert manifest["sources"]["slack"]["status"] == "ok"
    warnings = [line for line in err_lines(err) if line.startswith("reconstruct: warning:")]
    assert warnings, err
    for warning in warnings:
        assert "conversations.replies thread " in warning, warning
        assert "that thread's replies are not in this draft" in warning
        assert MISSING not in warning
    assert row(out, "Declaring a SEV-1")  # the channel's history is kept
    kept = dest / "slack" / INCIDENT_CHANNEL
    assert (kept / "conversations.history.json").exists()
    assert len(list((kept / "replies").glob("*.json"))) == 2 - len(warnings)


def test_ratelimited_over_http_200_is_named_as_sent(live: Live) -> None:
    # Slack may answer ok:false "ratelimited" with HTTP 200: the line must not claim a 429.
    limited = Response(200, {"ok": False, "error": "ratelimited"}, {"Retry-After": "120"})
    live.world.slack.inject("conversations.history", limited, channel=INCIDENT_CHANNEL)
    code, _, err, dest = live.collect("--timeout", "10")
    assert code == 3, err
    error = live.manifest(dest)["sources"]["slack"]["error"]
    assert f"{HISTORY} page 1: rate limited (ratelimited, HTTP 200)" in error, error
    assert "429" not in error
