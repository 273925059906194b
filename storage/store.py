"""The ticket store: one SQLite file in WAL mode, one writer with group commit, async readers.

Writes go through a single writer thread. Each awaited call into SQLite costs a thread hop
(about 100 µs here), so the writer takes every transaction function waiting at that moment and
runs them all in one hop and one ``BEGIN IMMEDIATE`` transaction: a failing event rolls back
alone (the batch runs again with a savepoint per event), and no caller is answered before the
batch has committed.
Reads use a separate aiosqlite connection, so they never wait behind a write batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from storage.migrate import MigrationError, migrate
from storage.records import (
    ConversationRecord,
    CustomerRecord,
    DeskThreadRecord,
    MessageRecord,
    OutboxRecord,
    TicketEventRecord,
    TicketRecord,
)
from storage.tx import (
    ACTIVE_STATUSES_SQL,
    CUSTOMER_BY_ID,
    CUSTOMER_BY_IDENTITY,
    EVENTS_OF_TICKET,
    MESSAGES_OF_TICKET,
    PRIORITY_RANK_SQL,
    TICKET_BY_ID,
    Tx,
)
from storage.writer_cache import WriterCache

T = TypeVar("T")
log = logging.getLogger(__name__)

# Message hits read per wanted ticket: several messages of one ticket may match.
_SEARCH_FAN_OUT = 20
_NO_FLOOR = -(2**63)  # below every message id

_Job = tuple[Callable[[Tx], Any], "asyncio.Future[Any]"]


class StoreError(RuntimeError):
    """The store could not do what was asked; nothing was acknowledged."""


class StoreClosed(StoreError):
    pass


def _connect(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    _tune_cache(conn)
    return conn


_CACHE_PRAGMAS = (
    # A large store is read mostly at random (a customer's tickets, a ticket's history):
    # SQLite's default 2 MB page cache turns nearly every such read into a disk read.
    "PRAGMA cache_size = -65536",  # 64 MiB per connection
    "PRAGMA mmap_size = 17179869184",  # map up to 16 GiB; the OS shares the pages
)


def _tune_cache(conn: sqlite3.Connection) -> None:
    for pragma in _CACHE_PRAGMAS:
        conn.execute(pragma)


# Messages newer than search_progress go into the full-text index in a write batch's own
# transaction, at most every SEARCH_INDEX_EVERY seconds, and always before a search reads the
# index (Store.search_tickets), so a search finds every committed message. Indexed in every
# batch, a steady trickle of small batches made one tiny FTS5 segment each, and FTS5's merging
# of those segments stalled the writer for 7–32 ms at a time.
SEARCH_INDEX_EVERY = 0.1
_INDEX_NEW_MESSAGES = (
    "INSERT INTO ticket_messages_fts (rowid, body) SELECT id, body FROM ticket_messages "
    "WHERE id > (SELECT message_id FROM search_progress) ORDER BY id",
    "UPDATE search_progress SET message_id = (SELECT MAX(id) FROM ticket_messages) "
    "WHERE EXISTS (SELECT 1 FROM ticket_messages WHERE id > message_id)",
)

# SQLite's automatic checkpoint runs inside whichever commit crosses 1,000 WAL pages, with its
# write-back and fsync: one unlucky event waits for all of it. The writer turns it off and a
# checkpointer thread with its own connection copies the WAL back meanwhile (PASSIVE never
# blocks the writer). A reset WAL is truncated to this size so one burst does not keep a huge file.
_WAL_SIZE_LIMIT = 64 * 1024 * 1024
CHECKPOINT_INTERVAL = 1.0  # seconds between checkpoints while there are writes


def _index_new_messages(conn: sqlite3.Connection) -> None:
    for sql in _INDEX_NEW_MESSAGES:
        conn.execute(sql)


def _index_now(tx: Tx) -> None:
    """A write that changes nothing: the batch holding it indexes every waiting message."""


class Store:
    def __init__(
        self, path: Path | str, *, busy_timeout_ms: int = 5000, max_batch: int = 512
    ) -> None:
        self.path = Path(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._max_batch = max_batch
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer")
        self._writer: sqlite3.Connection | None = None
        self._cache = WriterCache()  # used only on the writer thread
        self._reader: aiosqlite.Connection | None = None
        # A plain deque and one wake-up event: asyncio.Queue's bookkeeping per put and get
        # cost about as much as a small SQL statement, for every event.
        self._queue: deque[_Job | None] = deque()
        self._queued = asyncio.Event()
        self._writer_task: asyncio.Task[None] | None = None
        self._checkpointer = ThreadPoolExecutor(max_workers=1,
                                                thread_name_prefix="store-checkpoint")
        self._checkpoint_conn: sqlite3.Connection | None = None
        self._checkpoint_task: asyncio.Task[None] | None = None
        self._written = asyncio.Event()  # set by each committed batch, cleared by a checkpoint
        # Owned by the writer thread: committed messages wait for the search index, and when
        # it last took them in (see SEARCH_INDEX_EVERY).
        self._unindexed = False
        self._indexed_at = 0.0
        self.schema_version = 0

    # -- lifecycle -----------------------------------------------------------------------------
    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        try:
            self._writer = await loop.run_in_executor(
                self._executor, _connect, self.path, self._busy_timeout_ms
            )
            self.schema_version = await loop.run_in_executor(
                self._executor, migrate, self._writer
            )
            await loop.run_in_executor(self._executor, self._prepare_writer, self._writer)
            self._indexed_at = time.monotonic()
            self._checkpoint_conn = await loop.run_in_executor(
                self._checkpointer, _connect, self.path, self._busy_timeout_ms
            )
            self._reader = await aiosqlite.connect(self.path)
        except (sqlite3.DatabaseError, MigrationError) as exc:
            # MigrationError: a store from a newer program, or a migration that failed.
            raise StoreError(f"cannot open the ticket store {self.path}: {exc}") from exc
        self._reader.row_factory = sqlite3.Row
        await self._reader.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        await self._reader.execute("PRAGMA query_only = ON")
        for pragma in _CACHE_PRAGMAS:
            await self._reader.execute(pragma)
        self._writer_task = asyncio.create_task(self._write_loop(), name="store-writer")
        self._checkpoint_task = asyncio.create_task(self._checkpoint_loop(),
                                                    name="store-checkpoint")

    @staticmethod
    def _prepare_writer(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute(f"PRAGMA journal_size_limit = {_WAL_SIZE_LIMIT}")
        # Messages written by other tools (a restore, an older program) are indexed now.
        conn.execute("BEGIN IMMEDIATE")
        try:
            _index_new_messages(conn)
            conn.execute("COMMIT")
        except sqlite3.Error:
            conn.execute("ROLLBACK")
            raise

    async def close(self) -> None:
        if self._writer_task is not None:
            self._enqueue(None)
            await self._writer_task
            self._writer_task = None
        if self._checkpoint_task is not None:
            self._checkpoint_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpoint_task
            self._checkpoint_task = None
        if self._checkpoint_conn is not None:
            checkpoint_conn = self._checkpoint_conn
            self._checkpoint_conn = None
            await asyncio.get_running_loop().run_in_executor(self._checkpointer,
                                                             checkpoint_conn.close)
        self._checkpointer.shutdown(wait=True)
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
        if self._writer is not None:
            writer = self._writer
            self._writer = None
            await asyncio.get_running_loop().run_in_executor(self._executor, writer.close)
        self._executor.shutdown(wait=True)

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- writes --------------------------------------------------------------------------------
    async def write(self, fn: Callable[[Tx], T]) -> T:
        """Run ``fn`` in a write transaction; returns once that transaction has committed.

        ``fn`` may run twice (once more when another event of its batch fails), so it must
        change nothing but the store through ``tx``."""
        if self._writer_task is None:
            raise StoreClosed("the ticket store is not open")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._enqueue((fn, future))
        return await future

    def _enqueue(self, job: _Job | None) -> None:
        self._queue.append(job)
        if not self._queued.is_set():
            self._queued.set()

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        stopping = False
        while not stopping:
            if not self._queue:
                self._queued.clear()
                await self._queued.wait()
            first = self._queue.popleft()
            if first is None:
                break
            batch = [first]
            while len(batch) < self._max_batch and self._queue:
                job = self._queue.popleft()
                if job is None:
                    stopping = True
                    break
                batch.append(job)
            outcomes = await loop.run_in_executor(
                self._executor, self._run_batch, [fn for fn, _ in batch]
            )
            self._written.set()
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.cancelled():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
            # Let the callers just answered run on to their next write before the next batch
            # starts. Run meanwhile, their Python and the writer's contend for the GIL at
            # every SQLite call (the 2,000-customer throughput benchmark: writer ~177 -> ~136
            # µs per event), and the next batch would hold fewer of their writes.
            await asyncio.sleep(0)

    def _run_batch(self, fns: Sequence[Callable[[Tx], Any]]) -> list[tuple[bool, Any]]:
        conn = self._writer
        if conn is None:
            return [(False, StoreClosed("the ticket store is closed"))] * len(fns)
        try:
            outcomes = self._apply(conn, fns, careful=False)
            if outcomes is None:
                outcomes = self._apply(conn, fns, careful=True)
                assert outcomes is not None  # the careful run answers every event
        except sqlite3.Error as exc:
            self._cache.clear()
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            log.error("store write failed, %d events not stored: %s", len(fns), exc)
            error = StoreError(f"the ticket store could not save: {exc}")
            return [(False, error)] * len(fns)
        return outcomes

    def _apply(self, conn: sqlite3.Connection, fns: Sequence[Callable[[Tx], Any]], *,
               careful: bool) -> list[tuple[bool, Any]] | None:
        """The batch in one transaction. The first try runs the events one after another and
        writes their new rows at the end, table by table. If one of them fails, it returns
        None, having kept nothing, and the batch runs again carefully: each event in its own
        savepoint, each row written when it is made, so the failing one rolls back alone.
        (A single event is not run twice: failing alone is what the careful run would do.)
        SQLite errors that are no event's fault (locked, full, I/O) fail the whole batch."""
        cache = self._cache
        if careful:
            cache.next_ids.clear()  # SQLite gives this run's ids
        tx = Tx(conn, cache, defer=not careful)
        outcomes: list[tuple[bool, Any]] = []
        conn.execute("BEGIN IMMEDIATE")
        # Another program committed since the last batch: what the writer remembers may be
        # stale (an own commit or a checkpoint leaves this number as it is).
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version != cache.data_version:
            cache.clear()
            cache.data_version = version
        for fn in fns:
            if careful:
                conn.execute("SAVEPOINT event")
            try:
                outcomes.append((True, fn(tx)))
            except sqlite3.OperationalError:
                raise
            except Exception as exc:
                cache.clear()  # it may hold what the failed event changed
                if not careful:
                    conn.execute("ROLLBACK")
                    return [(False, exc)] if len(fns) == 1 else None
                conn.execute("ROLLBACK TO event")
                outcomes.append((False, exc))
            if careful:
                conn.execute("RELEASE event")
        try:
            tx.flush()
        except sqlite3.OperationalError:
            raise
        except sqlite3.Error:
            if careful:
                raise
            # A held-back row broke a constraint: the careful run finds whose it was.
            cache.clear()
            conn.execute("ROLLBACK")
            return None
        unindexed = self._unindexed or tx.added_messages
        index = unindexed and (_index_now in fns
                               or time.monotonic() - self._indexed_at >= SEARCH_INDEX_EVERY)
        if index:
            _index_new_messages(conn)
        conn.execute("COMMIT")
        if index:
            self._unindexed, self._indexed_at = False, time.monotonic()
        else:
            self._unindexed = unindexed
        return outcomes

    async def _checkpoint_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._written.wait()
            self._written.clear()
            try:
                await loop.run_in_executor(self._checkpointer, self._checkpoint)
            except sqlite3.Error as exc:
                # The WAL only grows until the next one succeeds; nothing is lost.
                log.warning("WAL checkpoint failed, will retry: %s", exc)
            await asyncio.sleep(CHECKPOINT_INTERVAL)

    def _checkpoint(self) -> None:
        if self._checkpoint_conn is not None:
            self._checkpoint_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    # -- reads ---------------------------------------------------------------------------------
    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Run a read-only query on the reader connection (for storage's query modules)."""
        return await self._rows(sql, params)

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        if self._reader is None:
            raise StoreClosed("the ticket store is not open")
        return list(await self._reader.execute_fetchall(sql, params))

    async def ticket(self, ticket_id: int) -> TicketRecord | None:
        rows = await self._rows(TICKET_BY_ID, (ticket_id,))
        return TicketRecord.from_row(rows[0]) if rows else None

    async def customer_by_identity(self, platform: str,
                                   user_id: str) -> CustomerRecord | None:
        rows = await self._rows(CUSTOMER_BY_IDENTITY, (platform, user_id))
        return CustomerRecord.from_row(rows[0]) if rows else None

    async def conversation(self, customer_id: int) -> ConversationRecord | None:
        """Where a customer stands (a form half filled, a pending choice), as last committed."""
        rows = await self._rows("SELECT state, data FROM conversations WHERE customer_id = ?",
                                (customer_id,))
        return ConversationRecord(rows[0]["state"], json.loads(rows[0]["data"])) if rows \
            else None

    async def customer(self, customer_id: int) -> CustomerRecord | None:
        rows = await self._rows(CUSTOMER_BY_ID, (customer_id,))
        return CustomerRecord.from_row(rows[0]) if rows else None

    async def ticket_messages(self, ticket_id: int) -> list[MessageRecord]:
        return [MessageRecord.from_row(r) for r in await self._rows(MESSAGES_OF_TICKET,
                                                                     (ticket_id,))]

    async def ticket_message(self, message_id: int) -> MessageRecord | None:
        rows = await self._rows("SELECT * FROM ticket_messages WHERE id = ?", (message_id,))
        return MessageRecord.from_row(rows[0]) if rows else None

    async def ticket_events(self, ticket_id: int) -> list[TicketEventRecord]:
        return [TicketEventRecord.from_row(r) for r in await self._rows(EVENTS_OF_TICKET,
                                                                         (ticket_id,))]

    async def list_tickets(
        self, *, statuses: Sequence[str] | None = None, limit: int = 50, offset: int = 0
    ) -> list[TicketRecord]:
        """Tickets for agents and admins: highest priority first, then oldest first."""
        where, params = "", list[Any]()
        if statuses:
            where = f"WHERE status IN ({', '.join('?' for _ in statuses)})"
            params.extend(statuses)
        rows = await self._rows(
            f"SELECT * FROM tickets {where} ORDER BY {PRIORITY_RANK_SQL} DESC, id "
            "LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [TicketRecord.from_row(r) for r in rows]

    async def active_ticket_count(self) -> int:
        rows = await self._rows(
            f"SELECT COUNT(*) FROM tickets WHERE status IN {ACTIVE_STATUSES_SQL}"
        )
        return int(rows[0][0])

    async def pending_outbox(
        self, destinations: Sequence[str], *, limit: int = 500
    ) -> list[OutboxRecord]:
        """Undelivered outbox rows, oldest first, including those waiting for a retry."""
        if not destinations:
            return []
        marks = ", ".join("?" for _ in destinations)
        rows = await self._rows(
            f"SELECT * FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL "
            f"AND destination IN ({marks}) ORDER BY id LIMIT ?",
            (*destinations, limit),
        )
        return [OutboxRecord.from_row(r) for r in rows]

    async def outbox_row(self, outbox_id: int) -> sqlite3.Row | None:
        rows = await self._rows("SELECT * FROM outbox WHERE id = ?", (outbox_id,))
        return rows[0] if rows else None

    async def desk_thread(self, ticket_id: int) -> DeskThreadRecord | None:
        rows = await self._rows("SELECT * FROM desk_threads WHERE ticket_id = ?", (ticket_id,))
        return DeskThreadRecord.from_row(rows[0]) if rows else None

    async def ticket_for_thread(self, desk: str, channel: str, thread_ref: str) -> int | None:
        rows = await self._rows(
            "SELECT ticket_id FROM desk_threads WHERE desk = ? AND channel = ? AND thread_ref = ?",
            (desk, channel, thread_ref),
        )
        return int(rows[0][0]) if rows else None

    # -- agents' desk queries (the Slack desk's /ticket command, delivery marks) ----------------
    async def message_event_id(self, message_id: int) -> str | None:
        """The platform event a ticket message came from (e.g. ``slack:msg:C1:1700.0001``)."""
        rows = await self._rows("SELECT event_id FROM ticket_messages WHERE id = ?",
                                (message_id,))
        return str(rows[0][0]) if rows and rows[0][0] is not None else None

    async def ticket_for_message_event(self, event_id: str) -> int | None:
        """The ticket holding the message that came from ``event_id`` (edits, deletions)."""
        rows = await self._rows(
            "SELECT ticket_id FROM ticket_messages WHERE event_id = ? LIMIT 1", (event_id,)
        )
        return int(rows[0][0]) if rows else None

    async def search_tickets(self, words: Sequence[str], *, limit: int = 10) -> list[TicketRecord]:
        """Newest tickets whose subject and form fields, or one of whose messages, contain
        every word: whole words, or any word starting with it when it ends in ``*``
        (``zamów*``). Diacritics and case are folded by the full-text index.

        Both indexes are read newest first and stop early, so a common word costs as little
        as a rare one: a search never walks every matching message of a large store. A prefix
        cannot stop early (FTS5 first merges the rows of every word with that prefix), which
        is why it is only what the agent asks for with ``*``. Several words that rarely meet
        cost a walk over the commoner word's rows in the index (FTS5 looks each row of one up
        in the other, and stops only at a match, whatever rowid range is asked for); walked
        oldest first that costs half as much as newest first, so the oldest few matches are
        looked for first (see below), and the index is still walked at most once.
        """
        terms: list[str] = []
        for word in words:
            # A lone surrogate (a broken emoji in a command's JSON) cannot be sent to SQLite.
            typed = word.encode("utf-8", "replace").decode("utf-8").strip()
            stem = typed.rstrip("*")
            # Nothing to match (only punctuation, or a bare "*"): FTS5 would match no row with
            # an empty phrase, so such a word is left out instead of emptying the search.
            if not any(ch.isalnum() for ch in stem):
                continue
            # Each word one literal phrase (quotes doubled), never FTS syntax; "ORD-123" is
            # the phrase "ord 123", so an order number is found whole.
            star = "*" if stem != typed else ""
            terms.append('"' + stem.replace('"', '""') + '"' + star)
        if not terms:
            return []
        if self._unindexed:
            await self.write(_index_now)
        match = " AND ".join(terms[:8])  # all of them must match
        found: list[int] = [int(row[0]) for row in await self._rows(
            "SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ? ORDER BY rowid DESC "
            "LIMIT ?", (match, limit))]
        # Several whole words: the oldest ``limit`` matching messages first (a walk from the
        # oldest end, the cheaper direction). Fewer than that are all there are: nothing else
        # is walked. Otherwise the newest-first pages below stop at the newest of them, a
        # match, and go on with them. (A prefix is left out: FTS5 would merge its words twice.)
        older: list[int] = []  # matching message ids at or below ``floor``, newest first
        floor: int | None = _NO_FLOOR
        if limit > 0 and len(terms) > 1 and not any(term.endswith("*") for term in terms):
            older = [int(row[0]) for row in await self._rows(
                "SELECT rowid FROM ticket_messages_fts WHERE ticket_messages_fts MATCH ? "
                "ORDER BY rowid LIMIT ?", (match, limit))][::-1]
            floor = older[0] if len(older) == limit else None
        # Matching messages newest first, a page at a time, until ``limit`` tickets are found:
        # each hit is a message row read at random from a large file, so read few.
        from_messages: set[int] = set()
        before, read = 2**63 - 1, 0
        while len(from_messages) < limit and read < limit * _SEARCH_FAN_OUT:
            page: list[sqlite3.Row] = []
            if floor is not None:
                page = await self._rows(
                    "SELECT f.rowid, m.ticket_id FROM (SELECT rowid FROM ticket_messages_fts "
                    "WHERE ticket_messages_fts MATCH ? AND rowid < ? AND rowid > ? "
                    "ORDER BY rowid DESC LIMIT ?) f JOIN ticket_messages m ON m.id = f.rowid",
                    (match, before, floor, 2 * limit))
                if len(page) == 2 * limit:
                    before = min(int(row[0]) for row in page)
                else:
                    floor = None
            if floor is None and older and len(page) < 2 * limit:
                more, older = older[:2 * limit - len(page)], older[2 * limit - len(page):]
                marks = ", ".join("?" for _ in more)
                page += await self._rows(
                    f"SELECT id, ticket_id FROM ticket_messages WHERE id IN ({marks})", more)
            from_messages.update(int(row[1]) for row in page)
            read += len(page)
            if len(page) < 2 * limit:
                break
        newest = sorted(set(found) | from_messages, reverse=True)[:limit]
        if not newest:
            return []
        marks = ", ".join("?" for _ in newest)
        rows = await self._rows(f"SELECT * FROM tickets WHERE id IN ({marks}) ORDER BY id DESC",
                                newest)
        return [TicketRecord.from_row(r) for r in rows]

    async def assigned_tickets(
        self, assignee_id: str, *, active_only: bool = True, limit: int = 20
    ) -> list[TicketRecord]:
        """Tickets assigned to one agent: highest priority first, then oldest first."""
        where = f" AND status IN {ACTIVE_STATUSES_SQL}" if active_only else ""
        rows = await self._rows(
            f"SELECT * FROM tickets WHERE assignee_id = ?{where} "
            f"ORDER BY {PRIORITY_RANK_SQL} DESC, id LIMIT ?",
            (assignee_id, limit),
        )
        return [TicketRecord.from_row(r) for r in rows]

