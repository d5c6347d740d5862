"""Issue #14: ``watch`` under faults, against the loopback fakes with a controllable clock.

Each test injects one fault (a sink raising OSError or KeyboardInterrupt, PagerDuty answering 404
or listing an incident late, a clock that disagrees with PagerDuty's ``Date`` header, events in
the wrong order) and then checks that a later run delivers exactly once.
"""

from __future__ import annotations

import copy
import errno
import json
import os
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from reconstruct.deliver import configured_sinks
from reconstruct.deliver.base import Draft
from reconstruct.deliver.dir_sink import DirSink
from reconstruct.watch.runner import BACKOFF_FIRST, PARK_AFTER, PARK_AFTER_TRANSIENT, backoff
from reconstruct.watch.state import State
from tests.fakes.demo_world import INCIDENT_ID, DemoWorld
from tests.fakes.pagerduty import error as pd_error
from tests.fakes.server import FakeServer, Request, Response
from tests.test_watch import FILENAME, RESOLVED, Recording, World, invoke, logged


@pytest.fixture
def world(
    make_server: Callable[..., FakeServer],
    ca_bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    DemoWorld.set_tokens(monkeypatch)
    return World(make_server, ca_bundle, tmp_path)


class Failing(Recording):
    """A sink whose first ``times`` calls raise ``exc`` (the fault), then delivers."""

    def __init__(self, exc: BaseException, times: int = 1, name: str = "recording") -> None:
        super().__init__(name)
        self.exc = exc
        self.times = times

    def deliver(self, draft: Draft) -> str:
        if self.times:
            self.times -= 1
            self.calls += 1
            raise self.exc
        return super().deliver(draft)


def disk_full() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/srv/postmortems/x.md")


def only_demo(world: World) -> None:
    del world.fakes.pagerduty.incidents[1:]


# -- a failure in one incident's work ------------------------------------------------------------
def test_disk_full_does_not_hold_the_other_incidents_and_is_retried_after_a_backoff(
    world: World,
) -> None:
    world.clock.advance(minutes=15)
    world.fakes.slack.add_channel("C0OLD4700", "inc-4700")  # the old incident's channel, empty
    watcher = world.watcher(Recording())
    watcher.config = world.config.model_copy(
        update={"watch": world.config.watch.model_copy(update={"lookback": timedelta(days=3)})}
    )
    sink = Failing(disk_full())
    watcher.sinks = [sink]
    report = watcher.run_once()
    assert (report.queued, report.delivered, report.failed) == (2, 1, 1)
    assert [d.incident.id for d in sink.drafts] == [INCIDENT_ID], "the other one went on"
    failed = world.state().get("POLD001")
    assert failed is not None and failed.status == "built"
    assert failed.owner is None, "the lease is given back at once, not held for 30 minutes"
    assert failed.failures == 1
    assert failed.retry_at == world.clock() + BACKOFF_FIRST
    assert failed.last_error == (
        "recording: OSError: No space left on device (/srv/postmortems/x.md)"
    )
    assert any(
        line.startswith("POLD001 (#4700): failed: recording: OSError: No space left on device")
        and "transient 1 of 10, retried from 2026-03-14 10:51 UTC" in line
        for line in world.logs
    ), world.logs

    # before the backoff is over: not tried again
    world.clock.advance(minutes=1)
    report = watcher.run_once()
    assert (report.delivered, report.failed, report.backing_off) == (0, 0, 1)
    assert sink.calls == 2

    world.clock.advance(minutes=1)
    report = watcher.run_once()
    assert (report.delivered, report.failed) == (1, 0)
    assert sorted(d.incident.id for d in sink.drafts) == ["POLD001", INCIDENT_ID]
    assert world.collections() == 2, "the draft built before the failure is delivered"
    world.clock.advance(hours=1)
    assert watcher.run_once().delivered == 0
    assert len(sink.drafts) == 2


def test_an_error_that_is_not_ours_is_a_failure_of_that_incident_not_of_the_run(
    world: World,
) -> None:
    only_demo(world)
    world.clock.advance(minutes=15)
    sink = Failing(RuntimeError("a bug in a sink"))
    report = world.watcher(sink).run_once()
    assert (report.delivered, report.failed) == (0, 1)
    row = world.state().get(INCIDENT_ID)
    assert row is not None and row.owner is None and row.failures == 1
    assert row.last_error == "recording: internal error RuntimeError: a bug in a sink"
    assert any("failure 1 of 3" in line for line in world.logs), "a bug is not transient"
    world.clock.advance(minutes=2)
    assert world.watcher(sink).run_once().delivered == 1
    assert len(sink.drafts) == 1


def test_an_os_error_while_building_keeps_no_lease_and_a_later_run_delivers_once(
    world: World,
) -> None:
    only_demo(world)
    world.clock.advance(minutes=15)
    blocked = world.tmp / "bundles"
    blocked.write_text("not a directory")  # where the bundles go: the write fails for real
    sink = Recording()
    report = world.watcher(sink).run_once()
    assert (report.delivered, report.failed) == (0, 1)
    row = world.state().get(INCIDENT_ID)
    assert row is not None and (row.owner, row.failures) == (None, 1)
    assert row.last_error == f"FileExistsError: File exists ({blocked})"
    assert any("transient 1 of 10" in line for line in world.logs)
    blocked.unlink()
    world.clock.advance(minutes=2)
    assert world.watcher(sink).run_once().delivered == 1
    world.clock.advance(minutes=10)
    assert world.watcher(sink).run_once().delivered == 0
    assert len(sink.drafts) == 1


def test_backoff_doubles_up_to_its_ceiling() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (2, 4, 8, 16)]
    assert backoff(30) == timedelta(hours=2)
    assert backoff(0) == timedelta(0)
    assert backoff(5000) == timedelta(hours=2), "no overflow however many failures"


