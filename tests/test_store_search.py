"""The desk's ticket search (``Store.search_tickets``): whole words by default, ``word*`` for
a prefix, diacritics and case folded, order numbers found whole, and whatever an agent types
is matched as literal words, never as full-text query syntax."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from storage.store import Store
from storage.tx import Tx

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _ticket(subject: str, fields: dict[str, Any], *messages: str) -> Callable[[Tx], int]:
    def write(tx: Tx) -> int:
        customer = tx.upsert_customer(platform="telegram", user_id="1", chat_id="1",
                                      display_name="Ola", locale="pl", now=NOW)
        ticket = tx.insert_ticket(customer_id=customer.id, category="orders", subject=subject,
                                  fields=fields, status="open", priority="normal",
                                  first_response_due=None, now=NOW)
        for body in messages:
            tx.add_message(ticket_id=ticket, author_kind="customer", author_id="1",
                           author_name="Ola", body=body, now=NOW)
        return ticket

    return write


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with Store(tmp_path / "db.sqlite3") as opened:
        await opened.write(_ticket("Zamówienie nie dotarło", {"order_id": "ORD-12345"},
                                   "Kurier nie przyjechał wczoraj"))  # 1
        await opened.write(_ticket("Zamawiam fakturę", {"order_id": "ORD-123456"},
                                   "Proszę o fakturę na firmę"))  # 2
        await opened.write(_ticket("Pytanie", {"order_id": "2024/11/0042"},
                                   "Rock and roll, near the end (NOT urgent)"))  # 3
        yield opened


async def _ids(store: Store, *words: str) -> list[int]:
    return [t.id for t in await store.search_tickets(list(words))]


async def test_words_match_whole_in_subject_fields_and_messages(store: Store) -> None:
    assert await _ids(store, "zamówienie") == [1]  # subject
    assert await _ids(store, "kurier") == [1]  # a message
    assert await _ids(store, "fakturę") == [2]  # subject and a message: listed once
    assert await _ids(store, "kurier", "wczoraj") == [1]  # every word must match
    assert await _ids(store, "kurier", "fakturę") == []


async def test_a_bare_prefix_matches_nothing_and_a_trailing_star_asks_for_it(
        store: Store) -> None:
    assert await _ids(store, "zamów") == []
    assert await _ids(store, "zam*") == [2, 1]  # zamówienie, zamawiam
    assert await _ids(store, "zamów*") == [1]
    assert await _ids(store, "faktur**") == [2]
    assert await _ids(store, "kur*", "wczoraj") == [1]


async def test_case_and_diacritics_are_folded(store: Store) -> None:
    assert await _ids(store, "zamowienie") == [1]
    assert await _ids(store, "ZAMÓWIENIE") == [1]
    assert await _ids(store, "prosze", "fakture") == [2]
    assert await _ids(store, "ZAMOW*") == [1]


async def test_an_order_number_is_found_whole(store: Store) -> None:
    # unicode61 splits "ORD-12345" into "ord" "12345"; quoted, it is that phrase.
    assert await _ids(store, "ORD-12345") == [1]
    assert await _ids(store, "ord-123456") == [2]
    assert await _ids(store, "12345") == [1]
    assert await _ids(store, "ORD-1234") == []
    assert await _ids(store, "ORD-12345*") == [2, 1]
    assert await _ids(store, "2024/11/0042") == [3]


async def test_query_syntax_is_matched_as_plain_words(store: Store) -> None:
    assert await _ids(store, "AND") == [3]  # the word "and", not an operator
    assert await _ids(store, "NEAR(") == [3]
    assert await _ids(store, "NOT") == [3]
    assert await _ids(store, '"roll,', "(NOT") == [3]
    assert await _ids(store, "kurier", "OR", "fakturę") == []  # three words, all required
    # A word with nothing to match is left out rather than emptying the search.
    assert await _ids(store, "ORD-12345", "-", "*", '"') == [1]
    assert await _ids(store, "*") == []
    assert await _ids(store, '"', "**", "—") == []


HOSTILE = ['"', '""', '"""', "*", "**", "AND", "OR", "NOT", "NEAR(", "NEAR(a b, 2)", "(",
           ")", "^", ":", "body:kurier", "subject:x", "-kurier", "+", "{body subject}:x",
           "'", "';DROP TABLE tickets;--", "zam*ów", "*zamów", '"kurier', 'ku"rier"*',
           "\x00", "a\ud83d", "\u202ekurier", "ą" * 5000, "\\", "%", "_", "rowid", "rank",
           "MATCH", "x AND y", "'\"*^():-+"]


