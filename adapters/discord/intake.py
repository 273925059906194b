"""The intake form as a Discord modal: ``/ticket new category:<c>`` in a server.

The modal asks for the leading required fields of the category's form (subject,
description, order number... as ``bot/data/forms.toml`` lists them). A submitted modal
becomes the events a person typing in their DMs would have caused: "new ticket", the
category, then each answer, with ids derived from the submit's interaction id
(``discord:int:<id>:<n>``) so each is applied once. All rules stay in the core: an answer is
given only while the engine is asking for exactly that field, so a refused answer (too
short, a malformed order number), a form already in progress, a priority question, or
anything the core adds later simply leaves the rest to the conversation in the DMs, where
the engine asks again in its own words.

Submissions are read from the raw interaction, not from the modal object, so a modal
submitted after a restart of the bot still counts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import discord

from adapters.discord.inbound import PLATFORM, Inbound, acknowledge, interaction_event_id
from adapters.discord.text import shorten_to
from bot.actions import Text
from bot.events import ButtonPress, CustomerCommand, CustomerRef, CustomerText
from bot.forms import FieldKind, FormBook, FormField
from bot.intake import CATEGORY, FIELD
from bot.labels import category_text
from bot.model import Command
from bot.runtime import Runtime
from storage.records import ConversationRecord
from storage.store import Store

log = logging.getLogger(__name__)

MODAL_PREFIX = "sbm:"
MAX_INPUTS = 5  # Discord's limit of components in a modal
TITLE_LIMIT = 45
LABEL_LIMIT = 45
DESCRIPTION_LIMIT = 100
INPUT_LIMIT = 4000
LONG_INPUT = 200  # fields allowed more than this get a paragraph box
MODAL_TIMEOUT = 3600.0  # the library forgets an unsubmitted modal object after this
PENDING_FOR = 3600.0  # answers waiting for the engine to ask for them are kept this long


def modal_fields(forms: FormBook, category: str) -> tuple[FormField, ...]:
    """The fields a modal can take up front: the form's leading required text fields."""
    fields: list[FormField] = []
    for form_field in forms.fields(category):
        if not form_field.required or form_field.spec.kind is FieldKind.FILES:
            break
        fields.append(form_field)
        if len(fields) == MAX_INPUTS:
            break
    return tuple(fields)


def submitted_values(data: Mapping[str, Any]) -> dict[str, str]:
    """Text inputs of a modal submit, by custom id, whether Discord sends them in action
    rows (type 1) or in labels (type 18, for modals built with labels)."""
    values: dict[str, str] = {}
    for top in data.get("components") or []:
        inner = top.get("components") or ([top["component"]] if "component" in top else [])
        for component in inner:
            if "custom_id" in component and isinstance(component.get("value"), str):
                values[component["custom_id"]] = component["value"]
    return values


async def conversation_of(store: Store, user_id: str) -> ConversationRecord | None:
    """Where the customer stands, as last committed."""
    customer = await store.customer_by_identity(PLATFORM, user_id)
    return await store.conversation(customer.id) if customer is not None else None


class TicketModal(discord.ui.Modal):
    """Only a container: submits are handled from the raw interaction (see module doc)."""


@dataclass(slots=True)
class Pending:
    """Modal answers waiting for the engine to ask for them, in the form's order."""

    interaction_id: int
    customer: CustomerRef
    category: str
    answers: list[tuple[str, str]]
    step: int
    created: float = field(default_factory=time.monotonic)


