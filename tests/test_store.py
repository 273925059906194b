"""The ticket store: migrations, group commit, savepoint isolation, dedup, clear failures."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import store as store_module
from storage.migrate import MigrationError, latest_version, migrate
from storage.store import Store, StoreClosed, StoreError
from storage.tx import Tx

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


async def test_a_new_store_is_migrated_to_the_latest_schema(tmp_path: Path) -> None:
    async with Store(tmp_path / "db.sqlite3") as store:
        assert store.schema_version == latest_version() >= 1
    conn = sqlite3.connect(tmp_path / "db.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"customers", "tickets", "ticket_messages", "ticket_events", "conversations",
            "processed_events", "outbox", "desk_threads"} <= tables


def test_a_store_newer_than_the_program_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    with pytest.raises(MigrationError, match="newer than this program"):
        migrate(conn)


async def test_many_concurrent_writes_commit_in_batches(tmp_path: Path) -> None:
    async with Store(tmp_path / "db.sqlite3") as store:
        results = await asyncio.gather(*(
            store.write(lambda tx, i=i: tx.mark_processed(f"e{i}", NOW)) for i in range(500)
        ))
        assert all(results)
        again = await store.write(lambda tx: tx.mark_processed("e7", NOW))
        assert again is False  # INSERT OR IGNORE: a re-delivery is recognised


async def test_a_failing_event_rolls_back_alone(tmp_path: Path) -> None:
    def good(name: str):  # type: ignore[no-untyped-def]
        def apply(tx: Tx) -> bool:
            return tx.mark_processed(name, NOW)
        return apply

    def bad(tx: Tx) -> None:
        tx.mark_processed("half-done", NOW)
        raise ValueError("boom")

    async with Store(tmp_path / "db.sqlite3") as store:
        outcomes = await asyncio.gather(store.write(good("a")), store.write(bad),
                                        store.write(good("b")), return_exceptions=True)
        assert outcomes[0] is True and outcomes[2] is True
        assert isinstance(outcomes[1], ValueError)
        assert await store.write(good("half-done")) is True  # it was rolled back


async def test_writes_after_close_fail_clearly(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    await store.open()
    await store.close()
    with pytest.raises(StoreClosed):
        await store.write(lambda tx: tx.mark_processed("x", NOW))


async def test_a_corrupt_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the ticket store"):
        await Store(path).open()


async def test_a_locked_database_fails_the_batch_without_acknowledging(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    store = Store(path, busy_timeout_ms=50)
    await store.open()
    try:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="locked"):
            await store.write(lambda tx: tx.mark_processed("while-locked", NOW))
        blocker.execute("ROLLBACK")
        assert await store.write(lambda tx: tx.mark_processed("while-locked", NOW)) is True
    finally:
        await store.close()


async def test_old_event_ids_are_forgotten_and_recent_ones_kept(tmp_path: Path) -> None:
    from datetime import timedelta

    async with Store(tmp_path / "db.sqlite3") as store:
        await store.write(lambda tx: tx.mark_processed("old", NOW - timedelta(days=4)))
        await store.write(lambda tx: tx.mark_processed("recent", NOW - timedelta(days=1)))
        assert await store.write(lambda tx: tx.forget_processed(NOW - timedelta(days=3))) == 1
        assert await store.write(lambda tx: tx.mark_processed("old", NOW)) is True
        assert await store.write(lambda tx: tx.mark_processed("recent", NOW)) is False


def _new_ticket(tx: Tx) -> int:
    customer = tx.upsert_customer(platform="telegram", user_id="1", chat_id="1",
                                  display_name="Ola", locale="pl", now=NOW)
    return tx.insert_ticket(customer_id=customer.id, category="orders", subject="Paczka",
                            fields={}, status="open", priority="normal",
                            first_response_due=None, now=NOW)


def _say(ticket_id: int, body: str):  # type: ignore[no-untyped-def]
    def add(tx: Tx) -> int:
        return tx.add_message(ticket_id=ticket_id, author_kind="customer", author_id="1",
                              author_name="Ola", body=body, now=NOW)
    return add


def _index_is_sound(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:  # raises "database disk image is malformed" when the index disagrees with its rows
        conn.execute("INSERT INTO ticket_messages_fts (ticket_messages_fts, rank) "
                     "VALUES ('integrity-check', 1)")
    finally:
        conn.close()


@pytest.mark.parametrize("index_every", [0.0, 3600.0], ids=["indexed-each-batch",
                                                           "indexed-by-the-search"])
async def test_a_message_is_searchable_once_its_batch_commits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index_every: float) -> None:
    # The writer indexes new messages at most every SEARCH_INDEX_EVERY seconds; whatever it
    # has not indexed yet, a search indexes first.
    monkeypatch.setattr(store_module, "SEARCH_INDEX_EVERY", index_every)
    path = tmp_path / "db.sqlite3"
    async with Store(path) as store:
        ticket = await store.write(_new_ticket)
        assert await store.search_tickets(["kurier"]) == []

        def rolled_back(tx: Tx) -> None:
            _say(ticket, "reklamacja odrzucona")(tx)
            raise ValueError("the event failed")

        # One batch: a message kept, one rolled back with its event, and one edited right
        # after it was written (before the batch indexed it).
        def edited(tx: Tx) -> None:
            message = _say(ticket, "faktura")(tx)
            tx.update_message(message, body="paragon")

        outcomes = await asyncio.gather(store.write(_say(ticket, "kurier nie przyjechał")),
                                        store.write(rolled_back), store.write(edited),
                                        return_exceptions=True)
        assert isinstance(outcomes[1], ValueError)
        assert [t.id for t in await store.search_tickets(["kurier"])] == [ticket]
        assert [t.id for t in await store.search_tickets(["paragon"])] == [ticket]
        assert await store.search_tickets(["faktura"]) == []
        assert await store.search_tickets(["reklamacja"]) == []

        # An edit of a message indexed in an earlier batch replaces its words.
        message = (await store.ticket_messages(ticket))[0].id
        await store.write(lambda tx: tx.update_message(message, body="dostawa"))
        assert await store.search_tickets(["kurier"]) == []
        assert [t.id for t in await store.search_tickets(["dostawa"])] == [ticket]
    _index_is_sound(path)


async def test_messages_not_indexed_before_a_stop_are_found_after_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "SEARCH_INDEX_EVERY", 3600.0)
    path = tmp_path / "db.sqlite3"
    async with Store(path) as store:
        ticket = await store.write(_new_ticket)
        await asyncio.gather(*(store.write(_say(ticket, f"przesyłka numer{n}"))
                               for n in range(50)))
    conn = sqlite3.connect(path)
    waiting = conn.execute("SELECT COUNT(*) FROM ticket_messages WHERE id > "
                           "(SELECT message_id FROM search_progress)").fetchone()[0]
    conn.close()
    assert waiting == 50  # the stop left them to the next start
    async with Store(path) as store:
        assert [t.id for t in await store.search_tickets(["numer49"])] == [ticket]
        assert [t.id for t in await store.search_tickets(["przesyłka"])] == [ticket]
    _index_is_sound(path)


async def test_messages_written_by_another_program_are_indexed_at_start(
        tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    async with Store(path) as store:
        ticket = await store.write(_new_ticket)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO ticket_messages (ticket_id, author_kind, body, created_at) "
                 "VALUES (?, 'customer', 'przelew', ?)", (ticket, NOW.isoformat()))
    conn.close()
    async with Store(path) as store:
        assert [t.id for t in await store.search_tickets(["przelew"])] == [ticket]
    _index_is_sound(path)


async def test_the_wal_is_copied_back_in_the_background(tmp_path: Path) -> None:
    # The writer never checkpoints (that would stall one unlucky commit); the checkpointer
    # must, or the database file would never grow while the store is open.
    path = tmp_path / "db.sqlite3"
    async with Store(path) as store:
        await asyncio.sleep(0.2)
        before = path.stat().st_size
        ticket = await store.write(_new_ticket)
        await asyncio.gather(*(store.write(_say(ticket, "słowo " * 200)) for _ in range(300)))
        for _ in range(50):
            if path.stat().st_size > before + 200_000:
                break
            await asyncio.sleep(0.1)
        assert path.stat().st_size > before + 200_000


async def test_a_store_from_before_migration_6_keeps_its_search_index_sound(
        tmp_path: Path) -> None:
    from storage.migrate import _statements, available

    path = tmp_path / "db.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    for number, _, script in available():
        if number > 5:
            break
        for statement in _statements(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number}")
    # Indexed by the old per-row trigger.
    conn.execute("INSERT INTO customers (platform, platform_user_id, chat_id, created_at) "
                 "VALUES ('telegram', '1', '1', ?)", (NOW.isoformat(),))
    conn.execute("INSERT INTO tickets (customer_id, category, subject, fields, status, priority,"
                 " created_at, updated_at) VALUES (1, 'orders', 'Paczka', '{}', 'open', "
                 "'normal', ?, ?)", (NOW.isoformat(), NOW.isoformat()))
    conn.execute("INSERT INTO ticket_messages (ticket_id, author_kind, body, created_at) "
                 "VALUES (1, 'customer', 'reklamacja', ?)", (NOW.isoformat(),))
    conn.close()
    async with Store(path) as store:
        assert store.schema_version == latest_version()
        await store.write(_say(1, "kurier"))
        old = (await store.ticket_messages(1))[0].id
        await store.write(lambda tx: tx.update_message(old, body="zwrot"))
        assert [t.id for t in await store.search_tickets(["kurier"])] == [1]
        assert [t.id for t in await store.search_tickets(["zwrot"])] == [1]
        assert await store.search_tickets(["reklamacja"]) == []
    _index_is_sound(path)


async def test_rows_held_back_in_a_batch_are_seen_by_the_events_after_them(
        tmp_path: Path) -> None:
    """A batch writes its new messages and outbox rows at its end, table by table; an event
    later in the same batch that reads or changes them sees them as if already written."""
    async with Store(tmp_path / "db.sqlite3") as store:
        ticket = await store.write(_new_ticket)
        batches: list[int] = []

        def first(tx: Tx) -> tuple[int, int]:
            batches.append(id(tx))
            message = _say(ticket, "pierwsza")(tx)
            relay = tx.enqueue(destination="telegram", recipient="telegram:1", payload="{}",
                               ticket_id=ticket, now=NOW, message_id=message)
            tx.customer_wrote(ticket, NOW)
            return message, relay

        def second(tx: Tx) -> list[str]:
            batches.append(id(tx))
            seen = [m.body for m in tx.ticket_messages(ticket)]
            (message, relay) = (tx.ticket_messages(ticket)[0].id,
                                int(tx.relays_of(tx.ticket_messages(ticket)[0].id)[0]["id"]))
            tx.update_message(message, body="pierwsza, poprawiona")
            assert tx.replace_payload(relay, '{"edited": true}')
            return seen

        (message, relay), seen = await asyncio.gather(store.write(first), store.write(second))
        # Run once each, in one batch: not failed over to the careful run (which would pass
        # too, and hide a held-back row missing from what an event read).
        assert len(batches) == 2 and len(set(batches)) == 1
        assert seen == ["pierwsza"]
        assert [(m.id, m.body) for m in await store.ticket_messages(ticket)] == [
            (message, "pierwsza, poprawiona")]
        row = await store.outbox_row(relay)
        assert row is not None and row["payload"] == '{"edited": true}'
        stored = await store.ticket(ticket)
        assert stored is not None and stored.updated_at == NOW
        assert [t.id for t in await store.search_tickets(["poprawiona"])] == [ticket]
    _index_is_sound(tmp_path / "db.sqlite3")


async def test_a_held_back_row_that_breaks_a_constraint_fails_only_its_event(
        tmp_path: Path) -> None:
    """The message of an event is only written at the end of its batch; when it turns out to
    name a ticket that does not exist, the batch runs again with a savepoint per event, and
    only that event fails. The others are stored once, not twice."""
    async with Store(tmp_path / "db.sqlite3") as store:
        ticket = await store.write(_new_ticket)
        outcomes = await asyncio.gather(
            store.write(_say(ticket, "przed")), store.write(_say(ticket + 1000, "donikąd")),
            store.write(_say(ticket, "po")), return_exceptions=True)
        assert isinstance(outcomes[1], sqlite3.IntegrityError)
        bodies = [(m.id, m.body) for m in await store.ticket_messages(ticket)]
        assert bodies == [(outcomes[0], "przed"), (outcomes[2], "po")]
