"""A terminal chat: you are the customer, and with /agent you are the agents' desk too.

Needs no account or token, so anyone can try the bot, and it works with a pipe on stdin, so
demos and tests can script it. Buttons are printed as numbered choices; typing the number or
the label presses the button.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import sys
import uuid
from collections.abc import AsyncIterator
from typing import TextIO

from adapters.console.desk import ConsoleDesk
from bot.actions import (
    Action,
    Button,
    CustomerMessage,
    DeleteCustomerMessage,
    DeskNotice,
    EditCustomerMessage,
    Text,
)
from bot.delivery import Dispatcher
from bot.engine import Engine
from bot.events import (
    AgentAction,
    AgentAvailability,
    AgentEvent,
    AgentNote,
    AgentRef,
    AgentReply,
    Attachment,
    ButtonPress,
    CustomerCommand,
    CustomerFile,
    CustomerRef,
    CustomerText,
    InboundEvent,
)
from bot.i18n import Translator
from bot.model import AgentOp, Command
from storage.store import Store, StoreError

PLATFORM = "console"

COMMANDS = {f"/{c.value}": c for c in Command if c is not Command.UNKNOWN}
COMMANDS["/menu"] = Command.START

AGENT_OPS = {
    "claim": AgentOp.CLAIM, "assign": AgentOp.ASSIGN, "release": AgentOp.RELEASE,
    "priority": AgentOp.PRIORITY, "ask": AgentOp.ASK_INFO, "resolve": AgentOp.RESOLVE,
    "reopen": AgentOp.REOPEN, "close": AgentOp.CLOSE, "block": AgentOp.BLOCK,
    "unblock": AgentOp.UNBLOCK, "canned": AgentOp.CANNED,
}


def _event_id() -> str:
    return f"{PLATFORM}:{uuid.uuid4().hex}"


async def stdin_lines() -> AsyncIterator[str]:
    """Lines from stdin, read in a thread so the event loop keeps delivering meanwhile."""
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        yield line.rstrip("\n")


class ConsoleChannel:
    """Both a customer chat app and an agents' desk, on one terminal."""

    def __init__(
        self,
        translator: Translator,
        store: Store,
        *,
        desk_language: str,
        out: TextIO | None = None,
        user_name: str | None = None,
        locale: str | None = None,
    ) -> None:
        self.translator = translator
        self.out = out or sys.stdout
        self.desk = ConsoleDesk(translator, store, desk_language)
        self.customer = CustomerRef(
            platform=PLATFORM,
            user_id="local",
            chat_id="local",
            display_name=user_name or os.environ.get("USER", "") or "console",
            locale=locale if locale is not None else os.environ.get("LANG"),
        )
        self.agent = AgentRef(PLATFORM, "console-agent", "Agent")
        self._choices: tuple[Button, ...] = ()
        self._printed = 0

    # -- outbound ------------------------------------------------------------------------------
    async def deliver(self, action: Action) -> str | None:
        """Print an action; the line number printed serves as the message's reference."""
        match action:
            case CustomerMessage():
                self._print_customer(action)
            case EditCustomerMessage():
                # A terminal cannot change a printed line: print the new version, marked.
                marker = self.translator.render(Text("message-edited"), action.language)
                text = self.translator.render_all(action.texts, action.language)
                self._print("bot", f"{marker} {text}")
            case DeleteCustomerMessage():
                self._print("bot", self.translator.render(Text("message-withdrawn"),
                                                          self.translator.default_language))
            case DeskNotice():
                for line in await self.desk.render(action):
                    self._print("desk", line)
        self._printed += 1
        return str(self._printed)

    def _print_customer(self, message: CustomerMessage) -> None:
        text = self.translator.render_all(message.texts, message.language)
        self._print("bot", text)
        for attachment in message.attachments:
            self._print("bot", f"📎 {attachment.name or attachment.file_ref}")
        if message.buttons:
            self._choices = message.buttons
            for number, button in enumerate(message.buttons, start=1):
                label = self.translator.render(button.label, message.language)
                self.out.write(f"      [{number}] {label}\n")
        self.out.flush()

    def _print(self, who: str, text: str) -> None:
        lines = text.splitlines() or [""]
        self.out.write(f"{who:>5}› {lines[0]}\n")
        for line in lines[1:]:
            self.out.write(f"       {line}\n")
        self.out.flush()

    # -- inbound -------------------------------------------------------------------------------
    def parse(self, line: str) -> InboundEvent | str:
        """The event a typed line stands for; a string is a usage note to print instead."""
        text = line.strip()
        if text.startswith("/agent"):
            return self._parse_agent(text[len("/agent"):].strip())
        if text.startswith("/file "):
            return self._file(text[len("/file "):].strip())
        if text.startswith("/") and len(text) > 1:
            word, _, argument = text.partition(" ")
            command = COMMANDS.get(word.lower())
            if command is None:
                return CustomerCommand(_event_id(), self.customer, Command.UNKNOWN, word)
            return CustomerCommand(_event_id(), self.customer, command, argument.strip())
        button = self._choice(text)
        if button is not None:
            return ButtonPress(_event_id(), self.customer, button.data)
        return CustomerText(_event_id(), self.customer, line)

    def _choice(self, text: str) -> Button | None:
        if not self._choices or not text:
            return None
        if text.isdigit() and 1 <= int(text) <= len(self._choices):
            return self._choices[int(text) - 1]
        wanted = text.casefold()
        for button in self._choices:
            for language in self.translator.languages:
                if self.translator.render(button.label, language).casefold() == wanted:
                    return button
        return None

    def _file(self, path: str) -> InboundEvent | str:
        if not os.path.isfile(path):
            return f"no such file: {path}"
        attachment = Attachment(kind="file", file_ref=os.path.abspath(path),
                                name=os.path.basename(path), size=os.path.getsize(path))
        return CustomerFile(_event_id(), self.customer, attachment)

    def _parse_agent(self, rest: str) -> InboundEvent | str:
        try:
            words = shlex.split(rest)
        except ValueError:
            words = rest.split()
        usage = self.desk.usage()
        if words[:1] == ["available"] and words[1:2] in (["on"], ["off"]):
            return AgentAvailability(_event_id(), self.agent, words[1] == "on")
        if len(words) < 2 or not words[1].lstrip("#").isdigit():
            return usage
        verb, ticket_id = words[0].lower(), int(words[1].lstrip("#"))
        tail = rest.split(None, 2)[2] if len(rest.split(None, 2)) > 2 else ""
        if verb == "reply":
            return AgentReply(_event_id(), self.agent, ticket_id, tail)
        if verb == "note":
            return AgentNote(_event_id(), self.agent, ticket_id, tail)
        op = AGENT_OPS.get(verb)
        if op is None:
            return usage
        return AgentAction(_event_id(), self.agent, ticket_id, op, tail)

    async def run(self, lines: AsyncIterator[str], engine: Engine,
                  dispatcher: Dispatcher) -> None:
        """Feed typed lines to the engine one by one, printing what comes back after each."""
        async for line in lines:
            text = line.strip()
            if text in ("/quit", "/exit"):
                break
            if not text:
                continue
            words = text.split()
            if words[0] == "/agent" and words[1:2] in (["list"], ["show"]):
                self.out.write(f"agent› {text}\n")
                await self._desk_query(words[1:])
                continue
            parsed = self.parse(line)
            if isinstance(parsed, str):
                self._print("desk", parsed)
                continue
            who = "agent" if isinstance(parsed, AgentEvent) else " you"
            self.out.write(f"{who}› {text}\n")
            try:
                await engine.handle(parsed)
            except StoreError as exc:
                # Not stored, so not acknowledged: the person sees it and can send it again.
                self._print("error", str(exc))
                continue
            await dispatcher.drain()

    async def _desk_query(self, words: list[str]) -> None:
        if words[0] == "list":
            lines = await self.desk.ticket_list()
        elif len(words) > 1 and words[1].lstrip("#").isdigit():
            lines = await self.desk.ticket_details(int(words[1].lstrip("#")))
        else:
            lines = [self.desk.usage()]
        for line in lines:
            self._print("desk", line)
