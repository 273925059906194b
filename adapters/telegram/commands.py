"""The bot's commands: what each means to the core, and the menu Telegram shows for them.

The menu is registered with ``setMyCommands`` once per language, so Telegram shows it in the
language of the person's app; people whose app speaks neither get the default language.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats
from telegram.error import TelegramError

from bot.actions import Text
from bot.i18n import Translator
from bot.model import Command

log = logging.getLogger(__name__)

# Shown in Telegram's menu, in this order; descriptions are telegram-command-<name> in locales/.
MENU: tuple[tuple[str, Command], ...] = (
    ("start", Command.START),
    ("new", Command.NEW),
    ("tickets", Command.TICKETS),
    ("status", Command.STATUS),
    ("help", Command.HELP),
    ("language", Command.LANGUAGE),
    ("cancel", Command.CANCEL),
)

# Everything a customer may type: the menu, plus what the core knows but the menu leaves out.
COMMANDS: Mapping[str, Command] = MappingProxyType({
    **{command.value: command for command in Command if command is not Command.UNKNOWN},
    "menu": Command.START,
})


def menu(translator: Translator, language: str) -> list[BotCommand]:
    return [BotCommand(name, translator.render(Text(f"telegram-command-{name}"), language))
            for name, _ in MENU]


async def publish_menu(bot: Bot, translator: Translator) -> None:
    """Register the menu for private chats: the default language, then one per language.

    A failure costs only the menu's looks, so it is logged and the bot starts anyway.
    """
    scope = BotCommandScopeAllPrivateChats()
    targets: list[tuple[str | None, str]] = [(None, translator.default_language)]
    targets += [(language, language) for language in translator.languages]
    for language_code, language in targets:
        try:
            await bot.set_my_commands(menu(translator, language), scope=scope,
                                      language_code=language_code)
        except TelegramError as exc:
            log.warning("could not register the Telegram command menu (%s): %s",
                        language_code or "default", exc)
