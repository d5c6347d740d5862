"""The watcher's durable state in one SQLite file.

Every change is one ``BEGIN IMMEDIATE`` transaction (one writer at a time; readers wait up to
``BUSY_TIMEOUT``). An incident is worked on only by the run holding its lease (``owner`` and
``lease_until``): a concurrent run skips it, and a crashed run's lease simply expires. A sink is
recorded in ``deliveries`` only after it returned, so a run that dies in between delivers that
sink again (sinks are idempotent for this reason) and never the ones already recorded.

Incident status: ``pending`` (queued; settling until ``due_at``), ``built`` (draft rendered and
kept here, some sinks still to deliver), ``delivered`` (every sink done), ``cancelled``
(reopened before it was delivered; a later resolution queues it again), ``parked`` (failed
``failures`` times in a row; left alone with ``last_error`` until ``watch retry``), ``forgotten``
(dropped by ``watch forget``; only a later resolution queues it again).

Order: ``event_at`` is PagerDuty's time of the last status change applied (a resolution or a
reopen, from the webhook's ``occurred_at`` or the incident's resolution time when polling). An
event older than it changes nothing, whatever order the events arrive in. ``revision`` counts the
drafts of one incident: resolved again after a delivery, it gets revision 2, and every sink that
delivered revision 1 is handed the update (``deliveries.revision`` says which one each sink has).
"""

from __future__ import annotations

import errno
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reconstruct.errors import ConfigError, ReconstructError

BUSY_TIMEOUT = 30.0
OPEN = ("pending", "built")
CLOSED = ("delivered", "cancelled", "forgotten")
"""Statuses ``prune`` may remove once they are older than the retention."""
SAME_RESOLUTION = timedelta(minutes=1)
"""Resolution times this close apart are one resolution (a webhook's ``occurred_at`` and the
incident's ``resolved_at`` differ by a moment); a delivered draft is updated only for later ones,
unless a reopen is known in between or both times are the incident's own ``resolved_at`` (exact)."""

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

MIGRATIONS: tuple[tuple[str, str, str], ...] = (
    ("incidents", "event_at", "TEXT"),
    ("incidents", "failures", "INTEGER NOT NULL DEFAULT 0"),
    ("incidents", "retry_at", "TEXT"),
    ("incidents", "revision", "INTEGER NOT NULL DEFAULT 1"),
    ("deliveries", "revision", "INTEGER NOT NULL DEFAULT 1"),
    ("incidents", "resolved_exact", "INTEGER NOT NULL DEFAULT 0"),
    ("incidents", "seen_resolved_at", "TEXT"),
)
"""Columns added after the first release: a state file written by an older version gains them."""


class StateFailed(ReconstructError):
    """The state file is where it should be but failed (a full disk, an I/O error, a damaged
    file): exit 1, not a config problem."""


_PATH_PROBLEMS = (
    errno.EACCES,
    errno.EPERM,
    errno.EISDIR,
    errno.ENOTDIR,
    errno.EEXIST,
    errno.EROFS,
    errno.ENAMETOOLONG,
)
_SQLITE_PATH_PROBLEMS = ("unable to open database file", "readonly database")


def _misconfigured(exc: OSError | sqlite3.Error) -> bool:
    """The path itself is wrong (not writable, a directory, read-only): a config problem.
    Everything else (``database or disk is full``, ``disk I/O error``, ``file is not a
    database``, ENOSPC, EIO) means the state failed where it is."""
    if isinstance(exc, OSError):
        return exc.errno in _PATH_PROBLEMS
    return any(text in str(exc) for text in _SQLITE_PATH_PROBLEMS)


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
    event_at: datetime
    """PagerDuty's time of the last status change applied (resolution or reopen)."""
    failures: int = 0
    """Failed attempts in a row (reset by a delivery)."""
    retry_at: datetime | None = None
    """Backing off until then after a failure."""
    revision: int = 1
    """1 for the first draft; one more each time it is resolved again after a delivery."""
    updated_at: datetime | None = None
    resolved_exact: bool = False
    """``resolved_at`` is the incident's own field (from a poll), not a webhook's time."""

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
        event_at=from_ts(r["event_at"] or r["resolved_at"]),
        failures=r["failures"],
        retry_at=from_ts(r["retry_at"]) if r["retry_at"] else None,
        revision=r["revision"],
        updated_at=from_ts(r["updated_at"]),
        resolved_exact=bool(r["resolved_exact"]),
    )


