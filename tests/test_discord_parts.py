"""The Discord adapter's pure parts: splitting, escaping, typed commands, component layout,
the modal's fields and answers, and what Discord's failures mean for delivery."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from adapters.discord.components import (
    BUTTON_PREFIX,
    SELECT_PREFIX,
    Choice,
    PressButton,
    PressSelect,
    build_view,
    layout,
)
from adapters.discord.errors import delivery_error, start_error
from adapters.discord.inbound import text_command
from adapters.discord.intake import modal_fields, submitted_values
from adapters.discord.outbound import UPLOAD_LIMIT, Upload, batches, parse_ref
from adapters.discord.text import MAX_MESSAGE, escape, fit_parts, split_message
from bot.forms import FormBook
from bot.model import Command
from bot.settings import PROJECT_ROOT


class FakeResponse:
    def __init__(self, status: int) -> None:
        self.status = status
        self.reason = "test"


def http_error(kind: type[discord.HTTPException], status: int, code: int) -> Any:
    return kind(FakeResponse(status), {"message": "test", "code": code})


# -- text -----------------------------------------------------------------------------------

def test_short_text_is_one_part() -> None:
    assert split_message("Dzień dobry!") == ["Dzień dobry!"]
    assert split_message("") == [""]


def test_long_text_is_cut_at_paragraphs_then_words() -> None:
    text = ("a" * 1500) + "\n\n" + ("b " * 600)
    first, second = split_message(text)
    assert first == "a" * 1500
    assert second == ("b " * 600).strip()
    words = " ".join(["słowo"] * 700)  # 4,199 characters, no line breaks
    parts = split_message(words)
    assert all(len(p) <= MAX_MESSAGE for p in parts)
    assert " ".join(parts) == words
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in parts)


def test_a_word_longer_than_a_message_is_cut_without_splitting_an_escape() -> None:
    text = "x" * 1999 + "\\*" + "y" * 100
    first, second = split_message(text)
    assert first == "x" * 1999
    assert second.startswith("\\*")


def test_an_edit_keeps_to_the_messages_it_has() -> None:
    parts = ["a" * 1990, "b" * 1990, "c" * 100]
    assert fit_parts(parts, 3) == parts
    first, last = fit_parts(parts, 2)
    assert first == "a" * 1990
    assert len(last) <= MAX_MESSAGE and last.endswith("…")


def test_escaping_shows_text_as_typed() -> None:
    assert escape("**pilne** _x_ ||spoiler||") == r"\*\*pilne\*\* \_x\_ \|\|spoiler\|\|"
    assert escape("# nagłówek") == r"\# nagłówek"
    assert escape("https://example.com/a_b_c") == "https://example.com/a_b_c"
    assert escape("ORD-12345 jan@example.com") == "ORD-12345 jan@example.com"


@pytest.mark.parametrize(("typed", "expected"), [
    ("/tickets", (Command.TICKETS, "")),
    ("!status 12", (Command.STATUS, "12")),
    ("/STATUS  #7 ", (Command.STATUS, "#7")),
    ("!menu", (Command.START, "")),
    ("/foo", (Command.UNKNOWN, "/foo")),
    ("!ważne: paczka", None),  # not a command word
    ("!important", None),  # emphasis, not a command
    ("!!!", None),
    ("/ ok", None),
    ("Gdzie jest moja paczka?", None),
])
def test_typed_commands(typed: str, expected: tuple[Command, str] | None) -> None:
    assert text_command(typed) == expected


# -- components -----------------------------------------------------------------------------

def test_few_choices_are_buttons_five_to_a_row() -> None:
    choices = [Choice(f"Przycisk {i}", f"m:{i}") for i in range(3)] + \
        [Choice("Dalej", "tl:2"), Choice("Wstecz", "tl:1"), Choice("Zamknij", "close:1")]
    rows = layout(choices)
    assert [len(r.choices) for r in rows] == [5, 1]
    assert not any(r.select for r in rows)


def test_many_choices_of_one_kind_are_a_select_menu() -> None:
    categories = [Choice(f"Kategoria {i}", f"cat:{i}") for i in range(9)]
    rows = layout([*categories, Choice("Anuluj", "f:cancel"), Choice("Anuluj", "f:cancel")])
    assert [(len(r.choices), r.select) for r in rows] == [(9, True), (1, False)]


def test_the_view_carries_the_core_data_in_custom_ids() -> None:
    view = build_view([Choice(f"Artykuł {i}", f"kb:a:slug-{i}") for i in range(7)]
                      + [Choice("x" * 120, "m:new")], "Wybierz…")
    assert view is not None and view.timeout is None
    select, button = view.children
    assert isinstance(select, PressSelect) and isinstance(button, PressButton)
    assert select.custom_id == SELECT_PREFIX + "kb"
    assert [o.value for o in select.item.options][:2] == ["kb:a:slug-0", "kb:a:slug-1"]
    assert button.custom_id == BUTTON_PREFIX + "m:new"
    assert len(button.item.label or "") == 80
    assert view.is_persistent()
    assert build_view([], "Wybierz…") is None


# -- the modal ------------------------------------------------------------------------------

def test_the_modal_asks_the_leading_required_fields() -> None:
    forms = FormBook.load(PROJECT_ROOT / "bot" / "data" / "forms.toml")
    assert [f.name for f in modal_fields(forms, "account")] == [
        "subject", "description", "account_id"]
    assert [f.name for f in modal_fields(forms, "suggestion")] == ["subject", "description"]
    for category in forms.categories:
        assert 1 <= len(modal_fields(forms, category)) <= 5


def test_submitted_values_in_rows_and_in_labels() -> None:
    rows = {"components": [{"type": 1, "components": [
        {"type": 4, "custom_id": "subject", "value": "Temat"}]}]}
    labels = {"components": [{"type": 18, "component": {
        "type": 4, "custom_id": "description", "value": "Opis"}}]}
    assert submitted_values(rows) == {"subject": "Temat"}
    assert submitted_values(labels) == {"description": "Opis"}
    assert submitted_values({}) == {}


# -- outbound -------------------------------------------------------------------------------

def test_references_and_file_batches() -> None:
    assert parse_ref("11,22") == [11, 22]
    assert parse_ref("33") == [33]
    small = [Upload(f"{i}.png", b"x") for i in range(12)]
    assert [len(b) for b in batches(small)] == [10, 2]
    big = [Upload("a.bin", b"x" * (UPLOAD_LIMIT - 10)), Upload("b.bin", b"x" * 20)]
    assert [len(b) for b in batches(big)] == [1, 1]


def test_what_discords_failures_mean_for_delivery() -> None:
    closed = delivery_error(http_error(discord.Forbidden, 403, 50007))
    assert closed.permanent and "50007" in closed.reason
    assert delivery_error(http_error(discord.NotFound, 404, 10003)).permanent
    assert not delivery_error(http_error(discord.DiscordServerError, 502, 0)).permanent
    assert delivery_error(http_error(discord.HTTPException, 400, 50035)).permanent
    limited = delivery_error(http_error(discord.HTTPException, 429, 0))
    assert not limited.permanent and limited.retry_after
    assert not delivery_error(ConnectionResetError()).permanent


def test_start_errors_say_what_to_change() -> None:
    intent = start_error(discord.PrivilegedIntentsRequired(None))
    assert "Message Content Intent" in str(intent)
    assert "SUPPORTBOT_DISCORD__TOKEN" in str(start_error(discord.LoginFailure("bad")))
