"""The agents' desk on Slack: desk notices become each ticket's root message and thread.

A ticket gets one root message in the agents' channel (Block Kit, with its buttons), kept up to
date with ``chat.update``; everything else about the ticket goes into that message's thread.
Reactions mark the agents' own thread messages: delivered, internal note, or failed.

Each notice kind has its handler in one table, and a kind without one stops the start loudly.
A notice that fails half-way is retried by the dispatcher; the steps it already did are
remembered (in memory) so a retry does not post the same line twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import MESSAGE_TEXT, Block, DeskRenderer
from adapters.slack.client import ChannelPacer
from adapters.slack.errors import ALREADY_DONE, api_error_code, delivery_errors
from adapters.slack.files import PLATFORM, SlackFiles
from adapters.slack.mrkdwn import quote, truncate
from bot.actions import Action, DeskEvent, DeskNotice, Text, attachments_from_json
from bot.delivery import DeliveryError
from bot.events import Attachment
from bot.model import Status
from bot.runtime import Runtime, UnknownFileSource
from bot.views import TicketView, load_ticket_view
from storage.records import MessageRecord

log = logging.getLogger(__name__)

REACTION_DELIVERED = "white_check_mark"
REACTION_NOTE = "memo"
REACTION_FAILED = "x"
# Alerts that are also shown in the channel, not only in the ticket's thread.
BROADCAST_ALERTS = frozenset({"desk-overdue", "desk-escalated", "desk-reminder"})
FILES_PER_UPLOAD = 10
_REMEMBERED_ROOTS = 2000


@dataclass(frozen=True, slots=True)
class Thread:
    channel: str
    ts: str


def slack_message_ref(event_id: str | None) -> Thread | None:
    """Where a ticket message sits on Slack, from its event id ``slack:msg:<channel>:<ts>``."""
    if not event_id or not event_id.startswith("slack:msg:"):
        return None
    channel, _, ts = event_id[len("slack:msg:"):].partition(":")
    return Thread(channel, ts) if channel and ts else None


Handler = Callable[[DeskNotice, set[str]], Awaitable[str | None]]


class SlackDesk:
    """The dispatcher's channel for ``bot.turn.DESK``."""

    def __init__(self, runtime: Runtime, client: AsyncWebClient, files: SlackFiles,
                 pacer: ChannelPacer, renderer: DeskRenderer, channel: str) -> None:
        self.runtime = runtime
        self.store = runtime.store
        self.client = client
        self.files = files
        self.pacer = pacer
        self.render = renderer
        self.channel = channel
        self._handlers: dict[DeskEvent, Handler] = {
            DeskEvent.CREATED: self.created,
            DeskEvent.UPDATED: self.updated,
            DeskEvent.CUSTOMER_MESSAGE: self.customer_message,
            DeskEvent.AGENT_MESSAGE: self.agent_message,
            DeskEvent.NOTE: self.note,
            DeskEvent.ALERT: self.alert,
            DeskEvent.DELIVERY_FAILED: self.delivery_failed,
            DeskEvent.DELIVERED: self.delivered,
        }
        unhandled = set(DeskEvent) - set(self._handlers)
        if unhandled:
            raise RuntimeError(f"the Slack desk has no handler for {sorted(unhandled)}")
        self._shown: OrderedDict[int, str] = OrderedDict()  # ticket -> digest of its root
        self._steps: dict[str, set[str]] = {}

    # -- the dispatcher's entry point -------------------------------------------------------------
    async def deliver(self, action: Action) -> str | None:
        if not isinstance(action, DeskNotice):
            raise DeliveryError(f"the Slack desk cannot deliver {type(action).__name__}",
                                permanent=True)
        key = _notice_key(action)
        steps = self._steps.setdefault(key, set())
        try:
            result = await self._handlers[action.event](action, steps)
        except DeliveryError as exc:
            if exc.permanent:
                self._steps.pop(key, None)
            raise
        self._steps.pop(key, None)
        return result

    # -- handlers, one per notice kind ------------------------------------------------------------
    async def created(self, notice: DeskNotice, steps: set[str]) -> str | None:
        view = await self._view(notice.ticket_id)
        if view is None:
            return None
        thread = await self._thread_of(view, steps)
        await self.refresh_root(view, thread)
        return thread.ts

    async def updated(self, notice: DeskNotice, steps: set[str]) -> str | None:
        view = await self._view(notice.ticket_id)
        if view is None:
            return None
        thread = await self._thread_of(view, steps)
        await self.refresh_root(view, thread)
        if notice.text is not None:
            line = self.render.t(notice.text)
            return await self._once(steps, "line", lambda: self.post(thread, line))
        return thread.ts

    async def customer_message(self, notice: DeskNotice, steps: set[str]) -> str | None:
        view = await self._view(notice.ticket_id)
        if view is None:
            return None
        thread = await self._thread_of(view, steps)
        message = _message(view, notice.message_id)
        ts = None
        if message is not None:
            files = attachments_from_json(message.attachments)
            who = {"name": view.customer.display_name or "?",
                   "platform": view.customer.platform}
            if message.body or not files:
                text = self.render.t(Text("slack-customer-wrote", who)) + "\n" + \
                    quote(message.body)
            else:
                text = self.render.t(Text("slack-customer-sent-files",
                                          {**who, "count": len(files)}))
            ts = await self._once(steps, "line", lambda: self.post(thread, text))
            if "files" not in steps:
                await self.copy_files(thread, files)
                steps.add("files")
        await self.refresh_root(view, thread)
        return ts

    async def agent_message(self, notice: DeskNotice, steps: set[str]) -> str | None:
        view = await self._view(notice.ticket_id)
        if view is None:
            return None
        thread = await self._thread_of(view, steps)
        message = _message(view, notice.message_id)
        ts = None
        # An agent's Slack reply is in the thread already; one from elsewhere is shown here.
        if message is not None and await self._slack_ref(message) is None:
            text = self.render.t(Text("slack-agent-outside", {"name": message.author_name})) \
                + "\n" + quote(message.body)
            ts = await self._once(steps, "line", lambda: self.post(thread, text))
        await self.refresh_root(view, thread)
        return ts

    async def note(self, notice: DeskNotice, steps: set[str]) -> str | None:
        view = await self._view(notice.ticket_id)
        if view is None:
            return None
        message = _message(view, notice.message_id)
        if message is None:
            return None
        ref = await self._slack_ref(message)
        if ref is not None:
            await self.react(ref, REACTION_NOTE)
            return None
        thread = await self._thread_of(view, steps)
        text = self.render.t(Text("slack-note-outside", {"name": message.author_name})) \
            + "\n" + quote(message.body)
        return await self._once(steps, "line", lambda: self.post(thread, text))

    async def delivered(self, notice: DeskNotice, steps: set[str]) -> str | None:
        if notice.message_id is None:
            return None
        ref = slack_message_ref(await self.store.message_event_id(notice.message_id))
        if ref is not None:
            await self.react(ref, REACTION_DELIVERED)
        return None

    async def delivery_failed(self, notice: DeskNotice, steps: set[str]) -> str | None:
        if notice.message_id is not None:
            ref = slack_message_ref(await self.store.message_event_id(notice.message_id))
            if ref is not None:
                await self.react(ref, REACTION_FAILED)
        if notice.text is None:
            return None
        view = await self._view(notice.ticket_id)
        if view is None:
            return None
        thread = await self._thread_of(view, steps)
        line = self.render.t(notice.text)
        return await self._once(steps, "line", lambda: self.post(thread, line))

    async def alert(self, notice: DeskNotice, steps: set[str]) -> str | None:
        if notice.text is None:
            return None
        text = self.render.t(notice.text)
        view = await self._view(notice.ticket_id)
        if view is None:  # e.g. an action on a ticket number that does not exist
            return await self._once(steps, "line", lambda: self.post(None, text))
        thread = await self._thread_of(view, steps)
        broadcast = notice.text.key in BROADCAST_ALERTS
        ts = await self._once(steps, "line",
                              lambda: self.post(thread, text, broadcast=broadcast))
        await self.refresh_root(view, thread)
        return ts

    async def announce_question(self, ticket_id: int, agent_name: str, question: str) -> None:
        """Show in the thread what an agent asked through the Ask modal (not posted there)."""
        view = await self._view(ticket_id)
        if view is None or view.ticket.status != Status.WAITING:
            return  # the request was refused; the desk got an alert saying why
        thread = await self._thread_of(view, set())
        text = self.render.t(Text("slack-ask-posted", {"name": agent_name})) + "\n" + \
            quote(question)
        await self.post(thread, text)

    # -- the root message -------------------------------------------------------------------------
    async def _thread_of(self, view: TicketView, steps: set[str]) -> Thread:
        """The ticket's thread, starting it (root message and the customer's files) if new."""
        record = await self.store.desk_thread(view.ticket.id)
        if record is not None and record.desk == PLATFORM:
            thread = Thread(record.channel, record.thread_ref)
        else:
            thread = await self._post_root(view)
            steps.add("root-posted")
        if "root-posted" in steps and "first-files" not in steps:
            first = view.messages[0] if view.messages else None
            if first is not None:
                await self.copy_files(thread, attachments_from_json(first.attachments))
            steps.add("first-files")
        return thread

    async def _post_root(self, view: TicketView) -> Thread:
        blocks = self.render.root(view)
        await self.pacer.wait(self.channel)
        with delivery_errors():
            response = await self.client.chat_postMessage(
                channel=self.channel, text=self.render.fallback(view.ticket), blocks=blocks,
                unfurl_links=False, unfurl_media=False)
        thread = Thread(str(response["channel"]), str(response["ts"]))
        ticket_id = view.ticket.id
        await self.store.write(
            lambda tx: tx.set_desk_thread(ticket_id, PLATFORM, thread.channel, thread.ts))
        self._remember(ticket_id, _digest(blocks))
        return thread

    async def refresh_root(self, view: TicketView, thread: Thread) -> None:
        """Bring the root message up to date (skipped when nothing it shows has changed)."""
        blocks = self.render.root(view)
        digest = _digest(blocks)
        if self._shown.get(view.ticket.id) == digest:
            return
        try:
            with delivery_errors():
                await self.client.chat_update(channel=thread.channel, ts=thread.ts,
                                              text=self.render.fallback(view.ticket),
                                              blocks=blocks)
        except DeliveryError as exc:
            if not isinstance(exc.__cause__, SlackApiError) or \
                    api_error_code(exc.__cause__) != "message_not_found":
                raise
            # Someone deleted the root message: start the ticket's thread afresh.
            log.warning("root message of ticket %s is gone; posting it again", view.ticket.id)
            await self._post_root(view)
            return
        self._remember(view.ticket.id, digest)

    def _remember(self, ticket_id: int, digest: str) -> None:
        self._shown[ticket_id] = digest
        self._shown.move_to_end(ticket_id)
        while len(self._shown) > _REMEMBERED_ROOTS:
            self._shown.popitem(last=False)

    # -- posting ----------------------------------------------------------------------------------
    async def post(self, thread: Thread | None, text: str, *, broadcast: bool = False,
                   blocks: Sequence[Block] | None = None) -> str:
        """Post into a ticket's thread (or the channel); returns the new message's ts."""
        channel = thread.channel if thread else self.channel
        await self.pacer.wait(channel)
        with delivery_errors():
            response = await self.client.chat_postMessage(
                channel=channel, text=truncate(text, MESSAGE_TEXT),
                thread_ts=thread.ts if thread else None,
                reply_broadcast=True if broadcast and thread else None,
                blocks=list(blocks) if blocks else None,
                unfurl_links=False, unfurl_media=False)
        return str(response["ts"])

    async def react(self, ref: Thread, name: str) -> None:
        try:
            with delivery_errors():
                await self.client.reactions_add(channel=ref.channel, timestamp=ref.ts, name=name)
        except DeliveryError as exc:
            cause = exc.__cause__
            if isinstance(cause, SlackApiError) and (
                    api_error_code(cause) in ALREADY_DONE
                    or api_error_code(cause) == "message_not_found"):
                return  # marked already, or the agent deleted the message: nothing to mark
            raise

    async def copy_files(self, thread: Thread, attachments: Sequence[Attachment]) -> None:
        """Put a customer's files into the thread; one that cannot be fetched is reported."""
        fetched: list[tuple[str, bytes]] = []
        for attachment in attachments:
            name = attachment.name or "file"
            try:
                fetched.append((name, await self.runtime.fetch_file(attachment)))
            except DeliveryError as exc:
                if not exc.permanent:
                    raise
                await self._file_not_copied(thread, name, exc.reason)
            except UnknownFileSource as exc:
                await self._file_not_copied(thread, name, str(exc))
        for start in range(0, len(fetched), FILES_PER_UPLOAD):
            await self.files.upload(thread.channel, fetched[start:start + FILES_PER_UPLOAD],
                                    thread_ts=thread.ts)

    async def _file_not_copied(self, thread: Thread, name: str, reason: str) -> None:
        log.warning("a file of a ticket could not be copied to Slack: %s", reason)
        await self.post(thread, self.render.t(Text("slack-file-not-copied",
                                                   {"name": name, "reason": reason})))

    # -- reading ----------------------------------------------------------------------------------
    async def _view(self, ticket_id: int) -> TicketView | None:
        return await load_ticket_view(self.store, ticket_id,
                                      default_language=self.runtime.settings.default_language)

    async def _slack_ref(self, message: MessageRecord) -> Thread | None:
        return slack_message_ref(await self.store.message_event_id(message.id))

    @staticmethod
    async def _once(steps: set[str], step: str,
                    work: Callable[[], Awaitable[str]]) -> str | None:
        """Do ``work`` unless an earlier try of the same notice already did it."""
        if step in steps:
            return None
        result = await work()
        steps.add(step)
        return result


def _message(view: TicketView, message_id: int | None) -> MessageRecord | None:
    return next((m for m in view.messages if m.id == message_id), None)


def _digest(blocks: Sequence[Block]) -> str:
    return hashlib.sha256(json.dumps(blocks, sort_keys=True).encode()).hexdigest()


def _notice_key(notice: DeskNotice) -> str:
    text = json.dumps([notice.text.key, sorted(map(str, notice.text.params.items()))]) \
        if notice.text else ""
    return f"{notice.ticket_id}:{notice.event.value}:{notice.message_id}:{text}"
