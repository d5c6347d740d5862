"""Progress on stderr: shown on a terminal once collection takes over ~2 s, never in pipes or
with --quiet. The real CLI runs with its stderr on a pseudo-terminal against slow fakes."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakes.demo_world import TOKENS, DemoWorld
from tests.fakes.server import FakeServer

LATENCY = 0.5  # per request: the demo's ~25 requests take well over 2 s


def run_on_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run with stderr on a pty (a terminal) and stdout on a pipe; return code, stdout, pty text."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    stdout, _ = proc.communicate(timeout=30)
    return proc.returncode, stdout.decode(), b"".join(chunks).decode(errors="replace")


@pytest.fixture
def slow_world(
    make_server: Callable[..., FakeServer], ca_bundle: Path, tmp_path: Path
) -> tuple[list[str], dict[str, str]]:
    world = DemoWorld.start(lambda **kw: make_server(latency=LATENCY, **kw))
    config = world.write_config(tmp_path / "reconstruct.toml", ca_bundle)
    args = [
        *(sys.executable, "-m", "reconstruct", "--incident", "4821", "--config", str(config)),
        *("--save-bundle", str(tmp_path / "bundle"), "--format", "json"),
    ]
    env = {**os.environ, **TOKENS, "COLUMNS": "120", "TERM": "xterm"}
    return args, env


def test_a_slow_collection_shows_progress_on_a_terminal(slow_world) -> None:
    args, env = slow_world
    code, stdout, terminal = run_on_terminal(args, env)
    assert code == 0, terminal
    assert stdout.startswith("{"), "the draft still goes to stdout, untouched by progress"
    shown = [name for name in ("pagerduty", "slack", "github", "grafana") if name in terminal]
    assert len(shown) >= 2, terminal
    assert "evidence bundle saved in" in terminal


def test_quiet_shows_no_progress_even_on_a_terminal(slow_world) -> None:
    args, env = slow_world
    code, stdout, terminal = run_on_terminal([*args, "--quiet"], env)
    assert code == 0, terminal
    assert stdout.startswith("{")
    assert terminal.strip().splitlines() == [
        line for line in terminal.strip().splitlines() if line.startswith("reconstruct:")
    ]
