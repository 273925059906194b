"""The ``/ticket`` slash commands: ``new [category]``, ``list``, ``status [number]``.

Names stay English (as in the README); descriptions and category names are shown in the
person's Discord language, taken from ``locales/`` like everything else the bot says.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import discord
from discord import app_commands

from adapters.discord.inbound import Inbound
from adapters.discord.intake import ModalIntake
from adapters.discord.text import shorten_to
from bot.actions import Text
from bot.i18n import SUPPORTED_LANGUAGES, Translator
from bot.model import Command

BASE_LANGUAGE = "en"  # Discord shows a command's own strings to every locale not translated
DESCRIPTION_LIMIT = 100
CHOICE_LIMIT = 100
MAX_TICKET_NUMBER = 1_000_000_000


def _discord_locales() -> dict[discord.Locale, str]:
    locales: dict[discord.Locale, str] = {}
    for language in SUPPORTED_LANGUAGES:
        with contextlib.suppress(ValueError):  # a language Discord has no locale for
            locales[discord.Locale(language)] = language
    return locales


class CommandTranslator(app_commands.Translator):
    """Gives Discord each command string in every language the bot speaks."""

    def __init__(self, translator: Translator) -> None:
        self.translator = translator
        self.locales = _discord_locales()

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        key = string.extras.get("key")
        language = self.locales.get(locale)
        if not isinstance(key, str) or language is None or language == BASE_LANGUAGE:
            return None
        limit = string.extras.get("limit", DESCRIPTION_LIMIT)
        return shorten_to(self.translator.render(Text(key), language), limit)


def ticket_commands(inbound: Inbound, intake: ModalIntake, translator: Translator,
                    categories: Sequence[str]) -> app_commands.Group:
    def text(key: str, limit: int = DESCRIPTION_LIMIT) -> app_commands.locale_str:
        base = shorten_to(translator.render(Text(key), BASE_LANGUAGE), limit)
        return app_commands.locale_str(base, key=key, limit=limit)

    group = app_commands.Group(name="ticket", description=text("discord-command-ticket"))
    choices = [app_commands.Choice(name=text(f"category-{c}", CHOICE_LIMIT), value=c)
               for c in categories]

    @group.command(name="new", description=text("discord-command-new"))
    @app_commands.describe(category=text("discord-option-category"))
    @app_commands.choices(category=choices)
    async def new(interaction: discord.Interaction[discord.Client],
                  category: str | None = None) -> None:
        await intake.open(interaction, category)

    @group.command(name="list", description=text("discord-command-list"))
    async def list_(interaction: discord.Interaction[discord.Client]) -> None:
        await inbound.command(interaction, Command.TICKETS)

    @group.command(name="status", description=text("discord-command-status"))
    @app_commands.describe(number=text("discord-option-number"))
    async def status(interaction: discord.Interaction[discord.Client],
                     number: app_commands.Range[int, 1, MAX_TICKET_NUMBER] | None = None,
                     ) -> None:
        await inbound.command(interaction, Command.STATUS, str(number) if number else "")

    return group
