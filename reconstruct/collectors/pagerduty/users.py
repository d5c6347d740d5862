"""The people an incident names, with their emails: ``GET /users/{id}`` per user.

A log entry or note names people by ``user_reference`` (``id``, ``summary``: the name,
``html_url``), which carries no email; the user object does (``email``, ``name``; PagerDuty REST
API v2, "Get a user", https://developer.pagerduty.com/api-reference/2395ca1feb25e-get-a-user).
The API has no endpoint that lists users by id, so it is one request per person named in the
log entries and notes (the people who were paged, acknowledged, escalated, wrote notes: a few).

Bundle: ``pagerduty/users.json`` holds the ``{"user": {...}}`` bodies, sorted by user id. The
emails let ``normalize.people`` show one name per person across tools. A failure here (a key
that may not read users, an error, the deadline) loses no evidence: the rest of the incident is
kept and a warning says people are matched by the other tools' emails and ``[people] aliases``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from reconstruct.errors import SourceError

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


def fetch_users(ctx: CollectContext, ids: set[str]) -> tuple[list[Any], int, list[str]]:
    """The user bodies (sorted by id), the requests made, and a warning when they could not
    all be read (then none are kept: a partial list would match some people and not others)."""
    if not ids:
        return [], 0, []
    from reconstruct.collectors.pagerduty.live import PagerDutyApi, make_client

    bodies: list[Any] = []
    api: PagerDutyApi | None = None
    try:
        with make_client(ctx.config, ctx.token, verify=ctx.ssl_context()) as client:
            api = PagerDutyApi(client, ctx.pace)
            for uid in sorted(ids):
                body = api.get(f"/users/{quote(uid, safe='')}", what=f"user {uid}", label="users")
                if isinstance(body, dict) and isinstance(body.get("user"), dict):
                    bodies.append(body)
    except SourceError as exc:
        warning = (
            f"users skipped: {exc.detail}; people are matched across tools by the emails "
            "Slack and Grafana hold and by [people] aliases"
        )
        return [], api.requests if api is not None else 0, [warning]
    return bodies, api.requests if api is not None else 0, []
