"""Issue #5: ``reconstruct serve``, the PagerDuty v3 webhook endpoint, in-process through
httpx.ASGITransport: signatures, duplicates, resolve and reopen, and the worker that delivers."""

from __future__ import annotations

import asyncio
import errno
import json
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reconstruct.cli import cli
from reconstruct.watch.commands import EXIT_PORT_IN_USE
from reconstruct.watch.state import State
from reconstruct.watch.webhook import MAX_BODY, Health, Limits, create_app, sign, verify
from reconstruct.watch.worker import Worker
from tests.fakes.demo_world import DemoWorld
from tests.fakes.server import FakeServer
from tests.test_watch import RESOLVED, Clock, Killed, Recording, World, logged

SECRET = "whsec-test-0123456789"
SETTLE = timedelta(minutes=10)


def envelope(event_type: str, *, event_id: str = "01EVT0001", when: datetime = RESOLVED) -> bytes:
    event: dict[str, Any] = {
        "id": event_id,
        "event_type": event_type,
        "resource_type": "incident",
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "agent": None,
        "client": None,
        "data": {
            "id": "Q3CKSTMPD1",
            "type": "incident",
            "number": 4821,
            "status": "resolved" if event_type == "incident.resolved" else "triggered",
            "title": "Checkout returning 5xx for most requests",
        },
    }
    return json.dumps({"event": event}).encode()


