"""The agents' slash command: ``/ticket N``, ``/ticket search WORDS`` (whole words; ``word*``
for a prefix), ``/ticket mine``, ``/ticket stats``. Answers are ephemeral: only the agent who
asked sees them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import DeskRenderer, section
from adapters.slack.directory import Directory
from adapters.slack.files import PLATFORM
from adapters.slack.mrkdwn import escape
from bot.actions import Text
from bot.reports import build_report, report_texts
from bot.views import load_ticket_view
from storage.records import TicketRecord
from storage.store import Store

log = logging.getLogger(__name__)

Answer = dict[str, Any]
SEARCH_LIMIT = 10
MINE_LIMIT = 20


class TicketCommand:
    def __init__(self, store: Store, client: AsyncWebClient, directory: Directory,
                 renderer: DeskRenderer, *, command: str, default_language: str,
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.client = client
        self.directory = directory
        self.render = renderer
        self.command = command
        self.default_language = default_language
        self.clock = clock

    async def answer(self, user_id: str, text: str, *, refusal: str) -> Answer:
        """What to show the agent who typed ``/ticket text`` (a non-agent gets ``refusal``)."""
        if not await self.directory.is_agent(user_id):
            log.warning("Slack user %s, not an agent, used %s %s: refused", user_id,
                        self.command, (text.split() or [""])[0][:20])
            return _ephemeral(refusal)
        words = text.split()
        verb = words[0].lower() if words else ""
        if verb.lstrip("#").isdigit() and len(words) == 1:
            return await self.show(int(verb.lstrip("#")))
        if verb == "search" and len(words) > 1:
            return await self.search(words[1:])
        if verb == "mine":
            return await self.mine(user_id)
        if verb == "stats" and len(words) <= 2:
            days = int(words[1]) if len(words) == 2 and words[1].isdigit() else 30
            return await self.stats(max(1, min(days, 3650)))
        return _ephemeral(self.render.t(Text("slack-command-usage", {"command": self.command})))

    async def show(self, ticket_id: int) -> Answer:
        view = await load_ticket_view(self.store, ticket_id,
                                      default_language=self.default_language)
        if view is None:
            return _ephemeral(self.render.t(Text("desk-no-such-ticket", {"id": ticket_id})))
        return _ephemeral(self.render.fallback(view.ticket),
                          self.render.summary(view, await self._permalink(ticket_id)))

    async def search(self, words: Sequence[str]) -> Answer:
        query = " ".join(words)
        tickets = await self.store.search_tickets(words, limit=SEARCH_LIMIT)
        if not tickets:
            return _ephemeral(self.render.t(Text("slack-search-none", {"query": query})))
        header = self.render.t(Text("slack-search-header",
                                    {"count": len(tickets), "query": query}))
        return await self._listing(header, tickets)

    async def mine(self, user_id: str) -> Answer:
        tickets = await self.store.assigned_tickets(user_id, limit=MINE_LIMIT)
        if not tickets:
            return _ephemeral(self.render.t(Text("slack-mine-none")))
        header = self.render.t(Text("slack-mine-header", {"count": len(tickets)}))
        return await self._listing(header, tickets)

    async def stats(self, days: int) -> Answer:
        """The same report as ``supportbot stats``, over the last ``days`` days."""
        now = self.clock()
        report = await build_report(self.store, since=now - timedelta(days=days), until=now,
                                    now=now)
        text = "\n".join(self.render.t(line) for line in report_texts(report))
        return _ephemeral(text, [section(text)])

    async def _listing(self, header: str, tickets: Sequence[TicketRecord]) -> Answer:
        lines = [header]
        for ticket in tickets:
            customer = await self.store.customer(ticket.customer_id)
            lines.append("• " + self.render.ticket_line(
                ticket, customer.display_name if customer else "?"))
        text = "\n".join(lines)
        return _ephemeral(text, [section(text)])

    async def _permalink(self, ticket_id: int) -> str | None:
        thread = await self.store.desk_thread(ticket_id)
        if thread is None or thread.desk != PLATFORM:
            return None
        try:
            response = await self.client.chat_getPermalink(channel=thread.channel,
                                                           message_ts=thread.thread_ref)
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning("chat.getPermalink failed: %s", type(exc).__name__)
            return None
        link = response.get("permalink")
        return escape(str(link)) if link else None


def _ephemeral(text: str, blocks: list[dict[str, Any]] | None = None) -> Answer:
    answer: Answer = {"response_type": "ephemeral", "replace_original": False, "text": text}
    if blocks:
        answer["blocks"] = blocks
    return answer
