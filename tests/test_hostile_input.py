"""Odd and hostile text through the engine: a clear message, no crash, nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.events import CustomerRef, CustomerText
from bot.model import Command
from tests.harness import Harness, new_event_id
from tests.test_operations import submit_suggestion

# What a customer sends, and what the ticket keeps: control characters and broken halves of
# characters go (no platform can carry them), everything else stays exactly as written;
# each platform escapes markup and mentions at the edge.
ODD_TEXTS = {
    "nul and controls": ("ab\x00c\x07d\x1b[2Je", "abcd[2Je"),
    "right-to-left marks": ("\u202eTotally normal\u202c text \u200f",
                            "\u202eTotally normal\u202c text \u200f"),
    "lone surrogate": ("half \ud83d of an emoji", "half \ufffd of an emoji"),
    "emoji sequences": ("👩‍👩‍👧‍👦 🏳️‍🌈 🇵🇱 👍🏽", "👩‍👩‍👧‍👦 🏳️‍🌈 🇵🇱 👍🏽"),
    "zero width": ("in\u200bvisible\u2060joiners", "in\u200bvisible\u2060joiners"),
    "mrkdwn and mentions": ("<!channel> <@U123|boss> <https://evil.example|click> *bold*",
                            "<!channel> <@U123|boss> <https://evil.example|click> *bold*"),
    "telegram html": ("<b>bold</b> <a href='tg://user?id=1'>x</a> &amp;",
                      "<b>bold</b> <a href='tg://user?id=1'>x</a> &amp;"),
    "discord mentions": ("@everyone @here <@&123> <@!456>", "@everyone @here <@&123> <@!456>"),
}


@pytest.mark.parametrize(("text", "kept"), list(ODD_TEXTS.values()), ids=list(ODD_TEXTS))
async def test_odd_text_is_stored_and_answered(tmp_path: Path, text: str, kept: str) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await submit_suggestion(h)
        reply = await h.say(text)
        assert "Dopisano do zgłoszenia nr 1" in reply
        assert (await h.store.ticket_messages(1))[-1].body == kept


async def test_a_hundred_kilobytes_gets_a_clear_limit_message(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await submit_suggestion(h)
        reply = await h.say("ż" * 100_000)
        assert "Wiadomość jest za długa (100\xa0000 znaków, limit to 20\xa0000)" in reply
        assert len(await h.store.ticket_messages(1)) == 1  # nothing half-stored
        assert "Dopisano" in await h.say("krótsza wersja")  # and the bot carries on


async def test_hostile_display_names_are_cleaned(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        name = "\ud800Mallory\x00" + "x" * 500
        ref = CustomerRef("test", "u1", "chat-u1", name, "pl")
        await h.send(CustomerText(new_event_id(), ref, "Dzień dobry"))
        customer = await h.store.customer(1)
        assert customer is not None
        assert customer.display_name.startswith("\ufffdMallory")
        assert "\x00" not in customer.display_name and len(customer.display_name) <= 100


async def test_unknown_commands_and_forged_buttons(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        assert "Nie znam polecenia" in await h.command(Command.UNKNOWN, "/rm -rf")
        for data in ("t:999999999999999999999", "close:-1", "rate:1:999", "e:../../etc",
                     "kb:a:../../secrets", "cat:" + "x" * 60, "fu:abc"):
            reply = await h.press(data)
            answers = ("nieaktualny", "Nie znaleziono", "Nie masz jeszcze żadnych zgłoszeń")
            assert any(answer in reply for answer in answers), (data, reply)
