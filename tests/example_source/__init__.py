"""A test-only source ("example"): what adding a source costs, and the proof it costs no more.

It lives only here (its own package) and is registered with one line,
``REGISTRY["example"] = "tests.example_source"`` (``tests/test_example_source.py``); nothing in
``reconstruct/`` names it. Its API is a made-up status page: ``GET /api/events?cursor=C`` answers
``{"events": [{"id", "at" (RFC 3339), "text"}], "next": C or null}``. It uses the shared policy
(``collectors._http``: retries, waits, timeouts) and the shared page guard (``collectors._pages``).
Its config is its own table, ``[example] url = "https://..."`` (``config_model``), and when the
deadline cuts it off mid-request it hands over the pages read (``collectors._partial.Handover``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from reconstruct.bundle import Bundle, BundleWriter, iter_records
from reconstruct.collectors._http import Retry, retry_after, with_retries
from reconstruct.collectors._pages import PageGuard
from reconstruct.collectors._partial import keeping
from reconstruct.collectors.base import CollectContext, Role, Source, SourceTraits
from reconstruct.config import Config
from reconstruct.errors import SourceAuthError, SourceError, SourceTimedOut, SourceUnavailable
from reconstruct.model import Event, Kind, Link

NAME = "example"
TOKEN_ENV = "EXAMPLE_TOKEN"
FILE = "example/events.json"


class ExampleConfig(BaseModel):
    """``[example]``: validated like the built-in tables (a misspelt key is refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    url: str | None = None
    """Where its API is (no URL: not collected)."""


def _url(config: Config) -> str | None:
    table = config.table(NAME)
    return table.url if isinstance(table, ExampleConfig) else None


def _get(ctx: CollectContext, client: Any, params: dict[str, str]) -> Any:
    import httpx

    def attempt(timeout: float) -> Any:
        try:
            reply = client.get("/api/events", params=params, timeout=timeout)
        except httpx.TransportError as exc:
            final = SourceUnavailable(NAME, f"cannot reach the API ({exc})")
            raise Retry("no answer", final) from exc
        if reply.status_code == 429:
            raise Retry(
                "rate limited",
                SourceUnavailable(NAME, "still rate limited; rerun later"),
                wait=retry_after(reply.headers.get("Retry-After")),
                rate_limited=True,
            )
        if reply.status_code >= 500:
            raise Retry(f"HTTP {reply.status_code}", SourceUnavailable(NAME, "the API is down"))
        if reply.status_code == 401:
            raise SourceAuthError(NAME, f"{TOKEN_ENV} was rejected (401); set a valid token")
        if reply.status_code != 200:
            raise SourceError(NAME, f"unexpected HTTP {reply.status_code}")
        return reply.json()

    return with_retries(ctx.pace, attempt, label="events")


def _write(out: BundleWriter, pages: list[Any]) -> list[str]:
    """Write the pages read; what was kept, for the source's line."""
    out.add(FILE, pages)
    return [f"events ({sum(len(p.get('events') or []) for p in pages)})"] if pages else []


def collect(ctx: CollectContext, out: BundleWriter) -> Mapping[str, Any]:
    import httpx

    if ctx.token is None:
        raise SourceAuthError(NAME, f"{TOKEN_ENV} is missing; set it")
    headers = {"Authorization": f"Bearer {ctx.token.reveal()}"}
    pages: list[Any] = []
    warnings: list[str] = []
    guard = PageGuard(ctx.policy.max_pages)
    # cut off at the deadline in the middle of a request: the orchestrator writes these
    ctx.handover.offer(lambda: _write(out, list(pages)))
    with httpx.Client(
        base_url=str(_url(ctx.config)), headers=headers, verify=ctx.ssl_context()
    ) as c:
        cursor = ""
        while not guard.full():
            asking = f"events page {guard.pages + 1}"
            try:
                with ctx.handover.asking(asking):
                    body = _get(ctx, c, {"cursor": cursor} if cursor else {})
            except SourceError as exc:  # its own failure (retries spent): keep what was read
                if not ctx.handover.claim():
                    raise  # cut off: the orchestrator already wrote the pages handed over
                said = exc  # the deadline's line names the request already
                if not isinstance(exc, SourceTimedOut):
                    said = type(exc)(NAME, f"{asking}: {exc.detail}")
                raise keeping(said, _write(out, pages)) from exc
            pages.append(body)
            guard.repeated(cursor)
            cursor = str(body.get("next") or "")
            if not cursor:
                break
            if guard.seen(cursor):
                warnings.append("events: the next cursor came back; later events may be missing")
                break
    if not ctx.handover.claim():
        return {}  # cut off: the orchestrator wrote the pages and recorded the source
    out.add(FILE, pages)
    meta: dict[str, Any] = {"events": sum(len(p.get("events") or []) for p in pages)}
    if warnings:
        meta["warnings"] = warnings
    return meta


def parse(bundle: Bundle) -> Iterator[Event]:
    if FILE not in bundle.files(f"{NAME}/"):
        return
    for record in iter_records(bundle.pages(FILE), "events"):
        when = datetime.fromisoformat(str(record["at"]))
        yield Event(
            time=when,
            kind=Kind.UPDATE,
            summary=str(record.get("text") or "status update"),
            sources=(NAME,),
            links=(Link(NAME, f"https://status.example.com/events/{record['id']}"),),
            key=f"{NAME}:{record['id']}",
            scope=f"{NAME}:status",
        )


def _skip_reason(config: Config, options: Mapping[str, Any]) -> str | None:
    return None if _url(config) else "no example API configured (set [example] url)"


SOURCE = Source(
    name=NAME,
    parse=parse,
    collect=collect,
    token_env=TOKEN_ENV,
    skip_reason=_skip_reason,
    config_model=ExampleConfig,
    traits=SourceTraits(
        Role.TOOL,
        authority=5,
        noun=("status update", "status updates"),
        reasons=(("update", "status page update"),),
    ),
)
