"""Issue #14: Ctrl-C (SIGINT) or SIGTERM in the middle of ``reconstruct watch --once`` gives back
the lease it holds and exits 130 or 143, so the next run goes on at once (not 30 minutes later)
and delivers exactly once.

The real CLI runs in a subprocess against the loopback fakes serving the demo incident, each
answering slowly, and is signalled once it is collecting the incident's evidence.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconstruct.cli import cli
from reconstruct.watch.state import State
from tests.fakes.demo_world import INCIDENT_ID, TOKENS, DemoWorld
from tests.fakes.server import FakeServer

LATENCY = 0.3
RESOLVED = datetime(2026, 3, 14, 10, 29, 31, tzinfo=UTC)
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ reconstruct: ")


@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["ctrl-c", "sigterm"],
)
def test_a_signal_mid_run_gives_the_lease_back_and_the_next_run_delivers_once(
    make_server: Callable[..., FakeServer],
    ca_bundle: Path,
    tmp_path: Path,
    signum: int,
    code: int,
    word: str,
) -> None:
    world = DemoWorld.start(lambda **kw: make_server(latency=LATENCY, **kw))
    out = tmp_path / "drafts"
    lookback = (datetime.now(UTC) - RESOLVED).days + 30
    config = tmp_path / "reconstruct.toml"
    config.write_text(
        world.config_text(ca_bundle)
        + f'\n[watch]\nlookback = "{lookback}d"\n[deliver]\ndir = "{out}"\n',
        encoding="utf-8",
    )
    state = tmp_path / "state" / "watch.sqlite"
    args = ["watch", "--once", "--state", str(state), "--config", str(config)]
    env = {**os.environ, **TOKENS}
    env.pop("RECONSTRUCT_DEBUG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconstruct", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    log_entries = r"/incidents/[^/]+/log_entries"
    try:
        deadline = time.monotonic() + 60
        while world.pagerduty.server.count("GET", log_entries) == 0:  # collecting
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "collection never started"
            time.sleep(0.02)
        row = State(state).get(INCIDENT_ID)
        assert row is not None and row.owner is not None, "the run holds the lease"
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr and stdout == ""
    lines = stderr.splitlines()
    assert all(STAMP.match(line) for line in lines), lines
    assert STAMP.sub("", lines[-1]) == f"{word}; the next run picks up what was left", lines
    row = State(state).get(INCIDENT_ID)
    assert row is not None and (row.owner, row.lease_until) == (None, None)
    assert row.status == "pending" and row.failures == 0
    assert not list(out.glob("*.md"))

    # the next run goes on at once and delivers exactly once; the one after it does nothing
    for delivered in (1, 0):
        result = CliRunner().invoke(cli, args, env=TOKENS, catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        summary = STAMP.sub("", result.stderr.splitlines()[-1])
        assert summary.startswith(f"watch: 0 queued, {delivered} delivered, 0 failed"), summary
    assert [p.name for p in out.glob("*.md")] == [
        "2026-03-14-checkout-returning-5xx-for-most-requests.md"
    ]
    assert not list((state.parent / "watch.bundles").glob(".*.partial-*")), "nothing half-written"


@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["ctrl-c", "sigterm"],
)
def test_serve_stops_on_a_signal_with_its_exit_code(
    tmp_path: Path, signum: int, code: int, word: str
) -> None:
    import socket

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "reconstruct.toml"
    config.write_text(f'[deliver]\ndir = "{tmp_path / "out"}"\n[serve]\nport = {port}\n')
    env = {**os.environ, "PAGERDUTY_WEBHOOK_SECRET": "whsec-test"}
    env.pop("RECONSTRUCT_DEBUG", None)
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "reconstruct", "serve", "--config", str(config)),
            *("--state", str(tmp_path / "s.sqlite")),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "serve never answered"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)  # not listening yet
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr and stdout == ""
    assert STAMP.sub("", stderr.splitlines()[-1]) == f"{word}; the next run picks up what was left"


def test_ctrl_c_while_the_loop_waits_exits_130(
    make_server: Callable[..., FakeServer], ca_bundle: Path, tmp_path: Path
) -> None:
    world = DemoWorld.start(make_server)
    world.pagerduty.incidents.clear()  # nothing to do: the loop polls, then waits
    config = tmp_path / "reconstruct.toml"
    config.write_text(
        world.config_text(ca_bundle) + f'\n[deliver]\ndir = "{tmp_path / "drafts"}"\n',
        encoding="utf-8",
    )
    state = tmp_path / "watch.sqlite"
    env = {**os.environ, **TOKENS}
    env.pop("RECONSTRUCT_DEBUG", None)
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "reconstruct", "watch", "--config", str(config)),
            *("--state", str(state)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not state.exists() or State(state).checkpoint() is None:  # the first poll is done
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the loop never polled"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and stdout == ""
    assert STAMP.sub("", stderr.splitlines()[-1]) == (
        "interrupted; the next run picks up what was left"
    )
