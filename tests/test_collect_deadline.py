"""``--timeout``: a source that hangs cannot hang the run; the others still render (exit 3)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.builtin import builtin_sources, err_lines
from tests.fakes.server import Response
from tests.test_live_end_to_end import Live, MakeServer, row


@pytest.fixture
def live(
    make_server: MakeServer, ca_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Live:
    return Live(make_server, ca_bundle, tmp_path, monkeypatch)


def test_a_hanging_source_is_cut_at_the_deadline(live: Live) -> None:
    # Grafana answers nothing for 20 s, every time; the whole run must end near the 3 s deadline.
    live.world.grafana.server.fail_next("GET", r".*/api/annotations", *[Response(delay=20)] * 20)
    started = time.monotonic()
    code, out, err, dest = live.collect("--timeout", "3", "--quiet")
    elapsed = time.monotonic() - started
    assert elapsed < 10, f"took {elapsed:.1f}s"
    assert code == 3, err
    assert row(out, "Incident #4821 triggered")
    assert row(out, "Declaring a SEV-1")
    (line,) = [line for line in err_lines(err) if "warning: grafana:" in line]
    assert "--timeout" in line
    manifest = live.manifest(dest)
    assert manifest["sources"]["grafana"]["status"] == "failed"
    assert manifest["sources"]["slack"]["status"] == "ok"
    assert manifest["complete"] is False
    assert "Traceback" not in err


def test_no_deadline_trouble_when_sources_are_quick(live: Live) -> None:
    code, _, err, dest = live.collect("--timeout", "60", "--quiet")
    assert code == 0, err
    assert live.manifest(dest)["complete"] is True


# -- issue #13: the deadline holds for every source, from the first request ------------------------
# Each source's first request (and every retry of it) either never answers or trickles its body
# a byte every half second: no single read stalls long enough for a read timeout. The run must end
# by the deadline plus a few seconds, with one line naming the source.
DEADLINE = 3.0
SLACK_BY = 10.0
"""The whole run ends within this many seconds of a 3 s ``--timeout``."""
BODY = b'{"ok": true, "padding": "' + b"x" * 200 + b'"}'
"""A valid JSON body of about 230 bytes: trickled, it would take two minutes."""
HANGS = {
    "never answers": Response(200, BODY, {"Content-Type": "application/json"}, delay=60),
    "trickles": Response(200, BODY, {"Content-Type": "application/json"}, trickle=0.5),
}
SOURCES = {
    # source: (method, path of its first request)
    "pagerduty": ("GET", r"/incidents/Q3CKSTMPD1/(log_entries|alerts|notes)"),
    "slack": ("POST", r"/api/.*"),
    "github": ("GET", r"/repos/.*|/search/.*"),
    "grafana": ("GET", r".*/api/annotations"),
}


def _run(live: Live) -> tuple[int, str, str, Path, float]:
    started = time.monotonic()
    code, out, err, dest = live.collect("--timeout", f"{DEADLINE:g}", "--quiet")
    return code, out, err, dest, time.monotonic() - started


@pytest.mark.parametrize("hang", list(HANGS))
@pytest.mark.parametrize("source", list(SOURCES))
def test_a_source_that_hangs_or_trickles_ends_at_the_deadline(
    live: Live, source: str, hang: str
) -> None:
    method, path = SOURCES[source]
    live.world.servers[source].fail_next(method, path, *[HANGS[hang]] * 50)
    code, out, err, dest, elapsed = _run(live)
    assert elapsed < DEADLINE + SLACK_BY, f"{source} {hang}: took {elapsed:.1f}s"
    assert code == 3, err
    lines = [line for line in err_lines(err) if line.startswith(f"reconstruct: warning: {source}")]
    assert len(lines) == 1, err
    assert "--timeout" in lines[0]
    manifest = live.manifest(dest)
    assert manifest["sources"][source]["status"] == "failed"
    assert all(s["status"] == "ok" for n, s in builtin_sources(manifest).items() if n != source)
    assert row(out, "Declaring a SEV-1" if source != "slack" else "Incident #4821 triggered")
    assert "Traceback" not in err


@pytest.mark.parametrize("hang", list(HANGS))
def test_an_incident_fetch_that_hangs_or_trickles_is_one_line_exit_1(live: Live, hang: str) -> None:
    live.world.pagerduty.server.fail_next("GET", r"/incidents/4821", *[HANGS[hang]] * 50)
    code, out, err, _, elapsed = _run(live)
    assert elapsed < DEADLINE + SLACK_BY, f"{hang}: took {elapsed:.1f}s"
    assert code == 1, err
    assert out == ""
    (line,) = err_lines(err)
    assert line.startswith("reconstruct: error: pagerduty: incident 4821")
    assert "--timeout" in line
    live.assert_nothing_saved()
    assert all(not s.requests for n, s in live.world.servers.items() if n != "pagerduty")


def test_watch_applies_a_per_incident_deadline(
    make_server: MakeServer,
    ca_bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # `watch --once` with [watch] timeout = "3s": Grafana trickles its answers; the incident's
    # collection ends within seconds, naming Grafana (watch then builds it again on its next run)
    # and the setting watch really reads: `[watch] timeout`, not the CLI's --timeout.
    from tests.test_watch_end_to_end import Cron

    cron = Cron(make_server, ca_bundle, tmp_path, monkeypatch, caplog)
    toml = cron.workdir / "reconstruct.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('settle = "10m"\n', 'settle = "10m"\ntimeout = "3s"\n'))
    cron.fakes.grafana.server.fail_next("GET", r".*/api/annotations", *[HANGS["trickles"]] * 50)
    started = time.monotonic()
    _, err = cron.run()
    elapsed = time.monotonic() - started
    assert elapsed < DEADLINE + SLACK_BY, f"took {elapsed:.1f}s"
    (line,) = [line for line in err if "warning: grafana:" in line]
    assert "[watch] timeout deadline" in line, line
    assert "rerun later or with a larger [watch] timeout" in line, line
    assert "--timeout" not in line, line
    assert any("grafana failed; built again on the next run" in line for line in err)


@pytest.mark.parametrize("hang", list(HANGS))
def test_watch_bounds_its_pagerduty_poll(
    make_server: MakeServer,
    ca_bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    hang: str,
) -> None:
    # `watch --once` with [watch] timeout = "3s": the poll itself (GET /incidents?statuses[]=
    # resolved) never answers or trickles; the run ends within seconds with one line naming
    # PagerDuty and the setting to change, and queues nothing.
    from tests.test_watch_end_to_end import Cron

    cron = Cron(make_server, ca_bundle, tmp_path, monkeypatch, caplog)
    toml = cron.workdir / "reconstruct.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('settle = "10m"\n', 'settle = "10m"\ntimeout = "3s"\n'))
    cron.fakes.pagerduty.server.fail_next("GET", r"/incidents", *[HANGS[hang]] * 50)
    started = time.monotonic()
    _, err = cron.run()
    elapsed = time.monotonic() - started
    assert elapsed < DEADLINE + SLACK_BY, f"took {elapsed:.1f}s"
    lines = [line for line in err if "pagerduty" in line.lower() and "timeout" in line]
    assert lines, err
    assert all("[watch] timeout" in line and "--timeout" not in line for line in lines), lines
    assert cron.fakes.pagerduty.server.count("GET", r"/incidents/.*") == 0


@pytest.mark.parametrize("hang", list(HANGS))
def test_what_was_fetched_before_the_deadline_is_kept(live: Live, hang: str) -> None:
    # PagerDuty's log entries never come (or trickle) while its alerts and notes answer: at the
    # deadline the source fails naming the request in flight, and the notes are still rendered.
    live.world.pagerduty.server.fail_next(
        "GET", r"/incidents/Q3CKSTMPD1/log_entries", *[HANGS[hang]] * 50
    )
    code, out, err, dest, elapsed = _run(live)
    assert elapsed < DEADLINE + SLACK_BY, f"{hang}: took {elapsed:.1f}s"
    assert code == 3, err
    error = live.manifest(dest)["sources"]["pagerduty"]["error"]
    assert error.startswith("log_entries page at offset 0: "), error
    assert "--timeout deadline" in error, error
    assert error.endswith("(kept: alerts (1), notes (2))"), error
    assert row(out, "Note by Kim Nguyen: SEV-1 declared")
    (line,) = [line for line in err_lines(err) if "warning: pagerduty:" in line]
    assert "log_entries page at offset 0" in line


@pytest.mark.parametrize("hang", list(HANGS))
def test_slack_keeps_the_channels_read_before_the_deadline(live: Live, hang: str) -> None:
    # One thread's conversations.replies never comes (or trickles): at the deadline Slack fails
    # naming that request, and the history already read is still rendered.
    from tests.fakes.demo_world import INCIDENT_CHANNEL

    live.world.slack.inject("conversations.replies", *[HANGS[hang]] * 50, channel=INCIDENT_CHANNEL)
    code, out, err, dest, elapsed = _run(live)
    assert elapsed < DEADLINE + SLACK_BY, f"{hang}: took {elapsed:.1f}s"
    assert code == 3, err
    error = live.manifest(dest)["sources"]["slack"]["error"]
    assert error.startswith("conversations.replies thread "), error
    assert "--timeout deadline" in error, error
    assert f"(kept: #inc-4821 ({INCIDENT_CHANNEL}) (0 threads)" in error, error
    assert row(out, "Declaring a SEV-1")
    assert (dest / "slack" / INCIDENT_CHANNEL / "conversations.history.json").exists()
