"""The store failing: locked, full, corrupted. Clear errors; nothing acknowledged that was not
stored; nothing acknowledged lost.

``database is locked``: another process holds the write lock past the busy timeout. Disk full:
a real 4 MB tmpfs when this machine lets the test mount one (root, or CAP_SYS_ADMIN), and
always SQLite's ``max_page_count``, which makes SQLite answer exactly as on a full disk
(``database or disk is full``). A corrupted file: ``supportbot run`` refuses to start with one
line saying so; a corrupted data page is refused event by event, and ``supportbot doctor``
names it. Figures go to ``database_faults.json`` (see load_driver).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

import supportbot.app
from storage.store import Store
from tests.load_driver import clean_environment, record_case
from tests.slack_harness import AGENTS, ANNA, SECRET
from tests.standins.telegram_api import TelegramStandIn
from tests.telegram_harness import USER, running_bot
from tests.test_platform_faults import World, world

REPORT = "database_faults"
LONG_TEXT = "Opis szczegółów, który zajmuje sporo miejsca w bazie. " * 250  # ~14 kB


pytestmark = pytest.mark.usefixtures("ptb_timedelta")


async def count(store: Store, sql: str, *params: object) -> int:
    return int((await store.query(sql, params))[0][0])


# -- database is locked --------------------------------------------------------------------------
async def test_a_locked_database_leaves_the_update_with_telegram_until_it_can_be_stored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    # 5 s in production; short here so the lock outlasts it quickly.
    monkeypatch.setattr(supportbot.app, "Store", partial(Store, busy_timeout_ms=200))
    db = tmp_path / "db.sqlite3"
    async with TelegramStandIn(per_chat_interval=0.05, retry_after_override=0.2) as tg, \
            running_bot(tg, db) as rig:
        await rig.command("/start")  # stored and confirmed before the lock
        blocker = sqlite3.connect(db, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process takes the write lock and keeps it
        try:
            update = tg.push_command(USER, "/help")
            await tg.wait_for(lambda t: t.delivered_ids.count(update) >= 2, timeout=15)
            confirmed_while_locked = tg.confirmed_offset
            answers_while_locked = len(tg.messages_for(USER))
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        await tg.wait_sent(USER, 2, timeout=15)
        await rig.settle()
        await asyncio.sleep(0.3)  # time for a second answer, were one coming
        stored = await count(rig.runtime.store,
                             "SELECT COUNT(*) FROM processed_events WHERE event_id = ?",
                             f"telegram:update:{update}")
        answers = len(tg.messages_for(USER))
        offered = tg.delivered_ids.count(update)
    locked = [r.getMessage() for r in caplog.records if "database is locked" in r.getMessage()]
    record_case(REPORT, "database is locked", {
        "offered_by_telegram": offered, "confirmed_while_locked": confirmed_while_locked > update,
        "answers_while_locked": answers_while_locked - 1, "stored": stored,
        "answers": answers - 1, "error_logged": locked[0] if locked else None})
    assert confirmed_while_locked <= update  # Telegram still holds it
    assert answers_while_locked == 1  # nothing was answered for it
    assert (stored, answers) == (1, 2)  # then applied once
    assert locked, "the failure names the cause"


# -- disk full -----------------------------------------------------------------------------------
@contextlib.contextmanager
def small_tmpfs(folder: Path, size: str = "4m") -> Iterator[Path]:
    folder.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root here; the max_page_count case still runs")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(folder)], capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode(errors='replace')}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Write a file until the filesystem is full; returns it (delete it to free the space)."""
    filler = folder / "filler"
    chunk = b"\0" * 65536
    # Unbuffered: a buffered file keeps the part that did not fit and fails again on close.
    with filler.open("wb", buffering=0) as file, contextlib.suppress(OSError):
        while True:
            file.write(chunk)
    return filler


