"""Issue #5: ``reconstruct watch`` against the four loopback fakes, with a controllable clock.

The demo incident (#4821, resolved 2026-03-14 10:29:31 UTC) is the newly resolved one; an older
incident resolved two days before is listed by PagerDuty but outside the first run's lookback.
"""

from __future__ import annotations

import copy
import os
import re
import stat
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconstruct.cli import cli
from reconstruct.config import Config, load_config
from reconstruct.deliver.base import Draft, Sink
from reconstruct.deliver.dir_sink import DirSink
from reconstruct.errors import DeliveryError
from reconstruct.watch.runner import LEASE, Watcher
from reconstruct.watch.state import State
from tests.fakes.demo_world import INCIDENT_ID, TOKENS, DemoWorld, demo_bundle, incident_data
from tests.fakes.pagerduty import IncidentData
from tests.fakes.pagerduty import error as pd_error
from tests.fakes.server import FakeServer

RESOLVED = datetime(2026, 3, 14, 10, 29, 31, tzinfo=UTC)
FILENAME = "2026-03-14-checkout-returning-5xx-for-most-requests.md"
LOG_ENTRIES = r"/incidents/[^/]+/log_entries"


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Recording:
    """A test sink: records every draft; ``fail`` makes the next calls raise DeliveryError;
    ``hold`` makes the first call wait until released (to overlap two runs)."""

    def __init__(self, name: str = "recording", *, fail: int = 0, hold: bool = False) -> None:
        self.name = name
        self.drafts: list[Draft] = []
        self.calls = 0
        self.fail = fail
        self.entered = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()

    def deliver(self, draft: Draft) -> str:
        self.calls += 1
        self.entered.set()
        assert self.release.wait(10)
        if self.fail:
            self.fail -= 1
            raise DeliveryError(f"{self.name}: the service said no")
        self.drafts.append(draft)
        return f"memory://{draft.incident.id}"


class Killed(BaseException):
    """Stands for the process dying: nothing of ours catches it."""


class KillAfter:
    """Wraps a sink: delivers, then the process "dies" before the row is committed."""

    def __init__(self, sink: Sink, times: int = 1) -> None:
        self.sink = sink
        self.name = sink.name
        self.times = times

    def deliver(self, draft: Draft) -> str:
        where = self.sink.deliver(draft)
        if self.times:
            self.times -= 1
            raise Killed
        return where


def old_incident() -> IncidentData:
    data = incident_data(demo_bundle())
    record = copy.deepcopy(data.incident)
    record.update(
        id="POLD001",
        incident_number=4700,
        title="An old outage",
        created_at="2026-03-12T08:00:00Z",
        resolved_at="2026-03-12T09:00:00Z",
    )
    return IncidentData(record)


class World:
    def __init__(self, make_server: Callable[..., FakeServer], ca_bundle: Path, tmp: Path) -> None:
        self.fakes = DemoWorld.start(make_server)
        self.fakes.pagerduty.add(old_incident())
        self.tmp = tmp
        self.out = tmp / "drafts"
        path = tmp / "reconstruct.toml"
        path.write_text(
            self.fakes.config_text(ca_bundle)
            + f'[watch]\nlookback = "1d"\n[deliver]\ndir = "{self.out}"\n',
            encoding="utf-8",
        )
        self.config_path = path
        self.config: Config = load_config(path)
        self.state_path = tmp / "state" / "watch.sqlite"
        self.clock = Clock(RESOLVED + timedelta(minutes=5))
        self.local_ahead = timedelta(0)
        """How far the local clock (``clock``) runs ahead of PagerDuty's (its ``Date`` header)."""
        self.fakes.pagerduty.server.clock = lambda: self.clock() - self.local_ahead
        self.logs: list[str] = []

    def watcher(self, *sinks: Sink, lease: timedelta = LEASE) -> Watcher:
        return Watcher(
            self.config,
            State(self.state_path),
            sinks,
            now=self.clock,
            log=self.logs.append,
            bundles=self.tmp / "bundles",
            lease=lease,
        )

    def collections(self) -> int:
        return self.fakes.pagerduty.count(LOG_ENTRIES)

    def state(self) -> State:
        return State(self.state_path)

    def drafts(self) -> list[str]:
        return sorted(p.name for p in self.out.glob("*.md"))