class Hook:
    def __init__(
        self,
        tmp: Path,
        clock: Clock,
        *,
        health: Health | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.state = State(tmp / "hooks.sqlite")
        self.logs: list[str] = []
        self.app = create_app(
            self.state,
            SETTLE,
            SECRET,
            clock,
            self.logs.append,
            health=health,
            limits=limits or Limits(),
        )

    def post(
        self, body: bytes, *, signature: str | None = "good", hook_id: str | None = "wh-1"
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if signature == "good":
            signature = f"v1={sign(SECRET, body)}"
        if signature is not None:
            headers["X-PagerDuty-Signature"] = signature
        if hook_id is not None:
            headers["X-Webhook-Id"] = hook_id
        return self.request("POST", "/webhook", content=body, headers=headers)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://hook") as client:
                return await client.request(method, path, **kwargs)

        return asyncio.run(go())


@pytest.fixture
def clock() -> Clock:
    return Clock(RESOLVED + timedelta(seconds=2))


@pytest.fixture
def hook(tmp_path: Path, clock: Clock) -> Hook:
    return Hook(tmp_path, clock)


def test_verify_accepts_any_matching_v1_signature() -> None:
    body = b'{"event": {}}'
    good = sign(SECRET, body)
    assert verify(SECRET, body, f"v1={good}")
    assert verify(SECRET, body, f"v1={'0' * 64}, v1={good}")  # secret rotation
    assert not verify(SECRET, body, f"v1={'0' * 64}")
    assert not verify(SECRET, body, f"v0={good}")
    assert not verify(SECRET, body + b" ", f"v1={good}")
    assert not verify(SECRET, body, "")
    assert not verify(SECRET, body, None)


def test_signed_resolved_webhook_queues_the_incident(hook: Hook) -> None:
    response = hook.post(envelope("incident.resolved"))
    assert response.status_code == 202
    assert response.json() == {"status": "new"}
    row = hook.state.get("Q3CKSTMPD1")
    assert row is not None and row.status == "pending" and row.number == 4821
    assert row.due_at == RESOLVED + SETTLE
    assert hook.logs == ["serve: incident.resolved incident Q3CKSTMPD1: new"]


@pytest.mark.parametrize(
    "signature", [None, "v1=" + "0" * 64, "v1=", "sha256=abc", "garbage"], ids=str
)
def test_unsigned_or_wrongly_signed_webhooks_are_refused_and_nothing_is_queued(
    hook: Hook, signature: str | None
) -> None:
    response = hook.post(envelope("incident.resolved"), signature=signature)
    assert response.status_code == 401
    assert hook.state.all() == []
    # the same delivery, properly signed, is not mistaken for a duplicate afterwards
    assert hook.post(envelope("incident.resolved")).status_code == 202


def test_signature_of_another_body_is_refused(hook: Hook) -> None:
    other = f"v1={sign(SECRET, envelope('incident.resolved', event_id='X'))}"
    assert hook.post(envelope("incident.resolved"), signature=other).status_code == 401
    assert hook.state.all() == []


def test_rotation_header_with_the_new_secret_second_is_accepted(hook: Hook) -> None:
    body = envelope("incident.resolved")
    header = f"v1={sign('old-secret', body)},v1={sign(SECRET, body)}"
    assert hook.post(body, signature=header).status_code == 202


def test_replayed_webhooks_are_ignored(hook: Hook, clock: Clock) -> None:
    body = envelope("incident.resolved")
    assert hook.post(body).status_code == 202
    clock.advance(minutes=1)
    again = hook.post(body)
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    # same event redelivered under another webhook id
    other = hook.post(body, hook_id="wh-2")
    assert other.json() == {"status": "duplicate"}
    row = hook.state.get("Q3CKSTMPD1")
    assert row is not None and row.due_at == RESOLVED + SETTLE


def test_reopen_before_the_settle_delay_cancels_the_draft(
    hook: Hook, clock: Clock, tmp_path: Path
) -> None:
    from reconstruct.config import Config
    from reconstruct.watch.runner import Watcher

    assert hook.post(envelope("incident.resolved")).status_code == 202
    clock.advance(minutes=3)
    reopened = hook.post(
        envelope("incident.reopened", event_id="01EVT0002", when=clock()), hook_id="wh-2"
    )
    assert (reopened.status_code, reopened.json()) == (202, {"status": "cancelled"})
    row = hook.state.get("Q3CKSTMPD1")
    assert row is not None and row.status == "cancelled"

    clock.advance(minutes=30)
    sink = Recording()
    watcher = Watcher(
        Config(), hook.state, [sink], now=clock, log=hook.logs.append, bundles=tmp_path / "b"
    )
    report = watcher.process_due()
    assert (report.delivered, sink.calls) == (0, 0)

    # resolved again later: queued again
    resolved_again = hook.post(
        envelope("incident.resolved", event_id="01EVT0003", when=clock()), hook_id="wh-3"
    )
    assert resolved_again.json() == {"status": "requeued"}


def test_other_events_are_acknowledged_and_ignored(hook: Hook) -> None:
    response = hook.post(envelope("incident.priority_updated"))
    assert (response.status_code, response.json()) == (200, {"status": "ignored"})
    assert hook.state.all() == []


def test_malformed_signed_body_is_a_400(hook: Hook) -> None:
    assert hook.post(b"not json").status_code == 400
    assert hook.post(b'{"event": {"id": "E", "event_type": "incident.resolved"}}').status_code == (
        400
    )
    assert hook.state.all() == []


def test_healthz(hook: Hook) -> None:
    response = hook.request("GET", "/healthz")
    assert (response.status_code, response.json()) == (200, {"ok": True})
    assert hook.request("GET", "/webhook").status_code == 405


def test_serve_refuses_to_start_without_the_secret(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--state", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 2
    assert logged(result.stderr) == [
        "reconstruct: error: PAGERDUTY_WEBHOOK_SECRET is not set; set it to the webhook "
        "subscription's signing secret"
    ]


def test_a_queued_webhook_is_delivered_by_the_worker_once_settled(
    make_server: Callable[..., FakeServer],
    ca_bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    DemoWorld.set_tokens(monkeypatch)
    world = World(make_server, ca_bundle, tmp_path)
    hook = Hook(tmp_path, world.clock)
    world.state_path = hook.state.path
    assert hook.post(envelope("incident.resolved")).status_code == 202
    sink = Recording()
    assert world.watcher(sink).process_due().waiting == 1
    assert world.collections() == 0
    world.clock.advance(minutes=11)
    report = world.watcher(sink).process_due()
    assert (report.delivered, report.failed) == (1, 0)
    assert [d.incident.id for d in sink.drafts] == ["Q3CKSTMPD1"]
    assert world.watcher(sink).process_due().delivered == 0


def test_webhook_timestamps_are_utc(hook: Hook) -> None:
    hook.post(envelope("incident.resolved"))
    row = hook.state.get("Q3CKSTMPD1")
    assert row is not None and row.resolved_at.tzinfo == UTC


def test_a_real_uvicorn_server_answers_on_loopback(hook: Hook) -> None:
    import threading
    import time

    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(hook.app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)  # waiting for the socket, not for settle logic
        port = server.servers[0].sockets[0].getsockname()[1]
        body = envelope("incident.resolved")
        started = time.monotonic()
        response = httpx.post(
            f"http://127.0.0.1:{port}/webhook",
            content=body,
            headers={"X-PagerDuty-Signature": f"v1={sign(SECRET, body)}", "X-Webhook-Id": "w"},
        )
        assert response.status_code == 202
        assert time.monotonic() - started < 5
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"ok": True}
    finally:
        server.should_exit = True
        thread.join(10)


# -- issue #14: order, limits, malformed bodies, the worker's health ------------------------------
def post_event(hook: Hook, event_type: str, when: datetime, n: int) -> httpx.Response:
    return hook.post(envelope(event_type, event_id=f"01EVT{n:04d}", when=when), hook_id=f"wh-{n}")


def test_a_late_reopen_never_cancels_a_later_resolve(hook: Hook) -> None:
    # PagerDuty: resolved 10:29:31, reopened 10:31, resolved again 10:35 -- delivered out of order
    second = RESOLVED + timedelta(minutes=5, seconds=29)
    assert post_event(hook, "incident.resolved", second, 3).json() == {"status": "new"}
    late_reopen = post_event(hook, "incident.reopened", RESOLVED + timedelta(minutes=1), 2)
    assert (late_reopen.status_code, late_reopen.json()) == (200, {"status": "stale"})
    late_resolve = post_event(hook, "incident.resolved", RESOLVED, 1)
    assert late_resolve.json() == {"status": "known"}
    row = hook.state.get("Q3CKSTMPD1")
    assert row is not None and row.status == "pending"
    assert (row.resolved_at, row.due_at) == (second, second + SETTLE)
    assert "serve: incident.reopened incident Q3CKSTMPD1: stale" in hook.logs


def test_a_reopen_that_arrives_before_the_resolve_it_followed_is_remembered(hook: Hook) -> None:
    reopened = RESOLVED + timedelta(minutes=1)
    assert post_event(hook, "incident.reopened", reopened, 2).json() == {"status": "noted"}
    assert post_event(hook, "incident.resolved", RESOLVED, 1).json() == {"status": "known"}
    assert hook.state.get("Q3CKSTMPD1").status == "cancelled"  # type: ignore[union-attr]
    again = RESOLVED + timedelta(minutes=4)
    response = post_event(hook, "incident.resolved", again, 3)
    assert (response.status_code, response.json()) == (202, {"status": "requeued"})
    assert hook.state.get("Q3CKSTMPD1").due_at == again + SETTLE  # type: ignore[union-attr]


def test_resolved_again_after_delivery_queues_an_update(hook: Hook, clock: Clock) -> None:
    assert post_event(hook, "incident.resolved", RESOLVED, 1).status_code == 202
    row = hook.state.claim("Q3CKSTMPD1", "me", RESOLVED + SETTLE, timedelta(minutes=5))
    assert row is not None
    hook.state.record_delivery(row.id, "me", "dir", "/pm/x.md", RESOLVED + SETTLE)
    hook.state.release(row.id, "me", RESOLVED + SETTLE, status="delivered")
    reopened = post_event(hook, "incident.reopened", RESOLVED + timedelta(minutes=20), 2)
    assert reopened.json() == {"status": "noted"}, "a delivered draft cannot be taken back"
    again = RESOLVED + timedelta(minutes=30)
    response = post_event(hook, "incident.resolved", again, 3)
    assert (response.status_code, response.json()) == (202, {"status": "update"})
    row = hook.state.get("Q3CKSTMPD1")
    assert row is not None and (row.status, row.revision) == ("pending", 2)
    assert hook.state.delivered("Q3CKSTMPD1") == {}, "every sink gets the update"


def delivered_once(hook: Hook) -> None:
    assert post_event(hook, "incident.resolved", RESOLVED, 1).status_code == 202
    row = hook.state.claim("Q3CKSTMPD1", "me", RESOLVED + SETTLE, timedelta(minutes=5))
    assert row is not None
    hook.state.record_delivery(row.id, "me", "dir", "/pm/x.md", RESOLVED + SETTLE)
    hook.state.release(row.id, "me", RESOLVED + SETTLE, status="delivered")


def test_a_flap_within_a_minute_of_the_delivered_resolution_still_gets_an_update(
    hook: Hook,
) -> None:
    # PagerDuty: resolved 10:29:31 (delivered), reopened 10:29:51, resolved again 10:30:11
    delivered_once(hook)
    reopened = post_event(hook, "incident.reopened", RESOLVED + timedelta(seconds=20), 2)
    assert reopened.json() == {"status": "noted"}
    again = RESOLVED + timedelta(seconds=40)
    response = post_event(hook, "incident.resolved", again, 3)
    assert (response.status_code, response.json()) == (202, {"status": "update"})
    row = hook.state.get("Q3CKSTMPD1")
    assert row is not None and (row.status, row.revision, row.resolved_at) == ("pending", 2, again)
    assert post_event(hook, "incident.resolved", again, 4).json() == {"status": "known"}


def test_a_flap_whose_resolve_arrives_before_its_reopen_still_gets_one_update(hook: Hook) -> None:
    delivered_once(hook)
    again = RESOLVED + timedelta(seconds=40)
    assert post_event(hook, "incident.resolved", again, 3).json() == {"status": "known"}
    late_reopen = post_event(hook, "incident.reopened", RESOLVED + timedelta(seconds=20), 2)
    assert (late_reopen.status_code, late_reopen.json()) == (202, {"status": "update"})
    row = hook.state.get("Q3CKSTMPD1")
    assert row is not None and (row.status, row.revision, row.resolved_at) == ("pending", 2, again)
    assert post_event(hook, "incident.resolved", again, 4).json() == {"status": "known"}
    assert hook.state.get("Q3CKSTMPD1").revision == 2  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe{}", "not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
        (b"[1, 2]", "not a v3 webhook"),
        (b'{"messages": []}', "not a v3 webhook"),
        (b'{"event": {"id": 7}}', "not a v3 webhook"),
        (b'{"event": {"id": "E", "event_type": "incident.resolved"}}', "without incident data"),
        (
            b'{"event": {"id": "E", "event_type": "incident.resolved", "data": {"id": "P"},'
            b' "occurred_at": "yesterday"}}',
            "bad occurred_at",
        ),
    ],
    ids=["text", "not-utf8", "deeply-nested", "array", "v2", "id-not-text", "no-data", "when"],
)
def test_a_signed_body_that_is_not_a_v3_event_is_a_400_and_one_log_line(
    hook: Hook, body: bytes, why: str
) -> None:
    response = hook.post(body)
    assert response.status_code == 400
    assert why in response.json()["error"]
    assert len(hook.logs) == 1 and hook.logs[0].startswith("serve: signed webhook refused: ")
    assert hook.state.all() == []


def test_an_oversized_body_is_refused_from_its_length_before_it_is_read(hook: Hook) -> None:
    big = b"{" + b" " * MAX_BODY + b"}"
    response = hook.post(big)
    assert (response.status_code, response.json()) == (413, {"error": "body over 1000000 bytes"})

    # chunked (no Content-Length): refused once past the limit
    async def chunks() -> Any:
        for _ in range(20):
            yield b" " * 100_000

    response = hook.request(
        "POST", "/webhook", content=chunks(), headers={"X-PagerDuty-Signature": "v1=00"}
    )
    assert response.status_code == 413
    assert hook.state.all() == []


class Served:
    """``hook.app`` behind a real uvicorn on a loopback port (like ``serve``)."""

    def __init__(self, app: Any) -> None:
        import threading
        import time

        import uvicorn

        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)  # waiting for the socket, not for settle logic
        self.port = self.server.servers[0].sockets[0].getsockname()[1]

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def head(length: int) -> bytes:
    return (
        "POST /webhook HTTP/1.1\r\nHost: hook\r\nContent-Type: application/json\r\n"
        f"X-PagerDuty-Signature: v1=00\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def answer(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_real_server_refuses_an_oversized_body_without_waiting_for_it(
    tmp_path: Path, clock: Clock
) -> None:
    hook = Hook(tmp_path, clock)
    served = Served(hook.app)
    try:
        with served.connect() as sock:
            sock.sendall(head(500_000_000) + b'{"event"')  # 500 MB announced, 8 bytes sent
            assert answer(sock).startswith(b"HTTP/1.1 413 ")
    finally:
        served.close()


