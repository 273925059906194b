"""Block Kit rendering: the ticket's root message, the Ask modal, and customers' messages.

Pure functions of what the store holds and the time: no Slack calls here. Every text that
came from a person (customer or agent) goes through ``mrkdwn.escape`` / ``mrkdwn.quote``;
every label comes from ``locales/<lang>/*.ftl`` in the desk's (or the customer's) language.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from adapters.slack.mrkdwn import chunks, escape, quote, truncate
from bot.actions import Param, Text
from bot.i18n import Translator, language_names
from bot.labels import category_text, field_label, priority_text
from bot.model import ACTIVE_STATUSES, PRIORITY_ORDER, Status
from bot.text import shorten
from bot.views import TicketView
from storage.records import MessageRecord, TicketRecord

Block = dict[str, Any]

# Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
SECTION_TEXT = 3000
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
MAX_BLOCKS = 50
MAX_ACTIONS = 25
MESSAGE_TEXT = 39_000  # Slack truncates at 40,000; stay clear of it

ACTION_PREFIX = "desk:"
CLAIM, PRIORITY, ASK, RESOLVE, CLOSE, REOPEN = (
    "desk:claim", "desk:priority", "desk:ask", "desk:resolve", "desk:close", "desk:reopen")
ASK_CALLBACK = "desk:ask"
ASK_BLOCK, ASK_INPUT = "question", "value"
CUSTOMER_ACTION_PREFIX = "cust:"

# The desk names statuses from the agents' side ("waiting for the customer").
STATUS_LABELS = {
    Status.NEW: Text("slack-status-new"),
    Status.OPEN: Text("slack-status-open"),
    Status.WAITING: Text("slack-status-waiting"),
    Status.RESOLVED: Text("slack-status-resolved"),
    Status.CLOSED: Text("slack-status-closed"),
}


def plain(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_TEXT)}}


def button(action_id: str, label: str, value: str, *, style: str | None = None) -> Block:
    element: Block = {"type": "button", "action_id": action_id, "value": value,
                      "text": plain(label, BUTTON_TEXT)}
    if style:
        element["style"] = style
    return element


def status_label(status: str) -> Text:
    try:
        return STATUS_LABELS[Status(status)]
    except ValueError:
        return Text("slack-status-open")


class DeskRenderer:
    """What agents see, in the desk's language."""

    def __init__(self, translator: Translator, language: str,
                 clock: Callable[[], datetime]) -> None:
        self.translator = translator
        self.language = language
        self.clock = clock

    def t(self, text: Text) -> str:
        """A message in the desk's language, with people's words in it escaped."""
        return self.translator.render(text, self.language, escape=escape)

    def text(self, key: str, **params: Param) -> str:
        return self.t(Text(key, params))

    # -- the root message of a ticket's thread ----------------------------------------------------
    def fallback(self, ticket: TicketRecord) -> str:
        """The notification text of the root message (shown where blocks are not)."""
        return self.t(Text("slack-root-fallback", {"id": ticket.id, "subject": ticket.subject}))

    def root(self, view: TicketView) -> list[Block]:
        """The ticket at a glance, with the buttons agents act with."""
        return [*self.details(view), self.actions(view.ticket)]

    def details(self, view: TicketView) -> list[Block]:
        ticket, customer = view.ticket, view.customer
        header = self.translator.render(
            Text("slack-root-header", {"id": ticket.id, "subject": ticket.subject}),
            self.language)  # plain_text: nothing to escape
        language = language_names().get(view.customer_language, view.customer_language)
        customer_value = self.t(Text("slack-customer-value", {
            "name": customer.display_name or "?", "platform": customer.platform,
            "language": language}))
        fields = [
            (Text("slack-label-customer"), customer_value),
            (Text("slack-label-category"), self.t(category_text(ticket.category))),
            (Text("slack-label-priority"), self.t(priority_text(ticket.priority))),
            (Text("slack-label-status"), self.t(status_label(ticket.status))),
            (Text("slack-label-assignee"), escape(ticket.assignee_name)
             if ticket.assignee_name else self.t(Text("desk-unassigned"))),
            (Text("slack-label-due"), self.due(ticket)),
        ]
        blocks: list[Block] = [
            {"type": "header", "text": plain(header, HEADER_TEXT)},
            {"type": "section", "fields": [
                {"type": "mrkdwn", "text": truncate(f"*{self.t(label)}*\n{value}", FIELD_TEXT)}
                for label, value in fields]},
        ]
        entries = []
        if view.description:
            entries.append((field_label("description"), view.description))
        entries += [(field_label(name), str(value)) for name, value in ticket.fields.items()
                    if value not in ("", None)]
        blocks += self.field_sections(entries)
        names = [a.name or "file" for a in view.attachments]
        if names:
            listing = ", ".join(escape(n) for n in names)
            blocks.append({"type": "context", "elements": [{
                "type": "mrkdwn",
                "text": truncate(f"📎 *{self.t(Text('slack-label-attachments'))}:* {listing}",
                                 FIELD_TEXT)}]})
        return blocks

    def field_sections(self, entries: Sequence[tuple[Text, str]]) -> list[Block]:
        """Form answers, quoted, packed into as few sections as their length allows."""
        sections: list[str] = []
        for label, value in entries:
            entry = truncate(f"*{self.t(label)}*\n{quote(value)}", SECTION_TEXT - 100)
            if sections and len(sections[-1]) + len(entry) + 1 <= SECTION_TEXT - 100:
                sections[-1] += "\n" + entry
            else:
                sections.append(entry)
        return [section(s) for s in sections[:20]]

    def due(self, ticket: TicketRecord) -> str:
        if ticket.first_response_at is not None:
            return self.t(Text("slack-due-answered", {"at": ticket.first_response_at}))
        if ticket.first_response_due is None:
            return self.t(Text("slack-due-none"))
        due = self.translator.format_time(ticket.first_response_due, self.language)
        if Status(ticket.status) in ACTIVE_STATUSES and ticket.first_response_due < self.clock():
            return self.t(Text("slack-due-overdue", {"due": due}))
        return due

    def actions(self, ticket: TicketRecord) -> Block:
        value = str(ticket.id)
        options = [self.priority_option(p) for p in reversed(PRIORITY_ORDER)]
        select: Block = {
            "type": "static_select", "action_id": PRIORITY, "options": options,
            "placeholder": plain(self.t(Text("slack-priority-placeholder")), BUTTON_TEXT),
        }
        current = next((o for o in options if o["value"] == ticket.priority), None)
        if current is not None:
            select["initial_option"] = current
        elements = [button(CLAIM, self.t(Text("slack-button-claim")), value, style="primary"),
                    select,
                    button(ASK, self.t(Text("slack-button-ask")), value)]
        status = Status(ticket.status)
        if status is Status.RESOLVED:
            elements += [button(REOPEN, self.t(Text("slack-button-reopen")), value),
                         button(CLOSE, self.t(Text("slack-button-close")), value,
                                style="danger")]
        elif status is Status.CLOSED:
            elements.append(button(REOPEN, self.t(Text("slack-button-reopen")), value))
        else:
            elements += [button(RESOLVE, self.t(Text("slack-button-resolve")), value),
                         button(CLOSE, self.t(Text("slack-button-close")), value,
                                style="danger")]
        # The select carries no value of its own: the block id names the ticket.
        return {"type": "actions", "block_id": f"{ACTION_PREFIX}{ticket.id}",
                "elements": elements}

    def priority_option(self, priority: str) -> Block:
        return {"text": plain(self.translator.render(priority_text(priority), self.language),
                              BUTTON_TEXT), "value": str(priority)}

    # -- the Ask for info modal -------------------------------------------------------------------
    def ask_modal(self, ticket_id: int) -> Block:
        title = self.translator.render(Text("slack-ask-title"), self.language)
        return {
            "type": "modal",
            "callback_id": ASK_CALLBACK,
            "private_metadata": json.dumps({"ticket": ticket_id}),
            "title": plain(title, 24),
            "submit": plain(self.translator.render(Text("slack-ask-submit"), self.language), 24),
            "close": plain(self.translator.render(Text("slack-ask-cancel"), self.language), 24),
            "blocks": [{
                "type": "input", "block_id": ASK_BLOCK,
                "label": plain(self.translator.render(Text("slack-ask-label"), self.language),
                               2000),
                "hint": plain(self.translator.render(Text("slack-ask-hint"), self.language),
                              2000),
                "element": {"type": "plain_text_input", "action_id": ASK_INPUT,
                            "multiline": True, "max_length": 3000},
            }],
        }

    # -- /ticket answers --------------------------------------------------------------------------
    def ticket_line(self, ticket: TicketRecord, customer_name: str) -> str:
        return self.t(Text("desk-ticket-line", {
            "id": ticket.id, "priority": priority_text(ticket.priority),
            "status": status_label(ticket.status), "subject": shorten(ticket.subject, 80),
            "customer": customer_name or "?"}))

    def summary(self, view: TicketView, permalink: str | None, *, recent: int = 5) -> list[Block]:
        """One ticket for the /ticket command: details, latest messages, link to the thread."""
        blocks = self.details(view)
        later = [m for m in view.messages[1:] if m.body][-recent:]
        if later:
            lines = [f"*{self.t(Text('slack-recent'))}*"]
            lines += [self.recent_line(view, m) for m in later]
            blocks.append(section("\n".join(lines)))
        if permalink:
            label = self.t(Text("slack-open-thread"))
            blocks.append(section(f"<{permalink}|{label}>"))
        return blocks[:MAX_BLOCKS]

    def recent_line(self, view: TicketView, message: MessageRecord) -> str:
        text = shorten(message.body, 200)
        if message.author_kind == "customer":
            key = "slack-recent-customer"
            name = view.customer.display_name or "?"
        else:
            key = "slack-recent-note" if message.internal else "slack-recent-agent"
            name = message.author_name or "?"
        return "• " + self.t(Text(key, {"name": name, "text": text}))


def customer_blocks(text: str, buttons: Sequence[tuple[str, str]]) -> list[Block]:
    """A message to a customer: its text in sections, its buttons as Block Kit buttons.

    ``buttons`` are (label, data) pairs; ``data`` goes back unchanged as the button's value,
    and the action id only numbers the button (``cust:<n>``) so ids stay unique.
    """
    blocks: list[Block] = []
    if text:
        blocks += [section(piece) for piece in chunks(text, SECTION_TEXT) if piece]
    elements = [button(f"{CUSTOMER_ACTION_PREFIX}{n}", label, data)
                for n, (label, data) in enumerate(buttons)]
    room = MAX_BLOCKS - len(blocks)
    for start in range(0, len(elements), MAX_ACTIONS):
        if room <= 0:
            break
        blocks.append({"type": "actions", "elements": elements[start:start + MAX_ACTIONS]})
        room -= 1
    return blocks[:MAX_BLOCKS]