class Fullness:
    """Makes the store's disk full, and gives the space back."""

    def __init__(self, kind: str, folder: Path, w: World) -> None:
        self.kind, self.folder, self.w = kind, folder, w
        self.filler: Path | None = None

    async def fill(self) -> None:
        store = self.w.runtime.store
        if self.kind == "tmpfs":
            # Empty the WAL into the database file first, so the next write must grow a file.
            with contextlib.closing(sqlite3.connect(store.path, timeout=5)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.filler = fill(self.folder)
        else:
            # The writer connection may not grow the file past its present size: SQLite then
            # fails exactly as on a full disk (SQLITE_FULL, "database or disk is full").
            pages = await on_writer(store, "PRAGMA page_count")
            await on_writer(store, f"PRAGMA max_page_count = {pages}")

    async def free(self) -> None:
        if self.filler is not None:
            self.filler.unlink()
        else:
            await on_writer(self.w.runtime.store, "PRAGMA max_page_count = 1073741823")


async def on_writer(store: Store, pragma: str) -> int:
    """Run a PRAGMA on the store's writer connection, on its writer thread between two write
    batches (a batch that fails takes every statement in it down, a PRAGMA included)."""
    def run() -> int:
        assert store._writer is not None  # the test reaches into the store, on purpose
        return int(store._writer.execute(pragma).fetchone()[0])
    return await asyncio.get_running_loop().run_in_executor(store._executor, run)


@pytest.mark.parametrize("kind", ["tmpfs", "max_page_count"])
async def test_a_full_disk_refuses_what_it_cannot_store_and_takes_it_once_space_returns(
        tmp_path: Path, kind: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    with small_tmpfs(tmp_path / "small") if kind == "tmpfs" \
            else contextlib.nullcontext(tmp_path) as folder:
        async with world(folder) as w:
            store = w.runtime.store
            number = await w.open_ticket()
            await w.settled()
            acknowledged = await count(store, "SELECT COUNT(*) FROM processed_events")
            full = Fullness(kind, folder, w)
            await full.fill()

            update = w.tg.push_text(USER, "FULL-1 " + LONG_TEXT)
            reply = w.slack.message_event(AGENTS, ANNA, "FULL-2 " + LONG_TEXT,
                                          thread_ts=await w.thread_ts(number))
            first, _ = await w.slack.send_event(w.url, reply, signing_secret=SECRET,
                                                event_id="EvFull")
            await w.tg.wait_for(lambda t: t.delivered_ids.count(update) >= 2, timeout=15)
            confirmed_while_full = w.tg.confirmed_offset > update
            answered_while_full = any("Dopisano" in (m.visible_text or "")
                                      for m in w.tg.messages_for(USER)[-1:])

            await full.free()
            retried, _ = await w.slack.send_event(w.url, reply, signing_secret=SECRET,
                                                  event_id="EvFull", retry_num=1)
            await w.tg.wait_for(lambda t: any("Dopisano" in (m.visible_text or "")
                                              for m in t.messages_for(USER)[-2:]), timeout=20)
            await w.settled()
            bodies = [m.body[:6] for m in await store.ticket_messages(number)]
            kept = await count(store, "SELECT COUNT(*) FROM processed_events")
            integrity = (await store.query("PRAGMA quick_check"))[0][0]
    full_errors = [r.getMessage() for r in caplog.records
                   if "database or disk is full" in r.getMessage()]
    record_case(REPORT, f"disk full ({kind})", {
        "slack_status_while_full": first, "slack_status_after": retried,
        "telegram_confirmed_while_full": confirmed_while_full,
        "telegram_answered_while_full": answered_while_full,
        "stored_after": {"FULL-1": bodies.count("FULL-1"), "FULL-2": bodies.count("FULL-2")},
        "acknowledged_before": acknowledged, "events_after": kept,
        "integrity": integrity, "error_logged": full_errors[0] if full_errors else None})
    assert first == 500 and retried == 200  # Slack is told to deliver it again
    assert not confirmed_while_full and not answered_while_full
    assert bodies.count("FULL-1") == 1 and bodies.count("FULL-2") == 1
    assert kept == acknowledged + 2 and integrity == "ok"
    assert full_errors, "the failure names the cause"


# -- a corrupted store ---------------------------------------------------------------------------
async def create_store(path: Path) -> bytes:
    """A store as the first start leaves it (created and migrated); returns its bytes."""
    async with Store(path):
        pass
    return await asyncio.to_thread(path.read_bytes)


def make_store(path: Path) -> bytes:
    return asyncio.run(create_store(path))


def corrupt(kind: str, path: Path) -> None:
    data = bytearray(make_store(path))
    if kind == "not a database":
        data = bytearray(b"this is not a database" * 100)
    elif kind == "truncated":
        data = data[: len(data) // 3]
    elif kind == "schema page overwritten":
        data[100:4096] = b"\xff" * (4096 - 100)
    elif kind == "newer schema":
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA user_version = 999")
            conn.commit()
        return
    path.write_bytes(bytes(data))


def run_cli(*args: str, database: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    import sys

    env = clean_environment()
    env.update(SUPPORTBOT_DATABASE=str(database), SUPPORTBOT_TELEGRAM__ENABLED="true",
               SUPPORTBOT_TELEGRAM__TOKEN="4242:corrupt-store-test",
               SUPPORTBOT_TELEGRAM__API_BASE_URL="http://127.0.0.1:9/bot")  # never reached
    return subprocess.run([sys.executable, "-m", "supportbot.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(("kind", "reason"), [
    ("not a database", "file is not a database"),
    ("truncated", "database disk image is malformed"),
    ("schema page overwritten", "database disk image is malformed"),
    ("newer schema", "newer than this program"),
])
def test_supportbot_run_refuses_a_corrupted_store_in_one_clear_line(
        tmp_path: Path, kind: str, reason: str) -> None:
    path = tmp_path / "db.sqlite3"
    corrupt(kind, path)
    before = path.read_bytes()
    result = run_cli("run", database=path, cwd=tmp_path)
    record_case(REPORT, f"corrupted store: {kind}",
                {"exit_code": result.returncode, "stderr": result.stderr.strip()[-300:]})
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(f"Cannot start: cannot open the ticket store {path}: ")
    assert reason in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert path.read_bytes() == before  # nothing written over what is left


async def test_a_corrupted_data_page_is_refused_event_by_event_and_named_by_doctor(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    path = tmp_path / "db.sqlite3"
    data = bytearray(await create_store(path))
    with contextlib.closing(sqlite3.connect(path)) as conn:
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master "
                               "WHERE name = 'processed_events'").fetchone()
    start = (int(root) - 1) * 4096  # the page every event is recorded in
    data[start:start + 4096] = b"\x0d\x00\xff\xff" * 1024
    path.write_bytes(bytes(data))
    async with TelegramStandIn(per_chat_interval=0.05, retry_after_override=0.2) as tg, \
            running_bot(tg, path) as rig:
        update = tg.push_command(USER, "/start")
        await tg.wait_for(lambda t: t.delivered_ids.count(update) >= 2, timeout=15)
        confirmed = tg.confirmed_offset > update
        answered = len(tg.messages_for(USER))
        del rig
    malformed = [r.getMessage() for r in caplog.records
                 if "malformed" in r.getMessage() or
                 (r.exc_info and "malformed" in str(r.exc_info[1]))]
    doctor = run_cli("doctor", database=path, cwd=tmp_path)
    record_case(REPORT, "corrupted data page", {
        "telegram_confirmed": confirmed, "answers": answered,
        "error_logged": bool(malformed), "doctor_exit_code": doctor.returncode,
        "doctor_says": next((line.strip() for line in doctor.stdout.splitlines()
                             if " store " in line), "")})
    assert not confirmed and answered == 0  # nothing acknowledged that was not stored
    assert malformed
    store_line = next(line for line in doctor.stdout.splitlines() if " store " in line)
    assert doctor.returncode == 1
    assert store_line.split()[0] == "FAIL" and "database disk image is malformed" in store_line
    assert "Traceback" not in doctor.stdout + doctor.stderr