@pytest.fixture
def world(
    make_server: Callable[..., FakeServer],
    ca_bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    DemoWorld.set_tokens(monkeypatch)
    return World(make_server, ca_bundle, tmp_path)


def assert_no_token(text: str) -> None:
    for value in TOKENS.values():
        assert value not in text


# -- the normal story --------------------------------------------------------------------------
def test_new_incident_is_queued_settles_then_is_delivered_once_and_old_ones_are_skipped(
    world: World,
) -> None:
    sink = Recording()
    report = world.watcher(DirSink(world.out), sink).run_once()
    assert (report.queued, report.delivered, report.waiting) == (1, 0, 1)
    assert world.collections() == 0, "nothing is collected before the settle delay"
    assert any("Q3CKSTMPD1 (#4821): new: resolved 2026-03-14 10:29 UTC" in x for x in world.logs)
    assert not any("POLD001" in line for line in world.logs)
    listed = world.fakes.pagerduty.server.requests[0]
    assert listed.path == "/incidents"
    assert listed.params("statuses[]") == ["resolved"]
    # `until` bounds creation time only, a day past the local clock (which may run behind)
    assert listed.param("until") == "2026-03-15T10:34:31Z"

    world.clock.advance(minutes=6)  # 10:40:31, the 10-minute settle delay is over
    report = world.watcher(DirSink(world.out), sink).run_once()
    assert (report.queued, report.delivered, report.failed) == (0, 1, 0)
    assert [d.incident.id for d in sink.drafts] == [INCIDENT_ID]
    assert world.drafts() == [FILENAME]
    text = (world.out / FILENAME).read_text()
    assert text == sink.drafts[0].markdown
    assert text.startswith("# Post-mortem: Checkout returning 5xx for most requests\n")
    assert not (world.out / FILENAME.replace(".md", ".evidence")).exists(), "raw: kept private"
    bundle = sink.drafts[0].bundle_path
    assert bundle.parent == world.tmp / "bundles" and (bundle / "manifest.json").is_file()
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in bundle.rglob("*") if p.is_file())
    assert f"Q3CKSTMPD1 (#4821): delivered to dir: {world.out / FILENAME}" in world.logs
    assert "Q3CKSTMPD1 (#4821): delivered to recording: memory://Q3CKSTMPD1" in world.logs
    assert_no_token("\n".join(world.logs))

    # a second run delivers nothing new and collects nothing
    before = world.collections()
    world.clock.advance(minutes=5)
    report = world.watcher(DirSink(world.out), sink).run_once()
    assert (report.queued, report.delivered, report.failed) == (0, 0, 0)
    assert len(sink.drafts) == 1
    assert world.collections() == before
    assert world.drafts() == [FILENAME]


def test_first_run_with_a_long_lookback_also_takes_the_older_incident(world: World) -> None:
    world.clock.advance(minutes=10)
    watcher = world.watcher(Recording())
    watcher.config = world.config.model_copy(
        update={"watch": world.config.watch.model_copy(update={"lookback": timedelta(days=3)})}
    )
    report = watcher.poll()
    assert report.queued == 2


def test_filters_from_the_watch_table_go_to_pagerduty(world: World) -> None:
    watch = world.config.watch.model_copy(
        update={"services": ("PNOPE",), "urgencies": ("high",), "priorities": ("P1",)}
    )
    watcher = world.watcher(Recording())
    watcher.config = world.config.model_copy(update={"watch": watch})
    assert watcher.poll().queued == 0
    listed = world.fakes.pagerduty.server.requests[-1]
    assert listed.params("service_ids[]") == ["PNOPE"]
    assert listed.params("urgencies[]") == ["high"]

    watch = watch.model_copy(update={"services": (), "priorities": ("P2",)})
    watcher.config = world.config.model_copy(update={"watch": watch})
    assert watcher.poll().queued == 0, "priorities are matched on the priority name"


# -- exactly once --------------------------------------------------------------------------------
def test_two_overlapping_runs_deliver_once(world: World) -> None:
    world.clock.advance(minutes=15)
    held = Recording(hold=True)
    first = world.watcher(held)
    thread = threading.Thread(target=first.run_once)
    thread.start()
    try:
        assert held.entered.wait(30), "the first run reached its sink"
        report = world.watcher(held).run_once()  # cron fires again while the first is busy
        assert (report.delivered, report.skipped) == (0, 1)
        assert any("another run is working on it; skipped" in line for line in world.logs)
    finally:
        held.release.set()
        thread.join(30)
    assert len(held.drafts) == 1
    assert world.collections() == 1


def test_many_simultaneous_runs_deliver_once(world: World) -> None:
    world.clock.advance(minutes=15)
    sink = Recording()
    barrier = threading.Barrier(4, timeout=60)

    def run() -> None:
        watcher = world.watcher(sink)
        barrier.wait()
        watcher.run_once()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(sink.drafts) == 1
    assert world.collections() == 1


