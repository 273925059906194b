"""Backups taken while the bot keeps writing are consistent, and restore checks its way back."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path

import pytest

from bot.events import AgentReply
from storage.backup import BackupError, StoreInUse, backup, check, in_use, restore
from storage.migrate import latest_version
from storage.store import Store
from storage.tx import Tx
from tests.harness import MONDAY_9AM, Harness, new_event_id
from tests.test_cli import supportbot
from tests.test_metrics import open_suggestion


def consistency(path: Path) -> dict[str, int]:
    """Counts, and every reference a torn copy would break, read straight from the file."""
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        one = {
            "tickets without customer": "SELECT COUNT(*) FROM tickets t WHERE NOT EXISTS "
                                        "(SELECT 1 FROM customers c WHERE c.id = t.customer_id)",
            "messages without ticket": "SELECT COUNT(*) FROM ticket_messages m WHERE NOT EXISTS "
                                       "(SELECT 1 FROM tickets t WHERE t.id = m.ticket_id)",
            "outbox without ticket": "SELECT COUNT(*) FROM outbox o WHERE o.ticket_id IS NOT "
                                     "NULL AND NOT EXISTS (SELECT 1 FROM tickets t WHERE "
                                     "t.id = o.ticket_id)",
            # A ticket, its first message, its 'created' event and its desk notice are
            # written in one transaction: a copy has all of them or none.
            "tickets without first message": "SELECT COUNT(*) FROM tickets t WHERE NOT EXISTS "
                                             "(SELECT 1 FROM ticket_messages m WHERE "
                                             "m.ticket_id = t.id)",
            "tickets without created event": "SELECT COUNT(*) FROM tickets t WHERE NOT EXISTS "
                                             "(SELECT 1 FROM ticket_events e WHERE e.ticket_id "
                                             "= t.id AND e.kind = 'created')",
        }
        for what, sql in one.items():
            assert conn.execute(sql).fetchone()[0] == 0, what
        return {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("customers", "tickets", "ticket_messages", "outbox")}


def wal_of(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def ballast(tx: Tx) -> None:
    """Old history, so the store is big enough (a few MB) that a copy takes a while."""
    customer = tx.upsert_customer(platform="test", user_id="old", chat_id="old",
                                  display_name="Old", locale="pl", now=MONDAY_9AM)
    for n in range(300):
        ticket = tx.insert_ticket(customer_id=customer.id, category="other", subject=f"s{n}",
                                  fields={}, status="closed", priority="normal",
                                  first_response_due=None, now=MONDAY_9AM)
        for _ in range(20):
            tx.add_message(ticket_id=ticket, author_kind="customer", author_id="1",
                           author_name="Old", body="x" * 800, now=MONDAY_9AM)
        tx.add_ticket_event(ticket_id=ticket, actor_kind="customer", actor_id="1",
                            actor_name="Old", kind="created", old_value=None, new_value="new",
                            now=MONDAY_9AM)


async def test_a_backup_taken_while_writes_continue_is_consistent(tmp_path: Path) -> None:
    db = tmp_path / "live.sqlite3"
    async with Harness(db) as h:
        await h.store.write(ballast)
        handled = 0
        stop = asyncio.Event()

        async def keep_writing() -> None:
            nonlocal handled
            n = 0
            while not stop.is_set():
                n += 1
                number = await open_suggestion(h, user=f"w{n}")
                await h.send(AgentReply(new_event_id(), h.agent, number, "Dziękujemy!"))
                handled += 6

        writer = asyncio.create_task(keep_writing())
        copies = []
        during = 0
        for n in range(4):
            await asyncio.sleep(0.05)
            before = handled
            # The copy runs in a thread, as `supportbot backup` runs in its own process: the
            # bot's event loop and its writer go on meanwhile.
            copies.append(await asyncio.to_thread(backup, db, tmp_path / f"copy{n}.sqlite3"))
            during += handled - before
        stop.set()
        await writer
        live_tickets = len(await h.store.list_tickets(limit=10_000))
    assert during > 0, "the bot was blocked while the backups ran"
    previous = 0
    for made in copies:
        assert made.ok and made.schema_version == latest_version()
        counts = consistency(made.path)
        assert counts["tickets"] >= previous  # later copies see more
        previous = counts["tickets"]
        assert not wal_of(made.path).exists()  # one self-contained file
        async with Store(made.path) as copy:  # opens as a store at the latest version
            assert copy.schema_version == latest_version()
            assert len(await copy.list_tickets(limit=10_000)) == counts["tickets"]
    assert 300 < previous <= live_tickets


async def test_restore_checks_refuses_a_running_store_and_keeps_the_old_one(
        tmp_path: Path) -> None:
    db = tmp_path / "live.sqlite3"
    async with Harness(db) as h:
        await open_suggestion(h)
        (tmp_path / "backups").mkdir()
        made = backup(db, tmp_path / "backups")  # a folder: a dated file inside it
        assert made.path.parent == tmp_path / "backups" and made.counts["tickets"] == 1
        assert stat.S_IMODE(made.path.stat().st_mode) == 0o600  # personal data inside
        await open_suggestion(h, user="u2")  # after the backup
        assert in_use(db)
        with pytest.raises(StoreInUse, match="is the bot running"):
            restore(made.path, db)
    assert not in_use(db)
    kept = restore(made.path, db)
    assert kept is not None and consistency(kept)["tickets"] == 2
    assert consistency(db)["tickets"] == 1
    async with Store(db) as store:
        assert [t.subject for t in await store.list_tickets()] == ["Ciemny motyw"]


def test_restore_refuses_what_is_not_a_good_backup(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"\0" * 4096)
    with pytest.raises(BackupError, match="cannot be restored"):
        restore(garbage, tmp_path / "db.sqlite3")
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (text)")
    assert "not a supportbot store" in check(other).problems[0]
    assert not (tmp_path / "db.sqlite3").exists()


async def test_the_commands(tmp_path: Path) -> None:
    db = tmp_path / "live.sqlite3"
    env = {"SUPPORTBOT_DATABASE": str(db)}
    async with Harness(db) as h:
        await open_suggestion(h)
        # Taken by another process while this one has the store open and writes to it.
        result = await asyncio.to_thread(supportbot, "backup", str(tmp_path / "b.sqlite3"),
                                         env=env)
        assert result.returncode == 0, result.stderr
        assert f"backup written to {tmp_path / 'b.sqlite3'}: schema version " \
               f"{latest_version()}, integrity ok, 1 customers, 1 tickets" in result.stdout
        checked = await asyncio.to_thread(supportbot, "restore", str(tmp_path / "b.sqlite3"),
                                          "--check", env=env)
        assert checked.returncode == 0 and "integrity ok" in checked.stdout
        refused = await asyncio.to_thread(supportbot, "restore", str(tmp_path / "b.sqlite3"),
                                          env=env)
        assert refused.returncode == 1
        assert "is open in another process (is the bot running?)" in refused.stderr
        await h.store.write(lambda tx: tx.update_ticket(1, MONDAY_9AM, subject="changed"))
    restored = supportbot("restore", str(tmp_path / "b.sqlite3"), env=env)
    assert restored.returncode == 0, restored.stderr
    assert f"restored {tmp_path / 'b.sqlite3'} into {db}" in restored.stdout
    assert "the store it replaced is kept at" in restored.stdout
    async with Store(db) as store:
        ticket = await store.ticket(1)
        assert ticket is not None and ticket.subject == "Ciemny motyw"
    (tmp_path / "bad.sqlite3").write_text("not a store")
    bad = supportbot("restore", str(tmp_path / "bad.sqlite3"), "--check", env=env)
    assert bad.returncode == 1 and "problem: cannot be read as a SQLite store" in bad.stderr
