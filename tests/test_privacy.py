"""Privacy requests (GDPR): export and erasure of a person who wrote on two chat apps, the
retention period, and the request a customer makes from the chat."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import stat
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.actions import CustomerMessage, DeskEvent, DeskNotice, from_json
from bot.events import (
    AgentNote,
    AgentReply,
    Attachment,
    ButtonPress,
    CustomerCommand,
    CustomerFile,
    CustomerRef,
    CustomerText,
)
from bot.model import AgentOp, Command
from bot.privacy_requests import ERASE, EXPORT, parse_kind, request_privacy
from bot.reports import build_report
from bot.turn import Turn
from storage import privacy
from storage import store as store_module
from storage.records import CustomerRecord
from storage.store import Store
from storage.tx import Tx
from tests.harness import MONDAY_9AM, FrozenClock, Harness, RecordingChannel, new_event_id
from tests.test_cli import supportbot
from tests.test_metrics import open_suggestion

NAME = "Zofia Przybylska"
EMAIL = "zofia.przybylska@example.org"
TELEGRAM_ID = "777000111"
# Everything personal she or the agents wrote; none of it may survive erasure.
PERSONAL = [
    NAME, "Zofia P.", EMAIL, TELEGRAM_ID, "chat-zofia",
    "Rzeżucha zwiędła", "Zamówiona rzeżucha przyszła zwiędnięta",
    "paragon-przybylska.pdf", "Kalarepa niedoważona", "Kalarepa ważyła połowę",
    "Pani Zofio, przepraszamy", "Klientka dzwoniła z Gdyni", "Świetna obsługa, polecam szczawik",
]
# Words of hers nobody else used, looked for one by one (and as the search index keeps them).
WORDS = ["Zofia", "Zofio", "Przybylska", "przybylska", "Rzeżucha", "rzeżucha", "zwiędła",
         "zwiędnięta", "paragon", "Kalarepa", "niedoważona", "Gdyni", "szczawik", "Klientka",
         "example.org", TELEGRAM_ID]


class Person:
    """One chat-app identity of a customer, acting through the engine."""

    def __init__(self, h: Harness, channel: RecordingChannel, ref: CustomerRef) -> None:
        self.h, self.channel, self.ref = h, channel, ref

    async def send(self, event: object) -> None:
        await self.h.send(event)  # type: ignore[arg-type]

    async def say(self, text: str) -> None:
        await self.send(CustomerText(new_event_id(), self.ref, text))

    def last(self) -> CustomerMessage:
        return [a for a in self.channel.delivered if isinstance(a, CustomerMessage)
                and a.chat_id == self.ref.chat_id][-1]

    async def press(self, label: str) -> str:
        message = self.last()
        for button in message.buttons:
            if self.h.translator.render(button.label, message.language) == label:
                await self.send(ButtonPress(new_event_id(), self.ref, button.data))
                return self.h.render(self.last())
        raise AssertionError(f"no button {label!r}")

    async def open_ticket(self, subject: str, description: str, file: str | None) -> int:
        await self.send(CustomerCommand(new_event_id(), self.ref, Command.NEW))
        await self.press("Inne")
        await self.say(subject)
        await self.say(description)
        if file:
            await self.send(CustomerFile(new_event_id(), self.ref, Attachment(
                "document", f"ref-{file}", file, "application/pdf", 1000, self.ref.platform)))
        await self.press("Gotowe")
        await self.say(EMAIL)
        text = await self.press("Wyślij zgłoszenie")
        return int(text.split("nr ")[1].split(".")[0])


async def scenario(h: Harness) -> tuple[int, int]:
    """Zofia on the test app and on Telegram, a ticket on each; Jan Kowalski as a control."""
    telegram = RecordingChannel()
    h.dispatcher.register("telegram", telegram)
    here = Person(h, h.chat, CustomerRef("test", "zofia", "chat-zofia", NAME, "pl-PL"))
    there = Person(h, telegram, CustomerRef("telegram", TELEGRAM_ID, TELEGRAM_ID, "Zofia P.",
                                            "pl"))
    first = await here.open_ticket("Rzeżucha zwiędła", "Zamówiona rzeżucha przyszła "
                                   "zwiędnięta, proszę o zwrot.", "paragon-przybylska.pdf")
    second = await there.open_ticket("Kalarepa niedoważona", "Kalarepa ważyła połowę tego, "
                                     "co na etykiecie.", None)
    await h.send(AgentReply(new_event_id(), h.agent, first, "Pani Zofio, przepraszamy!"))
    await h.send(AgentNote(new_event_id(), h.agent, first, "Klientka dzwoniła z Gdyni"))
    await h.agent_act(first, AgentOp.RESOLVE)
    await here.send(ButtonPress(new_event_id(), here.ref, f"rate:{first}:4"))
    await here.say("Świetna obsługa, polecam szczawik")
    await h.agent_act(second, AgentOp.CLOSE)
    await open_suggestion(h, user="jan")  # "Ciemny motyw", from the harness's Jan
    await h.send(CustomerText(new_event_id(), CustomerRef("test", "jan", "chat-jan",
                                                          "Jan Kowalski", "pl"), "Dzięki"))
    return first, second


def folded(text: str) -> str:
    """How the full-text index keeps a word: lower case, diacritics removed."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower())
                   if not unicodedata.combining(c)).replace("ł", "l")


