"""The 1,000,000-ticket / 10,000,000-message store for the scale benchmark, and its cache.

Written with plain ``sqlite3`` ``executemany`` in big transactions straight into the project's
schema: ``storage.migrate.migrate`` runs first on the fresh file, so tables, indexes, triggers
and ``user_version`` are exactly what the bot creates. Two things make the load fast without
changing the result:

* the secondary indexes and the full-text triggers of migration 0003 are dropped during the
  load and re-created afterwards from their own ``sqlite_master`` SQL (an index built once from
  sorted data is far cheaper than one kept up to date row by row), and the two FTS5 indexes are
  filled with FTS5's ``'rebuild'`` command instead of one trigger call per row;
* the load runs with ``journal_mode=OFF`` and ``synchronous=OFF`` (a crash just means
  generating again); the finished file is switched to WAL like the store's.

The content imitates a support desk two years in: customers on Telegram, Discord and Slack,
most with a ticket or two and a thousand regulars with dozens, tickets mostly closed, about ten
messages each (customer and agent taking turns, the same ticket's messages spread among other
tickets' as they would be in time), every customer message with its dedup row, every message
with the two outbox rows the engine writes for it (already delivered), a ``created`` event and
the status changes per ticket, one fired timer per ticket, one Slack desk thread per ticket.
Words follow a Zipf distribution over a support vocabulary, so some are in millions of messages
and order numbers are in a handful — which is what makes the desk's search interesting.

The file is cached in the data directory under a name that encodes the sizes, the generator's
version and a hash of the migrations, with a JSON manifest written last: a file without its
manifest is an interrupted generation and is made again.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.actions import CustomerMessage, DeskEvent, DeskNotice, Text, to_json
from storage.migrate import available, migrate

GENERATOR_VERSION = 1
BASE = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 2 * 365 * 24 * 3600
WINDOW = 1000  # tickets whose messages are interleaved in time with each other
AGENTS = [(f"U0AGENT{k:02d}", name) for k, name in enumerate(
    ["Anna", "Piotr", "Kasia", "Marek", "Ola", "Tomek", "Ewa", "Bartek", "Magda", "Kuba",
     "Zosia", "Paweł", "Iza", "Michał", "Agata", "Krzysztof", "Ula", "Adam", "Monika", "Jan"])]
CATEGORIES = ["account", "payments", "orders", "returns", "technical", "abuse", "privacy",
              "suggestion", "other"]
CATEGORY_WEIGHTS = [10, 15, 35, 15, 12, 2, 2, 4, 5]
ENVIRONMENTS = ["Android 14", "iOS 17", "Chrome 120", "Firefox 121", "Windows 11"]

# Ordered from most to least frequent: the rank gives the Zipf weight.
_VOCABULARY_TEXT = """
nie się na i w jest z do że to mam czy jak mój moje zamówienie paczka proszę dzień dobry
już po jeszcze konto tylko płatność kurier dostawa było bardzo nic teraz od ale status
numer kiedy pieniądze zwrot przesyłka aplikacja błąd hasło logowanie faktura karta przelew
tydzień dni wczoraj dzisiaj informacja odpowiedź pomoc problem towar produkt sklep adres
email telefon reklamacja kod rabat koszyk zapłaciłem zamówiłem otrzymałem wysłałem dotarła
dostałem anulować zmienić sprawdzić działa zalogować resetować pobrać zainstalować
android iphone przeglądarka strona link wiadomość rozmiar kolor uszkodzony brakuje
zwrócić wymiana gwarancja termin opóźnienie paczkomat odbiór punkt kurierski śledzenie
blik paypal subskrypcja abonament pakiet premium konto firmowe nip faktura korekta
regulamin dane osobowe usunięcie rodo zgoda newsletter spam oszustwo podejrzane
aktualizacja wersja ekran przycisk koszyka płatności weryfikacja sms kod jednorazowy
order package delivery refund password login account payment invoice error please thanks
hello broken missing late tracking courier support ticket update app crash screen
"""
_SYLLABLES = ("ka", "lo", "mi", "ra", "to", "we", "sz", "no", "pa", "de", "ry", "ko", "ba",
              "ze", "la", "mo", "ni", "ta", "wo", "ce")


def _long_tail(count: int) -> list[str]:
    """Pseudo-words (product names, surnames, places) behind the real vocabulary, so that
    there are words in a few hundred messages and in a few hundred thousand."""
    words = []
    for k in range(count):
        a, b = divmod(k, len(_SYLLABLES) ** 2)
        b1, b2 = divmod(b, len(_SYLLABLES))
        words.append(_SYLLABLES[a % len(_SYLLABLES)] + _SYLLABLES[b1] + _SYLLABLES[b2]
                     + ("wer", "nik", "ska", "tol", "mar")[a // len(_SYLLABLES) % 5])
    return words


VOCABULARY = _VOCABULARY_TEXT.split() + _long_tail(6000)
SUBJECTS = [
    "Paczka nie dotarła", "Zwrot pieniędzy za zamówienie", "Nie mogę się zalogować",
    "Błąd przy płatności kartą", "Podwójne obciążenie karty", "Zmiana adresu dostawy",
    "Uszkodzony towar w paczce", "Brak faktury do zamówienia", "Reset hasła nie działa",
    "Aplikacja zawiesza się na Androidzie", "Kod rabatowy nie działa", "Reklamacja produktu",
    "Pytanie o status zwrotu", "Usunięcie konta i danych", "Podejrzana wiadomość SMS",
    "Opóźniona przesyłka kurierska", "Zły rozmiar, chcę wymienić", "Płatność BLIK odrzucona",
    "Subskrypcja premium naliczona dwa razy", "Nie przychodzi kod weryfikacyjny",
    "Package never arrived", "Refund not received", "Cannot log in to my account",
    "App crashes on start", "Wrong item delivered", "Invoice with company details",
]


@dataclass(frozen=True)
class Size:
    tickets: int
    messages: int
    customers: int
    regulars: int  # customers with many tickets each (5% of tickets go to them)

    @property
    def label(self) -> str:
        return f"{self.tickets}t-{self.messages}m"


FULL = Size(tickets=1_000_000, messages=10_000_000, customers=250_000, regulars=1_000)
QUICK = Size(tickets=10_000, messages=100_000, customers=2_500, regulars=50)


@dataclass
class Manifest:
    size: dict[str, int]
    generator_version: int
    schema_version: int
    generated_at: str
    seconds: dict[str, float]  # phase -> seconds
    rows: dict[str, int]
    bytes_by_table: dict[str, int]  # from dbstat: table or index -> bytes
    file_bytes: int
    probes: dict[str, Any]  # ids and words the benchmark looks up

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, ensure_ascii=False)


def schema_key() -> str:
    digest = hashlib.sha1()
    for number, name, sql in available():
        digest.update(f"{number}{name}{sql}".encode())
    return digest.hexdigest()[:10]


def cache_path(data_dir: Path, size: Size) -> Path:
    return data_dir / f"scale-{size.label}-g{GENERATOR_VERSION}-s{schema_key()}.sqlite3"


def manifest_path(db: Path) -> Path:
    return db.with_suffix(".json")


def load_cached(db: Path) -> Manifest | None:
    path = manifest_path(db)
    if not (db.exists() and path.exists()):
        return None
    try:
        return Manifest(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return None


def _remove(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    manifest_path(db).unlink(missing_ok=True)


# -- content -----------------------------------------------------------------------------------
class Words:
    """Sentences drawn from the vocabulary with Zipf weights (rank r has weight 1/r)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        weights = [1.0 / (rank + 1) for rank in range(len(VOCABULARY))]
        total = 0.0
        self.cumulative = []
        for w in weights:
            total += w
            self.cumulative.append(total)

    def sentence(self, low: int, high: int) -> str:
        words = self.rng.choices(VOCABULARY, cum_weights=self.cumulative,
                                 k=self.rng.randint(low, high))
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."


