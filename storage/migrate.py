"""Schema migrations numbered by ``PRAGMA user_version``, each applied in one transaction."""

from __future__ import annotations

import re
import sqlite3
from importlib import resources

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    pass


def available() -> list[tuple[int, str, str]]:
    """(number, file name, SQL) of every migration shipped, in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    return max((number for number, _, _ in available()), default=0)


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT first, so statements run one by one inside our transaction.
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not buffer.strip().startswith("--"):
        raise MigrationError(f"incomplete SQL statement at the end: {buffer.strip()[:60]!r}")
    return statements


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date; returns the version it ended at."""
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    newest = latest_version()
    if current > newest:
        raise MigrationError(
            f"the store is at schema version {current}, newer than this program ({newest}); "
            "upgrade the program or restore a matching backup"
        )
    for number, name, script in available():
        if number <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise MigrationError(f"migration {name} failed: {exc}") from exc
        current = number
    return current
