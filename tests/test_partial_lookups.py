"""At the ``--timeout`` deadline Slack keeps the history pages it already read, as PagerDuty,
GitHub and Grafana do (``collectors._partial``), and a people lookup that cannot finish makes
the run partial for every source alike: exit 3 with one warning naming the source and what is
missing (issue #13). The real CLI, the real SDKs, the demo world's loopback fakes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.fakes.demo_world import DEPLOYS_CHANNEL, INCIDENT_CHANNEL
from tests.test_collect_deadline import DEADLINE, HANGS, SLACK_BY
from tests.test_live_end_to_end import Live, MakeServer, row, rows

INC = f"#inc-4821 ({INCIDENT_CHANNEL})"


@pytest.fixture
def live(
    make_server: MakeServer, ca_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Live:
    world = Live(make_server, ca_bundle, tmp_path, monkeypatch)
    # 15 per page: #inc-4821's 41 messages take three history pages.
    world.config.write_text(
        world.config.read_text().replace("[slack]\n", "[slack]\npage_size = 15\n")
    )
    return world


def _run(live: Live) -> tuple[int, str, str, Path]:
    started = time.monotonic()
    code, out, err, dest = live.collect("--timeout", f"{DEADLINE:g}", "--quiet")
    elapsed = time.monotonic() - started
    assert elapsed < DEADLINE + SLACK_BY, f"took {elapsed:.1f}s"
    assert "Traceback" not in err
    return code, out, err, dest


def _warnings(err: str, source: str) -> list[str]:
    return [x for x in err.splitlines() if x.startswith(f"reconstruct: warning: {source}: ")]


def _messages(dest: Path, channel: str) -> int:
    pages = json.loads((dest / "slack" / channel / "conversations.history.json").read_text())
    return sum(len(p["messages"]) for p in pages)


@pytest.mark.parametrize("hang", list(HANGS))
def test_slack_keeps_the_incident_channels_pages_read_before_the_deadline(
    live: Live, hang: str
) -> None:
    # Page 1 of #inc-4821 answers; page 2 never comes (or trickles).
    live.world.slack.inject(
        "conversations.history", *[HANGS[hang]] * 50, after=1, channel=INCIDENT_CHANNEL
    )
    code, out, err, dest = _run(live)
    assert code == 3, err
    (line,) = _warnings(err, "slack")
    assert f"conversations.history {INC} page 2" in line, line
    assert "--timeout" in line, line
    assert f"{INC} (15 messages; its later pages and threads not read)" in line, line
    assert f"#deploys ({DEPLOYS_CHANNEL}) (" in line, "the other channels are kept too"
    assert live.manifest(dest)["sources"]["slack"]["status"] == "failed"
    assert _messages(dest, INCIDENT_CHANNEL) == 15, "page 1 is in the bundle"
    assert [r for r in rows(out) if f"slack.com/archives/{INCIDENT_CHANNEL}" in r]


@pytest.mark.parametrize("hang", list(HANGS))
def test_slack_keeps_every_window_page_when_the_earlier_threads_listing_hangs(
    live: Live, hang: str
) -> None:
    # The three window pages answer; the fourth history request of #inc-4821, the optional
    # listing of threads begun before the window, never comes (or trickles): the run ends at
    # the deadline with every window page and the window's threads kept.
    live.world.slack.inject(
        "conversations.history", *[HANGS[hang]] * 50, after=3, channel=INCIDENT_CHANNEL
    )
    code, out, err, dest = _run(live)
    assert code == 3, err
    (line,) = _warnings(err, "slack")
    assert f"{INC} (threads begun before the window) page 1" in line, line
    # The listing runs beside the window's threads, so their replies were read meanwhile.
    assert f"(kept: {INC} (2 threads), #deploys ({DEPLOYS_CHANNEL}) (0 threads)" in line, line
    assert _messages(dest, INCIDENT_CHANNEL) == 41
    assert len(list((dest / "slack" / INCIDENT_CHANNEL / "replies").glob("*.json"))) == 2
    assert row(out, "Declaring a SEV-1")


@pytest.mark.parametrize("hang", list(HANGS))
def test_a_slack_people_lookup_cut_by_the_deadline_is_partial(live: Live, hang: str) -> None:
    live.world.slack.inject("users.list", *[HANGS[hang]] * 50)
    code, out, err, dest = _run(live)
    assert code == 3, err
    (line,) = _warnings(err, "slack")
    assert "users.list (people) page 1" in line, line
    assert "shown by their Slack ID (names may be missing)" in line, line
    slack = live.manifest(dest)["sources"]["slack"]
    assert slack["status"] == "ok" and slack["meta"]["incomplete"], slack
    assert row(out, "Declaring a SEV-1"), "every message is kept"


@pytest.mark.parametrize("hang", list(HANGS))
def test_a_pagerduty_people_lookup_cut_by_the_deadline_is_partial(live: Live, hang: str) -> None:
    live.world.pagerduty.server.fail_next("GET", r"/users/.*", *[HANGS[hang]] * 50)
    code, out, err, dest = _run(live)
    assert code == 3, err
    (line,) = _warnings(err, "pagerduty")
    assert "users skipped: " in line and "--timeout" in line, line
    pagerduty = live.manifest(dest)["sources"]["pagerduty"]
    assert pagerduty["status"] == "ok" and pagerduty["meta"]["incomplete"], pagerduty
    assert row(out, "Acknowledged by Priya Raman")


def test_people_lookups_that_finish_leave_the_run_complete(live: Live) -> None:
    code, _, err, dest = live.collect("--timeout", "60", "--quiet")
    assert code == 0, err
    sources = live.manifest(dest)["sources"]
    assert "incomplete" not in sources["slack"]["meta"]
    assert "incomplete" not in sources["pagerduty"]["meta"]


def test_a_page_size_probe_that_trickles_holds_the_other_threads_back_briefly(
    live: Live,
) -> None:
    # The first conversations.replies call probes the page size for the others; it trickles to
    # the deadline. The other thread waits for it ``PROBE_WAIT`` at most, then is read.
    live.world.slack.inject("conversations.replies", HANGS["trickles"], channel=INCIDENT_CHANNEL)
    started = time.monotonic()
    code, _, err, dest = live.collect("--timeout", "8", "--quiet")
    assert time.monotonic() - started < 8 + SLACK_BY
    assert code == 3, err
    (line,) = _warnings(err, "slack")
    assert "conversations.replies thread " in line and "--timeout deadline" in line, line
    assert f"(kept: {INC} (1 thread)" in line, line
    assert len(list((dest / "slack" / INCIDENT_CHANNEL / "replies").glob("*.json"))) == 1
