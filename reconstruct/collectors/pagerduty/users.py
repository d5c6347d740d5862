"""The people an incident names, with their emails: ``GET /users/{id}`` per user.

A log entry or note names people by ``user_reference`` (``id``, ``summary``: the name,
``html_url``), which carries no email; the user object does (``email``, ``name``; PagerDuty REST
API v2, "Get a user", https://developer.pagerduty.com/api-reference/2395ca1feb25e-get-a-user).
The API has no endpoint that lists users by id, so it is one request per person named in the
log entries and notes (the people who were paged, acknowledged, escalated, wrote notes: a few).

Bundle: ``pagerduty/users.json`` holds the ``{"user": {...}}`` bodies, sorted by user id. The
emails let ``normalize.people`` show one name per person across tools. A failure here (a key
that may not read users, an error, the deadline) loses no evidence: the rest of the incident is
kept and a warning says people are matched by the other tools' emails and ``[people] aliases``;
a lookup that could not finish (5xx, no answer, the deadline) also makes the run partial (exit 3).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from reconstruct.collectors._partial import timed_out
from reconstruct.errors import SourceError, SourceUnavailable

if TYPE_CHECKING:
    from reconstruct.collectors.base import CollectContext

USERS_FILE = "pagerduty/users.json"
_USER_TYPES = ("user_reference", "user")


def user_ids(pages: Iterable[Any], key: str) -> set[str]:
    """Ids of the users the records of ``pages[*][key]`` name as ``agent``, ``user`` or
    ``assignees``."""
    found: set[str] = set()
    for page in pages:
        records = page.get(key) if isinstance(page, dict) else None
        for record in records if isinstance(records, list) else []:
            if isinstance(record, dict):
                found.update(_refs(record))
    return found


def _refs(record: dict[str, Any]) -> Iterator[str]:
    for field in ("agent", "user", "assignees"):
        value = record.get(field)
        for ref in value if isinstance(value, list) else [value]:
            if isinstance(ref, dict) and ref.get("type") in _USER_TYPES:
                uid = ref.get("id")
                if isinstance(uid, str) and uid:
                    yield uid


def fetch_users(ctx: CollectContext, ids: set[str]) -> tuple[list[Any], int, list[str], bool]:
    """The user bodies (sorted by id), the requests made, a warning when they could not all be
    read (then none are kept: a partial list would match some people and not others), and
    whether that lookup could not finish (PagerDuty did not serve it, or the deadline): the run
    is partial then (exit 3), as for every source's people lookup; a key that may not read
    users is a warning only."""
    if not ids:
        return [], 0, [], False
    from reconstruct.collectors.pagerduty.live import PagerDutyApi, make_client

    bodies: list[Any] = []
    apis: list[PagerDutyApi] = []

    def look_up() -> None:
        with make_client(ctx.config, ctx.token, verify=ctx.ssl_context()) as client:
            apis.append(PagerDutyApi(client, ctx.pace))
            for uid in sorted(ids):
                body = apis[0].get(
                    f"/users/{quote(uid, safe='')}", what=f"user {uid}", label="users"
                )
                if isinstance(body, dict) and isinstance(body.get("user"), dict):
                    bodies.append(body)

    # On a worker watched until the deadline: a trickling answer passes every read timeout.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pagerduty-users")
    try:
        try:
            pool.submit(look_up).result(timeout=ctx.remaining())
        except TimeoutError:
            raise timed_out(ctx.pace, "users", "PagerDuty") from None
    except SourceError as exc:
        warning = (
            f"users skipped: {exc.detail}; people are matched across tools by the emails "
            "Slack and Grafana hold and by [people] aliases"
        )
        unfinished = isinstance(exc, SourceUnavailable)
        return [], apis[0].requests if apis else 0, [warning], unfinished
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return list(bodies), apis[0].requests if apis else 0, [], False
