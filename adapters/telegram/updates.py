"""Taking in one update, whether it came by polling or by webhook.

``receive`` returns once the update is durably stored (or needs no storing): that is when the
caller may acknowledge it to Telegram. If storing fails it raises, the update is not
acknowledged, and Telegram sends it again. An update that cannot be understood is logged and
acknowledged: sent again, it would fail again, and hold up everything behind it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Mapping
from typing import Any

from telegram import Bot, Update
from telegram.error import TelegramError

from adapters.telegram.inbound import ForCore, GroupChat, Ignored, translate
from adapters.telegram.outbound import TelegramOutbound
from adapters.telegram.text import escape
from bot.actions import Text
from bot.engine import Engine
from bot.i18n import Translator

log = logging.getLogger(__name__)

GROUP_NOTICE_EVERY = 3600.0  # seconds: a busy group hears "write to me privately" once an hour


class UpdateReceiver:
    def __init__(self, bot: Bot, engine: Engine, translator: Translator,
                 outbound: TelegramOutbound) -> None:
        self.bot = bot
        self.engine = engine
        self.translator = translator
        self.outbound = outbound
        self._side_tasks: set[asyncio.Task[None]] = set()
        self._groups_told: dict[int, float] = {}

    async def receive(self, raw: Mapping[str, Any]) -> None:
        update_id = raw.get("update_id")
        try:
            inbound = translate(Update.de_json(dict(raw), self.bot))
        except Exception:
            # Logged without the payload: it holds what a person wrote.
            log.exception("Telegram update %s could not be read; it is skipped", update_id)
            return
        match inbound:
            case ForCore(event=event, callback_query_id=query_id):
                if query_id is not None:
                    self._side_task(self._answer(query_id))
                outcome = await self.engine.handle(event)
                if outcome.duplicate:
                    log.info("Telegram update %s was already taken in", update_id)
            case GroupChat(chat_id=chat_id, locale=locale):
                self._tell_group(chat_id, locale)
            case Ignored(reason=reason, callback_query_id=query_id):
                if query_id is not None:
                    self._side_task(self._answer(query_id))
                log.info("Telegram update %s ignored: %s", update_id, reason)

    async def close(self, timeout: float = 5.0) -> None:
        """Let callback answers and group notices under way finish (bounded)."""
        if self._side_tasks:
            _, late = await asyncio.wait(set(self._side_tasks), timeout=timeout)
            for task in late:
                task.cancel()

    def _side_task(self, work: Coroutine[Any, Any, None]) -> None:
        # Answering a button and telling a group are not part of storing the update, so they
        # run beside it: the update is acknowledged as soon as it is stored.
        task = asyncio.create_task(work)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    async def _answer(self, query_id: str) -> None:
        """Stop the button's spinner. The reply itself comes as a message."""
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError as exc:
            # Expected for a re-delivered update: the query was answered the first time.
            log.info("callback query not answered: %s", exc.message)

    def _tell_group(self, chat_id: int, locale: str | None) -> None:
        now = time.monotonic()
        last = self._groups_told.get(chat_id)
        if last is not None and now - last < GROUP_NOTICE_EVERY:
            return
        self._groups_told[chat_id] = now
        if len(self._groups_told) > 10_000:
            self._groups_told = {chat: at for chat, at in self._groups_told.items()
                                 if now - at < GROUP_NOTICE_EVERY}
        language = self.translator.resolve_language(None, locale)
        link = f"https://t.me/{self.bot.username}"
        text = self.translator.render(Text("telegram-private-only", {"link": link}), language,
                                      escape=escape)
        self._side_task(self._notify_group(chat_id, text))

    async def _notify_group(self, chat_id: int, text: str) -> None:
        try:
            await self.outbound.notify(chat_id, text)
        except TelegramError as exc:  # kicked from the group, muted...: nothing to do about it
            log.info("could not tell group %s where to write: %s", chat_id, exc.message)