class ModalIntake:
    def __init__(self, runtime: Runtime, inbound: Inbound) -> None:
        self.runtime = runtime
        self.inbound = inbound
        self.forms = runtime.engine.config.forms
        self._pending: dict[str, Pending] = {}
        inbound.after_store = self.resume

    # -- opening -------------------------------------------------------------------------------
    async def open(self, interaction: discord.Interaction[Any], category: str | None) -> None:
        """Show the modal; without a (known) category, start the intake in the DMs."""
        if self.inbound.stopping:
            return
        if category not in self.forms.categories or not modal_fields(self.forms, category):
            await self.inbound.command(interaction, Command.NEW)
            return
        language = await self.inbound.language_of(interaction)
        await acknowledge(interaction.response.send_modal(
            self.build(category, language)))

    def build(self, category: str, language: str) -> TicketModal:
        translator = self.runtime.translator
        title = translator.render(Text("discord-modal-title",
                                       {"category": category_text(category)}), language)
        modal = TicketModal(title=shorten_to(title, TITLE_LIMIT),
                            custom_id=MODAL_PREFIX + category, timeout=MODAL_TIMEOUT)
        for form_field in modal_fields(self.forms, category):
            spec = form_field.spec
            is_text = spec.kind is FieldKind.TEXT
            max_length = min(spec.max_length, INPUT_LIMIT) if is_text else 254
            text_input: discord.ui.TextInput[TicketModal] = discord.ui.TextInput(
                custom_id=form_field.name,
                style=(discord.TextStyle.paragraph if max_length > LONG_INPUT
                       else discord.TextStyle.short),
                required=True,
                # The core strips what people type before checking its length; Discord
                # counts spaces, so its minimum is only a first hint.
                min_length=min(spec.min_length, max_length) if is_text else None,
                max_length=max_length,
            )
            label = translator.render(Text(f"field-{form_field.name}-label"), language)
            prompt = translator.render(Text(f"field-{form_field.name}-prompt"), language)
            modal.add_item(discord.ui.Label(text=shorten_to(label, LABEL_LIMIT),
                                            description=shorten_to(prompt, DESCRIPTION_LIMIT),
                                            component=text_input))
        return modal

    # -- submitting ----------------------------------------------------------------------------
    async def submit(self, interaction: discord.Interaction[Any]) -> None:
        if self.inbound.stopping:
            return
        data: Mapping[str, Any] = interaction.data or {}
        category = str(data.get("custom_id", ""))[len(MODAL_PREFIX):]
        async with self.inbound.tracked():
            await acknowledge(interaction.response.defer(ephemeral=True, thinking=True))
            customer = await self.inbound.reach(interaction)
            if customer is None:
                return
            if not await self._start(interaction, customer, category, submitted_values(data)):
                await self.inbound.apologise(interaction)
                return
            await self.inbound.point_to_answer(interaction)

    async def _start(self, interaction: discord.Interaction[Any], customer: CustomerRef,
                     category: str, values: Mapping[str, str]) -> bool:
        """"New ticket", then the category if the engine asks for one; False if not stored."""
        self._forget_stale()
        new = CustomerCommand(interaction_event_id(interaction.id, 1), customer, Command.NEW)
        if not await self.inbound.store(new, notify=False):
            return False
        conversation = await conversation_of(self.runtime.store, customer.user_id)
        if conversation is None or conversation.state != CATEGORY \
                or category not in self.forms.categories:
            return True  # the engine said why not (a form in progress, too many tickets...)
        press = ButtonPress(interaction_event_id(interaction.id, 2), customer, f"cat:{category}")
        if not await self.inbound.store(press, notify=False):
            return False
        answers = [(f.name, values.get(f.name, "")) for f in modal_fields(self.forms, category)]
        self._pending[customer.user_id] = Pending(interaction.id, customer, category,
                                                  [(n, v) for n, v in answers if v], step=3)
        await self.resume(customer.user_id)
        return True

    async def resume(self, user_id: str) -> None:
        """Give the waiting answers while the engine asks for exactly them, in order."""
        pending = self._pending.get(user_id)
        if pending is not None and time.monotonic() - pending.created > PENDING_FOR:
            pending = None
        while pending is not None and pending.answers:
            conversation = await conversation_of(self.runtime.store, user_id)
            if conversation is None or conversation.data.get("category") != pending.category:
                break  # cancelled, finished, or another intake: the answers are not wanted
            if conversation.state != FIELD:
                if "field" in conversation.data:
                    break  # past the fields already (the summary): nothing left to answer
                return  # a step before the fields (a priority choice): wait for it
            name, value = pending.answers[0]
            if conversation.data.get("field") != name:
                break  # the engine asks for something else (it refused the last answer)
            pending.answers.pop(0)
            answer = CustomerText(interaction_event_id(pending.interaction_id, pending.step),
                                  pending.customer, value)
            pending.step += 1
            if not await self.inbound.store(answer, notify=False):
                break
        self._pending.pop(user_id, None)

    def _forget_stale(self) -> None:
        now = time.monotonic()
        for user_id in [u for u, p in self._pending.items() if now - p.created > PENDING_FOR]:
            del self._pending[user_id]
