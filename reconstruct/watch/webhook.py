"""PagerDuty v3 webhooks: signature check and the ASGI app (starlette) behind ``serve``.

POST /webhook   verify ``X-PagerDuty-Signature`` (HMAC-SHA256 of the raw body, any of the
                comma-separated ``v1=<hex>`` values, constant-time); 401 and nothing stored
                otherwise. Duplicates (same ``X-Webhook-Id`` or event id) answer 200 and
                change nothing. ``incident.resolved`` queues the incident (due = occurred_at
                + settle) and ``incident.reopened`` cancels a draft not yet delivered, in one
                SQLite transaction with the duplicate record, ordered by ``occurred_at`` (an
                event older than the last one applied changes nothing); other events: 200,
                ignored. No collection happens here: the answer comes in milliseconds and the
                work is done by ``serve``'s worker loop (or the next ``watch --once``).
GET /healthz    200 ``{"ok": true}`` when the state file answers and the worker runs; 503 with
                ``{"ok": false, "problem": "..."}`` saying why otherwise.

Limits (an unauthenticated client reaches this before any signature check): a body over
``Limits.body`` bytes is refused with 413 from its ``Content-Length`` before it is read, or as
soon as a chunked body passes the limit; a body not complete within ``Limits.read_timeout``
seconds gets 408; more than ``Limits.concurrent`` bodies being read at once get 503 with
``Retry-After`` (PagerDuty retries). ``/healthz`` is never counted or refused. A signed body
that is not JSON or not a v3 event envelope gets 400 and one log line.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from reconstruct.errors import ReconstructError
from reconstruct.timeutil import parse_iso
from reconstruct.watch.logline import Line
from reconstruct.watch.state import State

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

MAX_BODY = 1_000_000
"""Bytes. PagerDuty's v3 payloads are a few kilobytes (the event and a summary of the incident)."""
READ_TIMEOUT = 3.0
"""Seconds for a whole request body to arrive: PagerDuty sends a few kilobytes at once, so a
body still trickling in after this is a slow or hostile client (it gets 408)."""
MAX_CONCURRENT = 64
"""Webhook bodies being read at once; more get 503 (PagerDuty retries a webhook that failed).
``/healthz`` and signed requests past their body do not count."""
SECRET_ENV = "PAGERDUTY_WEBHOOK_SECRET"  # noqa: S105 (a variable name, not a secret)

Action = tuple[str, str, int | None, str, datetime, timedelta]


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """True when any ``v1=`` signature in ``header`` matches (each compared in constant time)."""
    if not header:
        return False
    expected = sign(secret, body).encode()
    ok = False
    for part in header.split(","):
        version, _, value = part.strip().partition("=")
        if version == "v1" and value:
            ok |= hmac.compare_digest(expected, value.strip().lower().encode())
    return ok