@pytest.mark.parametrize("word", HOSTILE)
async def test_hostile_words_never_raise(store: Store, word: str) -> None:
    assert isinstance(await store.search_tickets([word]), list)
    assert isinstance(await store.search_tickets(["kurier", word]), list)


async def test_random_strings_of_query_syntax_never_raise(store: Store) -> None:
    rng = random.Random(20261123)
    alphabet = '"*^():-+{}., \'\\ANDORTNEAR kurierąż0123'
    for _ in range(300):
        words = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 12)))
                 for _ in range(rng.randrange(1, 10))]
        assert isinstance(await store.search_tickets(words), list)


def _messages(ticket: int, *bodies: str) -> Callable[[Tx], None]:
    def write(tx: Tx) -> None:
        for body in bodies:
            tx.add_message(ticket_id=ticket, author_kind="customer", author_id="1",
                           author_name="Ola", body=body, now=NOW)

    return write


async def test_words_that_meet_only_in_an_old_message_find_its_ticket(store: Store) -> None:
    # Many newer messages hold one of the words or the other, never both: the search must
    # still reach the one old message that holds both (and no ticket where they never meet).
    old = await store.write(_ticket("Dostawa", {}, "Paczka zgubiona przez kuriera wczoraj"))
    for i in range(60):
        ticket = await store.write(_ticket(f"Sprawa {i}", {}, "paczka jest uszkodzona"))
        await store.write(_messages(ticket, "zgubiona karta", "paczka dotarła", "nic"))
    assert await _ids(store, "paczka", "zgubiona") == [old]
    assert await _ids(store, "zgubiona", "paczka") == [old]
    assert await _ids(store, "paczka", "zgubiona", "wczoraj") == [old]
    assert await _ids(store, "paczka", "zgubiona", "dzisiaj") == []


@pytest.mark.parametrize("matching", [1, 9, 10, 11, 19, 20, 21, 35, 120])
@pytest.mark.parametrize("limit", [1, 3, 10])
async def test_many_matches_give_the_newest_tickets_first(tmp_path: Path, matching: int,
                                                         limit: int) -> None:
    # Whatever the number of matching messages around ``limit`` and its page of twice that,
    # the newest matching tickets come back, newest first, each really holding both words.
    async with Store(tmp_path / "db.sqlite3") as store:
        holding: list[int] = []
        for i in range(matching):
            noise = await store.write(_ticket(f"Inne {i}", {}, "tylko paczka tutaj"))
            await store.write(_messages(noise, "sama zgubiona"))
            holding.append(await store.write(_ticket(f"Sprawa {i}", {}, "dzień dobry",
                                                     "paczka zgubiona, proszę o pomoc")))
        found = [t.id for t in await store.search_tickets(["paczka", "zgubiona"], limit=limit)]
        assert found == sorted(holding, reverse=True)[:limit]
        assert await store.search_tickets(["paczka", "zgubiona"], limit=0) == []


async def test_a_ticket_with_many_matching_messages_is_listed_once_among_older_ones(
        store: Store) -> None:
    older = [await store.write(_ticket(f"Sprawa {i}", {}, "paczka zgubiona")) for i in range(4)]
    busy = await store.write(_ticket("Długa sprawa", {}))
    for i in range(45):
        await store.write(_messages(busy, f"paczka nadal zgubiona, dzień {i}"))
    assert await _ids(store, "paczka", "zgubiona") == [busy, *reversed(older)]
