"""The agents' /ticket slash command: show, search, mine, stats; answers only the asker sees."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.slack_harness import ANNA, BOB, EVE, Desk, running_desk
from tests.standins.slack_api import SlackStandIn
from tests.test_engine_lifecycle import open_account_ticket


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async with SlackStandIn() as slack, running_desk(tmp_path, slack) as running:
        yield running


async def test_ticket_n_shows_the_ticket_with_a_link_to_its_thread(desk: Desk) -> None:
    number = await open_account_ticket(desk.h)
    await desk.reply(number, ANNA, "note: sprawdzić logi")
    shown = await desk.command(BOB, str(number))
    assert "#1 · Nie mogę się zalogować" in shown
    assert "*Status*\nnowe" in shown
    assert "Anna Nowak (notatka wewnętrzna): sprawdzić logi" in shown
    assert f"/archives/CAGENTS/p{(await desk.thread_ts(number)).replace('.', '')}" in shown
    assert await desk.command(BOB, "#99") == "Nie ma zgłoszenia #99."


async def test_search_finds_tickets_by_subject_fields_and_messages(desk: Desk) -> None:
    await open_account_ticket(desk.h)  # subject "Nie mogę się zalogować", account jan@…
    await desk.h.say("Dodam, że chodzi o aplikację mobilną")
    found = await desk.command(BOB, "search zalogowac")  # diacritics folded
    assert found.startswith("Do „zalogowac” pasuje 1 zgłoszenie:")
    assert "#1 [normalny] nowe — Nie mogę się zalogować (Jan)" in found
    assert "#1" in await desk.command(BOB, "search mobilną aplikację")  # in a follow-up
    assert await desk.command(BOB, "search drukarka") == (
        "Żadne zgłoszenie nie pasuje do „drukarka”. Słowa pasują tylko w całości; dodaj `*` "
        "na końcu, by znaleźć też dłuższe (`zamów*` znajdzie „zamówienie”).")


async def test_search_matches_whole_words_and_a_trailing_star_asks_for_a_prefix(
        desk: Desk) -> None:
    await open_account_ticket(desk.h)  # subject "Nie mogę się zalogować"
    assert (await desk.command(BOB, "search zalog")).startswith("Żadne zgłoszenie nie pasuje")
    found = await desk.command(BOB, "search zalog*")
    assert found.startswith("Do „zalog*” pasuje 1 zgłoszenie:")
    assert "#1 " in found


async def test_mine_lists_the_agents_open_tickets(desk: Desk) -> None:
    first = await open_account_ticket(desk.h)
    second = await open_account_ticket(desk.h, user="u2")
    assert await desk.command(ANNA, "mine") == "Nie masz przypisanych otwartych zgłoszeń."
    await desk.press(first, ANNA, "desk:claim")
    await desk.press(second, ANNA, "desk:claim")
    mine = await desk.command(ANNA, "mine")
    assert mine.startswith("Masz 2 przypisane otwarte zgłoszenia:")
    assert f"#{first} " in mine and f"#{second} " in mine
    assert "Nie masz" in await desk.command(BOB, "mine")


async def test_stats_count_tickets_by_status_and_priority(desk: Desk) -> None:
    first = await open_account_ticket(desk.h)
    await open_account_ticket(desk.h, user="u2")
    await desk.press(first, ANNA, "desk:priority", option="high")
    await desk.press(first, ANNA, "desk:resolve")
    desk.h.clock.advance(minutes=1)  # the period ends now, exclusive
    stats = await desk.command(BOB, "stats")
    assert "nowe: 1 (pilne 0, wysokie 0, normalne 1, niskie 0)" in stats
    assert "rozwiązane: 1 (pilne 0, wysokie 1, normalne 0, niskie 0)" in stats
    assert "Nowe zgłoszenia w okresie: 2" in stats
    assert "Rozwiązanie (1 zgł.): mediana 0 godz. 0 min" in stats
    desk.h.clock.advance(days=2)
    assert "Po terminie teraz: 1" in await desk.command(BOB, "stats 7")


async def test_usage_and_refusal(desk: Desk) -> None:
    usage = await desk.command(BOB, "")
    assert "`/ticket search słowa` wyszukuje zgłoszenia (całe słowa; `zamów*`" in usage
    refused = await desk.command(EVE, "stats")
    assert refused == "Tylko zespół wsparcia (członkowie kanału <#CAGENTS>) może to zrobić."
