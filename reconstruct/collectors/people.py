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
ID, PagerDuty's user id, Grafana's ``userId``, GitHub's account id; and the account's unique
handle (``login``): Slack's username (``name``), a GitHub or Grafana login.

A name several accounts of one tool show (two Slack users whose ``profile.display_name`` is
"Sam Lee", two PagerDuty users with one ``summary``) does not say whose a record is; the record
does: each such identity lists the keys of the records that name its account (``records``): a
Slack message's ``user`` (``slack:<channel>:<ts>``), a PagerDuty log entry's ``agent``, ``user``
or ``assignees`` (``pagerduty:log_entry:<id>``) and a note's ``user`` (``pagerduty:note:<id>``).

A person is never matched on a name here: ``normalize.people`` joins identities by email and by
``[people] aliases`` only.
"""

from __future__ import annotations

from collections import Counter
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
    named: dict[str, tuple[str, dict[str, Any]]] = {}
    for uid, user in users.items():
        if user.get("is_bot") or (user.get("deleted") and not user.get("profile")):
            continue
        if name := display_name(user):
            named[uid] = (name, user)
    accounts = Counter(name for name, _ in named.values())
    shared = {uid for uid, (name, _) in named.items() if accounts[name] > 1}
    records = _slack_records(bundle, shared) if shared else {}
    for uid, (name, user) in sorted(named.items()):
        profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
        assert isinstance(profile, dict)
        yield Identity(
            "slack",
            name,
            email=_text(profile.get("email")).lower(),
            real_name=_text(profile.get("real_name")) or _text(user.get("real_name")),
            handle=_text(profile.get("display_name")) or _text(user.get("name")),
            uid=_text(user.get("id")),
            login=_text(user.get("name")),
            records=frozenset(records.get(uid, ())),
        )


def _slack_records(bundle: Bundle, users: set[str]) -> dict[str, set[str]]:
    """Per user ID in ``users``: the keys of the messages they posted (``user``), in every
    channel's history and thread replies (the files ``collectors.slack.parse`` reads)."""
    out: dict[str, set[str]] = {}
    for path in bundle.files("slack/"):
        parts = path.split("/")
        if len(parts) < 3 or parts[1].startswith("."):
            continue
        if parts[2] != "conversations.history.json" and parts[2] != "replies":
            continue
        for message in iter_records(bundle.pages(path), "messages"):
            user, ts = message.get("user"), message.get("ts")
            if isinstance(user, str) and user in users and isinstance(ts, str):
                out.setdefault(user, set()).add(f"slack:{parts[1]}:{ts}")
    return out


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
                    login=login,
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
    named: dict[tuple[str, str], set[str]] = {}
    """(user id, name) -> the keys of the records naming that user."""
    for prefix, path, key in (
        ("pagerduty:log_entry:", "pagerduty/log_entries.json", "log_entries"),
        ("pagerduty:note:", "pagerduty/notes.json", "notes"),
    ):
        for record in iter_records(bundle.pages(path), key):
            record_key = prefix + _text(record.get("id"))
            for field in ("agent", "user", "assignees"):
                for uid, name in users(record.get(field)):
                    named.setdefault((uid, name), set()).add(record_key)
    accounts = Counter(name for _, name in named)
    for (uid, name), keys in sorted(named.items()):
        yield Identity(
            "pagerduty",
            name,
            email=emails.get(uid, ""),
            real_name=name,
            uid=uid,
            records=frozenset(keys) if accounts[name] > 1 and uid else frozenset(),
        )


def _github(bundle: Bundle) -> Iterator[Identity]:
    from reconstruct.collectors.github.authors import COMMITS_FILE, authors

    for path in bundle.files("github/"):
        if path.endswith("/" + COMMITS_FILE) and path.count("/") == 3:
            for author in authors(bundle.pages(path)):
                # No ``handle``: with ``[people] display = "handle"`` a person shows their chat
                # handle, and the login only when nothing else names them.
                yield Identity(
                    "github", author.login, email=author.email, uid=author.uid, login=author.login
                )