_PLATFORMS = ["telegram"] * 7 + ["discord"] * 2 + ["slack"]


def identity(customer_id: int) -> tuple[str, str, str]:
    """(platform, platform user id, chat id) of a generated customer."""
    user = str(10_000_000 + customer_id)
    return _PLATFORMS[customer_id % 10], user, user


_DAYS: dict[int, str] = {}


def iso(seconds: float) -> str:
    """The store's time format (``storage.records.to_iso``: UTC, microseconds, ``+00:00``)
    for BASE + seconds; built by hand because ``datetime.isoformat`` for 40 million rows
    would take minutes."""
    day, rest = divmod(seconds, 86400.0)
    prefix = _DAYS.get(int(day))
    if prefix is None:
        prefix = _DAYS[int(day)] = (BASE + timedelta(days=int(day))).strftime("%Y-%m-%dT")
    whole = int(rest)
    hours, left = divmod(whole, 3600)
    minutes, secs = divmod(left, 60)
    return (f"{prefix}{hours:02d}:{minutes:02d}:{secs:02d}."
            f"{int((rest - whole) * 1_000_000):06d}+00:00")


def _payload_templates() -> tuple[str, str]:
    """Outbox payloads as the engine writes them (a follow-up's reply to the customer, its
    notice to the desk), with placeholders where the numbers go."""
    reply = to_json(CustomerMessage(platform="telegram", chat_id="@CHAT@", language="pl",
                                    texts=(Text("follow-up-added", {"id": 999_999_999}),),
                                    ticket_id=999_999_999))
    desk = to_json(DeskNotice(ticket_id=999_999_999, event=DeskEvent.CUSTOMER_MESSAGE,
                              message_id=888_888_888))
    return reply, desk


