"""Issue #7: tokens never appear in logs, errors, bundles or output, debug logging included.

The real CLI runs in a subprocess with ``RECONSTRUCT_DEBUG=1`` and Python logging at DEBUG for
everything (``pagerduty``, ``slack_sdk``, ``github``, ``urllib3``, ``httpx``, ``httpcore``...), once
against the loopback fakes (a full live run, and one where Slack rejects the token) and once on the
demo. No token value may appear on stdout, stderr, in the bundle or in the output file.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from reconstruct.logredact import redact_record
from tests.fakes.demo_world import TOKENS, DemoWorld
from tests.fakes.server import FakeServer, Response

DEBUG_RUN = (
    "import logging, sys\n"
    "logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)\n"
    "for name in ('pagerduty', 'slack_sdk', 'github', 'urllib3', 'httpx', 'httpcore'):\n"
    "    logging.getLogger(name).setLevel(logging.DEBUG)\n"
    "from reconstruct.cli import main\n"
    "sys.argv = ['reconstruct', *sys.argv[1:]]\n"
    "main()\n"
)


def debug_run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **TOKENS, "RECONSTRUCT_DEBUG": "1"}
    return subprocess.run(
        [sys.executable, "-c", DEBUG_RUN, *args, "--quiet"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def assert_no_token(*texts: str) -> None:
    for name, value in TOKENS.items():
        for text in texts:
            assert value not in text, f"{name} leaked"
            # the part after a well-known prefix, too (a log that cut the prefix off)
            assert value[8:] not in text, f"{name} leaked (in part)"


def tree_text(root: Path) -> str:
    return "".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    )


def test_debug_logging_of_a_live_run_shows_no_token(
    make_server: Callable[..., FakeServer], ca_bundle: Path, tmp_path: Path
) -> None:
    world = DemoWorld.start(make_server)
    config = world.write_config(tmp_path / "reconstruct.toml", ca_bundle)
    dest, output = tmp_path / "bundle", tmp_path / "draft.md"
    done = debug_run(
        "--incident", "4821", "--config", str(config), "--save-bundle", str(dest), "-o", str(output)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "DEBUG" in done.stderr, "the SDKs did log at DEBUG"
    assert_no_token(done.stdout, done.stderr, tree_text(dest), output.read_text())

    # A source whose token is rejected: its error line and the debug logs name no token.
    world.slack.server.fail_next(
        "POST", r".*", *[Response(200, {"ok": False, "error": "invalid_auth"})] * 20
    )
    world.slack.server.fail_next(
        "GET", r".*", *[Response(200, {"ok": False, "error": "invalid_auth"})] * 20
    )
    again = debug_run(
        "--incident", "4821", "--config", str(config), "--save-bundle", str(tmp_path / "b2")
    )
    assert again.returncode in (0, 3), again.stderr[-3000:]
    assert_no_token(again.stdout, again.stderr, tree_text(tmp_path / "b2"))


def test_debug_logging_of_the_demo_shows_no_token() -> None:
    done = debug_run("--incident", "demo")
    assert done.returncode == 0, done.stderr[-3000:]
    assert_no_token(done.stdout, done.stderr)


def test_log_records_are_redacted_whatever_the_logger(monkeypatch: object) -> None:
    """What an SDK might log (a header dict, a URL with a password) is redacted in the record."""
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("PAGERDUTY_TOKEN", TOKENS["PAGERDUTY_TOKEN"])
    record = logging.LogRecord(
        "pagerduty",
        logging.DEBUG,
        __file__,
        1,
        "headers: %r url=%s",
        ({"Authorization": f"Token token={TOKENS['PAGERDUTY_TOKEN']}"}, "https://u:pw@h/x"),
        None,
    )
    message = redact_record(record).getMessage()
    assert TOKENS["PAGERDUTY_TOKEN"] not in message and "pw@" not in message
    assert "[redacted: PAGERDUTY_TOKEN]" in message and "[redacted: password in url]" in message
