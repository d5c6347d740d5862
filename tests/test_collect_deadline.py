"""``--timeout``: a source that hangs cannot hang the run; the others still render (exit 3)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.fakes.server import Response
from tests.test_live_end_to_end import Live, MakeServer, row


@pytest.fixture
def live(
    make_server: MakeServer, ca_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Live:
    return Live(make_server, ca_bundle, tmp_path, monkeypatch)


def test_a_hanging_source_is_cut_at_the_deadline(live: Live) -> None:
    # Grafana answers nothing for 20 s; the whole run must end near the 3 s deadline.
    live.world.grafana.server.fail_next("GET", r".*/api/annotations", Response(delay=20))
    started = time.monotonic()
    code, out, err, dest = live.collect("--timeout", "3", "--quiet")
    elapsed = time.monotonic() - started
    assert elapsed < 10, f"took {elapsed:.1f}s"
    assert code == 3, err
    assert row(out, "Incident #4821 triggered")
    assert row(out, "Declaring a SEV-1")
    assert "grafana: timed out at the --timeout deadline" in err
    manifest = live.manifest(dest)
    assert manifest["sources"]["grafana"]["status"] == "failed"
    assert manifest["sources"]["slack"]["status"] == "ok"
    assert manifest["complete"] is False
    assert "Traceback" not in err


def test_no_deadline_trouble_when_sources_are_quick(live: Live) -> None:
    code, _, err, dest = live.collect("--timeout", "60", "--quiet")
    assert code == 0, err
    assert live.manifest(dest)["complete"] is True