# Rows derived from tickets and messages are made by SQLite itself (INSERT ... SELECT), which
# is many times faster than building them in Python.
_DERIVED_SQL = [
    # Every ticket's history: created; assigned and opened; resolved; closed.
    "INSERT INTO ticket_events (ticket_id, actor_kind, actor_id, actor_name, kind, old_value, "
    "new_value, created_at) SELECT id, 'customer', customer_id, 'Klient ' || customer_id, "
    "'created', NULL, 'new', created_at FROM tickets",
    "INSERT INTO ticket_events (ticket_id, actor_kind, actor_id, actor_name, kind, old_value, "
    "new_value, created_at) SELECT id, 'agent', assignee_id, assignee_name, 'assignee', NULL, "
    "assignee_name, first_response_at FROM tickets WHERE assignee_id IS NOT NULL",
    "INSERT INTO ticket_events (ticket_id, actor_kind, actor_id, actor_name, kind, old_value, "
    "new_value, created_at) SELECT id, 'agent', assignee_id, assignee_name, 'status', 'new', "
    "'open', first_response_at FROM tickets WHERE first_response_at IS NOT NULL",
    "INSERT INTO ticket_events (ticket_id, actor_kind, actor_id, actor_name, kind, old_value, "
    "new_value, created_at) SELECT id, 'agent', assignee_id, assignee_name, 'status', 'open', "
    "'resolved', resolved_at FROM tickets WHERE resolved_at IS NOT NULL",
    "INSERT INTO ticket_events (ticket_id, actor_kind, actor_id, actor_name, kind, old_value, "
    "new_value, created_at) SELECT id, 'system', '', '', 'status', 'resolved', 'closed', "
    "closed_at FROM tickets WHERE closed_at IS NOT NULL",
    # One overdue timer per ticket, fired long ago (nothing is due at start).
    "INSERT INTO timers (ticket_id, kind, due_at, fired_at, created_at) SELECT id, 'overdue', "
    "first_response_due, first_response_due, created_at FROM tickets",
    # The Slack desk's thread of every ticket.
    "INSERT INTO desk_threads (ticket_id, desk, channel, thread_ref) SELECT id, 'slack', "
    "'C0DESK', (1700000000 + id) || '.000100' FROM tickets",
    # A dedup row for every message that came from a platform event.
    "INSERT INTO processed_events (event_id, processed_at) SELECT event_id, created_at "
    "FROM ticket_messages WHERE event_id IS NOT NULL",
]
# Two outbox rows per message, delivered, as the engine writes them: for a customer's
# message the desk notice and the "added to your ticket" reply; for an agent's reply the
# relay to the customer and the desk's "delivered" notice.
_OUTBOX_SQL = [
    "INSERT INTO outbox (destination, recipient, ticket_id, message_id, payload, created_at, "
    "attempts, delivered_at, delivered_ref) SELECT c.platform, c.platform || ':' || c.chat_id, "
    "m.ticket_id, CASE m.author_kind WHEN 'agent' THEN m.id END, "
    "replace(replace(:reply, '999999999', m.ticket_id), '@CHAT@', c.chat_id), m.created_at, 1, "
    "m.created_at, 't' || m.id FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id "
    "JOIN customers c ON c.id = t.customer_id",
    "INSERT INTO outbox (destination, recipient, ticket_id, message_id, payload, created_at, "
    "attempts, delivered_at, delivered_ref) SELECT 'desk', 'desk:' || m.ticket_id, "
    "m.ticket_id, NULL, replace(replace(:desk, '999999999', m.ticket_id), '888888888', m.id), "
    "m.created_at, 1, m.created_at, (1700000000 + m.id) || '.000200' FROM ticket_messages m",
]