class BadEvent(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Limits:
    body: int = MAX_BODY
    read_timeout: float = READ_TIMEOUT
    concurrent: int = MAX_CONCURRENT


class Health:
    """What ``/healthz`` reports about the worker: set by the worker thread, read by requests.

    ``problem`` is one operator-facing line (no secret, no path beyond the state file's)."""

    def __init__(self, *, worker: bool) -> None:
        self.worker = worker
        self._lock = threading.Lock()
        self._problem: str | None = None
        self._thread: threading.Thread | None = None

    def watch(self, thread: threading.Thread) -> None:
        with self._lock:
            self._thread = thread

    def failing(self, problem: str | None) -> None:
        with self._lock:
            self._problem = problem

    def problem(self) -> str | None:
        with self._lock:
            if self.worker and self._thread is not None and not self._thread.is_alive():
                return self._problem or "the worker stopped"
            if self.worker and self._thread is None:
                return "the worker has not started"
            return self._problem


def parse_event(body: bytes, settle: timedelta) -> tuple[str, str, Action | None]:
    """(event id, event type, what to do) from a v3 envelope; BadEvent when malformed."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadEvent("not JSON") from exc
    event = doc.get("event") if isinstance(doc, dict) else None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not event["id"]:
        raise BadEvent("not a v3 webhook: no event envelope with an id")
    event_id, event_type = event["id"], str(event.get("event_type") or "")
    data: Any = event.get("data")
    if event_type not in ("incident.resolved", "incident.reopened"):
        return event_id, event_type, None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise BadEvent(f"{event_type} without incident data")
    try:
        occurred = parse_iso(str(event.get("occurred_at")))
    except (ValueError, ReconstructError) as exc:
        raise BadEvent("bad occurred_at") from exc
    number = data.get("number")
    kind = "resolved" if event_type == "incident.resolved" else "reopened"
    action: Action = (
        kind,
        data["id"],
        number if _incident_number(number) else None,
        str(data.get("title") or ""),
        occurred,
        settle,
    )
    return event_id, event_type, action


class TooLarge(Exception):
    pass


async def read_body(request: Request, limits: Limits) -> bytes:
    """The body, refused (TooLarge) past ``limits.body`` without reading the rest; raises
    TimeoutError when it does not arrive within ``limits.read_timeout``."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limits.body):
        raise TooLarge
    body = bytearray()
    async with asyncio.timeout(limits.read_timeout):
        async for chunk in request.stream():
            body += chunk
            if len(body) > limits.body:
                raise TooLarge
    return bytes(body)


class BodySlots:
    """At most ``limit`` request bodies being read at once. Only the unauthenticated phase
    holds a slot (from the request line until the body is in, at most ``read_timeout``): a
    signed delivery gives its slot back before it is stored, and ``/healthz`` never takes one,
    so slow clients can neither fail the health check nor hold PagerDuty off for longer than
    the read timeout. One event loop: no lock needed."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0

    def take(self) -> bool:
        if self.active >= self.limit:
            return False
        self.active += 1
        return True

    def give_back(self) -> None:
        self.active -= 1


def _incident_number(value: Any) -> bool:
    """A positive integer that fits SQLite's INTEGER (a huge one would overflow, not store)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def create_app(
    state: State,
    settle: timedelta,
    secret: str,
    now: Callable[[], datetime],
    log: Callable[[str], None],
    *,
    health: Health | None = None,
    limits: Limits = Limits(),
) -> Starlette:
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    slots = BodySlots(limits.concurrent)

    async def webhook(request: Request) -> Response:
        if not slots.take():
            log(
                Line(
                    f"serve: webhook refused: {limits.concurrent} bodies already being read",
                    level="warning",
                )
            )
            return JSONResponse({"error": "busy"}, status_code=503, headers={"Retry-After": "5"})
        try:
            body = await read_body(request, limits)
        except TooLarge:
            log(Line(f"serve: webhook refused: body over {limits.body} bytes", level="warning"))
            return JSONResponse(
                {"error": f"body over {limits.body} bytes"},
                status_code=413,
                headers={"Connection": "close"},
            )
        except TimeoutError:
            log(
                Line(
                    f"serve: webhook refused: body not received within {limits.read_timeout:g}s",
                    level="warning",
                )
            )
            return JSONResponse(
                {"error": "request body timed out"},
                status_code=408,
                headers={"Connection": "close"},
            )
        finally:
            slots.give_back()
        if not verify(secret, body, request.headers.get("x-pagerduty-signature")):
            log(Line("serve: webhook refused: no valid X-PagerDuty-Signature", level="warning"))
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        try:
            event_id, event_type, action = parse_event(body, settle)
        except BadEvent as exc:
            log(Line(f"serve: signed webhook refused: {exc}", level="warning"))
            return JSONResponse({"error": str(exc)}, status_code=400)
        ids = [f"event:{event_id}"]
        if hook := request.headers.get("x-webhook-id"):
            ids.insert(0, f"webhook:{hook}")
        try:
            outcome = await run_in_threadpool(state.webhook, ids, event_type, now(), action)
        except sqlite3.Error as exc:
            log(Line(f"serve: state unavailable ({exc}); PagerDuty will retry", level="error"))
            return JSONResponse({"error": "state unavailable"}, status_code=503)
        except Exception as exc:  # noqa: BLE001 (one line, never a traceback; PagerDuty retries)
            log(
                Line(
                    f"serve: webhook not stored (internal error {type(exc).__name__}: {exc}); "
                    "PagerDuty will retry",
                    level="error",
                )
            )
            return JSONResponse({"error": "not stored"}, status_code=503)
        if action is None:
            log(Line(f"serve: {event_type}: {outcome}"))
        else:
            log(
                Line(
                    f"serve: {event_type} incident {action[1]}: {outcome}",
                    incident=action[1],
                    number=action[2],
                )
            )
        status = 202 if outcome in ("new", "requeued", "update", "cancelled") else 200
        return JSONResponse({"status": outcome}, status_code=status)

    async def healthz(request: Request) -> Response:
        try:
            await run_in_threadpool(state.checkpoint)
        except sqlite3.Error as exc:
            broken = f"the state file does not answer ({exc})"
            return JSONResponse({"ok": False, "problem": broken}, status_code=503)
        problem = health.problem() if health is not None else None
        if problem is not None:
            return JSONResponse({"ok": False, "problem": problem}, status_code=503)
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/webhook", webhook, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
    )