def test_watch_and_the_sources_share_one_backoff() -> None:
    # watch's backoff is the sources' RetryPolicy.delay on its own scale, without jitter: a
    # policy with the same first wait and ceiling waits exactly as long, failure by failure.
    from reconstruct.collectors._http import RetryPolicy

    policy = RetryPolicy(backoff=120.0, max_backoff=7200.0, jitter=0)
    assert [backoff(n).total_seconds() for n in range(8)] == [policy.delay(n) for n in range(8)]
    jittered = RetryPolicy(backoff=120.0, max_backoff=7200.0, jitter=0.25)
    assert all(90.0 <= jittered.delay(1) <= 120.0 for _ in range(50))


# -- parking -------------------------------------------------------------------------------------
def test_an_incident_that_keeps_failing_is_parked_reported_and_no_longer_fails_every_run(
    world: World,
) -> None:
    only_demo(world)
    world.clock.advance(minutes=15)
    sink = Recording()
    world.fakes.pagerduty.server.fail_next(
        "GET", r"/incidents/Q3CKSTMPD1", *[pd_error(404, "Not Found", 2100)] * PARK_AFTER
    )
    reports = []
    for n in range(PARK_AFTER):
        reports.append(world.watcher(sink).run_once())
        world.clock.advance(minutes=backoff(n + 1).total_seconds() / 60)
    assert [r.failed for r in reports] == [1] * PARK_AFTER
    row = world.state().get(INCIDENT_ID)
    assert row is not None and row.status == "parked" and row.owner is None
    assert row.last_error is not None and "incident Q3CKSTMPD1 not found" in row.last_error
    assert any(
        "parked after 3 failures in a row" in line and "reconstruct watch retry Q3CKSTMPD1" in line
        for line in world.logs
    )
    assert reports[-1].parked == 1

    # later runs leave it alone: no request for it, no failure, the summary reports it
    requests = world.fakes.pagerduty.count(r"/incidents/Q3CKSTMPD1")
    world.clock.advance(hours=5)
    report = world.watcher(sink).run_once()
    assert (report.failed, report.parked, report.delivered) == (0, 1, 0)
    assert report.summary().endswith("1 parked (see `reconstruct watch status`)")
    assert world.fakes.pagerduty.count(r"/incidents/Q3CKSTMPD1") == requests

    assert world.watcher(sink).plan() == [
        f"Q3CKSTMPD1 (#4821): parked after 3 failures ({row.last_error}); left alone until "
        "`reconstruct watch retry Q3CKSTMPD1`"
    ]

    # the CLI: status shows it with its error; retry queues it; the next run delivers once
    state = str(world.state_path)
    code, out, err = invoke("watch", "status", "--state", state)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "1 parked"
    assert lines[1] == "Q3CKSTMPD1 (#4821)  parked  Checkout returning 5xx for most requests"
    assert "    3 failure(s) in a row" in lines
    assert any(line.startswith("    last error: ") and "not found" in line for line in lines)
    code, out, _ = invoke("watch", "status", "--json", "--state", state)
    assert json.loads(out)[0]["status"] == "parked"

    code, _, err = invoke("watch", "retry", INCIDENT_ID, "--state", state)  # no --yes, no tty
    assert code == 1 and world.state().get(INCIDENT_ID).status == "parked"  # type: ignore[union-attr]
    assert err.endswith("reconstruct: nothing changed (pass --yes to skip the question)\n")
    assert "internal error" not in err
    code, _, err = invoke("watch", "retry", INCIDENT_ID, "--yes", "--state", state)
    assert code == 0, err
    assert "Q3CKSTMPD1 (#4821): parked -> pending" in err
    report = world.watcher(sink).run_once()
    assert (report.delivered, report.failed, report.parked) == (1, 0, 0)
    assert world.watcher(sink).run_once().delivered == 0
    assert len(sink.drafts) == 1


