"""Long polling (``adapters.telegram.polling``): a getUpdates batch is stored one chain per chat.

The real python-telegram-bot client polls the local Bot API stand-in. Updates of several chats
pushed at once arrive in one batch; the chats' updates are stored side by side (so the store's
group commit takes them together), each chat's in the order its person made them, and the
offset moves past an update only once it and everything before it in the batch is stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.telegram.polling import chat_of
from bot.engine import Outcome
from bot.events import CustomerEvent, CustomerText
from storage.store import StoreError
from tests.standins.telegram_api import TelegramStandIn
from tests.telegram_harness import Rig, running_bot

pytestmark = pytest.mark.usefixtures("ptb_timedelta")


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with TelegramStandIn(per_chat_interval=0.05, retry_after_override=0.2) as tg, \
            running_bot(tg, tmp_path / "db.sqlite3") as running:
        yield running


class Watch:
    """Wraps ``Engine.handle`` to see, per chat, which updates were handed to the store, when,
    and how it ended; fails the texts in ``fail_once`` the first time, as a failing store
    would."""

    def __init__(self, rig: Rig, monkeypatch: pytest.MonkeyPatch, *,
                 fail_once: frozenset[str] = frozenset()) -> None:
        self.handle = rig.runtime.engine.handle
        self.fail_once = set(fail_once)
        self.attempts: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.in_flight: dict[str, int] = defaultdict(int)
        self.most_in_flight = 0
        self.most_in_one_chat = 0
        monkeypatch.setattr(rig.runtime.engine, "handle", self._handle)

    async def _handle(self, event: CustomerEvent) -> Outcome:
        chat = event.customer.chat_id
        update = int(event.event_id.rsplit(":", 1)[1])
        self.in_flight[chat] += 1
        self.most_in_one_chat = max(self.most_in_one_chat, self.in_flight[chat])
        self.most_in_flight = max(self.most_in_flight, sum(self.in_flight.values()))
        try:
            text = event.text if isinstance(event, CustomerText) else None
            if text in self.fail_once:
                self.fail_once.discard(text)
                await asyncio.sleep(0.01)  # other chats' updates reach the store meanwhile
                self.attempts[chat].append((update, "failed"))
                raise StoreError("the ticket store could not save: database or disk is full")
            outcome = await self.handle(event)
            self.attempts[chat].append((update, "duplicate" if outcome.duplicate else "stored"))
            return outcome
        finally:
            self.in_flight[chat] -= 1


def push_interleaved(tg: TelegramStandIn,
                     steps: list[Callable[[TelegramStandIn, int], int]],
                     users: list[int]) -> dict[int, list[int]]:
    """Each user does ``steps`` in order, the users taking turns; all pushed at once (no await
    in between), so they reach the bot in one getUpdates batch. Returns update ids per user."""
    ids: dict[int, list[int]] = {user: [] for user in users}
    for step in steps:
        for user in users:
            ids[user].append(step(tg, user))
    return ids


def batch_with(tg: TelegramStandIn, update: int) -> tuple[int | None, list[int]]:
    """The getUpdates answer that handed ``update`` to the bot first: (offset sent, ids)."""
    return next(entry for entry in tg.get_updates_log if update in entry[1])


async def stored_events(rig: Rig, ids: list[int]) -> list[int]:
    rows = await rig.runtime.store.query(
        f"SELECT COUNT(*) FROM processed_events WHERE event_id IN "
        f"({', '.join('?' * len(ids))}) GROUP BY event_id",
        tuple(f"telegram:update:{u}" for u in ids))
    return [int(r[0]) for r in rows]


# -- a batch from many chats ---------------------------------------------------------------------
INTAKE: list[Callable[[TelegramStandIn, int], int]] = [
    lambda tg, u: tg.push_command(u, "/new"),
    lambda tg, u: tg.push_callback(u, "cat:other"),
    lambda tg, u: tg.push_text(u, f"Temat klienta {u}"),
    lambda tg, u: tg.push_text(u, f"Opis problemu klienta {u}"),
    lambda tg, u: tg.push_callback(u, "f:done"),  # no attachments
    lambda tg, u: tg.push_callback(u, "f:skip"),  # no e-mail
    lambda tg, u: tg.push_callback(u, "f:ok"),  # send the ticket
    lambda tg, u: tg.push_text(u, f"Dopisek pierwszy {u}"),
    lambda tg, u: tg.push_text(u, f"Dopisek drugi {u}"),
]


async def test_a_batch_from_many_chats_is_stored_side_by_side_each_chat_in_order(
        rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    tg, store = rig.tg, rig.runtime.store
    users = list(range(7001, 7007))
    watch = Watch(rig, monkeypatch)
    ids = push_interleaved(tg, INTAKE, users)
    every = sorted(u for chat in ids.values() for u in chat)
    last = every[-1]
    await tg.wait_for(lambda t: t.confirmed_offset > last, timeout=15)

    assert batch_with(tg, every[0])[1] == every  # one getUpdates answer held them all
    assert watch.most_in_flight == len(users)  # every chat's chain at the store at once
    assert watch.most_in_one_chat == 1  # one chat's updates never overtake each other
    for user in users:
        assert watch.attempts[str(user)] == [(u, "stored") for u in ids[user]]
    assert await stored_events(rig, every) == [1] * len(every)
    # The form is order-sensitive: each person's own steps built each person's own ticket.
    for user in users:
        rows = await store.query(
            "SELECT t.subject, m.body FROM tickets t "
            "JOIN customers c ON c.id = t.customer_id "
            "JOIN ticket_messages m ON m.ticket_id = t.id AND m.author_kind = 'customer' "
            "WHERE c.platform_user_id = ? ORDER BY m.id", (str(user),))
        assert [body for _, body in rows] == [
            f"Opis problemu klienta {user}", f"Dopisek pierwszy {user}",
            f"Dopisek drugi {user}"]
        assert {subject for subject, _ in rows} == {f"Temat klienta {user}"}
    await rig.settle(timeout=15)


# -- a failure mid-batch ------------------------------------------------------------------------
async def test_a_failure_mid_batch_is_not_confirmed_and_its_chat_waits_for_it(
        rig: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="adapters.telegram.polling")
    tg = rig.tg
    a, b, c = 7101, 7102, 7103
    steps: list[Callable[[TelegramStandIn, int], int]] = [
        lambda tg, u: tg.push_text(u, f"Pytanie pierwsze {u}"),
        lambda tg, u: tg.push_text(u, f"Pytanie drugie {u}"),
        lambda tg, u: tg.push_text(u, f"Pytanie trzecie {u}"),
    ]
    # Telegram's order: a1 b1 c1 a2 b2 c2 a3 b3 c3; b2 fails once.
    watch = Watch(rig, monkeypatch, fail_once=frozenset({f"Pytanie drugie {b}"}))
    ids = push_interleaved(tg, steps, [a, b, c])
    a1, a2, a3 = ids[a]
    b1, b2, b3 = ids[b]
    c1, c2, c3 = ids[c]
    await tg.wait_for(lambda t: t.confirmed_offset > c3, timeout=15)

    first = batch_with(tg, a1)
    assert first[1] == [a1, b1, c1, a2, b2, c2, a3, b3, c3]
    after = tg.get_updates_log[tg.get_updates_log.index(first) + 1]
    # The next getUpdates confirms a1 b1 c1 a2 (stored, in front of b2) and not b2: Telegram
    # hands b2 again with everything behind it.
    assert after == (b2, [b2, c2, a3, b3, c3])
    # b3 waited for b2, though it was stored only on the second try; the other chats carried
    # on, so what of theirs came again was dropped as a duplicate.
    assert watch.attempts[str(b)] == [(b1, "stored"), (b2, "failed"), (b2, "stored"),
                                      (b3, "stored")]
    assert watch.attempts[str(a)] == [(a1, "stored"), (a2, "stored"), (a3, "stored"),
                                      (a3, "duplicate")]
    assert watch.attempts[str(c)] == [(c1, "stored"), (c2, "stored"), (c3, "stored"),
                                      (c2, "duplicate"), (c3, "duplicate")]
    assert watch.most_in_one_chat == 1
    every = [*ids[a], *ids[b], *ids[c]]
    assert await stored_events(rig, every) == [1] * len(every)
    errors = [r.getMessage() for r in caplog.records if r.name == "adapters.telegram.polling"]
    assert errors == [f"Telegram update {b2} could not be stored; Telegram will send it again"]
    await rig.settle(timeout=15)


async def test_a_store_failing_for_every_chat_confirms_nothing_of_the_batch(
        rig: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="adapters.telegram.polling")
    tg = rig.tg
    users = [7201, 7202, 7203]
    await rig.say("Dzień dobry", user=users[0])
    # Every chat's first update of the batch fails once (the store refused the whole commit).
    watch = Watch(rig, monkeypatch, fail_once=frozenset(f"Pytanie {u}" for u in users))
    ids = push_interleaved(tg, [lambda tg, u: tg.push_text(u, f"Pytanie {u}"),
                                lambda tg, u: tg.push_text(u, f"Jeszcze {u}")], users)
    every = sorted(u for chat in ids.values() for u in chat)
    await tg.wait_for(lambda t: t.confirmed_offset > every[-1], timeout=15)

    first = batch_with(tg, every[0])
    after = tg.get_updates_log[tg.get_updates_log.index(first) + 1]
    assert after == (every[0], every)  # nothing of the batch confirmed, all of it again
    for user in users:
        one, two = ids[user]
        # The second update of each chat was not tried before the first was stored.
        assert watch.attempts[str(user)] == [(one, "failed"), (one, "stored"), (two, "stored")]
    assert await stored_events(rig, every) == [1] * len(every)
    errors = [r.getMessage() for r in caplog.records if r.name == "adapters.telegram.polling"]
    assert errors == [
        f"Telegram update {every[0]} could not be stored; Telegram will send it again",
        "2 more Telegram updates of this batch, in other chats, could not be stored either; "
        "Telegram will send them again"]


# -- which chat an update belongs to -------------------------------------------------------------
@pytest.mark.parametrize(("make", "chat"), [
    (lambda tg: tg.make_text_update(42, "hej"), 42),
    (lambda tg: tg.make_callback_update(42, "cat:other"), 42),
    (lambda tg: tg.make_text_update(42, "hej", chat_type="group", chat_id=-100), -100),
    (lambda tg: {"update_id": 1, "callback_query": {"id": "1", "from": {"id": 42},
                                                    "data": "x"}}, 42),
    (lambda tg: {"update_id": 1, "message": {"text": "no chat, no date"}}, None),
    (lambda tg: {"update_id": 1}, None),
])
def test_an_update_belongs_to_the_chat_it_was_written_in(
        make: Callable[[TelegramStandIn], dict[str, Any]], chat: int | None) -> None:
    assert chat_of(make(TelegramStandIn())) == chat
