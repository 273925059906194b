"""Slack events and interactions as core events.

Two kinds of people write to the bot on Slack. Agents, in the agents' channel: a reply in a
ticket's thread goes to the customer (``note:`` keeps it internal), edits and deletions of
those replies follow, and the buttons on a ticket's root message act on it. Customers, in a
direct message with the bot: their messages and button presses are customer events like on
any other chat app.

Message events are stored before they are acknowledged (an exception here means Slack gets a
non-2xx answer and re-delivers; the engine drops what it has seen). Interactions are
acknowledged first and handled right after, since Slack never re-delivers them: a failure is
told to the person instead.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from adapters.slack.blocks import (
    ASK_BLOCK,
    ASK_INPUT,
    CLAIM,
    CLOSE,
    PRIORITY,
    REOPEN,
    RESOLVE,
    DeskRenderer,
)
from adapters.slack.desk import SlackDesk
from adapters.slack.directory import Directory
from adapters.slack.files import PLATFORM, attachment_from_file
from adapters.slack.mrkdwn import to_plain
from bot.actions import Text
from bot.events import (
    AgentAction,
    AgentDelete,
    AgentEdit,
    AgentNote,
    AgentRef,
    AgentReply,
    ButtonPress,
    CustomerCommand,
    CustomerFile,
    CustomerRef,
    CustomerText,
    InboundEvent,
)
from bot.model import AgentOp, Command
from bot.runtime import Runtime

log = logging.getLogger(__name__)

Payload = Mapping[str, Any]
Respond = Callable[..., Awaitable[Any]]

_DESK_OPS = {CLAIM: AgentOp.CLAIM, PRIORITY: AgentOp.PRIORITY, RESOLVE: AgentOp.RESOLVE,
             CLOSE: AgentOp.CLOSE, REOPEN: AgentOp.REOPEN}
# Message subtypes that are a person writing (files, "also send to channel").
_WRITTEN = frozenset({None, "file_share", "thread_broadcast"})
# "!greeting" alone in a ticket's thread sends the canned reply of that name.
CANNED_REPLY = re.compile(r"!([a-z0-9][a-z0-9_-]{0,40})", re.IGNORECASE)

# Slack keeps "/…" for slash commands, so in a direct message the customer's commands are
# plain words; only a message that is just the word (and a ticket number) counts as one.
KEYWORDS: dict[str, Command] = {
    "start": Command.START, "menu": Command.START,
    "help": Command.HELP, "pomoc": Command.HELP,
    "new": Command.NEW, "nowe": Command.NEW,
    "tickets": Command.TICKETS, "zgłoszenia": Command.TICKETS,
    "status": Command.STATUS,
    "articles": Command.ARTICLES, "artykuły": Command.ARTICLES,
    "language": Command.LANGUAGE, "język": Command.LANGUAGE,
    "cancel": Command.CANCEL, "anuluj": Command.CANCEL,
    "close": Command.CLOSE, "zamknij": Command.CLOSE,
    "reopen": Command.REOPEN, "otwórz": Command.REOPEN,
    "remind": Command.REMIND, "przypomnij": Command.REMIND,
    "privacy": Command.PRIVACY, "prywatność": Command.PRIVACY, "rodo": Command.PRIVACY,
}
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")
_KEYWORD = re.compile(r"^[!/]?(\w+)(?:\s+#?(\d+|pl|en|export|erase|eksport|usu[nń]))?$",
                      re.IGNORECASE)


def keyword_command(text: str) -> tuple[Command, str] | None:
    match = _KEYWORD.match(text.strip())
    if match is None:
        return None
    command = KEYWORDS.get(match.group(1).lower())
    return (command, match.group(2) or "") if command is not None else None


class Inbound:
    def __init__(self, runtime: Runtime, directory: Directory, desk: SlackDesk,
                 renderer: DeskRenderer) -> None:
        self.runtime = runtime
        self.store = runtime.store
        self.directory = directory
        self.desk = desk
        self.render = renderer
        slack = runtime.settings.slack
        self.agent_channel = slack.agent_channel
        self.customers_enabled = slack.customers_enabled
        self.note_prefix = runtime.settings.note_prefix.strip().lower()

    async def handle(self, event: InboundEvent) -> bool:
        """Store one event; True when it was new (not a re-delivery)."""
        outcome = await self.runtime.engine.handle(event)
        return not outcome.duplicate

    # -- message events ----------------------------------------------------------------------
    async def message(self, event: Payload) -> None:
        subtype = event.get("subtype")
        channel = str(event.get("channel") or "")
        if subtype == "message_changed":
            await self._edited(channel, event)
        elif subtype == "message_deleted":
            await self._deleted(channel, event)
        elif subtype not in _WRITTEN or event.get("bot_id") or not event.get("user"):
            return  # joins, topic changes, bots (ours included)
        elif channel == self.agent_channel:
            await self._agent_wrote(channel, event)
        elif event.get("channel_type") == "im" and self.customers_enabled:
            await self._customer_wrote(channel, event)

    async def _agent_wrote(self, channel: str, event: Payload) -> None:
        ts, thread_ts = str(event["ts"]), event.get("thread_ts")
        if not thread_ts or thread_ts == ts:
            return  # talk in the channel itself, not in a ticket's thread
        ticket_id = await self.store.ticket_for_thread(PLATFORM, channel, str(thread_ts))
        if ticket_id is None:
            return
        # Writing in the agents' channel takes being its member, which is what an agent is.
        agent = await self._agent(str(event["user"]))
        event_id = f"slack:msg:{channel}:{ts}"
        text = to_plain(await self._named_mentions(str(event.get("text") or "")))
        if self.note_prefix and text.lstrip().lower().startswith(self.note_prefix):
            note = text.lstrip()[len(self.note_prefix):].strip()
            await self.handle(AgentNote(event_id, agent, ticket_id, note))
            return
        canned = CANNED_REPLY.fullmatch(text.strip())
        if canned:
            await self.handle(AgentAction(event_id, agent, ticket_id, AgentOp.CANNED,
                                          canned.group(1)))
            return
        files = tuple(attachment_from_file(f) for f in event.get("files") or []
                      if f.get("url_private_download") or f.get("url_private"))
        await self.handle(AgentReply(event_id, agent, ticket_id, text, files))

    async def _edited(self, channel: str, event: Payload) -> None:
        message = event.get("message") or {}
        previous = event.get("previous_message") or {}
        if channel != self.agent_channel or message.get("bot_id") or not message.get("user"):
            return
        if message.get("text") == previous.get("text"):
            return  # a reply count or an unfurl changed, not the words
        original = f"slack:msg:{channel}:{message.get('ts')}"
        ticket_id = await self.store.ticket_for_message_event(original)
        if ticket_id is None:
            return
        edited = (message.get("edited") or {}).get("ts") or event.get("ts")
        text = to_plain(await self._named_mentions(str(message.get("text") or ""))).strip()
        if self.note_prefix and text.lower().startswith(self.note_prefix):
            text = text[len(self.note_prefix):].strip()
        agent = await self._agent(str(message["user"]))
        await self.handle(AgentEdit(f"slack:edit:{channel}:{message.get('ts')}:{edited}",
                                    agent, ticket_id, original, text))

    async def _deleted(self, channel: str, event: Payload) -> None:
        previous = event.get("previous_message") or {}
        deleted_ts = event.get("deleted_ts") or previous.get("ts")
        if channel != self.agent_channel or not deleted_ts or previous.get("bot_id"):
            return
        original = f"slack:msg:{channel}:{deleted_ts}"
        ticket_id = await self.store.ticket_for_message_event(original)
        if ticket_id is None:
            return
        agent = await self._agent(str(previous.get("user") or ""))
        await self.handle(AgentDelete(f"slack:delete:{channel}:{deleted_ts}", agent,
                                      ticket_id, original))

    async def _customer_wrote(self, channel: str, event: Payload) -> None:
        customer = await self._customer(str(event["user"]), channel)
        event_id = f"slack:msg:{channel}:{event['ts']}"
        text = to_plain(str(event.get("text") or ""))
        files = [f for f in event.get("files") or []
                 if f.get("url_private_download") or f.get("url_private")]
        if files:
            for n, file in enumerate(files):
                await self.handle(CustomerFile(event_id if n == 0 else f"{event_id}:{n}",
                                               customer, attachment_from_file(file),
                                               caption=text if n == 0 else ""))
            return
        command = keyword_command(text)
        if command is not None:
            await self.handle(CustomerCommand(event_id, customer, *command))
        else:
            await self.handle(CustomerText(event_id, customer, text))

    # -- interactions ------------------------------------------------------------------------
    async def desk_action(self, body: Payload, respond: Respond) -> None:
        """A button or the priority select on a ticket's root message (already acked)."""
        user = str(body["user"]["id"])
        if not await self.directory.is_agent(user):
            log.warning("Slack user %s, not an agent, pressed %s: refused", user,
                        body["actions"][0].get("action_id"))
            await self.refuse(respond)
            return
        action = body["actions"][0]
        op = _DESK_OPS.get(str(action["action_id"]))
        ticket_id = _ticket_of(action)
        if op is None or ticket_id is None:
            return
        value = str((action.get("selected_option") or {}).get("value") or "") \
            if op is AgentOp.PRIORITY else ""
        agent = await self._agent(user)
        event_id = f"slack:action:{action.get('action_ts') or body.get('trigger_id')}"
        await self._act(AgentAction(event_id, agent, ticket_id, op, value), respond)

    async def open_ask(self, body: Payload, respond: Respond) -> None:
        """Ask for info: open the modal that takes the question (the trigger lasts 3 s)."""
        user = str(body["user"]["id"])
        if not await self.directory.is_agent(user):
            log.warning("Slack user %s, not an agent, pressed %s: refused", user,
                        body["actions"][0].get("action_id"))
            await self.refuse(respond)
            return
        ticket_id = _ticket_of(body["actions"][0])
        if ticket_id is None:
            return
        await self.desk.client.views_open(trigger_id=str(body["trigger_id"]),
                                          view=self.render.ask_modal(ticket_id))

    async def ask_submitted(self, body: Payload, view: Payload) -> None:
        user = str(body["user"]["id"])
        if not await self.directory.is_agent(user):
            log.warning("Slack user %s, not an agent, sent an Ask for info: refused", user)
            return
        ticket_id = int(json.loads(view.get("private_metadata") or "{}").get("ticket", 0))
        question = str(((view.get("state") or {}).get("values") or {})
                       .get(ASK_BLOCK, {}).get(ASK_INPUT, {}).get("value") or "").strip()
        if not ticket_id or not question:
            return
        agent = await self._agent(user)
        event = AgentAction(f"slack:view:{view.get('id')}", agent, ticket_id,
                            AgentOp.ASK_INFO, question)
        try:
            fresh = await self.handle(event)
        except Exception:
            log.exception("an Ask for info on ticket %s was not stored", ticket_id)
            if self.agent_channel:
                await self.desk.client.chat_postEphemeral(
                    channel=self.agent_channel, user=user,
                    text=self.render.t(Text("slack-action-failed")))
            return
        if fresh:
            await self.desk.announce_question(ticket_id, agent.name, question)

    async def customer_action(self, body: Payload, respond: Respond) -> None:
        """A customer pressed one of the bot's buttons in a direct message (already acked)."""
        if not self.customers_enabled:
            return
        action = body["actions"][0]
        channel = str((body.get("container") or {}).get("channel_id")
                      or (body.get("channel") or {}).get("id") or "")
        customer = await self._customer(str(body["user"]["id"]), channel)
        event_id = f"slack:action:{action.get('action_ts') or body.get('trigger_id')}"
        try:
            await self.handle(ButtonPress(event_id, customer, str(action.get("value") or "")))
        except Exception:
            log.exception("a customer's button press was not stored")
            language = self.runtime.translator.resolve_language(None, customer.locale)
            await respond(text=self.runtime.translator.render(Text("slack-action-failed"),
                                                              language),
                          response_type="ephemeral", replace_original=False)

    async def _act(self, event: AgentAction, respond: Respond) -> None:
        try:
            await self.handle(event)
        except Exception:
            log.exception("a desk action on ticket %s was not stored", event.ticket_id)
            await respond(text=self.render.t(Text("slack-action-failed")),
                          response_type="ephemeral", replace_original=False)

    async def refuse(self, respond: Respond) -> None:
        """Tell someone who is not an agent, and only them, that they cannot do this."""
        await respond(text=self.refusal(), response_type="ephemeral", replace_original=False)

    def refusal(self) -> str:
        return self.render.t(Text("slack-refused", {"channel": self.agent_channel or "?"}))

    async def _named_mentions(self, text: str) -> str:
        """``<@U42>`` as ``<@U42|Anna Nowak>``, so the customer reads a name, not an id."""
        names: dict[str, str] = {}
        for user_id in sorted(set(_MENTION.findall(text)))[:10]:
            names[user_id] = (await self.directory.person(user_id, timeout=0.5)).name
        return _MENTION.sub(lambda m: f"<@{m.group(1)}|{names.get(m.group(1)) or m.group(1)}>",
                            text)

    # -- people ------------------------------------------------------------------------------
    async def _agent(self, user_id: str) -> AgentRef:
        person = await self.directory.person(user_id)
        return AgentRef(PLATFORM, user_id, person.name)

    async def _customer(self, user_id: str, channel: str) -> CustomerRef:
        person = await self.directory.person(user_id)
        return CustomerRef(PLATFORM, user_id, channel, person.name, person.locale,
                           person.timezone)


def _ticket_of(action: Payload) -> int | None:
    """The ticket a desk action is about: the button's value, or the block id for the select."""
    raw = str(action.get("value") or action.get("block_id") or "")
    raw = raw.removeprefix("desk:")
    return int(raw) if raw.isdigit() else None
