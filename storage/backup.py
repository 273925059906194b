"""Backups of the live store, and checked restores.

``backup`` uses SQLite's online backup API from a fresh connection of its own. The copy is
taken in one step, which is one read transaction: in WAL mode that is a consistent snapshot
of the last commit, and the bot's writer goes on committing meanwhile (a stepwise copy would
restart each time the bot wrote, and under steady traffic might never finish). The copy is
written next to the target under a temporary name, checked, switched to a single-file journal
mode, and only then renamed into place, so a half-written backup never carries the real name.

``restore`` checks a backup (integrity, schema version, the tables the program needs) and
copies it into the store, again through the backup API so SQLite handles the store's WAL
files. It refuses a store that another process (a running bot) has open, and keeps the store
it replaces beside it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from storage.migrate import latest_version

REQUIRED_TABLES = frozenset({"customers", "tickets", "ticket_messages", "ticket_events",
                             "outbox", "conversations", "processed_events"})


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why."""


class StoreInUse(BackupError):
    pass


@dataclass(frozen=True, slots=True)
class BackupReport:
    """What a check of a store file found; ``problems`` empty means it is usable."""

    path: Path
    schema_version: int
    latest_version: int
    counts: dict[str, int] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def needs_migration(self) -> bool:
        return self.schema_version < self.latest_version


@contextlib.contextmanager
def _connect(path: Path, *, timeout: float = 5.0) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, isolation_level=None, timeout=timeout)
    try:
        yield conn
    finally:
        conn.close()


def backup(source: Path, target: Path) -> BackupReport:
    """Copy the store at ``source`` (live or not) to ``target``; returns the copy's check."""
    if not source.is_file():
        raise BackupError(f"there is no store at {source}")
    target = target.expanduser()
    if target.is_dir():
        target = target / f"supportbot-{datetime.now(UTC):%Y%m%d-%H%M%S}.sqlite3"
    if target.resolve() == source.resolve():
        raise BackupError("the backup must not overwrite the store itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    # The copy holds everyone's personal data: readable by its owner only, whatever the umask.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with _connect(source) as src, _connect(partial) as dst:
            src.execute("PRAGMA query_only = ON")  # this connection only ever reads
            src.backup(dst)  # pages=-1: all in one read transaction, a consistent snapshot
            # The copy inherits WAL mode; a backup is handier as one self-contained file.
            dst.execute("PRAGMA journal_mode = DELETE")
        report = check(partial)
        if not report.ok:
            raise BackupError("the copy failed its check: " + "; ".join(report.problems))
        with open(partial, "rb") as copy:
            os.fsync(copy.fileno())  # on disk before it takes the real name
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise BackupError(f"backup of {source} failed: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(target, report.schema_version, report.latest_version, report.counts)


def check(path: Path) -> BackupReport:
    """Integrity, schema version and tables of a store file, without changing it."""
    latest = latest_version()
    if not path.is_file():
        return BackupReport(path, 0, latest, problems=(f"{path} does not exist",))
    problems: list[str] = []
    counts: dict[str, int] = {}
    version = 0
    try:
        with _connect(path) as conn:
            conn.execute("PRAGMA query_only = ON")
            result = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
            if result != ["ok"]:
                problems.append("integrity check failed: " + "; ".join(result[:5]))
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {str(r[0]) for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = sorted(REQUIRED_TABLES - tables)
            if missing:
                problems.append("not a supportbot store (missing tables: "
                                + ", ".join(missing) + ")")
            else:
                for table in ("customers", "tickets", "ticket_messages", "outbox"):
                    counts[table] = int(conn.execute(
                        f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                problems.extend(_dangling(conn))
    except sqlite3.DatabaseError as exc:
        problems.append(f"cannot be read as a SQLite store: {exc}")
    if version > latest:
        problems.append(f"schema version {version} is newer than this program's ({latest}): "
                        "upgrade the program first")
    return BackupReport(path, version, latest, counts, tuple(problems))


def _dangling(conn: sqlite3.Connection) -> list[str]:
    """References that point nowhere: what a torn copy would show."""
    checks = {
        "tickets without their customer":
            "SELECT COUNT(*) FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id "
            "WHERE c.id IS NULL",
        "messages without their ticket":
            "SELECT COUNT(*) FROM ticket_messages m LEFT JOIN tickets t ON t.id = m.ticket_id "
            "WHERE t.id IS NULL",
        "outbox rows for a missing ticket":
            "SELECT COUNT(*) FROM outbox o LEFT JOIN tickets t ON t.id = o.ticket_id "
            "WHERE o.ticket_id IS NOT NULL AND t.id IS NULL",
    }
    found = []
    for what, sql in checks.items():
        count = int(conn.execute(sql).fetchone()[0])
        if count:
            found.append(f"{count} {what}")
    return found


def in_use(path: Path) -> bool:
    """Whether another process (a running bot, an admin command) has the store open.

    Leaving WAL mode needs every other connection closed, so an attempt that fails as
    "locked" means someone has it open; when it succeeds, WAL is switched straight back.
    """
    if not path.is_file():
        return False
    with _connect(path, timeout=0) as conn:
        try:
            mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
            if mode != "wal":
                conn.execute("BEGIN EXCLUSIVE")  # rollback-journal stores: any reader blocks it
                conn.execute("ROLLBACK")
                return False
            conn.execute("PRAGMA journal_mode = DELETE")
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return True
            raise
    return False


def restore(backup_path: Path, store_path: Path, *, force: bool = False) -> Path | None:
    """Replace the store with a checked backup; returns where the old store was kept."""
    report = check(backup_path)
    if not report.ok:
        raise BackupError(f"{backup_path} cannot be restored: " + "; ".join(report.problems))
    if backup_path.resolve() == store_path.resolve():
        raise BackupError("the backup and the store are the same file")
    if not force and in_use(store_path):
        raise StoreInUse(f"{store_path} is open in another process (is the bot running?); "
                         "stop it first, or use --force")
    kept: Path | None = None
    try:
        if store_path.is_file():
            kept = store_path.with_name(
                f"{store_path.name}.before-restore-{datetime.now(UTC):%Y%m%d-%H%M%S}")
            backup(store_path, kept)
        store_path.parent.mkdir(parents=True, exist_ok=True)
        with _connect(backup_path) as src, _connect(store_path) as dst:
            src.execute("PRAGMA query_only = ON")
            src.backup(dst)
            dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as exc:
        raise BackupError(f"restore into {store_path} failed: {exc}") from exc
    restored = check(store_path)
    if not restored.ok:
        raise BackupError("the restored store failed its check: " + "; ".join(restored.problems)
                          + (f"; the previous store is kept at {kept}" if kept else ""))
    return kept