def test_a_run_killed_after_writing_the_file_delivers_on_a_later_run_without_duplicates(
    world: World,
) -> None:
    world.clock.advance(minutes=15)
    other = Recording()
    with pytest.raises(Killed):
        world.watcher(KillAfter(DirSink(world.out)), other).run_once()
    assert world.drafts() == [FILENAME]
    assert other.calls == 0

    # the dead run's lease still holds: a run right after skips the incident
    assert world.watcher(DirSink(world.out), other).run_once().skipped == 1
    assert other.calls == 0

    world.clock.advance(minutes=31)  # the lease expired
    report = world.watcher(DirSink(world.out), other).run_once()
    assert (report.delivered, report.failed) == (1, 0)
    assert world.drafts() == [FILENAME], "the file written before the crash is not duplicated"
    assert len(other.drafts) == 1
    assert world.collections() == 1, "the draft kept in the state is delivered, not rebuilt"
    assert any("already delivered" in line for line in world.logs)


def test_an_incident_that_cannot_be_built_is_retried_on_the_next_run(world: World) -> None:
    world.clock.advance(minutes=15)
    sink = Recording()
    world.fakes.pagerduty.server.fail_next(
        "GET", r"/incidents/Q3CKSTMPD1", pd_error(404, "Not Found", 2100)
    )
    report = world.watcher(sink).run_once()
    assert (report.delivered, report.failed) == (0, 1), world.logs
    assert any(
        line.startswith("Q3CKSTMPD1 (#4821): failed: ")
        and "failure 1 of 3, retried from 2026-03-14 10:51 UTC" in line
        for line in world.logs
    ), world.logs
    report = world.watcher(sink).run_once()
    assert (report.delivered, report.failed, report.backing_off) == (0, 0, 1), "backing off"
    world.clock.advance(minutes=2)
    report = world.watcher(sink).run_once()
    assert (report.delivered, report.failed) == (1, 0)
    assert len(sink.drafts) == 1


def test_a_failing_sink_is_retried_alone(world: World) -> None:
    world.clock.advance(minutes=15)
    good = Recording("good")
    flaky = Recording("flaky", fail=1)
    report = world.watcher(good, flaky).run_once()
    assert (report.delivered, report.failed) == (0, 1)
    assert "Q3CKSTMPD1 (#4821): not delivered to flaky: the service said no" in world.logs
    assert any(
        "failed: flaky: the service said no; transient 1 of 10, retried from" in x
        for x in world.logs
    )
    world.clock.advance(minutes=2)
    report = world.watcher(good, flaky).run_once()
    assert (report.delivered, report.failed) == (1, 0)
    assert (good.calls, len(good.drafts)) == (1, 1), "the sink that succeeded is not repeated"
    assert (flaky.calls, len(flaky.drafts)) == (2, 1)
    assert world.collections() == 1
    assert world.watcher(good, flaky).run_once().delivered == 0


def test_reopened_before_the_settle_delay_is_cancelled(world: World) -> None:
    sink = Recording()
    assert world.watcher(sink).run_once().queued == 1
    world.fakes.pagerduty.incidents[0] = incident_data(demo_bundle(), ongoing=True)
    world.clock.advance(minutes=10)
    report = world.watcher(sink).run_once()
    assert (report.cancelled, report.delivered) == (1, 0)
    assert sink.calls == 0
    assert any("reopened (now acknowledged); draft cancelled" in x for x in world.logs)
    world.clock.advance(minutes=10)
    assert world.watcher(sink).run_once().delivered == 0


# -- the command ---------------------------------------------------------------------------------
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def logged(err: str) -> list[str]:
    """stderr's log lines without their UTC timestamps (every line has one)."""
    lines = err.splitlines()
    for line in lines:
        assert STAMP.match(line), line
    return [STAMP.sub("", line, count=1) for line in lines]


def test_dry_run_lists_what_it_would_do_and_does_nothing(world: World) -> None:
    world.fakes.pagerduty.server.clock = None  # the command runs on the real clock
    state = world.tmp / "cli.sqlite"
    code, _out, err = invoke(
        "watch", "--dry-run", "--state", str(state), "--config", str(world.config_path)
    )
    assert code == 0, err
    # the real clock is long past the demo incident: outside the 1-day lookback
    assert logged(err) == ["reconstruct: dry run: nothing to do"]
    assert world.collections() == 0
    assert not world.out.exists()


