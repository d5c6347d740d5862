"""A server that trickles its status line and headers a byte at a time (issue #13): no read
stalls long enough for a read timeout, and the SDK (or httpx) is still inside its send, so the
source's thread cannot end by itself. At the deadline the orchestrator cuts it off: the source
hands over the pages it read (``collectors._partial.Handover``) and its one line names the request
in flight, like a hang does. Through the real SDKs against the loopback fakes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.fakes.server import Response
from tests.test_collect_deadline import BODY, DEADLINE, SLACK_BY
from tests.test_live_end_to_end import Live, MakeServer, row

TRICKLE = Response(200, BODY, {"Content-Type": "application/json"}, trickle=0.5, trickle_head=True)
FIRST = {
    # source: (method, path of its first request, what its line names)
    "pagerduty": ("GET", r"/incidents/Q3CKSTMPD1/(log_entries|alerts|notes)", "log_entries page"),
    "slack": ("POST", r"/api/auth\.test", "auth.test"),
    "github": ("GET", r"/repos/[^/]+/[^/]+$", "repository acme/"),
    "grafana": ("GET", r".*/api/annotations", "annotations ("),
}


@pytest.fixture
def live(
    make_server: MakeServer, ca_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Live:
    return Live(make_server, ca_bundle, tmp_path, monkeypatch)


def _run(live: Live) -> tuple[int, str, str, Path]:
    started = time.monotonic()
    code, out, err, dest = live.collect("--timeout", f"{DEADLINE:g}", "--quiet")
    elapsed = time.monotonic() - started
    assert elapsed < DEADLINE + SLACK_BY, f"took {elapsed:.1f}s"
    assert "Traceback" not in err
    return code, out, err, dest


def _line(err: str, source: str) -> str:
    (line,) = [x for x in err.splitlines() if x.startswith(f"reconstruct: warning: {source}: ")]
    return line


@pytest.mark.parametrize("source", list(FIRST))
def test_a_first_request_trickling_its_head_is_named(live: Live, source: str) -> None:
    method, path, named = FIRST[source]
    live.world.servers[source].fail_next(method, path, *[TRICKLE] * 50)
    code, out, err, dest = _run(live)
    assert code == 3, err
    line = _line(err, source)
    assert line.startswith(f"reconstruct: warning: {source}: {named}"), line
    assert "no complete answer by the --timeout deadline" in line, line
    assert "rerun later or with a larger --timeout" in line, line
    sources = live.manifest(dest)["sources"]
    assert sources[source]["status"] == "failed"
    assert all(s["status"] == "ok" for n, s in sources.items() if n != source)
    assert row(out, "Declaring a SEV-1" if source != "slack" else "Incident #4821 triggered")


def test_grafana_page_2_trickling_keeps_page_1(live: Live) -> None:
    # pages of 2 annotations, newest first: page 1 holds the alert's resolution; page 2 trickles
    live.config.write_text(
        live.config.read_text().replace("[grafana]\n", "[grafana]\npage_size = 2\n")
    )
    live.world.grafana.server.fail_next("GET", r".*/api/annotations", *[TRICKLE] * 50, after=1)
    code, out, err, dest = _run(live)
    assert code == 3, err
    line = _line(err, "grafana")
    assert line.startswith("reconstruct: warning: grafana: annotations (all, page 2): "), line
    assert line.endswith("(kept: all (2 annotations))"), line
    pages = json.loads((dest / "grafana" / "annotations.json").read_text(encoding="utf-8"))
    assert sum(len(p) for p in pages) == 2
    assert live.manifest(dest)["sources"]["grafana"]["status"] == "failed"
    assert row(out, "Grafana alert CheckoutErrorRate resolved")
    assert "Grafana alert CheckoutErrorRate firing" not in out, "page 2 was never read"


def test_grafana_answering_in_time_is_whole(live: Live) -> None:
    # the control: the same small pages, no fault: no warning, every page read
    live.config.write_text(
        live.config.read_text().replace("[grafana]\n", "[grafana]\npage_size = 2\n")
    )
    code, _, err, dest = _run(live)
    assert code == 0, err
    assert "warning: grafana" not in err
    pages = json.loads((dest / "grafana" / "annotations.json").read_text(encoding="utf-8"))
    assert sum(len(p) for p in pages) > 2