def test_a_slow_client_gets_a_408_and_does_not_hold_the_endpoint(
    tmp_path: Path, clock: Clock
) -> None:
    hook = Hook(tmp_path, clock, limits=Limits(read_timeout=0.5))
    served = Served(hook.app)
    try:
        with served.connect() as sock:
            sock.sendall(head(1000) + b'{"event": ')  # and then nothing more
            assert answer(sock).startswith(b"HTTP/1.1 408 ")
        assert hook.logs == ["serve: webhook refused: body not received within 0.5s"]
        body = envelope("incident.resolved")
        response = httpx.post(
            f"http://127.0.0.1:{served.port}/webhook",
            content=body,
            headers={"X-PagerDuty-Signature": f"v1={sign(SECRET, body)}"},
        )
        assert response.status_code == 202
    finally:
        served.close()


def test_slow_unsigned_bodies_never_fail_healthz_and_hold_pagerduty_off_only_briefly(
    tmp_path: Path, clock: Clock
) -> None:
    import time

    hook = Hook(tmp_path, clock, limits=Limits(concurrent=2, read_timeout=1.0))
    served = Served(hook.app)
    url = f"http://127.0.0.1:{served.port}"
    body = envelope("incident.resolved")
    signed = {"X-PagerDuty-Signature": f"v1={sign(SECRET, body)}"}
    held = [served.connect() for _ in range(2)]
    try:
        for sock in held:
            sock.sendall(head(1000) + b"{")  # in progress: waiting for the rest of the body
        time.sleep(0.3)  # let uvicorn hand both to the app (nothing is asserted about timing)
        health = httpx.get(f"{url}/healthz")
        assert (health.status_code, health.json()) == (200, {"ok": True}), "never counted"
        busy = httpx.post(f"{url}/webhook", content=body, headers=signed)
        assert (busy.status_code, busy.headers["retry-after"]) == (503, "5")
        assert "serve: webhook refused: 2 bodies already being read" in hook.logs
        for sock in held:  # the slow clients are cut off at the read timeout
            assert answer(sock).startswith(b"HTTP/1.1 408 ")
        delivered = httpx.post(f"{url}/webhook", content=body, headers=signed)
        assert (delivered.status_code, delivered.json()) == (202, {"status": "new"})
    finally:
        for sock in held:
            sock.close()
        served.close()


