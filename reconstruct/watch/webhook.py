"""PagerDuty v3 webhooks: signature check and the ASGI app (starlette) behind ``serve``.

POST /webhook   verify ``X-PagerDuty-Signature`` (HMAC-SHA256 of the raw body, any of the
                comma-separated ``v1=<hex>`` values, constant-time); 401 and nothing stored
                otherwise. Duplicates (same ``X-Webhook-Id`` or event id) answer 200 and
                change nothing. ``incident.resolved`` queues the incident (due = occurred_at
                + settle) and ``incident.reopened`` cancels a draft not yet delivered, in one
                SQLite transaction with the duplicate record; other events: 200, ignored.
                No collection happens here: the answer comes in milliseconds and the work is
                done by ``serve``'s worker loop (or the next ``reconstruct watch --once``).
GET /healthz    200 ``{"ok": true}`` when the state file answers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from reconstruct.errors import ReconstructError
from reconstruct.timeutil import parse_iso
from reconstruct.watch.state import State

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

MAX_BODY = 1_000_000
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


def parse_event(body: bytes, settle: timedelta) -> tuple[str, str, Action | None]:
    """(event id, event type, what to do) from a v3 envelope; BadEvent when malformed."""
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise BadEvent("not JSON") from exc
    event = doc.get("event") if isinstance(doc, dict) else None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise BadEvent("no event envelope")
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
        number if isinstance(number, int) else None,
        str(data.get("title") or ""),
        occurred,
        settle,
    )
    return event_id, event_type, action


def create_app(
    state: State,
    settle: timedelta,
    secret: str,
    now: Callable[[], datetime],
    log: Callable[[str], None],
) -> Starlette:
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def webhook(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "body too large"}, status_code=413)
        if not verify(secret, body, request.headers.get("x-pagerduty-signature")):
            log("serve: webhook refused: no valid X-PagerDuty-Signature")
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        try:
            event_id, event_type, action = parse_event(body, settle)
        except BadEvent as exc:
            log(f"serve: webhook refused: {exc}")
            return JSONResponse({"error": str(exc)}, status_code=400)
        ids = [f"event:{event_id}"]
        if hook := request.headers.get("x-webhook-id"):
            ids.insert(0, f"webhook:{hook}")
        try:
            outcome = await run_in_threadpool(state.webhook, ids, event_type, now(), action)
        except sqlite3.Error as exc:
            log(f"serve: state unavailable ({exc}); PagerDuty will retry")
            return JSONResponse({"error": "state unavailable"}, status_code=503)
        what = f" incident {action[1]}" if action else ""
        log(f"serve: {event_type}{what}: {outcome}")
        status = 202 if outcome in ("new", "requeued", "cancelled") else 200
        return JSONResponse({"status": outcome}, status_code=status)

    async def healthz(request: Request) -> Response:
        try:
            await run_in_threadpool(state.checkpoint)
        except sqlite3.Error:
            return JSONResponse({"ok": False}, status_code=503)
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/webhook", webhook, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
