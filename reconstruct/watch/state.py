"""The watcher's durable state in one SQLite file.

Every change is one ``BEGIN IMMEDIATE`` transaction (one writer at a time; readers wait up to
``BUSY_TIMEOUT``). An incident is worked on only by the run holding its lease (``owner`` and
``lease_until``): a concurrent run skips it, and a crashed run's lease simply expires. A sink is
recorded in ``deliveries`` only after it returned, so a run that dies in between delivers that
sink again (sinks are idempotent for this reason) and never the ones already recorded.

Incident status: ``pending`` (queued; settling until ``due_at``), ``built`` (draft rendered and
kept here, some sinks still to deliver), ``delivered`` (every sink done), ``cancelled``
(reopened before it was delivered; a later resolution queues it again).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reconstruct.errors import ConfigError

BUSY_TIMEOUT = 30.0
OPEN = ("pending", "built")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,
    number INTEGER,
    title TEXT NOT NULL DEFAULT '',
    resolved_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT,
    lease_until TEXT,
    bundle_path TEXT,
    markdown TEXT,
    slack_channel TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    incident_id TEXT NOT NULL,
    sink TEXT NOT NULL,
    location TEXT NOT NULL,
    delivered_at TEXT NOT NULL,
    PRIMARY KEY (incident_id, sink)
);
CREATE TABLE IF NOT EXISTS webhook_events (
    id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    received_at TEXT NOT NULL
);
"""


