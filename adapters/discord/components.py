"""Buttons and select menus that still work after a restart.

Every component carries the core's button data in its custom id (``sb:<data>`` for a button;
a select menu ``sbs:<group>`` carries the data as its options' values). The data is short and
stateless, so a ``DynamicItem`` whose template matches the prefix can answer a press on any
message, also one sent by an earlier run of the bot: nothing is kept per message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Self, runtime_checkable

import discord

from adapters.discord.text import shorten_to

BUTTON_PREFIX = "sb:"
SELECT_PREFIX = "sbs:"
MAX_ROWS = 5
PER_ROW = 5
MAX_OPTIONS = 25
BUTTON_LABEL_LIMIT = 80
OPTION_LABEL_LIMIT = 100
PLACEHOLDER_LIMIT = 150


class PressHandler(Protocol):
    async def on_press(self, interaction: discord.Interaction[Any], data: str) -> None: ...


@runtime_checkable
class HasPressHandler(Protocol):
    """The client the components report to (dynamic items are built by the library)."""

    press_handler: PressHandler


def _handler(interaction: discord.Interaction[Any]) -> PressHandler:
    client = interaction.client
    if not isinstance(client, HasPressHandler):
        raise TypeError("the Discord client has no press handler")
    return client.press_handler


class PressButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=re.compile(re.escape(BUTTON_PREFIX) + r"(?P<data>.+)", re.DOTALL),
):
    def __init__(self, data: str, label: str, *, row: int | None = None) -> None:
        super().__init__(discord.ui.Button(
            label=shorten_to(label, BUTTON_LABEL_LIMIT),
            custom_id=BUTTON_PREFIX + data,
            style=discord.ButtonStyle.secondary,
        ), row=row)
        self.data = data

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
        match: re.Match[str], /,
    ) -> Self:
        label = getattr(item, "label", None) or match["data"]
        return cls(match["data"], label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handler(interaction).on_press(interaction, self.data)


class PressSelect(
    discord.ui.DynamicItem[discord.ui.Select[discord.ui.View]],
    template=re.compile(re.escape(SELECT_PREFIX) + r"(?P<group>[^:]*)"),
):
    def __init__(self, group: str, options: Sequence[discord.SelectOption],
                 placeholder: str, *, row: int | None = None) -> None:
        super().__init__(discord.ui.Select(
            custom_id=SELECT_PREFIX + group,
            placeholder=shorten_to(placeholder, PLACEHOLDER_LIMIT) or None,
            options=list(options),
            min_values=1,
            max_values=1,
        ), row=row)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
        match: re.Match[str], /,
    ) -> Self:
        options = getattr(item, "options", None) or []
        placeholder = getattr(item, "placeholder", None) or ""
        return cls(match["group"], options, placeholder)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        values = self.item.values
        if values:
            await _handler(interaction).on_press(interaction, values[0])


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (PressButton, PressSelect)


@dataclass(frozen=True, slots=True)
class Choice:
    """A button as the core asked for it, with its label already in the person's language."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a message's components: up to five buttons, or one select menu."""

    choices: tuple[Choice, ...]
    select: bool = False


def _group(data: str) -> str:
    return data.partition(":")[0]


def layout(choices: Sequence[Choice]) -> list[Row]:
    """More than five choices of one kind (categories, articles, form fields) become one
    select menu; the others are buttons, five to a row, in the order the core gave them."""
    unique: dict[str, Choice] = {}
    for choice in choices:
        unique.setdefault(choice.data, choice)  # a custom id may appear once per message
    groups: dict[str, list[Choice]] = {}
    for choice in unique.values():
        groups.setdefault(_group(choice.data), []).append(choice)
    rows: list[Row] = []
    buttons: list[Choice] = []
    for members in groups.values():
        if len(members) > PER_ROW:
            rows.extend(_button_rows(buttons))
            buttons = []
            rows.append(Row(tuple(members[:MAX_OPTIONS]), select=True))
        else:
            buttons.extend(members)
    rows.extend(_button_rows(buttons))
    if len(rows) > MAX_ROWS:  # never happens with the core's menus; one list keeps all in reach
        rows = [Row(tuple(list(unique.values())[:MAX_OPTIONS]), select=True)]
    return rows


def _button_rows(buttons: list[Choice]) -> list[Row]:
    return [Row(tuple(buttons[i:i + PER_ROW])) for i in range(0, len(buttons), PER_ROW)]


def build_view(choices: Sequence[Choice], placeholder: str) -> discord.ui.View | None:
    """A view of dynamic items only, so sending it keeps nothing in memory per message."""
    if not choices:
        return None
    view = discord.ui.View(timeout=None)
    for index, row in enumerate(layout(choices)):
        if row.select:
            groups = {_group(c.data) for c in row.choices}
            options = [discord.SelectOption(label=shorten_to(c.label, OPTION_LABEL_LIMIT),
                                            value=c.data) for c in row.choices]
            group = groups.pop() if len(groups) == 1 else "all"
            view.add_item(PressSelect(group, options, placeholder, row=index))
        else:
            for choice in row.choices:
                view.add_item(PressButton(choice.data, choice.label, row=index))
    return view