def test_transient_failures_are_tried_longer_before_parking(world: World) -> None:
    only_demo(world)
    world.clock.advance(minutes=15)
    sink = Failing(disk_full(), times=PARK_AFTER_TRANSIENT)
    for n in range(PARK_AFTER_TRANSIENT - 1):
        assert world.watcher(sink).run_once().failed == 1
        world.clock.advance(minutes=backoff(n + 1).total_seconds() / 60)
        assert world.state().get(INCIDENT_ID).status == "built"  # type: ignore[union-attr]
    assert world.watcher(sink).run_once().parked == 1
    assert world.collections() == 1, "the built draft is kept while it fails"


def test_forget_drops_an_incident_for_good(world: World) -> None:
    only_demo(world)
    world.clock.advance(minutes=15)
    world.fakes.pagerduty.server.fail_next(
        "GET", r"/incidents/Q3CKSTMPD1", pd_error(404, "Not Found", 2100)
    )
    sink = Recording()
    world.watcher(sink).run_once()
    state = str(world.state_path)
    code, _, err = invoke("watch", "forget", INCIDENT_ID, "-y", "--state", state)
    assert code == 0, err
    assert "Q3CKSTMPD1 (#4821): pending -> forgotten" in err
    world.clock.advance(hours=1)
    report = world.watcher(sink).run_once()
    assert (report.queued, report.failed, report.delivered) == (0, 0, 0)
    assert sink.calls == 0
    code, _, err = invoke("watch", "forget", "PNOSUCH", "-y", "--state", state)
    assert code == 2 and "PNOSUCH is not in" in err