def file_text(db: Path) -> bytes:
    """The store's bytes as they lie on disk: the file and any WAL beside it."""
    wal = Path(f"{db}-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def index_terms(db: Path) -> set[str]:
    """Every term in the full-text indexes. The file alone cannot show them all: the index
    stores a term as the prefix it shares with the one before plus the rest."""
    with sqlite3.connect(db) as conn:
        terms: set[str] = set()
        for table in ("tickets_fts", "ticket_messages_fts"):
            conn.execute(f"CREATE VIRTUAL TABLE temp.v_{table} USING fts5vocab(main, "
                         f"{table}, 'row')")
            terms |= {r[0] for r in conn.execute(f"SELECT term FROM temp.v_{table}")}
        return terms


def leftovers(db: Path) -> list[str]:
    """What of hers can still be found in the store's files or its search index."""
    raw = file_text(db)
    candidates = PERSONAL + WORDS
    found = [s for s in candidates + [folded(s) for s in candidates] if s.encode() in raw]
    terms = index_terms(db)
    found += [f"index:{w}" for w in {folded(w) for w in WORDS} if w in terms]
    return found


async def report_of(db: Path, start: datetime = MONDAY_9AM) -> dict[str, object]:
    async with Store(db) as store:
        report = await build_report(store, since=start - timedelta(days=1),
                                    until=start + timedelta(days=300),
                                    now=start + timedelta(days=1))
        return report.as_dict()


async def test_export_then_forget_a_person_on_two_chat_apps(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    async with Harness(db) as h:
        first, second = await scenario(h)
    before = await report_of(db)
    assert before["created"] == 3 and before["satisfaction_count"] == 1
    assert leftovers(db), "the scenario should have left her data in the file"
    env = {"SUPPORTBOT_DATABASE": str(db)}

    # Export: found by the e-mail her tickets give, both identities in one file.
    out = tmp_path / "zofia.json"
    exported = supportbot("customer", "export", "--email", EMAIL, "--output", str(out), env=env)
    assert exported.returncode == 0, exported.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = json.loads(out.read_text(encoding="utf-8"))
    people = {c["platform"]: c for c in data["customers"]}
    assert set(people) == {"test", "telegram"}
    assert people["telegram"]["platform_user_id"] == TELEGRAM_ID
    assert people["test"]["display_name"] == NAME
    ticket = people["test"]["tickets"][0]
    assert ticket["id"] == first and ticket["subject"] == "Rzeżucha zwiędła"
    assert ticket["fields"]["email"] == EMAIL and ticket["rating"] == 4
    assert ticket["rating_comment"] == "Świetna obsługa, polecam szczawik"
    bodies = [m["body"] for m in ticket["messages"]]
    assert "Pani Zofio, przepraszamy!" in bodies and "Klientka dzwoniła z Gdyni" in bodies
    assert ticket["messages"][0]["attachments"][0]["name"] == "paragon-przybylska.pdf"
    assert people["telegram"]["tickets"][0]["id"] == second
    assert people["test"]["messages_sent"], "what the bot told her is part of her data"
    by_ids = supportbot("customer", "export", str(people["test"]["id"]),
                        f"telegram:{TELEGRAM_ID}", env=env)
    assert json.loads(by_ids.stdout)["customers"] == data["customers"]

    # Forget asks first; "no" erases nothing.
    declined = supportbot("customer", "forget", "--email", EMAIL, env=env, stdin="n\n")
    assert declined.returncode == 1 and "nothing erased" in declined.stdout
    assert f"customer {people['test']['id']}: test, {NAME}, 1 tickets" in declined.stdout
    assert NAME.encode() in file_text(db)

    # Forget: both identities, by number and platform:user_id.
    forgotten = supportbot("customer", "forget", str(people["test"]["id"]),
                           f"telegram:{TELEGRAM_ID}", "--yes", env=env)
    assert forgotten.returncode == 0, forgotten.stderr
    assert "erased 2 customers: 2 tickets" in forgotten.stdout
    assert leftovers(db) == []
    assert b"Kowalski" in file_text(db) and b"Ciemny motyw" in file_text(db)  # Jan stays
    assert await report_of(db) == before  # the statistics still add up
    async with Store(db) as store:
        tickets = {t.id: t for t in await store.list_tickets(statuses=None, limit=10)}
        assert tickets[first].status == "resolved" and tickets[first].rating == 4
        assert tickets[first].category == "other" and tickets[second].status == "closed"
        assert tickets[first].subject == "[erased]"
        assert tickets[first].fields == {"email": "[erased]"}
        assert {m.body for m in await store.ticket_messages(first)} == {"[erased]"}
        try:  # her e-mail is gone from the tickets too
            await privacy.find_customers(store, email=EMAIL)
            raise AssertionError("still found by e-mail")
        except privacy.CustomerNotFound:
            pass
    again = supportbot("customer", "export", f"telegram:{TELEGRAM_ID}", env=env)
    assert again.returncode == 1 and f"no customer telegram:{TELEGRAM_ID}" in again.stderr


@pytest.mark.parametrize("index_every", [0.0, 3600.0], ids=["indexed", "not-indexed-yet"])
async def test_forget_while_the_bot_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         index_every: float) -> None:
    # Her last messages may not be in the running bot's search index yet when she is
    # forgotten; the index must never take them in afterwards.
    monkeypatch.setattr(store_module, "SEARCH_INDEX_EVERY", index_every)
    db = tmp_path / "db.sqlite3"
    env = {"SUPPORTBOT_DATABASE": str(db)}
    async with Harness(db) as h:
        await scenario(h)
        result = await asyncio.to_thread(supportbot, "customer", "forget", "--email", EMAIL,
                                         "--yes", env=env)
        assert result.returncode == 0, result.stderr
        assert "the bot has the store open" in result.stdout  # no VACUUM under a live bot
        await open_suggestion(h, user="later")  # the bot goes on working
        assert await h.store.search_tickets(["szczawik"]) == []  # indexes what waits
    # Freed space was zeroed as it was freed and the WAL is checkpointed on close: nothing
    # personal is left even without the VACUUM.
    assert leftovers(db) == []


async def test_a_customer_can_be_named_in_several_ways(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await scenario(h)
        zofia = await privacy.find_customers(h.store, ["test:zofia"])
        both = await privacy.find_customers(h.store, email=EMAIL.upper())
        assert len(zofia) == 1 and len(both) == 2 and zofia[0] in both
        assert await privacy.find_customers(h.store, [str(zofia[0])]) == zofia
        for wrong in (["telegram:nobody"], ["zofia"], ["999"]):
            try:
                await privacy.find_customers(h.store, wrong)
            except privacy.CustomerNotFound:
                continue
            raise AssertionError(f"{wrong} found someone")


# A Tuesday morning in Warsaw years ago, so that real time is long past it (the CLI uses it).
LONG_AGO = datetime(2020, 1, 7, 8, 0, tzinfo=UTC)


async def test_retention_erases_tickets_closed_long_ago(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    async with Harness(db, clock=FrozenClock(LONG_AGO)) as h:
        first, second = await scenario(h)  # second is closed now; first only resolved
        h.clock.advance(days=200)
        await open_suggestion(h, user="recent")
        await h.agent_act(first, AgentOp.CLOSE)  # closed 200 days after the others
    before = await report_of(db, LONG_AGO)
    env = {"SUPPORTBOT_DATABASE": str(db)}
    dry = supportbot("retention", "--dry-run", "--months", "1", env=env)
    assert dry.returncode == 0, dry.stderr
    assert f"would erase 2 tickets (#{first}, #{second}) and 2 customers" in dry.stdout
    async with Store(db) as store:
        now = LONG_AGO + timedelta(days=200)
        # Cutoff ~110 days after the start; one ticket per transaction, to show batches add up.
        erased = await privacy.run_retention(store, 3, now, batch=1)
        assert erased.tickets == 1 and erased.customers == 1  # her Telegram self, all closed
        ticket = await store.ticket(second)
        assert ticket is not None and ticket.subject == "[erased]"
        kept = await store.ticket(first)  # closed only now: kept whole
        assert kept is not None and kept.subject == "Rzeżucha zwiędła"
        assert (await privacy.run_retention(store, 3, now)).tickets == 0  # done once
    assert await report_of(db, LONG_AGO) == before
    raw = file_text(db)
    assert b"Kalarepa" not in raw and b"kalarepa" not in raw and TELEGRAM_ID.encode() not in raw
    assert "Rzeżucha".encode() in raw  # the later ticket is still whole
    done = supportbot("retention", "--months", "1", env=env)
    assert done.returncode == 0 and "erased 1 tickets" in done.stdout
    assert "Rzeżucha".encode() not in file_text(db)
    unset = supportbot("retention", env=env)
    assert unset.returncode == 2 and "set SUPPORTBOT_RETENTION_MONTHS" in unset.stderr


def test_months_before_clamps_to_the_end_of_the_month() -> None:
    march_31 = MONDAY_9AM.replace(month=3, day=31)
    assert privacy.months_before(march_31, 1).date().isoformat() == "2026-02-28"
    assert privacy.months_before(march_31, 15).date().isoformat() == "2024-12-31"
    assert privacy.months_before(MONDAY_9AM, 24).isoformat() == "2024-11-23T08:00:00+00:00"


# -- the request from the chat -------------------------------------------------------------------
async def ask(h: Harness, customer: CustomerRecord, kind: str) -> list[int]:
    def apply(tx: Tx) -> list[int]:
        turn = Turn(tx, h.clock())
        fresh = tx.customer(customer.id)
        assert fresh is not None
        request_privacy(turn, fresh, "pl", kind)
        return turn.outbox_ids

    ids = await h.store.write(apply)
    await h.dispatcher.drain()
    return ids


async def customer_of(h: Harness, user: str) -> CustomerRecord:
    return await h.store.write(lambda tx: tx.upsert_customer(
        platform="test", user_id=user, chat_id=f"chat-{user}", display_name="Ala",
        locale="pl-PL", now=h.clock()))


async def test_a_request_without_tickets_opens_a_privacy_ticket(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        customer = await customer_of(h, "ala")
        await ask(h, customer, ERASE)
        tickets = await h.store.list_tickets()
        assert len(tickets) == 1 and tickets[0].category == "privacy"
        assert tickets[0].subject == "RODO/GDPR: usunięcie danych / erasure"
        number = tickets[0].id
        assert h.last_text("ala") == (
            f"Zapisaliśmy Twoją prośbę: usunięcie Twoich danych. Zespół wsparcia zajmie się "
            f"nią w zgłoszeniu nr {number} i odpowie najpóźniej w ciągu miesiąca.")
        notices = h.desk_notices()
        assert [n.event for n in notices] == [DeskEvent.CREATED, DeskEvent.ALERT]
        alert = notices[1].text
        assert alert is not None
        assert h.translator.render(alert, "pl") == (
            f"🔒 Wniosek RODO w zgłoszeniu #{number}: usunięcie danych (klient nr "
            f"{customer.id}, test). Po sprawdzeniu tożsamości administrator wykonuje: "
            f"supportbot customer forget {customer.id}")
        assert h.translator.render(alert, "en").startswith(
            f"🔒 GDPR request in ticket #{number}: erasure of their data (customer no. ")
        events = await h.store.ticket_events(number)
        assert [(e.kind, e.new_value) for e in events] == [("created", "new"),
                                                           ("privacy_request", "erase")]
        # Asked again: recorded once, confirmed again.
        await ask(h, customer, ERASE)
        assert len(await h.store.list_tickets()) == 1
        assert "jest już zapisana w zgłoszeniu nr" in h.last_text("ala")


async def test_a_request_goes_on_the_active_ticket(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        number = await open_suggestion(h, user="ala")
        customer = await customer_of(h, "ala")
        outbox = await ask(h, customer, EXPORT)
        assert len(await h.store.list_tickets()) == 1
        events = await h.store.ticket_events(number)
        assert (events[-1].kind, events[-1].new_value) == ("privacy_request", "export")
        rows = [await h.store.outbox_row(i) for i in outbox]
        actions = [from_json(r["payload"]) for r in rows if r is not None]
        alert = next(a for a in actions if isinstance(a, DeskNotice))
        assert alert.ticket_id == number and alert.event is DeskEvent.ALERT
        assert alert.text is not None and alert.text.params["command"] == "export"
        assert "kopia Twoich danych" in h.last_text("ala")


def test_typed_kinds() -> None:
    assert parse_kind(" Usuń ") == ERASE and parse_kind("eksport") == EXPORT
    assert parse_kind("coś") is None
