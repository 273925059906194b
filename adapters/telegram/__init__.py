"""Telegram: customers write to the bot in private chats (python-telegram-bot, Bot API).

Modules, one job each: ``inbound`` translates updates into core events, ``updates`` takes one
update in, ``polling`` and ``webhook`` receive them, ``outbound`` renders and sends the core's
actions, ``text`` escapes and splits, ``ratelimit`` paces, ``files`` fetches customers' files,
``commands`` is the command menu, ``client`` builds the PTB ``Bot``, ``app`` is the lifecycle.
"""

from __future__ import annotations

import os

# PTB 22 warns on every 429 unless its future timedelta behaviour is chosen; the outbound
# code reads both forms, so opt in and keep the logs clean.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from adapters.telegram.app import TelegramApp
from adapters.telegram.inbound import PLATFORM
from bot.runtime import Runtime

__all__ = ["PLATFORM", "TelegramApp", "create"]


def create(runtime: Runtime) -> TelegramApp:
    app = TelegramApp(runtime)
    runtime.dispatcher.register(PLATFORM, app.outbound)
    runtime.files[PLATFORM] = app.files
    return app