# -- Ctrl-C ------------------------------------------------------------------------------------
def test_ctrl_c_in_a_sink_gives_the_lease_back_and_the_next_run_delivers_once(
    world: World,
) -> None:
    only_demo(world)
    world.clock.advance(minutes=15)
    sink = Failing(KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        world.watcher(sink).run_once()
    row = world.state().get(INCIDENT_ID)
    assert row is not None and row.owner is None and row.lease_until is None
    assert row.failures == 0, "an interruption is not the incident's failure"
    report = world.watcher(sink).run_once()  # at once: no 30-minute wait for the lease
    assert (report.skipped, report.delivered) == (0, 1)
    assert len(sink.drafts) == 1
    assert world.collections() == 1


# -- order and clocks ----------------------------------------------------------------------------
@pytest.mark.parametrize("minutes", [10, -10], ids=["local-clock-ahead", "local-clock-behind"])
def test_a_skewed_local_clock_is_detected_and_pagerduty_time_decides(
    world: World, minutes: int
) -> None:
    only_demo(world)
    world.local_ahead = timedelta(minutes=minutes)
    # PagerDuty's time is 10:34:31, five minutes after the resolution: still settling
    world.clock.now = RESOLVED + timedelta(minutes=5) + world.local_ahead
    sink = Recording()
    report = world.watcher(sink).run_once()
    assert (report.queued, report.delivered, report.waiting) == (1, 0, 1)
    assert world.collections() == 0
    way = "ahead of" if minutes > 0 else "behind"
    assert f"clock: the local clock is 10m 0s {way} PagerDuty's" in "\n".join(world.logs)
    assert world.state().checkpoint() == RESOLVED + timedelta(minutes=5), "PagerDuty's time"

    world.clock.advance(minutes=4)  # PagerDuty: 10:38:31, settle not over
    assert world.watcher(sink).run_once().delivered == 0
    world.clock.advance(minutes=1)  # PagerDuty: 10:39:31, settle over
    assert world.watcher(sink).run_once().delivered == 1
    world.clock.advance(minutes=30)
    assert world.watcher(sink).run_once().delivered == 0
    assert len(sink.drafts) == 1


def test_a_clock_that_agrees_with_pagerduty_logs_no_skew(world: World) -> None:
    world.watcher(Recording()).run_once()
    assert not any("clock:" in line for line in world.logs)
    assert world.state().skew() == timedelta(0)


def test_an_incident_pagerduty_lists_late_is_still_caught(world: World) -> None:
    only_demo(world)
    hidden_until = RESOLVED + timedelta(minutes=12)

    def late(req: Request) -> Response | None:
        if req.path == "/incidents" and world.clock() < hidden_until:
            return Response(200, {"incidents": [], "limit": 25, "offset": 0, "more": False})
        return None

    world.fakes.pagerduty.intercept(late)
    sink = Recording()
    assert world.watcher(sink).run_once().queued == 0  # 10:34:31: not listed yet
    world.clock.advance(minutes=5)
    assert world.watcher(sink).run_once().queued == 0  # 10:39:31: not yet
    assert world.state().checkpoint() == RESOLVED + timedelta(minutes=10)
    world.clock.advance(minutes=5)  # 10:44:31: listed now, resolved before the checkpoint
    report = world.watcher(sink).run_once()
    assert (report.queued, report.delivered) == (1, 1)
    world.clock.advance(minutes=5)
    assert world.watcher(sink).run_once().delivered == 0
    assert len(sink.drafts) == 1


class DateFault:
    """PagerDuty's incident list hides the demo incident until ``show`` (it is not resolved
    yet); ``wrong`` shifts the ``Date`` header of the next polls (a proxy's bad clock)."""

    def __init__(self, world: World) -> None:
        only_demo(world)
        self.world = world
        self.shown = False
        self.wrong = timedelta(0)
        world.fakes.pagerduty.server.clock = lambda: world.clock() + self.wrong
        world.fakes.pagerduty.intercept(self.hide)

    def hide(self, req: Request) -> Response | None:
        if req.path == "/incidents" and not self.shown:
            return Response(200, {"incidents": [], "limit": 25, "offset": 0, "more": False})
        return None

    def show(self, resolved: datetime) -> None:
        when = resolved.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.world.fakes.pagerduty.incidents[0].incident.update(
            resolved_at=when, last_status_change_at=when
        )
        self.shown = True

    def poll(self) -> int:
        return self.world.watcher(Recording()).poll().queued


@pytest.mark.parametrize("first", [False, True], ids=["a-later-poll", "the-first-poll"])
def test_one_wrong_date_header_does_not_blind_polling(world: World, first: bool) -> None:
    fault = DateFault(world)
    start = world.clock()  # 10:34:31
    if not first:
        assert fault.poll() == 0
        world.clock.advance(minutes=5)
    fault.wrong = timedelta(hours=2)
    assert fault.poll() == 0  # its Date says two hours later than PagerDuty's time
    fault.wrong = timedelta(0)
    said = [x for x in world.logs if "clock:" in x]
    if not first:
        assert said[-1].endswith(
            "clock: PagerDuty's Date header (2026-03-14T12:39:31Z) is 2h 0m ahead of its time as "
            "last measured; not moving the checkpoint by it until the next poll agrees"
        )
        assert world.state().checkpoint() == start
    world.clock.advance(minutes=3)
    fault.show(world.clock() - timedelta(minutes=1))  # resolved a minute before this poll
    assert fault.poll() == 1, "the incident resolved after the wrong header is queued"
    world.clock.advance(minutes=1)
    assert fault.poll() == 0
    assert world.state().skew() == timedelta(0), "two polls that agree are believed"
    assert world.state().checkpoint() == world.clock()


def test_a_poll_fills_in_the_number_and_title_a_webhook_left_out(world: World) -> None:
    only_demo(world)
    state = world.state()
    settle = world.config.watch.settle
    # A resolve webhook whose data had no usable number (it was left out) queued the incident.
    action = ("resolved", INCIDENT_ID, None, "", RESOLVED, settle)
    assert state.webhook(["event:E1"], "incident.resolved", world.clock(), action) == "new"
    assert world.watcher(Recording()).poll().queued == 0  # PagerDuty lists it: known
    row = world.state().get(INCIDENT_ID)
    assert row is not None
    assert (row.number, row.title) == (4821, "Checkout returning 5xx for most requests")
    code, out, err = invoke("watch", "status", "--json", "--state", str(world.state_path))
    assert code == 0, err
    assert [(d["id"], d["number"]) for d in json.loads(out)] == [(INCIDENT_ID, 4821)]


def test_a_sink_error_names_the_sink_once(world: World) -> None:
    only_demo(world)
    (world.tmp / "a-file").write_text("", encoding="utf-8")
    world.clock.advance(minutes=6)
    report = world.watcher(DirSink(world.tmp / "a-file" / "out")).run_once()
    assert report.failed == 1
    said = "\n".join(world.logs)
    assert "not delivered to dir: cannot write into " in said
    assert "dir: dir:" not in said
    row = world.state().get(INCIDENT_ID)
    assert row is not None and row.last_error is not None
    assert row.last_error.startswith("dir: cannot write into "), row.last_error


def resolve_again(world: World, minutes: float) -> None:
    """PagerDuty: the demo incident was reopened and resolved again ``minutes`` after."""
    data = world.fakes.pagerduty.incidents[0]
    when = (RESOLVED + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    data.incident.update(resolved_at=when, last_status_change_at=when)
    entry = copy.deepcopy(next(e for e in data.log_entries if e["type"] == "resolve_log_entry"))
    entry.update(id="R2RESOLVEAGAIN", created_at=when)
    data.log_entries.insert(0, entry)


def test_resolved_again_after_delivery_updates_the_file_and_the_pull_request_and_posts_once_more(
    world: World,
) -> None:
    only_demo(world)
    world.fakes.github.add_repo("acme/postmortems")
    config_path = world.tmp / "all-sinks.toml"
    config_path.write_text(
        world.config_path.read_text()
        + '[deliver.slack]\nenabled = true\n[deliver.github]\nrepo = "acme/postmortems"\n',
        encoding="utf-8",
    )
    from reconstruct.config import load_config

    world.config = load_config(config_path)

    def run() -> tuple[int, int, int]:
        watcher = world.watcher(*configured_sinks(world.config))
        r = watcher.run_once()
        return r.queued, r.delivered, r.failed

    world.clock.advance(minutes=15)
    assert run() == (1, 1, 0)
    first = (world.out / FILENAME).read_text()
    pulls = world.fakes.github.repos["acme/postmortems"]["pulls"]
    assert len(pulls) == 1 and len(world.fakes.slack.shared) == 1

    resolve_again(world, minutes=40)  # reopened after the delivery, resolved at 11:09:31
    world.clock.advance(minutes=20)  # 11:09:31
    assert run() == (1, 0, 0)
    assert any("resolved again after its draft was delivered; an update" in x for x in world.logs)
    world.clock.advance(minutes=10)
    assert run() == (0, 1, 0)
    second = (world.out / FILENAME).read_text()
    assert second != first
    assert [p.name for p in world.out.glob("*.md")] == [FILENAME], "the file is updated in place"
    files = world.fakes.github.repos["acme/postmortems"]["files"]
    assert list(files.values()) == [second.encode()], "the PR's file holds the new revision"
    assert len(pulls) == 1, "the open pull request shows the update; no second one"
    assert len(world.fakes.slack.shared) == 2
    comment = str(world.fakes.slack.shared[1]["initial_comment"])
    assert comment.startswith(
        "Updated post-mortem draft for #4821 Checkout returning 5xx for most requests "
        "(revision 2: the incident was reopened and resolved again)"
    )
    assert world.fakes.slack.shared[1]["content"] == second.encode()
    assert any("update delivered to slack" in x for x in world.logs)

    world.clock.advance(hours=1)
    assert run() == (0, 0, 0)
    assert len(world.fakes.slack.shared) == 2 and len(pulls) == 1


def test_a_flap_within_a_minute_found_by_polling_gets_one_updated_draft(world: World) -> None:
    # PagerDuty: resolved 10:29:31 (delivered), reopened and resolved again at 10:30:01; no
    # webhook told us: only the incident's own resolved_at, seen by the next poll, changed.
    only_demo(world)
    sink = Recording()
    world.clock.advance(minutes=6)
    report = world.watcher(sink).run_once()
    assert (report.queued, report.delivered) == (1, 1)
    resolve_again(world, minutes=0.5)
    world.clock.advance(minutes=5)
    assert world.watcher(sink).plan()[0] == (
        "Q3CKSTMPD1 (#4821): would queue, build and deliver to recording"
    ), "the dry run sees the same update"
    report = world.watcher(sink).run_once()
    assert (report.queued, report.delivered, report.failed) == (1, 1, 0)
    assert any("resolved again after its draft was delivered; an update" in x for x in world.logs)
    assert [d.incident.resolved_at for d in sink.drafts] == [
        RESOLVED,
        RESOLVED + timedelta(seconds=30),
    ]
    world.clock.advance(minutes=5)
    report = world.watcher(sink).run_once()
    assert (report.queued, report.delivered) == (0, 0)
    assert len(sink.drafts) == 2


# -- housekeeping ------------------------------------------------------------------------------
def test_old_state_and_its_bundles_are_pruned_and_partial_folders_cleaned(world: World) -> None:
    only_demo(world)
    world.clock.advance(minutes=15)
    sink = Recording()
    assert world.watcher(DirSink(world.out), sink).run_once().delivered == 1
    bundle = world.tmp / "bundles" / INCIDENT_ID
    assert bundle.is_dir()
    # left by a killed run: a bundle's and an evidence copy's temp folders
    stale = [world.tmp / "bundles" / ".X.partial-abc", world.out / ".y.evidence.partial-def"]
    fresh = world.tmp / "bundles" / ".Z.partial-ghi"
    old = (world.clock() - timedelta(hours=1)).timestamp()
    for folder in [*stale, fresh]:
        folder.mkdir(parents=True)
        (folder / "half.json").write_text("{")
    for folder in stale:
        os.utime(folder, (old, old))
    now = world.clock().timestamp()
    os.utime(fresh, (now, now))  # a concurrent run's, still being written

    world.watcher(sink).run_once()
    assert not any(p.exists() for p in stale)
    assert fresh.exists()
    assert world.state().get(INCIDENT_ID) is not None, "delivered recently: kept"

    world.clock.advance(days=91)  # past the 90-day retention
    world.fakes.pagerduty.incidents.clear()
    world.watcher(sink).run_once()
    assert world.state().get(INCIDENT_ID) is None
    assert not bundle.exists()
    assert [x for x in world.logs if "pruned:" in x] == [
        "Q3CKSTMPD1 (#4821): pruned: delivered, last changed 2026-03-14 10:49 UTC, "
        "more than the 90-day retention ago"
    ]
    assert (world.out / FILENAME).exists(), "the delivered draft itself is never touched"


def test_retention_follows_pagerdutys_time_not_a_fast_local_clock(world: World) -> None:
    only_demo(world)
    world.local_ahead = timedelta(hours=2)
    world.clock.now = world.clock() + world.local_ahead + timedelta(minutes=15)
    sink = Recording()
    assert world.watcher(sink).run_once().delivered == 1
    delivered = world.state().get(INCIDENT_ID)
    assert delivered is not None and delivered.updated_at is not None
    world.fakes.pagerduty.incidents.clear()
    # 90 days less an hour later: by the local clock (2 hours fast) the retention is over
    world.clock.advance(days=89, hours=23)
    world.watcher(sink).run_once()
    assert world.state().get(INCIDENT_ID) is not None, "not yet past the retention"
    world.clock.advance(hours=2)
    world.watcher(sink).run_once()
    assert world.state().get(INCIDENT_ID) is None


def test_an_older_state_file_gains_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE incidents (id TEXT PRIMARY KEY, number INTEGER, title TEXT NOT NULL
          DEFAULT '', resolved_at TEXT NOT NULL, due_at TEXT NOT NULL, status TEXT NOT NULL,
          owner TEXT, lease_until TEXT, bundle_path TEXT, markdown TEXT, slack_channel TEXT,
          attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, updated_at TEXT NOT NULL);
        CREATE TABLE deliveries (incident_id TEXT NOT NULL, sink TEXT NOT NULL, location TEXT
          NOT NULL, delivered_at TEXT NOT NULL, PRIMARY KEY (incident_id, sink));
        INSERT INTO incidents (id, resolved_at, due_at, status, updated_at) VALUES ('P1',
          '2026-03-14T10:29:31.000000Z', '2026-03-14T10:39:31.000000Z', 'delivered',
          '2026-03-14T10:40:00.000000Z');
        INSERT INTO deliveries VALUES ('P1', 'dir', '/x.md', '2026-03-14T10:40:00.000000Z');
        """
    )
    db.close()
    state = State(path)
    row = state.get("P1")
    assert row is not None and (row.revision, row.failures, row.event_at) == (
        1,
        0,
        RESOLVED,
    )
    assert state.delivered("P1") == {"dir": "/x.md"}


# -- the command line ----------------------------------------------------------------------------
def test_dry_run_checks_the_same_config_as_a_real_run(tmp_path: Path) -> None:
    code, _, err = invoke("watch", "--dry-run", "--state", str(tmp_path / "s.sqlite"))
    assert code == 2
    assert logged(err)[0].startswith("reconstruct: error: no sink configured")


def test_json_logs_carry_time_incident_and_sink(world: World) -> None:
    world.fakes.pagerduty.server.clock = None  # the command runs on the real clock
    only_demo(world)
    config = world.tmp / "cli.toml"
    config.write_text(
        world.config_path.read_text().replace('lookback = "1d"', 'lookback = "3650d"'),
        encoding="utf-8",
    )
    state = world.tmp / "cli.sqlite"
    args = ["watch", "--once", "--log-format", "json", "--state", str(state)]
    code, out, err = invoke(*args, "--config", str(config))
    assert code == 0, err
    docs = [json.loads(line) for line in err.splitlines()]
    assert all(d["time"].endswith("Z") and d["level"] in ("info", "warning") for d in docs)
    delivered = [d for d in docs if d["message"].endswith(str(world.out / FILENAME))]
    assert delivered == [
        {
            "time": delivered[0]["time"],
            "level": "info",
            "message": f"Q3CKSTMPD1 (#4821): delivered to dir: {world.out / FILENAME}",
            "incident": "Q3CKSTMPD1",
            "number": 4821,
            "sink": "dir",
        }
    ]
    assert docs[-1]["message"].startswith("watch: 1 queued, 1 delivered")
    code, out, _ = invoke("watch", "status", "--state", str(state), "--config", str(config))
    assert out.splitlines()[0] == "1 delivered"
    assert "    delivered to dir " in out and str(world.out / FILENAME) in out


def test_status_of_an_empty_state(tmp_path: Path) -> None:
    code, out, err = invoke("watch", "--state", str(tmp_path / "s.sqlite"), "status")
    assert code == 0, err
    assert out == f"nothing in {tmp_path / 's.sqlite'}\n"


def test_a_state_file_that_fails_mid_run_is_one_line_and_exit_1(world: World) -> None:
    world.fakes.pagerduty.server.clock = None  # the command runs on the real clock
    state = world.tmp / "foreign.sqlite"
    db = sqlite3.connect(state)  # a table of the same name, written by something else
    db.execute("CREATE TABLE incidents (id TEXT PRIMARY KEY, status TEXT)")
    db.close()
    code, out, err = invoke(
        "watch", "--once", "--state", str(state), "--config", str(world.config_path)
    )
    assert code == 1 and out == ""
    lines = logged(err)
    assert lines[-1].startswith("reconstruct: error: the state file failed (OperationalError: ")
    assert lines[-1].endswith(f"({state}); check the disk, then run again")
    assert "internal error" not in err and "Traceback" not in err


def test_a_state_file_on_a_full_disk_is_one_line_naming_it_and_exit_1(world: World) -> None:
    # A real write failure: the child may not grow any file (RLIMIT_FSIZE 0; Python ignores
    # SIGXFSZ, so SQLite's write fails with EFBIG as it would with ENOSPC on a full disk).
    import resource
    import subprocess
    import sys

    state = world.tmp / "full" / "watch.sqlite"

    def no_room() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

    where = ["--state", str(state), "--config", str(world.config_path)]
    for command in (["watch", "--once"], ["serve", "--no-worker"]):
        done = subprocess.run(
            [sys.executable, "-m", "reconstruct", *command, *where],
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=no_room,
            env={**os.environ, "PAGERDUTY_WEBHOOK_SECRET": "whsec-test-0123456789"},
            check=False,
        )
        assert done.returncode == 1, (command, done.stderr)
        lines = logged(done.stderr)
        assert len(lines) == 1, lines
        assert lines[0].startswith(f"reconstruct: error: {state}: cannot open the watch state (")
        assert lines[0].endswith("then run again")
        assert "Traceback" not in done.stderr


def test_a_damaged_state_file_is_exit_1_and_a_state_path_that_cannot_be_one_is_exit_2(
    world: World,
) -> None:
    damaged = world.tmp / "damaged.sqlite"
    damaged.write_bytes(b"this is not an SQLite database, it was overwritten" * 100)
    code, _out, err = invoke(
        "watch", "--once", "--state", str(damaged), "--config", str(world.config_path)
    )
    assert code == 1, err
    assert logged(err)[-1].startswith(f"reconstruct: error: {damaged}: cannot open the watch")
    (world.tmp / "a-file").write_text("", encoding="utf-8")
    under_a_file = world.tmp / "a-file" / "watch.sqlite"
    code, _out, err = invoke(
        "watch", "--once", "--state", str(under_a_file), "--config", str(world.config_path)
    )
    assert code == 2, err
    assert "pass --state FILE or set [watch] state to a writable path" in err


@pytest.mark.parametrize(
    "args",
    [
        ["watch", "status"],
        ["watch", "status", "--json"],
        ["--incident", "demo"],
        ["--incident", "demo", "--format", "json"],
    ],
    ids=["status", "status-json", "draft", "draft-json"],
)
def test_a_closed_stdout_ends_quietly(args: list[str], tmp_path: Path) -> None:
    """``reconstruct … | head -1``: the reader is gone before the first write (the worst case)."""
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        if args[0] == "watch":  # an empty state: ``status`` still prints a line
            args = ["watch", "--state", str(tmp_path / "s.sqlite"), *args[1:]]
        done = subprocess.run(
            [sys.executable, "-m", "reconstruct", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            cwd=tmp_path,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (0, "")