def ts(when: datetime) -> str:
    """Fixed-width UTC text: compares in SQL the way the times compare."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: str
    number: int | None
    title: str
    resolved_at: datetime
    due_at: datetime
    status: str
    owner: str | None
    lease_until: datetime | None
    bundle_path: str | None
    markdown: str | None
    slack_channel: str | None
    attempts: int
    last_error: str | None

    @property
    def label(self) -> str:
        return f"{self.id} (#{self.number})" if self.number is not None else self.id


def _row(r: sqlite3.Row) -> IncidentRow:
    return IncidentRow(
        id=r["id"],
        number=r["number"],
        title=r["title"],
        resolved_at=from_ts(r["resolved_at"]),
        due_at=from_ts(r["due_at"]),
        status=r["status"],
        owner=r["owner"],
        lease_until=from_ts(r["lease_until"]) if r["lease_until"] else None,
        bundle_path=r["bundle_path"],
        markdown=r["markdown"],
        slack_channel=r["slack_channel"],
        attempts=r["attempts"],
        last_error=r["last_error"],
    )


class State:
    """One SQLite file; a fresh connection per transaction, so any thread may use it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.touch(mode=0o600, exist_ok=True)
            db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(SCHEMA)
            finally:
                db.close()
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"{path}: cannot open the watch state ({exc}); pass --state FILE or set "
                "[watch] state to a writable path"
            ) from exc

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    # -- checkpoint ------------------------------------------------------------------------------
    def checkpoint(self) -> datetime | None:
        with self._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'checkpoint'").fetchone()
        return from_ts(row["value"]) if row else None

    def set_checkpoint(self, when: datetime) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('checkpoint', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value "
                "WHERE excluded.value > meta.value",
                (ts(when),),
            )

    # -- queue -----------------------------------------------------------------------------------
    def enqueue(
        self,
        incident_id: str,
        number: int | None,
        title: str,
        resolved_at: datetime,
        settle: timedelta,
        now: datetime,
    ) -> str:
        """Queue a resolution: ``new``, ``requeued`` (resolved again after a reopen or a later
        resolution of a queued one), or ``known`` (nothing changed)."""
        with self._tx() as db:
            return _enqueue(db, incident_id, number, title, resolved_at, settle, now)

    def cancel(self, incident_id: str, now: datetime) -> bool:
        """Reopened: a queued or built draft is not delivered (True when one was cancelled)."""
        with self._tx() as db:
            return _cancel(db, incident_id, now)

    def webhook(
        self,
        ids: list[str],
        event_type: str,
        now: datetime,
        action: tuple[str, str, int | None, str, datetime, timedelta] | None,
    ) -> str:
        """Record one webhook delivery and apply it in the same transaction.

        ``ids``: the ``X-Webhook-Id`` and event id (either seen before -> ``duplicate``).
        ``action``: ``("resolved"|"reopened", id, number, title, occurred_at, settle)``."""
        with self._tx() as db:
            for key in ids:
                if db.execute("SELECT 1 FROM webhook_events WHERE id = ?", (key,)).fetchone():
                    return "duplicate"
            for key in ids:
                db.execute(
                    "INSERT INTO webhook_events (id, event_type, received_at) VALUES (?, ?, ?)",
                    (key, event_type, ts(now)),
                )
            if action is None:
                return "ignored"
            kind, incident_id, number, title, when, settle = action
            if kind == "resolved":
                return _enqueue(db, incident_id, number, title, when, settle, now)
            return "cancelled" if _cancel(db, incident_id, now) else "nothing to cancel"

    # -- work ------------------------------------------------------------------------------------
    def due(self, now: datetime) -> list[IncidentRow]:
        """Open incidents whose settle delay is over (leased or not), oldest first."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT * FROM incidents WHERE status IN ('pending', 'built') AND due_at <= ? "
                "ORDER BY due_at, id",
                (ts(now),),
            ).fetchall()
        return [_row(r) for r in rows]

    def all(self) -> list[IncidentRow]:
        with self._tx() as db:
            rows = db.execute("SELECT * FROM incidents ORDER BY due_at, id").fetchall()
        return [_row(r) for r in rows]

    def get(self, incident_id: str) -> IncidentRow | None:
        with self._tx() as db:
            r = db.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        return _row(r) if r else None

    def claim(
        self, incident_id: str, owner: str, now: datetime, lease: timedelta
    ) -> IncidentRow | None:
        """Take the lease on a due open incident; None when another run holds it (or it is no
        longer due or open)."""
        with self._tx() as db:
            r = db.execute(
                "UPDATE incidents SET owner = ?, lease_until = ?, attempts = attempts + 1, "
                "updated_at = ? WHERE id = ? AND status IN ('pending', 'built') AND due_at <= ? "
                "AND (owner IS NULL OR owner = ? OR lease_until <= ?) RETURNING *",
                (owner, ts(now + lease), ts(now), incident_id, ts(now), owner, ts(now)),
            ).fetchone()
        return _row(r) if r else None

    def renew(self, incident_id: str, owner: str, now: datetime, lease: timedelta) -> bool:
        """Extend our lease; False when it was lost (expired and taken, or cancelled)."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE incidents SET lease_until = ?, updated_at = ? WHERE id = ? AND owner = ? "
                "AND status IN ('pending', 'built')",
                (ts(now + lease), ts(now), incident_id, owner),
            )
            return cur.rowcount == 1

    def save_built(
        self,
        incident_id: str,
        owner: str,
        bundle_path: Path,
        markdown: str,
        slack_channel: str | None,
        now: datetime,
    ) -> bool:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE incidents SET status = 'built', bundle_path = ?, markdown = ?, "
                "slack_channel = ?, last_error = NULL, updated_at = ? "
                "WHERE id = ? AND owner = ? AND status IN ('pending', 'built')",
                (str(bundle_path), markdown, slack_channel, ts(now), incident_id, owner),
            )
            return cur.rowcount == 1

    def postpone(self, incident_id: str, owner: str, resolved_at: datetime, due: datetime) -> None:
        """Resolved again later than we knew: settle from the new resolution."""
        with self._tx() as db:
            db.execute(
                "UPDATE incidents SET status = 'pending', resolved_at = ?, due_at = ?, "
                "owner = NULL, lease_until = NULL, bundle_path = NULL, markdown = NULL "
                "WHERE id = ? AND owner = ?",
                (ts(resolved_at), ts(due), incident_id, owner),
            )

    def delivered(self, incident_id: str) -> dict[str, str]:
        """sink name -> where it went, for the sinks already done."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT sink, location FROM deliveries WHERE incident_id = ?", (incident_id,)
            ).fetchall()
        return {r["sink"]: r["location"] for r in rows}

    def record_delivery(
        self, incident_id: str, owner: str, sink: str, location: str, now: datetime
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO deliveries (incident_id, sink, location, delivered_at) "
                "VALUES (?, ?, ?, ?)",
                (incident_id, sink, location, ts(now)),
            )

    def release(
        self,
        incident_id: str,
        owner: str,
        now: datetime,
        *,
        status: str | None = None,
        error: str | None = None,
    ) -> None:
        """Give the lease back; ``status`` (delivered/cancelled) closes the incident."""
        with self._tx() as db:
            db.execute(
                "UPDATE incidents SET owner = NULL, lease_until = NULL, "
                "status = COALESCE(?, status), last_error = ?, updated_at = ? "
                "WHERE id = ? AND owner = ?",
                (status, error, ts(now), incident_id, owner),
            )


def _enqueue(
    db: sqlite3.Connection,
    incident_id: str,
    number: int | None,
    title: str,
    resolved_at: datetime,
    settle: timedelta,
    now: datetime,
) -> str:
    due = ts(resolved_at + settle)
    row = db.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
    if row is None:
        db.execute(
            "INSERT INTO incidents (id, number, title, resolved_at, due_at, status, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 'pending', ?)",
            (incident_id, number, title, ts(resolved_at), due, ts(now)),
        )
        return "new"
    if ts(resolved_at) <= row["resolved_at"] or row["status"] == "delivered":
        return "known"
    if row["status"] == "cancelled":
        db.execute("DELETE FROM deliveries WHERE incident_id = ?", (incident_id,))
    db.execute(
        "UPDATE incidents SET status = 'pending', resolved_at = ?, due_at = ?, bundle_path = NULL, "
        "markdown = NULL, last_error = NULL, updated_at = ? WHERE id = ?",
        (ts(resolved_at), due, ts(now), incident_id),
    )
    return "requeued"


def _cancel(db: sqlite3.Connection, incident_id: str, now: datetime) -> bool:
    cur = db.execute(
        "UPDATE incidents SET status = 'cancelled', owner = NULL, lease_until = NULL, "
        "updated_at = ? WHERE id = ? AND status IN ('pending', 'built')",
        (ts(now), incident_id),
    )
    return cur.rowcount == 1
