"""Issue #5: ``reconstruct serve``, the PagerDuty v3 webhook endpoint, in-process through
httpx.ASGITransport: signatures, duplicates, resolve and reopen, and the worker that delivers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reconstruct.cli import cli
from reconstruct.watch.state import State
from reconstruct.watch.webhook import create_app, sign, verify
from tests.fakes.demo_world import DemoWorld
from tests.fakes.server import FakeServer
from tests.test_watch import RESOLVED, Clock, Recording, World

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
    def __init__(self, tmp: Path, clock: Clock) -> None:
        self.state = State(tmp / "hooks.sqlite")
        self.logs: list[str] = []
        self.app = create_app(self.state, SETTLE, SECRET, clock, self.logs.append)

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
    assert result.stderr == (
        "reconstruct: error: PAGERDUTY_WEBHOOK_SECRET is not set; set it to the webhook "
        "subscription's signing secret\n"
    )


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