def test_healthz_reports_a_dead_worker_and_a_failing_pass(
    make_server: Callable[..., FakeServer],
    ca_bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    DemoWorld.set_tokens(monkeypatch)
    world = World(make_server, ca_bundle, tmp_path)
    health = Health(worker=True)
    hook = Hook(tmp_path, world.clock, health=health)
    world.state_path = hook.state.path
    assert hook.request("GET", "/healthz").status_code == 503, "the worker has not started"
    assert hook.post(envelope("incident.resolved")).status_code == 202
    world.clock.advance(minutes=15)

    class Dies(Recording):
        def deliver(self, draft: Any) -> str:
            raise Killed  # not an Exception: nothing may catch it

    worker = Worker(world.watcher(Dies()), health, hook.logs.append, timedelta(seconds=0.01))
    stop = threading.Event()
    thread = worker.start(stop)
    thread.join(10)
    assert not thread.is_alive()
    response = hook.request("GET", "/healthz")
    assert (response.status_code, response.json()) == (
        503,
        {"ok": False, "problem": "the worker stopped (Killed)"},
    )
    assert "serve: worker stopped (Killed)" in hook.logs


def test_the_worker_survives_an_oserror_and_delivers_on_a_later_pass(
    make_server: Callable[..., FakeServer],
    ca_bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    DemoWorld.set_tokens(monkeypatch)
    world = World(make_server, ca_bundle, tmp_path)
    health = Health(worker=True)
    hook = Hook(tmp_path, world.clock, health=health)
    world.state_path = hook.state.path
    assert hook.post(envelope("incident.resolved")).status_code == 202
    world.clock.advance(minutes=15)

    class FullDisk(Recording):
        def deliver(self, draft: Any) -> str:
            if not self.calls:
                self.calls += 1
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().deliver(draft)

    sink = FullDisk()
    worker = Worker(world.watcher(sink), health, hook.logs.append, timedelta(seconds=0.01))
    stop = threading.Event()
    thread = worker.start(stop)
    try:
        deadline = time.monotonic() + 20
        while sink.calls == 0 or worker.passes < 3:
            assert time.monotonic() < deadline
            time.sleep(0.01)  # waiting for the worker's passes, not for settle logic
        assert thread.is_alive()
        assert hook.request("GET", "/healthz").json() == {"ok": True}
        row = hook.state.get("Q3CKSTMPD1")
        assert row is not None and row.owner is None and row.failures == 1
        assert any(
            line.startswith("Q3CKSTMPD1 (#4821): failed: recording: OSError: No space left")
            for line in world.logs
        )
        assert sink.drafts == [], "backing off: the later passes did not retry yet"
        world.clock.advance(minutes=2)
        while not sink.drafts:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        passes = worker.passes
        while worker.passes < passes + 3:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(10)
    assert len(sink.drafts) == 1
    assert hook.state.get("Q3CKSTMPD1").status == "delivered"  # type: ignore[union-attr]


def test_a_pass_that_cannot_run_shows_in_healthz_and_recovers(tmp_path: Path, clock: Clock) -> None:
    from reconstruct.config import Config
    from reconstruct.watch.runner import Watcher

    health = Health(worker=True)
    hook = Hook(tmp_path, clock, health=health)
    broken = State(tmp_path / "other.sqlite")
    watcher = Watcher(
        Config(), broken, [Recording()], now=clock, log=hook.logs.append, bundles=tmp_path / "b"
    )
    worker = Worker(watcher, health, hook.logs.append, timedelta(minutes=5))
    health.watch(threading.current_thread())  # stands for the worker thread: alive
    broken.path.unlink()
    broken.path.mkdir()  # the state file is now a directory: nothing can open it
    assert worker.pass_once() is False
    response = hook.request("GET", "/healthz")
    assert response.status_code == 503
    assert response.json()["problem"] == (
        "the worker's last pass failed: the state file failed "
        "(OperationalError: unable to open database file)"
    )
    broken.path.rmdir()
    State(broken.path)
    assert worker.pass_once() is True
    assert hook.request("GET", "/healthz").json() == {"ok": True}


def test_serve_on_a_port_in_use_is_one_line_and_exit_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    config = tmp_path / "reconstruct.toml"
    config.write_text(f'[deliver]\ndir = "{tmp_path / "out"}"\n[serve]\nport = {port}\n')
    monkeypatch.setenv("PAGERDUTY_WEBHOOK_SECRET", SECRET)
    args = ["serve", "--config", str(config), "--state", str(tmp_path / "s.sqlite")]
    try:
        result = CliRunner().invoke(cli, args)
        as_json = CliRunner().invoke(cli, [*args, "--log-format", "json"])
    finally:
        taken.close()
    assert result.exit_code == as_json.exit_code == EXIT_PORT_IN_USE == 4
    message = (
        f"serve: error: 127.0.0.1:{port} is already in use by another process; "
        "stop it or set another [serve] port"
    )
    assert logged(result.stderr) == [f"reconstruct: {message}"]
    [line] = as_json.stderr.splitlines()
    record = json.loads(line)
    assert (record["level"], record["message"]) == ("error", message)


def test_after_a_late_reopen_the_draft_is_still_delivered_exactly_once(
    make_server: Callable[..., FakeServer],
    ca_bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    DemoWorld.set_tokens(monkeypatch)
    world = World(make_server, ca_bundle, tmp_path)
    hook = Hook(tmp_path, world.clock)
    world.state_path = hook.state.path
    assert post_event(hook, "incident.resolved", RESOLVED, 2).status_code == 202
    # a reopen from before that resolution (PagerDuty retried its delivery late)
    stale = post_event(hook, "incident.reopened", RESOLVED - timedelta(minutes=9), 1)
    assert stale.json() == {"status": "stale"}
    world.clock.advance(minutes=11)
    sink = Recording()
    report = world.watcher(sink).process_due()
    assert (report.delivered, report.cancelled) == (1, 0)
    world.clock.advance(minutes=30)
    assert world.watcher(sink).process_due().delivered == 0
    assert len(sink.drafts) == 1


@pytest.mark.parametrize("number", [10**30, True, -1, "4821"], ids=str)
def test_an_incident_number_that_cannot_be_one_is_left_out(hook: Hook, number: Any) -> None:
    doc = json.loads(envelope("incident.resolved"))
    doc["event"]["data"]["number"] = number
    response = hook.post(json.dumps(doc).encode())
    assert (response.status_code, response.json()) == (202, {"status": "new"})
    row = hook.state.get("Q3CKSTMPD1")
    assert row is not None and row.number is None
