"""Issue #7, interruption: Ctrl-C (SIGINT) or SIGTERM in the middle of a live collection leaves
nothing behind: no bundle, no ``.partial-`` temp folder, no output file; one line on stderr, no
traceback, exit 130 (SIGINT) or 143 (SIGTERM).

The real CLI runs in a subprocess against the four loopback fakes serving the demo incident, each
answering slowly, and is signalled once its bundle's temp folder exists (collection has begun).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakes.demo_world import TOKENS, DemoWorld
from tests.fakes.server import FakeServer

LATENCY = 0.4


def requests(world: DemoWorld) -> int:
    return sum(server.count() for server in world.servers.values())


@pytest.mark.parametrize(
    ("signum", "code", "line"),
    [
        (signal.SIGINT, 130, "reconstruct: interrupted; nothing was written"),
        (signal.SIGTERM, 143, "reconstruct: terminated; nothing was written"),
    ],
)
def test_signal_mid_collection_leaves_nothing(
    make_server: Callable[..., FakeServer],
    ca_bundle: Path,
    tmp_path: Path,
    signum: int,
    code: int,
    line: str,
) -> None:
    world = DemoWorld.start(lambda **kw: make_server(latency=LATENCY, **kw))
    config = world.write_config(tmp_path / "reconstruct.toml", ca_bundle)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    dest = out_dir / "bundle"
    output = out_dir / "draft.md"
    env = {**os.environ, **TOKENS}
    env.pop("RECONSTRUCT_DEBUG", None)
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "reconstruct", "--incident", "4821", "--config", str(config)),
            *("--save-bundle", str(dest), "--output", str(output), "--quiet"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        # Collecting: the bundle's temp folder exists and the sources have sent requests.
        while not list(out_dir.glob(".bundle.partial-*")) or requests(world) < 3:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "collection never started"
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == code, stderr
    assert stderr.splitlines() == [line]
    assert "Traceback" not in stderr and stdout == ""
    assert list(out_dir.iterdir()) == [], "no bundle, no .partial- folder, no output file"