# -- generation --------------------------------------------------------------------------------
def generate(db: Path, size: Size, *, seed: int = 8) -> Manifest:
    """Generate the store into ``db`` (replacing what is there); returns its manifest."""
    _remove(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    phases: dict[str, float] = {}
    conn = sqlite3.connect(db, isolation_level=None)
    schema_version = migrate(conn)  # the project's schema, exactly

    # Secondary indexes and triggers are re-created afterwards from their own SQL.
    deferred = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
        "AND sql IS NOT NULL ORDER BY type, name").fetchall()
    for kind, name, _ in deferred:
        conn.execute(f"DROP {kind.upper()} {name}")
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")  # 1 GB while loading
    conn.execute("PRAGMA temp_store = MEMORY")

    words = Words(rng)
    customer_pool = [words.sentence(6, 30) for _ in range(40_000)]
    agent_pool = [words.sentence(8, 40) for _ in range(8_000)]

    # Customers.
    start = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO customers (id, platform, platform_user_id, chat_id, display_name, locale, "
        "created_at, rate_tokens, rate_updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ((c, *identity(c), f"Klient {c}", "pl" if c % 5 else "en", iso(0), 19.0, iso(0))
         for c in range(1, size.customers + 1)))
    conn.execute("COMMIT")
    phases["customers"] = time.perf_counter() - start

    # Tickets.
    start = time.perf_counter()
    per_ticket = SPAN_SECONDS / size.tickets
    active_from = int(size.tickets * 0.98)
    owner: list[int] = [0] * (size.tickets + 1)
    created: list[float] = [0.0] * (size.tickets + 1)
    orders: dict[int, str] = {}
    category_cum = []
    total = 0
    for weight in CATEGORY_WEIGHTS:
        total += weight
        category_cum.append(total)

    def ticket_rows() -> Iterator[tuple[Any, ...]]:
        for t in range(1, size.tickets + 1):
            c = (rng.randrange(size.regulars) + 1 if rng.random() < 0.05
                 else rng.randrange(size.customers) + 1)
            owner[t] = c
            at = (t - 1) * per_ticket + rng.random() * per_ticket
            created[t] = at
            category = rng.choices(CATEGORIES, cum_weights=category_cum)[0]
            fields = "{}"
            if category in ("orders", "returns"):
                orders[t] = f"ORD-{1_000_000 + t}"
                fields = f'{{"order_id": "{orders[t]}"}}'
            elif category == "payments":
                fields = f'{{"transaction_id": "TX{rng.randrange(10**9, 10**10)}"}}'
            elif category == "technical":
                fields = f'{{"environment": "{ENVIRONMENTS[t % len(ENVIRONMENTS)]}"}}'
            if t > active_from:
                status = ("new", "open", "waiting")[t % 3]
            else:
                status = "closed" if rng.random() < 0.9 else "resolved"
            agent_id, agent_name = AGENTS[t % len(AGENTS)] if status != "new" else (None, None)
            yield (t, c, category, SUBJECTS[rng.randrange(len(SUBJECTS))], fields, status,
                   "normal", agent_id, agent_name, iso(at), iso(at + 86400),
                   iso(at + 8 * 3600), None if status == "new" else iso(at + 3 * 3600),
                   iso(at + 4 * 86400) if status in ("closed", "resolved") else None,
                   iso(at + 5 * 86400) if status == "closed" else None)

    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO tickets (id, customer_id, category, subject, fields, status, priority, "
        "assignee_id, assignee_name, created_at, updated_at, first_response_due, "
        "first_response_at, resolved_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?)", ticket_rows())
    conn.execute("COMMIT")
    phases["tickets"] = time.perf_counter() - start

    # Messages: about ten per ticket, interleaved in time within windows of tickets.
    start = time.perf_counter()
    counts = [0] + [4 + rng.randrange(13) for _ in range(size.tickets)]  # 4..16, mean 10
    excess = sum(counts) - size.messages
    while excess:
        t = rng.randrange(1, size.tickets + 1)
        if excess > 0 and counts[t] > 2:
            counts[t] -= 1
            excess -= 1
        elif excess < 0:
            counts[t] += 1
            excess += 1

    def message_rows() -> Iterator[tuple[Any, ...]]:
        message_id = 0
        n_customer, n_agent = len(customer_pool), len(agent_pool)
        for first in range(1, size.tickets + 1, WINDOW):
            last = min(size.tickets, first + WINDOW - 1)
            timeline: list[tuple[float, int, int]] = []
            for t in range(first, last + 1):
                at = created[t]
                for j in range(counts[t]):
                    timeline.append((at, t, j))
                    at += 600 + rng.random() * 86400
            timeline.sort()
            for at, t, j in timeline:
                message_id += 1
                if j % 2 == 0:  # the customer: the form's description, then follow-ups
                    c = owner[t]
                    body = customer_pool[rng.randrange(n_customer)]
                    if t in orders and rng.random() < 0.2:
                        body += f" {orders[t]}"
                    yield (message_id, t, "customer", str(c), f"Klient {c}", 0, body,
                           None if j == 0 else f"telegram:{message_id}", iso(at))
                else:  # an agent's reply, now and then an internal note
                    agent_id, name = AGENTS[(t + j) % len(AGENTS)]
                    yield (message_id, t, "agent", agent_id, name,
                           1 if rng.random() < 0.05 else 0,
                           agent_pool[rng.randrange(n_agent)],
                           f"slack:msg:C0DESK:{1_700_000_000 + message_id}.000200", iso(at))

    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO ticket_messages (id, ticket_id, author_kind, author_id, author_name, "
        "internal, body, attachments, event_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, '[]', "
        "?, ?)", message_rows())
    conn.execute("COMMIT")
    phases["messages"] = time.perf_counter() - start

    start = time.perf_counter()
    conn.execute("BEGIN")
    for sql in _DERIVED_SQL:
        conn.execute(sql)
    conn.execute("COMMIT")
    phases["events, timers, desk threads, dedup rows"] = time.perf_counter() - start
    start = time.perf_counter()
    conn.execute("BEGIN")
    reply, desk = _payload_templates()
    for sql in _OUTBOX_SQL:
        conn.execute(sql, {"reply": reply, "desk": desk})
    conn.execute("COMMIT")
    phases["outbox rows"] = time.perf_counter() - start

    start = time.perf_counter()
    for kind, _, sql in deferred:
        if kind == "index":
            conn.execute(sql)
    phases["secondary indexes"] = time.perf_counter() - start
    start = time.perf_counter()
    conn.execute("INSERT INTO tickets_fts (tickets_fts) VALUES ('rebuild')")
    conn.execute("INSERT INTO ticket_messages_fts (ticket_messages_fts) VALUES ('rebuild')")
    # The store's writer indexes messages newer than this (migration 0006).
    conn.execute("UPDATE search_progress SET message_id = (SELECT MAX(id) FROM ticket_messages)")
    for kind, _, sql in deferred:
        if kind == "trigger":
            conn.execute(sql)
    phases["full-text indexes (FTS5 rebuild)"] = time.perf_counter() - start

    conn.execute("PRAGMA journal_mode = WAL")  # as the store has it
    start = time.perf_counter()
    bytes_by_table = {name: int(n) for name, n in conn.execute(
        "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")}
    rows = {table: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in ("customers", "tickets", "ticket_messages", "ticket_events",
                          "processed_events", "outbox", "timers", "desk_threads")}
    probes = _probes(conn, rng, size, owner, orders)
    phases["census and probes"] = time.perf_counter() - start
    conn.close()

    manifest = Manifest(
        size=asdict(size), generator_version=GENERATOR_VERSION, schema_version=schema_version,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"), seconds=phases,
        rows=rows, bytes_by_table=bytes_by_table, file_bytes=db.stat().st_size, probes=probes)
    manifest_path(db).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def _probes(conn: sqlite3.Connection, rng: random.Random, size: Size, owner: list[int],
            orders: dict[int, str]) -> dict[str, Any]:
    """What the benchmark looks up: tickets with their owners, customers (regulars too), and
    search words by how many messages hold them."""
    tickets = [rng.randrange(1, size.tickets + 1) for _ in range(8000)]
    customers = [owner[t] for t in tickets[:2000]] + [rng.randrange(1, size.regulars + 1)
                                                      for _ in range(200)]
    order_numbers = rng.sample(sorted(orders.values()), min(2000, len(orders)))
    return {
        "tickets": [[t, owner[t]] for t in tickets],
        "customers": customers,
        "order_numbers": order_numbers,
        "vocab": vocabulary(conn),
    }


