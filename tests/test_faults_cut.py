"""Answers cut short on the wire, for every source: inside the status line, inside the headers,
right after the headers, inside a chunked body, short of its Content-Length. Each is retried like
any other cut-short answer; one that persists fails that source with a line naming the request
(exit 3, the others still render), and never passes for an empty valid answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconstruct.collectors._http import RetryPolicy
from tests.fakes.demo_world import INCIDENT_CHANNEL
from tests.fakes.server import Response
from tests.test_live_end_to_end import Live, MakeServer, row

FAST = RetryPolicy(retries=2, backoff=0.01, jitter=0)
OK = b"HTTP/1.1 200 OK\r\n"
JSON = b"Content-Type: application/json\r\n"
CUTS = {
    "in the status line": b"HTTP/1.1 20",
    "in the headers": OK + b"Content-Ty",
    "after the headers": OK + JSON + b"\r\n",
    "in a chunked body": OK + JSON + b'Transfer-Encoding: chunked\r\n\r\n20\r\n{"ok": true, ',
    "short of its length": OK + JSON + b'Content-Length: 400\r\n\r\n{"ok": true, ',
}
SOURCES = {
    # source: (method, path of a request, what its warning names)
    "pagerduty": ("GET", r"/incidents/Q3CKSTMPD1/log_entries", "log_entries"),
    "slack": ("POST", r"/api/conversations\.history", "conversations.history"),
    "github": ("GET", r"/search/issues", "pull requests"),
    "grafana": ("GET", r".*/api/annotations", "annotations"),
}


def _inject(live: Live, source: str, *responses: Response) -> None:
    """The fault on the source's request (Slack: the incident channel's history only, so the
    other channels' requests do not race it)."""
    if source == "slack":
        live.world.slack.inject("conversations.history", *responses, channel=INCIDENT_CHANNEL)
        return
    method, path, _ = SOURCES[source]
    live.world.servers[source].fail_next(method, path, *responses)


def _unserved(live: Live, source: str) -> int:
    if source == "slack":
        return live.world.slack.unserved_faults()
    return live.world.servers[source].unserved_faults()


@pytest.fixture
def live(
    make_server: MakeServer, ca_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Live:
    world = Live(make_server, ca_bundle, tmp_path, monkeypatch)
    world.policy = FAST
    return world


@pytest.mark.parametrize("cut", list(CUTS))
@pytest.mark.parametrize("source", list(SOURCES))
def test_a_cut_that_persists_fails_the_source_naming_the_request(
    live: Live, source: str, cut: str
) -> None:
    what = SOURCES[source][2]
    _inject(live, source, *[Response(raw=CUTS[cut])] * (FAST.retries + 1))
    code, out, err, dest = live.collect("--timeout", "20")
    assert code == 3, f"{source} {cut}: {err}"
    manifest = live.manifest(dest)
    assert manifest["sources"][source]["status"] == "failed", manifest["sources"][source]
    assert manifest["complete"] is False
    (line,) = [line for line in err.splitlines() if f"warning: {source}:" in line]
    assert what in line, line
    # reached, and the answer was cut short (urllib's clients read a cut inside the headers as
    # a success without a body)
    assert "cannot reach" not in line, line
    assert any(t in line for t in ("closed the connection", "cut short", "cut-short")), line
    assert "base_url ends in /api/" not in line, "not a wrong URL"
    assert "Traceback" not in err
    assert _unserved(live, source) == 0, "every retry was cut too"
    if source != "pagerduty":
        assert row(out, "Incident #4821 triggered")


@pytest.mark.parametrize("cut", list(CUTS))
@pytest.mark.parametrize("source", list(SOURCES))
def test_a_cut_once_is_retried(live: Live, source: str, cut: str) -> None:
    _inject(live, source, Response(raw=CUTS[cut]))
    code, _, err, dest = live.collect("--timeout", "20")
    assert code == 0, f"{source} {cut}: {err}"
    assert live.manifest(dest)["sources"][source]["status"] == "ok"
    assert _unserved(live, source) == 0