def _use_wal(db: sqlite3.Connection) -> None:
    """Put the file in WAL mode (persistent, so only the first open changes it). Switching the
    mode takes an exclusive lock and SQLite may answer "database is locked" at once instead of
    waiting out the busy timeout when several processes open a new file together: such an
    answer is retried until ``BUSY_TIMEOUT``."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            mode = db.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


class State:
    """One SQLite file; a fresh connection per transaction, so any thread may use it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.touch(mode=0o600, exist_ok=True)
            db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
            try:
                _use_wal(db)
                db.executescript(SCHEMA)
                db.execute("BEGIN IMMEDIATE")  # one process migrates; the others then see it
                try:
                    _migrate(db)
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            finally:
                db.close()
        except (OSError, sqlite3.Error) as exc:
            if _misconfigured(exc):
                raise ConfigError(
                    f"{path}: cannot open the watch state ({exc}); pass --state FILE or set "
                    "[watch] state to a writable path"
                ) from exc
            raise StateFailed(
                f"{path}: cannot open the watch state ({exc}); check the disk (free space, "
                "I/O errors) or move a damaged file aside, then run again"
            ) from exc

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA synchronous=FULL")  # WAL is the file's own mode (set on open)
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    # -- checkpoint and clock ----------------------------------------------------------------------
    def checkpoint(self) -> datetime | None:
        """PagerDuty's time of the last successful poll (its ``Date`` header), None before one."""
        return self._meta_time("checkpoint")

    def set_checkpoint(self, when: datetime) -> None:
        """Move the checkpoint forward (never back)."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('checkpoint', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value "
                "WHERE excluded.value > meta.value",
                (ts(when),),
            )

    def lower_checkpoint(self, when: datetime) -> None:
        """Move the checkpoint back to ``when`` if it is later (a ``Date`` header found wrong:
        polling again from earlier only lists known incidents again, which change nothing)."""
        with self._tx() as db:
            db.execute(
                "UPDATE meta SET value = ? WHERE key = 'checkpoint' AND value > ?",
                (ts(when), ts(when)),
            )

    def skew(self) -> timedelta:
        """How far the local clock was ahead of PagerDuty's at the last poll (negative: behind)."""
        return self.skew_known() or timedelta(0)

    def skew_known(self) -> timedelta | None:
        """The skew in use, None before the first poll measured one."""
        return self._meta_seconds("skew_seconds")

    def set_skew(self, skew: timedelta) -> None:
        self._set_meta_seconds("skew_seconds", skew)

    def last_reading(self) -> timedelta | None:
        """Local clock minus the last poll's ``Date``, as read (trusted or not)."""
        return self._meta_seconds("date_reading_seconds")

    def set_last_reading(self, reading: timedelta) -> None:
        self._set_meta_seconds("date_reading_seconds", reading)

    def _meta_seconds(self, key: str) -> timedelta | None:
        with self._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return timedelta(seconds=float(row["value"])) if row else None

    def _set_meta_seconds(self, key: str, value: timedelta) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, f"{value.total_seconds():.3f}"),
            )

    def _meta_time(self, key: str) -> datetime | None:
        with self._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return from_ts(row["value"]) if row else None

    # -- queue -----------------------------------------------------------------------------------
    def enqueue(
        self,
        incident_id: str,
        number: int | None,
        title: str,
        resolved_at: datetime,
        settle: timedelta,
        now: datetime,
        *,
        exact: bool = False,
    ) -> str:
        """Queue a resolution: ``new``, ``requeued`` (resolved again after a reopen or a later
        resolution of a queued one), ``update`` (resolved again after its draft was delivered:
        the next revision), or ``known`` (nothing changed: not later than what we know).
        ``exact``: ``resolved_at`` is the incident's own field (a poll), not a webhook's
        ``occurred_at``. A known incident still gains its number and title when they were
        missing."""
        with self._tx() as db:
            return _enqueue(db, incident_id, number, title, resolved_at, settle, now, exact=exact)

    def reopen(
        self, incident_id: str, occurred_at: datetime, now: datetime, settle: timedelta
    ) -> str:
        """Reopened at ``occurred_at`` (PagerDuty's time): ``cancelled`` (a draft not delivered
        yet), ``update`` (a later resolution had already arrived, out of order, for a delivered
        draft: queued now), ``noted`` (remembered: a resolution older than the reopen changes
        nothing), or ``stale`` (older than the last status change we know: ignored)."""
        with self._tx() as db:
            return _reopen(db, incident_id, occurred_at, now, settle)

    def cancel(self, incident_id: str, now: datetime) -> bool:
        """Reopened (as the incident says now): a queued or built draft is not delivered (True
        when one was cancelled)."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE incidents SET status = 'cancelled', owner = NULL, lease_until = NULL, "
                "updated_at = ? WHERE id = ? AND status IN ('pending', 'built')",
                (ts(now), incident_id),
            )
            return cur.rowcount == 1

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
            return _reopen(db, incident_id, when, now, settle)

    # -- work ------------------------------------------------------------------------------------
    def due(self, now: datetime) -> list[IncidentRow]:
        """Open incidents whose settle delay and backoff are over (leased or not), oldest first."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT * FROM incidents WHERE status IN ('pending', 'built') AND due_at <= ? "
                "AND (retry_at IS NULL OR retry_at <= ?) ORDER BY due_at, id",
                (ts(now), ts(now)),
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
                "AND (retry_at IS NULL OR retry_at <= ?) "
                "AND (owner IS NULL OR owner = ? OR lease_until <= ?) RETURNING *",
                (owner, ts(now + lease), ts(now), incident_id, ts(now), ts(now), owner, ts(now)),
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
                "event_at = MAX(COALESCE(event_at, ''), ?), "
                "owner = NULL, lease_until = NULL, bundle_path = NULL, markdown = NULL "
                "WHERE id = ? AND owner = ?",
                (ts(resolved_at), ts(due), ts(resolved_at), incident_id, owner),
            )

    def delivered(self, incident_id: str) -> dict[str, str]:
        """sink name -> where it went, for the sinks that have the incident's current revision."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT d.sink, d.location FROM deliveries d JOIN incidents i "
                "ON i.id = d.incident_id WHERE d.incident_id = ? AND d.revision >= i.revision",
                (incident_id,),
            ).fetchall()
        return {r["sink"]: r["location"] for r in rows}

    def deliveries(self, incident_id: str) -> list[tuple[str, str, int, datetime]]:
        """Every sink that received a revision: (sink, location, revision, delivered_at)."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT * FROM deliveries WHERE incident_id = ? ORDER BY sink", (incident_id,)
            ).fetchall()
        return [(r["sink"], r["location"], r["revision"], from_ts(r["delivered_at"])) for r in rows]

    def record_delivery(
        self, incident_id: str, owner: str, sink: str, location: str, now: datetime
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO deliveries (incident_id, sink, location, delivered_at, revision) "
                "SELECT ?, ?, ?, ?, revision FROM incidents WHERE id = ? "
                "ON CONFLICT (incident_id, sink) DO UPDATE SET location = excluded.location, "
                "delivered_at = excluded.delivered_at, revision = excluded.revision "
                "WHERE excluded.revision > deliveries.revision",
                (incident_id, sink, location, ts(now), incident_id),
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
        """Give the lease back; ``status`` (delivered/cancelled) closes the incident. A
        delivery clears the failure count."""
        with self._tx() as db:
            db.execute(
                "UPDATE incidents SET owner = NULL, lease_until = NULL, "
                "status = COALESCE(?, status), last_error = ?, updated_at = ?, "
                "failures = CASE WHEN ? = 'delivered' THEN 0 ELSE failures END, "
                "retry_at = CASE WHEN ? = 'delivered' THEN NULL ELSE retry_at END "
                "WHERE id = ? AND owner = ?",
                (status, error, ts(now), status, status, incident_id, owner),
            )

    def failed(
        self,
        incident_id: str,
        owner: str,
        now: datetime,
        *,
        error: str,
        retry_at: datetime | None,
    ) -> None:
        """One more failure in a row: give the lease back and back off until ``retry_at``;
        ``retry_at`` None parks the incident (left alone until ``retry``)."""
        with self._tx() as db:
            db.execute(
                "UPDATE incidents SET owner = NULL, lease_until = NULL, last_error = ?, "
                "failures = failures + 1, retry_at = ?, updated_at = ?, "
                "status = CASE WHEN ? IS NULL THEN 'parked' ELSE status END "
                "WHERE id = ? AND owner = ?",
                (
                    error,
                    ts(retry_at) if retry_at else None,
                    ts(now),
                    ts(retry_at) if retry_at else None,
                    incident_id,
                    owner,
                ),
            )

    def release_all(self, owner: str, now: datetime) -> int:
        """Give back every lease ``owner`` holds (an interrupted run); how many."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE incidents SET owner = NULL, lease_until = NULL, updated_at = ? "
                "WHERE owner = ?",
                (ts(now), owner),
            )
            return cur.rowcount

    # -- operating it ------------------------------------------------------------------------------
    def retry(self, incident_id: str, now: datetime) -> str | None:
        """Put a parked, failing, cancelled or forgotten incident back in the queue, due now, with
        no failure counted: its previous status, or None when there is no such incident. A draft
        already built is kept (the sinks still to do get the same bytes); a delivered incident
        is left as it is (``delivered`` is returned)."""
        with self._tx() as db:
            r = db.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
            if r is None or r["status"] == "delivered":
                return r["status"] if r else None
            kept = r["markdown"] is not None and r["bundle_path"] is not None
            kept = kept and r["status"] in ("built", "parked")
            db.execute(
                "UPDATE incidents SET status = ?, due_at = MIN(due_at, ?), "
                "failures = 0, retry_at = NULL, attempts = 0, last_error = NULL, owner = NULL, "
                "lease_until = NULL, bundle_path = CASE WHEN ? THEN bundle_path END, "
                "markdown = CASE WHEN ? THEN markdown END, updated_at = ? WHERE id = ?",
                ("built" if kept else "pending", ts(now), kept, kept, ts(now), incident_id),
            )
            return str(r["status"])

    def forget(self, incident_id: str, now: datetime) -> str | None:
        """Drop an incident: it is not built or delivered (only a later resolution queues it
        again). Its previous status, or None when there is no such incident."""
        with self._tx() as db:
            r = db.execute("SELECT status FROM incidents WHERE id = ?", (incident_id,)).fetchone()
            if r is None:
                return None
            db.execute(
                "UPDATE incidents SET status = 'forgotten', owner = NULL, lease_until = NULL, "
                "retry_at = NULL, bundle_path = NULL, markdown = NULL, updated_at = ? WHERE id = ?",
                (ts(now), incident_id),
            )
            return str(r["status"])

    def prune(self, before: datetime) -> list[IncidentRow]:
        """Delete closed incidents (delivered, cancelled, forgotten) last changed before
        ``before``, their deliveries, and webhook ids received before it; the rows removed."""
        with self._tx() as db:
            rows = db.execute(
                "DELETE FROM incidents WHERE status IN ('delivered', 'cancelled', 'forgotten') "
                "AND updated_at < ? RETURNING *",
                (ts(before),),
            ).fetchall()
            db.execute("DELETE FROM deliveries WHERE incident_id NOT IN (SELECT id FROM incidents)")
            db.execute("DELETE FROM webhook_events WHERE received_at < ?", (ts(before),))
        return [_row(r) for r in rows]


def _migrate(db: sqlite3.Connection) -> None:
    for table, column, kind in MIGRATIONS:
        names = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
        if column not in names:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def _enqueue(
    db: sqlite3.Connection,
    incident_id: str,
    number: int | None,
    title: str,
    resolved_at: datetime,
    settle: timedelta,
    now: datetime,
    *,
    exact: bool = False,
) -> str:
    due = ts(resolved_at + settle)
    when = ts(resolved_at)
    row = db.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
    if row is None:
        db.execute(
            "INSERT INTO incidents (id, number, title, resolved_at, due_at, status, event_at, "
            "resolved_exact, seen_resolved_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
            (incident_id, number, title, when, due, when, int(exact), when, ts(now)),
        )
        return "new"
    # What a poll or a webhook says of the incident itself is kept even when the event is old.
    db.execute(
        "UPDATE incidents SET number = COALESCE(number, ?), "
        "title = CASE WHEN title = '' THEN ? ELSE title END, "
        "seen_resolved_at = MAX(COALESCE(seen_resolved_at, ''), ?) WHERE id = ?",
        (number, title, when, incident_id),
    )
    last = row["event_at"] or row["resolved_at"]
    if when <= last or when <= row["resolved_at"]:
        return "known"  # not later than the last status change we applied
    status = row["status"]
    reopened_since = last > row["resolved_at"]  # a reopen applied after the known resolution
    both_exact = exact and bool(row["resolved_exact"])
    if (
        status in ("delivered", "forgotten")
        and not reopened_since
        and not both_exact
        and resolved_at <= from_ts(row["resolved_at"]) + SAME_RESOLUTION
    ):
        if exact:  # the incident's own time replaces the webhook's: later polls compare exactly
            db.execute(
                "UPDATE incidents SET resolved_at = ?, event_at = ?, resolved_exact = 1 "
                "WHERE id = ?",
                (when, when, incident_id),
            )
        return "known"  # the same resolution, reported a moment apart
    again = status == "delivered" or (
        status != "forgotten"
        and db.execute("SELECT 1 FROM deliveries WHERE incident_id = ?", (incident_id,)).fetchone()
        is not None
    )
    db.execute(
        "UPDATE incidents SET status = 'pending', resolved_at = ?, due_at = ?, event_at = ?, "
        "resolved_exact = ?, "
        "number = COALESCE(?, number), title = CASE WHEN ? = '' THEN title ELSE ? END, "
        "bundle_path = NULL, markdown = NULL, last_error = NULL, failures = 0, retry_at = NULL, "
        "attempts = 0, revision = revision + ?, updated_at = ? WHERE id = ?",
        (
            when,
            due,
            when,
            int(exact),
            number,
            title,
            title,
            1 if again else 0,
            ts(now),
            incident_id,
        ),
    )
    if status == "forgotten":
        db.execute("DELETE FROM deliveries WHERE incident_id = ?", (incident_id,))
    return "update" if status == "delivered" else "requeued"


def _reopen(
    db: sqlite3.Connection,
    incident_id: str,
    occurred_at: datetime,
    now: datetime,
    settle: timedelta,
) -> str:
    when = ts(occurred_at)
    row = db.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
    if row is None:
        # Remembered, so that a resolution older than this reopen, arriving later, is ignored.
        db.execute(
            "INSERT INTO incidents (id, title, resolved_at, due_at, status, event_at, updated_at) "
            "VALUES (?, '', ?, ?, 'cancelled', ?, ?)",
            (incident_id, when, when, when, ts(now)),
        )
        return "noted"
    last = row["event_at"] or row["resolved_at"]
    if when <= last or when <= row["resolved_at"]:
        return "stale"  # a reopen from before the resolution we know: it changes nothing
    seen = row["seen_resolved_at"]
    if row["status"] == "delivered" and seen is not None and seen > when:
        # Out of order: the resolution after this reopen arrived first (and was taken for the
        # delivered one). Apply the reopen, then that resolution: an updated draft.
        db.execute("UPDATE incidents SET event_at = ? WHERE id = ?", (when, incident_id))
        return _enqueue(db, incident_id, None, "", from_ts(seen), settle, now, exact=False)
    db.execute(
        "UPDATE incidents SET event_at = ?, updated_at = ? WHERE id = ?",
        (when, ts(now), incident_id),
    )
    if row["status"] in OPEN:
        db.execute(
            "UPDATE incidents SET status = 'cancelled', owner = NULL, lease_until = NULL "
            "WHERE id = ?",
            (incident_id,),
        )
        return "cancelled"
    return "noted"