def vocabulary(conn: sqlite3.Connection) -> dict[str, int]:
    """How many messages hold each word, from the full-text index itself (fts5vocab)."""
    conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, "
                 "'ticket_messages_fts', 'row')")
    try:
        return {str(term): int(docs) for term, docs in conn.execute(
            "SELECT term, doc FROM temp.vocab WHERE term GLOB '[a-z]*'")}
    finally:
        conn.execute("DROP TABLE temp.vocab")


def word_classes(vocab: dict[str, int], messages: int) -> dict[str, list[str]]:
    """Search words by how many messages hold them, spread over each range."""
    ranked = sorted(vocab.items(), key=lambda kv: kv[1])

    def between(low: float, high: float, count: int) -> list[str]:
        words = [w for w, d in ranked if low * messages <= d < high * messages]
        step = max(1, len(words) // count)
        return words[::step][:count]

    return {
        "rare": between(0.00005, 0.001, 40),  # 500-10,000 of 10 M messages
        "medium": between(0.001, 0.02, 40),  # 10,000-200,000
        "common": between(0.02, 1.01, 20),  # over 200,000
    }


def _upgrade(old: Path, new: Path) -> Manifest | None:
    """Bring a cached store made under older migrations up to date (a migration added since
    is applied, as the bot would on its next start, and timed), and file it under the new
    name. None when that fails: the store is then generated again."""
    manifest = load_cached(old)
    if manifest is None:
        return None
    conn = sqlite3.connect(old, isolation_level=None)
    try:
        before = int(conn.execute("PRAGMA user_version").fetchone()[0])
        start = time.perf_counter()
        version = migrate(conn)
        seconds = time.perf_counter() - start
    except Exception:
        return None
    finally:
        conn.close()
    if version != before:
        manifest.seconds[f"migrations {before + 1}-{version} applied to the cached store"] = \
            seconds
    manifest.schema_version = version
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(old) + suffix)
        if source.exists():
            source.rename(Path(str(new) + suffix))
    manifest_path(old).unlink(missing_ok=True)
    manifest_path(new).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def ensure(data_dir: Path, size: Size) -> tuple[Path, Manifest, str]:
    """The cached store for ``size``: reused, upgraded to new migrations, or generated; the
    string says which."""
    db = cache_path(data_dir, size)
    manifest = load_cached(db)
    if manifest is not None:
        return db, manifest, "reused from the cache"
    for other in sorted(data_dir.glob(f"scale-{size.label}-g{GENERATOR_VERSION}-*.sqlite3")):
        if other != db:
            upgraded = _upgrade(other, db)
            if upgraded is not None:
                return db, upgraded, "reused from the cache, migrated to the current schema"
    # Anything else for this size (older generator, interrupted run) is replaced.
    for stale in data_dir.glob(f"scale-{size.label}-*.sqlite3"):
        if stale != db:
            _remove(stale)
    return db, generate(db, size), "generated in this run"