def test_dry_run_with_a_queued_incident(world: World) -> None:
    world.watcher(Recording()).run_once()
    world.clock.advance(minutes=20)
    assert world.watcher(DirSink(world.out)).plan() == [
        "Q3CKSTMPD1 (#4821): would build and deliver to dir"
    ]
    assert world.collections() == 0
    assert not world.out.exists()


def test_watch_once_without_a_sink_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = invoke("watch", "--once", "--state", str(tmp_path / "s.sqlite"))
    assert code == 2
    assert logged(err)[0].startswith("reconstruct: error: no sink configured")


def test_watch_once_with_a_bad_token_is_a_config_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAGERDUTY_TOKEN", "wrong")
    code, _, err = invoke(
        "watch",
        "--once",
        "--state",
        str(world.tmp / "s.sqlite"),
        "--config",
        str(world.config_path),
    )
    assert code == 2
    assert "PAGERDUTY_TOKEN was rejected (401)" in err
    assert "wrong" not in err.replace("wrong key", "")


def test_default_state_file_is_in_the_user_data_dir(world: World) -> None:
    from reconstruct.watch.commands import state_path

    assert state_path(world.config, None) == Path(
        os.environ["XDG_DATA_HOME"], "reconstruct", "watch.sqlite"
    )


def test_watch_once_command_delivers_then_has_nothing_new(world: World) -> None:
    world.fakes.pagerduty.server.clock = None  # the command runs on the real clock
    del world.fakes.pagerduty.incidents[1:]  # only the demo incident
    config = world.tmp / "cli.toml"
    # the real clock is months past the demo incident: look back far enough to find it
    # reach back past the demo incident (2026-03-14) however long after it this runs
    days = (datetime.now(UTC) - datetime(2026, 3, 14, tzinfo=UTC)).days + 30
    config.write_text(world.config_path.read_text().replace('"1d"', f'"{days}d"'), encoding="utf-8")
    state = world.tmp / "cli" / "watch.sqlite"
    args = ("watch", "--once", "--state", str(state), "--config", str(config))
    code, out, err = invoke(*args)
    assert code == 0, err
    assert out == ""
    lines = logged(err)
    assert lines[0].startswith("reconstruct: Q3CKSTMPD1 (#4821): new: resolved 2026-03-14 10:29")
    assert f"reconstruct: Q3CKSTMPD1 (#4821): delivered to dir: {world.out / FILENAME}" in lines
    assert lines[-1] == (
        "reconstruct: watch: 1 queued, 1 delivered, 0 failed, 0 held by another run, "
        "0 cancelled, 0 settling"
    )
    assert world.drafts() == [FILENAME]
    assert (state.parent / "watch.bundles" / INCIDENT_ID / "manifest.json").is_file()
    assert_no_token(err)

    code, _, err = invoke(*args)
    assert code == 0, err
    assert logged(err) == [
        "reconstruct: watch: 0 queued, 0 delivered, 0 failed, 0 held by another run, "
        "0 cancelled, 0 settling"
    ]


def test_a_draft_missing_a_failed_source_is_built_again_before_it_is_delivered(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.clock.advance(minutes=15)
    sink = Recording()
    monkeypatch.setenv("SLACK_TOKEN", "xoxb-revoked-0000")
    report = world.watcher(sink).run_once()
    assert (report.delivered, report.failed, sink.calls) == (0, 1, 0)
    assert any("slack failed; built again on the next run (attempt 1 of 3" in x for x in world.logs)
    assert_no_token("\n".join(world.logs))
    assert "xoxb-revoked-0000" not in "\n".join(world.logs)

    monkeypatch.setenv("SLACK_TOKEN", TOKENS["SLACK_TOKEN"])  # fixed before the next run
    report = world.watcher(sink).run_once()
    assert (report.delivered, report.failed) == (1, 0)
    assert "slack.com/archives/" in sink.drafts[0].markdown, "the draft has its Slack rows"


def test_a_source_that_keeps_failing_is_delivered_partial_on_the_last_attempt(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.clock.advance(minutes=15)
    sink = Recording()
    monkeypatch.setenv("SLACK_TOKEN", "xoxb-revoked-0000")
    reports = [world.watcher(sink).run_once() for _ in range(3)]
    assert [(r.delivered, r.failed) for r in reports] == [(0, 1), (0, 1), (1, 0)]
    assert len(sink.drafts) == 1
    assert world.collections() == 3
    assert "slack.com/archives/" not in sink.drafts[0].markdown
