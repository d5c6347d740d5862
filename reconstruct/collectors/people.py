"""Who is who, per source, from what the bundle already holds: ``identities(bundle)``.

- Slack: ``users.list`` / ``users.info`` (and an export's ``users.json``): the name messages show
  (``profile.display_name``, else the real name, else ``name``), ``profile.email`` (present only
  when the token has ``users:read.email``; https://api.slack.com/methods/users.info), the real
  name and the handle.
- Grafana: each annotation's ``login`` with its ``email`` (``GET /api/annotations`` returns both,
  https://grafana.com/docs/grafana/latest/developers/http_api/annotations/).
- PagerDuty: the users its log entries and notes name (``agent``, ``user``, ``assignees``:
  ``user_reference`` objects carry ``summary``, the user's name, and no email), with the email of
  each from ``pagerduty/users.json`` (``GET /users/{id}``, ``collectors.pagerduty.users``).
- GitHub: PR and deployment objects carry a login and no email; the commit authors a live run
  reads (``github/<owner>/<repo>/commits.json``, ``collectors.github.authors``) pair a login with
  the email of its commits (GitHub noreply addresses and bots left out). A login without such a
  commit is a person only through ``[people] aliases`` (``"github:marco-bianchi"``).

Each identity carries the tool's own account id (``uid``) where the records show it: Slack's user
ID, PagerDuty's user id, Grafana's ``userId``, GitHub's account id.

A person is never matched on a name here: ``normalize.people`` joins identities by email and by
``[people] aliases`` only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from typing import Any

from reconstruct.bundle import Bundle, iter_records
from reconstruct.model import Identity


def identities(bundle: Bundle) -> list[Identity]:
    """Every identity the bundle holds, deduplicated, sorted."""
    found: set[Identity] = set()
    for reader in (_slack, _grafana, _pagerduty, _github):
        with suppress(Exception):  # the parsers report a corrupt file; names are optional
            found.update(reader(bundle))
    return sorted(found)


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _slack(bundle: Bundle) -> Iterator[Identity]:
    from reconstruct.collectors.slack.parse import display_name

    users: dict[str, dict[str, Any]] = {}
    for user in iter_records(bundle.pages("slack/users.list.json"), "members"):
        users[str(user.get("id"))] = user
    for user in iter_records(bundle.pages("slack/users.info.json"), "user"):
        users[str(user.get("id"))] = user
    for user in users.values():
        if user.get("is_bot") or (user.get("deleted") and not user.get("profile")):
            continue
        name = display_name(user)
        if not name:
            continue
        profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
        assert isinstance(profile, dict)
        yield Identity(
            "slack",
            name,
            email=_text(profile.get("email")).lower(),
            real_name=_text(profile.get("real_name")) or _text(user.get("real_name")),
            handle=_text(profile.get("display_name")) or _text(user.get("name")),
            uid=_text(user.get("id")),
        )


def _grafana(bundle: Bundle) -> Iterator[Identity]:
    for page in bundle.pages("grafana/annotations.json"):
        if not isinstance(page, list):
            continue
        for record in page:
            if not isinstance(record, dict):
                continue
            login, email = _text(record.get("login")), _text(record.get("email")).lower()
            uid = record.get("userId")
            if login:
                yield Identity(
                    "grafana",
                    login,
                    email=email,
                    handle=login,
                    uid=str(uid) if isinstance(uid, int) and uid > 0 else "",
                )


def _pagerduty(bundle: Bundle) -> Iterator[Identity]:
    def users(value: Any) -> Iterator[tuple[str, str]]:
        refs = value if isinstance(value, list) else [value]
        for ref in refs:
            if isinstance(ref, dict) and _text(ref.get("type")) in ("user_reference", "user"):
                if name := _text(ref.get("summary")) or _text(ref.get("name")):
                    yield _text(ref.get("id")), name

    emails = {
        _text(user.get("id")): _text(user.get("email")).lower()
        for user in iter_records(bundle.pages("pagerduty/users.json"), "user")
    }
    records = [
        *iter_records(bundle.pages("pagerduty/log_entries.json"), "log_entries"),
        *iter_records(bundle.pages("pagerduty/notes.json"), "notes"),
    ]
    for record in records:
        for field in ("agent", "user", "assignees"):
            for uid, name in users(record.get(field)):
                yield Identity(
                    "pagerduty", name, email=emails.get(uid, ""), real_name=name, uid=uid
                )


def _github(bundle: Bundle) -> Iterator[Identity]:
    files = bundle.files("github/")
    if not files:  # GitHub not collected: its modules not imported
        return
    from reconstruct.collectors.github.authors import COMMITS_FILE, authors

    for path in files:
        if path.endswith("/" + COMMITS_FILE) and path.count("/") == 3:
            for author in authors(bundle.pages(path)):
                # No ``handle``: with ``[people] display = "handle"`` a person shows their chat
                # handle, and the login only when nothing else names them.
                yield Identity("github", author.login, email=author.email, uid=author.uid)
