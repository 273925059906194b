"""The customer's side of the conversation: menu, self-service, intake, status, follow-ups.

State between messages lives in the ``conversations`` table (saved in the same transaction as
everything else the event changes), never in process memory, so a restart continues where the
customer stood. Button data is short and stateless, so old buttons still mean the same thing.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.actions import (
    Button,
    DeskEvent,
    Text,
    attachment_from_dict,
    attachment_to_dict,
    attachments_from_json,
    attachments_to_json,
)
from bot.config import EngineConfig
from bot.events import (
    Attachment,
    ButtonPress,
    CustomerCommand,
    CustomerEvent,
    CustomerFile,
    CustomerText,
    UnsupportedContent,
)
from bot.fair_use import THROTTLE_NOTICE_EVERY, take_token
from bot.forms import FieldKind, FormField
from bot.i18n import SUPPORTED_LANGUAGES, language_names
from bot.model import AuthorKind, Command, Priority, Status
from bot.text import clean_text, shorten
from bot.timers import OVERDUE, mark_overdue, response_period
from bot.turn import Actor, Turn
from storage.records import CustomerRecord, TicketRecord

# Conversation states.
KB = "kb"
CATEGORY = "category"
FIELD = "field"
CONFIRM = "confirm"
EDIT = "edit"
PICK_TICKET = "pick_ticket"
PRIORITY = "priority"
RATING_COMMENT = "rating_comment"

# Priorities a customer on a priority plan may pick; "low" is for agents to set.
CUSTOMER_PRIORITIES = (Priority.NORMAL, Priority.HIGH, Priority.URGENT)
RATING_COMMENT_LIMIT = 1000

HISTORY_LIMIT = 10
_MARKUP = re.compile(r"\*\*|__|`")
ARTICLE_EXCERPT = 280


def status_text(status: str) -> Text:
    return Text(f"status-{status}")


def priority_text(priority: str) -> Text:
    return Text(f"priority-{priority}")


def category_text(category: str) -> Text:
    return Text(f"category-{category}")


def field_label(name: str) -> Text:
    return Text(f"field-{name}-label")


class CustomerFlow:
    """Applies one customer event. Built per event; holds no state of its own beyond it."""

    def __init__(
        self,
        config: EngineConfig,
        turn: Turn,
        customer: CustomerRecord,
        language: str,
    ) -> None:
        self.config = config
        self.turn = turn
        self.tx = turn.tx
        self.customer = customer
        self.lang = language
        self.actor = Actor(AuthorKind.CUSTOMER, str(customer.id), customer.display_name)
        record = self.tx.conversation(customer.id)
        self.state: str | None = record.state if record else None
        self.data: dict[str, Any] = record.data if record else {}

    # -- entry ---------------------------------------------------------------------------------
    def handle(self, event: CustomerEvent) -> None:
        if self.customer.blocked:
            self.say(Text("blocked"))
            return
        if not self.within_fair_use(event):
            return
        match event:
            case CustomerCommand():
                self.on_command(event.command, event.argument.strip())
            case ButtonPress():
                self.on_button(event.data)
            case CustomerText():
                self.on_text(clean_text(event.text), event.event_id)
            case CustomerFile():
                self.on_file(event.attachment, clean_text(event.caption), event.event_id)
            case UnsupportedContent():
                self.say(Text("unsupported-content", {"kind": event.kind}),
                         *self.current_prompt())

    # -- fair use ------------------------------------------------------------------------------
    def within_fair_use(self, event: CustomerEvent) -> bool:
        """Take a token from the customer's bucket; over the limit, keep what they wrote."""
        allowed, tokens = take_token(self.customer.rate_tokens, self.customer.rate_updated_at,
                                     self.turn.now, self.config.messages_per_minute)
        first_time = self.customer.throttled_at is None or \
            self.turn.now - self.customer.throttled_at >= THROTTLE_NOTICE_EVERY
        throttled_at = self.customer.throttled_at
        if not allowed and first_time:
            throttled_at = self.turn.now
        self.tx.set_customer_rate(self.customer.id, tokens, self.turn.now, throttled_at)
        if allowed:
            return True
        self.keep_throttled(event, announce=first_time)
        if first_time:
            self.say(Text("throttled", {"per_minute": self.config.messages_per_minute}))
        return False

    def keep_throttled(self, event: CustomerEvent, *, announce: bool) -> None:
        text = clean_text(event.text) if isinstance(event, CustomerText) else ""
        files: tuple[Attachment, ...] = ()
        if isinstance(event, CustomerFile):
            text, files = clean_text(event.caption), (event.attachment,)
        if not text and not files:
            return  # a button press or a command: nothing the customer wrote to keep
        active = self.tx.customer_tickets(self.customer.id, active_only=True, limit=1)
        if active:
            ticket = active[0]
            message_id = self.tx.add_message(
                ticket_id=ticket.id, author_kind=AuthorKind.CUSTOMER,
                author_id=str(self.customer.id), author_name=self.customer.display_name,
                body=text, attachments_json=attachments_to_json(files),
                event_id=event.event_id, now=self.turn.now)
            self.turn.tell_desk(ticket.id, DeskEvent.CUSTOMER_MESSAGE, message_id=message_id)
            if announce:
                self.turn.tell_desk(ticket.id, DeskEvent.ALERT, text=Text(
                    "desk-throttled", {"id": ticket.id, "name": self.customer.display_name,
                                       "per_minute": self.config.messages_per_minute}))
        else:
            self.tx.hold_message(self.customer.id, text, attachments_to_json(files),
                                 event.event_id, self.turn.now)

    # -- saying things -------------------------------------------------------------------------
    def say(self, *texts: Text, buttons: tuple[Button, ...] = (),
            ticket_id: int | None = None) -> None:
        self.turn.say(self.customer, self.lang, *texts, buttons=buttons, ticket_id=ticket_id)

    def menu_buttons(self) -> tuple[Button, ...]:
        return (
            Button(Text("button-new-ticket"), "m:new"),
            Button(Text("button-my-tickets"), "m:tickets"),
            Button(Text("button-articles"), "m:articles"),
            Button(Text("button-language"), "m:lang"),
        )

    def set_state(self, state: str | None, data: dict[str, Any] | None = None) -> None:
        self.state, self.data = state, data or {}
        if state is None:
            self.tx.clear_conversation(self.customer.id)
        else:
            self.tx.save_conversation(self.customer.id, state, self.data, self.turn.now)

    # -- commands ------------------------------------------------------------------------------
    def on_command(self, command: Command, argument: str) -> None:
        match command:
            case Command.START | Command.HELP:
                self.say(Text("welcome"),
                         buttons=self.menu_buttons())
                if self.state is not None:
                    self.say(Text("form-in-progress"), *self.current_prompt_texts(),
                             buttons=self.current_buttons())
            case Command.NEW:
                self.start_intake(prefill={})
            case Command.TICKETS:
                self.show_ticket_list(page=_int(argument) or 1)
            case Command.STATUS:
                self.show_status(argument)
            case Command.ARTICLES:
                self.show_article_list()
            case Command.LANGUAGE:
                self.choose_language(argument.lower())
            case Command.CANCEL:
                self.cancel()
            case Command.CLOSE:
                self.close_ticket(_int(argument))
            case Command.REOPEN:
                self.reopen_ticket(_int(argument))
            case Command.REMIND:
                self.remind(_int(argument))
            case Command.UNKNOWN:
                self.say(Text("unknown-command", {"command": shorten(argument, 40)}),
                         buttons=self.menu_buttons())

    def cancel(self) -> None:
        if self.state is None:
            self.say(Text("nothing-to-cancel"), buttons=self.menu_buttons())
            return
        self.set_state(None)
        self.say(Text("cancelled"), buttons=self.menu_buttons())

    def choose_language(self, code: str) -> None:
        if code in SUPPORTED_LANGUAGES:
            self.tx.set_customer_language(self.customer.id, code)
            self.lang = code
            self.say(Text("language-set"), buttons=self.menu_buttons())
            return
        self.say(Text("language-choose"), buttons=tuple(
            Button(Text("language-name", {"name": name}), f"lang:{code}")
            for code, name in language_names().items()
        ))

    # -- buttons -------------------------------------------------------------------------------
    def on_button(self, data: str) -> None:
        verb, _, arg = data.partition(":")
        match verb:
            case "m":
                self.on_menu(arg)
            case "lang":
                self.choose_language(arg)
            case "cat" if self.state == CATEGORY:
                self.pick_category(arg)
            case "prio" if self.state == PRIORITY:
                self.pick_priority(arg)
            case "remind":
                self.remind(_int(arg))
            case "rate":
                number, _, stars = arg.partition(":")
                self.rate(_int(number), _int(stars))
            case "rc" if self.state == RATING_COMMENT:
                self.set_state(None)
                self.say(Text("rating-comment-skipped"), buttons=self.menu_buttons())
            case "f" if self.state in (FIELD, CONFIRM, EDIT):
                self.on_form_button(arg)
            case "e" if self.state == EDIT:
                self.edit_field(arg)
            case "kb":
                self.on_kb_button(arg)
            case "t":
                self.show_status(arg)
            case "tl":
                self.show_ticket_list(page=_int(arg) or 1)
            case "fu" if self.state == PICK_TICKET:
                self.pick_follow_up_ticket(arg)
            case "close":
                self.close_ticket(_int(arg))
            case "reopen":
                self.reopen_ticket(_int(arg))
            case _:
                self.say(Text("button-expired"), *self.current_prompt_texts(),
                         buttons=self.current_buttons() or self.menu_buttons())

    def on_menu(self, arg: str) -> None:
        commands = {"new": Command.NEW, "tickets": Command.TICKETS,
                    "articles": Command.ARTICLES, "lang": Command.LANGUAGE,
                    "help": Command.HELP}
        command = commands.get(arg)
        if command is None:
            self.say(Text("button-expired"), buttons=self.menu_buttons())
        else:
            self.on_command(command, "")

    # -- free text -----------------------------------------------------------------------------
    def on_text(self, text: str, event_id: str) -> None:
        if not text:
            self.say(Text("error-empty"), *self.current_prompt())
            return
        if len(text) > self.config.max_text_length:
            self.say(Text("error-too-long",
                          {"length": len(text), "max": self.config.max_text_length}),
                     *self.current_prompt())
            return
        match self.state:
            case None:
                self.follow_up_or_self_service(text, (), event_id)
            case "kb":
                self.self_service(text)
            case "field":
                self.answer_field(text)
            case "rating_comment":
                self.save_rating_comment(text)
            case "pick_ticket":
                self.data["text"] = f"{self.data.get('text', '')}\n{text}".strip()
                self.set_state(PICK_TICKET, self.data)
                self.say(Text("follow-up-pick"), buttons=self.current_buttons())
            case _:
                self.say(Text("use-buttons"), *self.current_prompt_texts(),
                         buttons=self.current_buttons())

    def on_file(self, attachment: Attachment, caption: str, event_id: str) -> None:
        stored = attachment_to_dict(attachment)
        if self.state in (FIELD, CONFIRM, EDIT, CATEGORY, KB):
            files = self.data.setdefault("attachments", [])
            if len(files) >= self.config.max_attachments:
                self.say(Text("too-many-files", {"max": self.config.max_attachments}),
                         *self.current_prompt_texts(), buttons=self.current_buttons())
                return
            files.append(stored)
            if caption and self.state == FIELD and self.current_field_kind() != FieldKind.FILES:
                self.set_state(self.state, self.data)
                self.answer_field(caption)
                return
            self.set_state(self.state, self.data)
            self.say(Text("file-added", {"count": len(files)}), *self.current_prompt_texts(),
                     buttons=self.current_buttons())
            return
        if self.state == PICK_TICKET:
            self.data.setdefault("attachments", []).append(stored)
            self.set_state(PICK_TICKET, self.data)
            self.say(Text("follow-up-pick"), buttons=self.current_buttons())
            return
        self.follow_up_or_self_service(caption, (attachment,), event_id)

    # -- follow-ups ----------------------------------------------------------------------------
    def follow_up_or_self_service(
        self, text: str, attachments: tuple[Attachment, ...], event_id: str
    ) -> None:
        active = self.tx.customer_tickets(self.customer.id, active_only=True, limit=6)
        if len(active) == 1:
            self.add_follow_up(active[0], text, attachments, event_id)
        elif active:
            self.set_state(PICK_TICKET, {
                "text": text, "attachments": [attachment_to_dict(a) for a in attachments],
            })
            self.say(Text("follow-up-pick"), buttons=self.current_buttons())
        else:
            latest = self.tx.customer_tickets(self.customer.id, limit=1)
            last = latest[0] if latest else None
            if last is not None and last.status == Status.RESOLVED:
                # A reply before the quiet period ends belongs in the resolved ticket.
                self.turn.set_status(last, Status.OPEN, self.actor)
                self.turn.tell_desk(last.id, DeskEvent.UPDATED,
                                    text=Text("desk-customer-reopened", {"id": last.id}))
                self.add_follow_up(last, text, attachments, event_id, reopened=True)
                return
            related = last.id if last is not None and last.status == Status.CLOSED else None
            if attachments:
                self.start_intake(prefill={"description": text} if text else {},
                                  attachments=[attachment_to_dict(a) for a in attachments],
                                  related=related)
            else:
                self.self_service(text, related=related)

    def add_follow_up(
        self,
        ticket: TicketRecord,
        text: str,
        attachments: tuple[Attachment, ...],
        event_id: str | None,
        *,
        reopened: bool = False,
    ) -> None:
        message_id = self.tx.add_message(
            ticket_id=ticket.id,
            author_kind=AuthorKind.CUSTOMER,
            author_id=str(self.customer.id),
            author_name=self.customer.display_name,
            body=text,
            attachments_json=attachments_to_json(attachments),
            event_id=event_id,
            now=self.turn.now,
        )
        if ticket.status == Status.WAITING:
            self.turn.set_status(ticket, Status.OPEN, self.actor)
        else:
            self.tx.update_ticket(ticket.id, self.turn.now)
        self.turn.tell_desk(ticket.id, DeskEvent.CUSTOMER_MESSAGE, message_id=message_id)
        key = "ticket-reopened-by-reply" if reopened else "follow-up-added"
        self.say(Text(key, {"id": ticket.id}), ticket_id=ticket.id)

    def pick_follow_up_ticket(self, arg: str) -> None:
        text = self.data.get("text", "")
        files = self.data.get("attachments", [])
        if arg == "new":
            self.start_intake(prefill={"description": text} if text else {}, attachments=files)
            return
        ticket = self.own_ticket(_int(arg))
        if ticket is None or not Status(ticket.status).is_active:
            self.say(Text("ticket-not-found", {"id": arg}), buttons=self.current_buttons())
            return
        self.set_state(None)
        self.add_follow_up(ticket, text, tuple(attachment_from_dict(a) for a in files), None)

    # -- self-service --------------------------------------------------------------------------
    def self_service(self, question: str, *, related: int | None = None) -> None:
        articles = self.config.knowledge.search(question, self.lang, limit=3)
        data: dict[str, Any] = {"question": question, **_keep_files(self.data)}
        if related is not None:
            data["related"] = related
        self.set_state(KB, data)
        linked = (Text("kb-closed-ticket-linked", {"id": related}),) if related else ()
        if not articles:
            self.say(Text("kb-nothing-found"), *linked, buttons=(
                Button(Text("button-open-ticket"), "kb:new"),
                Button(Text("button-articles"), "m:articles"),
            ))
            return
        texts = [Text("kb-found", {"count": len(articles)})]
        texts += [Text("kb-article-excerpt", {
            "title": a.title, "excerpt": shorten(_plain(a.body), ARTICLE_EXCERPT),
        }) for a in articles]
        buttons = tuple(Button(Text("button-read", {"title": shorten(a.title, 40)}),
                               f"kb:a:{a.slug}") for a in articles)
        self.say(*texts, Text("kb-did-it-help"), *linked, buttons=(
            *buttons,
            Button(Text("button-helped"), "kb:ok"),
            Button(Text("button-open-ticket"), "kb:new"),
        ))

    def on_kb_button(self, arg: str) -> None:
        if arg.startswith("a:"):
            article = self.config.knowledge.get(arg[2:], self.lang)
            if article is None:
                self.say(Text("button-expired"), buttons=self.menu_buttons())
                return
            buttons: tuple[Button, ...] = (
                (Button(Text("button-helped"), "kb:ok"),
                 Button(Text("button-open-ticket"), "kb:new"))
                if self.state == KB else self.menu_buttons()
            )
            self.say(Text("kb-article", {"title": article.title, "body": article.body}),
                     buttons=buttons)
        elif arg == "ok":
            if self.state == KB:
                self.set_state(None)
            self.say(Text("kb-glad"), buttons=self.menu_buttons())
        elif arg == "new":
            question = self.data.get("question", "") if self.state == KB else ""
            files = self.data.get("attachments", []) if self.state == KB else []
            related = _int(self.data.get("related")) if self.state == KB else None
            self.start_intake(prefill={"description": question} if question else {},
                              attachments=files, related=related)
        else:
            self.say(Text("button-expired"), buttons=self.menu_buttons())

    def show_article_list(self) -> None:
        articles = self.config.knowledge.articles(self.lang)[:20]
        if not articles:
            self.say(Text("kb-empty"), buttons=self.menu_buttons())
            return
        self.say(Text("kb-list"), buttons=tuple(
            Button(Text("button-read", {"title": shorten(a.title, 40)}), f"kb:a:{a.slug}")
            for a in articles
        ))

    # -- intake form ---------------------------------------------------------------------------
    def start_intake(self, *, prefill: dict[str, str],
                     attachments: list[dict[str, Any]] | None = None,
                     related: int | None = None) -> None:
        if self.state in (FIELD, CONFIRM, EDIT, PRIORITY):
            self.say(Text("form-in-progress"), *self.current_prompt_texts(),
                     buttons=self.current_buttons())
            return
        open_count = self.tx.count_active_tickets(self.customer.id)
        if open_count >= self.config.max_open_tickets:
            self.say(Text("too-many-open-tickets", {"count": open_count}),
                     buttons=(Button(Text("button-my-tickets"), "m:tickets"),))
            return
        data: dict[str, Any] = {"values": prefill, "attachments": attachments or []}
        if related is not None:
            data["related"] = related
        self.set_state(CATEGORY, data)
        self.say(*self.current_prompt_texts(), buttons=self.current_buttons())

    def pick_category(self, category: str) -> None:
        if category not in self.config.forms.categories:
            self.say(Text("button-expired"), *self.current_prompt_texts(),
                     buttons=self.current_buttons())
            return
        self.data["category"] = category
        if self.config.may_choose_priority(self.customer.platform,
                                           self.customer.platform_user_id):
            self.set_state(PRIORITY, self.data)
            self.say(*self.current_prompt_texts(), buttons=self.current_buttons())
            return
        self.advance()

    def pick_priority(self, value: str) -> None:
        if value not in CUSTOMER_PRIORITIES:
            self.say(Text("button-expired"), *self.current_prompt_texts(),
                     buttons=self.current_buttons())
            return
        self.data["priority"] = value
        self.advance()

    def form_fields(self) -> tuple[FormField, ...]:
        return self.config.forms.fields(self.data["category"])

    def next_field(self) -> FormField | None:
        values = self.data.get("values", {})
        return next((f for f in self.form_fields() if f.name not in values), None)

    def advance(self) -> None:
        """Ask for the next unanswered field, or show the summary when none is left."""
        field = self.next_field()
        if field is None:
            self.set_state(CONFIRM, self.data)
        else:
            self.data["field"] = field.name
            self.set_state(FIELD, self.data)
        self.say(*self.current_prompt_texts(), buttons=self.current_buttons())

    def current_field(self) -> FormField | None:
        if self.state != FIELD:
            return None
        return self.config.forms.field(self.data["category"], self.data["field"])

    def current_field_kind(self) -> FieldKind | None:
        field = self.current_field()
        return field.spec.kind if field else None

    def answer_field(self, text: str) -> None:
        field = self.current_field()
        if field is None:
            self.set_state(None)
            self.say(Text("button-expired"), buttons=self.menu_buttons())
            return
        if field.spec.kind is FieldKind.FILES:
            self.say(Text("form-send-files"), buttons=self.current_buttons())
            return
        value, problem = field.spec.check(text)
        if problem is not None:
            self.say(problem, *self.current_prompt_texts(), buttons=self.current_buttons())
            return
        self.data.setdefault("values", {})[field.name] = value
        self.finish_field()

    def finish_field(self) -> None:
        if self.data.pop("editing", False):
            self.set_state(CONFIRM, self.data)
            self.say(*self.current_prompt_texts(), buttons=self.current_buttons())
        else:
            self.advance()

    def on_form_button(self, arg: str) -> None:
        field = self.current_field()
        if arg in ("skip", "done") and field is not None:
            if arg == "skip" and field.required:
                self.say(Text("form-required"), *self.current_prompt_texts(),
                         buttons=self.current_buttons())
                return
            self.data.setdefault("values", {})[field.name] = ""
            self.finish_field()
        elif arg == "ok" and self.state == CONFIRM:
            self.submit()
        elif arg == "edit" and self.state == CONFIRM:
            self.set_state(EDIT, self.data)
            self.say(*self.current_prompt_texts(), buttons=self.current_buttons())
        elif arg == "back" and self.state == EDIT:
            self.set_state(CONFIRM, self.data)
            self.say(*self.current_prompt_texts(), buttons=self.current_buttons())
        elif arg == "cancel":
            self.cancel()
        else:
            self.say(Text("button-expired"), *self.current_prompt_texts(),
                     buttons=self.current_buttons())

    def edit_field(self, name: str) -> None:
        if self.config.forms.field(self.data["category"], name) is None:
            self.say(Text("button-expired"), buttons=self.current_buttons())
            return
        self.data["field"] = name
        self.data["editing"] = True
        self.set_state(FIELD, self.data)
        self.say(*self.current_prompt_texts(), buttons=self.current_buttons())

    def submit(self) -> None:
        values: dict[str, str] = dict(self.data.get("values", {}))
        missing = [f.name for f in self.form_fields() if f.required and not values.get(f.name)
                   and f.spec.kind is not FieldKind.FILES]
        if missing:
            self.data["field"] = missing[0]
            self.set_state(FIELD, self.data)
            self.say(Text("form-required"), *self.current_prompt_texts(),
                     buttons=self.current_buttons())
            return
        category = self.data["category"]
        priority = Priority(self.data.get("priority", Priority.NORMAL))
        due = self.config.policy.first_response_due(self.turn.now, priority)
        subject = values.pop("subject", "") or shorten(values.get("description", ""), 80)
        description = values.pop("description", "")
        fields = {k: v for k, v in values.items() if v}
        ticket_id = self.tx.insert_ticket(
            customer_id=self.customer.id,
            category=category,
            subject=subject,
            fields=fields,
            status=Status.NEW,
            priority=priority,
            first_response_due=due,
            now=self.turn.now,
        )
        files = tuple(attachment_from_dict(a) for a in self.data.get("attachments", []))
        self.tx.add_message(
            ticket_id=ticket_id,
            author_kind=AuthorKind.CUSTOMER,
            author_id=str(self.customer.id),
            author_name=self.customer.display_name,
            body=description,
            attachments_json=attachments_to_json(files),
            now=self.turn.now,
        )
        self.tx.add_ticket_event(
            ticket_id=ticket_id, actor_kind=AuthorKind.CUSTOMER, actor_id=str(self.customer.id),
            actor_name=self.customer.display_name, kind="created", old_value=None,
            new_value=Status.NEW, now=self.turn.now,
        )
        self.tx.add_timer(ticket_id, OVERDUE, due, self.turn.now)
        related = _int(self.data.get("related"))
        if related is not None and self.own_ticket(related) is not None:
            self.tx.update_ticket(ticket_id, self.turn.now, related_ticket_id=related)
            self.tx.add_ticket_event(
                ticket_id=ticket_id, actor_kind=AuthorKind.CUSTOMER,
                actor_id=str(self.customer.id), actor_name=self.customer.display_name,
                kind="linked", old_value=None, new_value=str(related), now=self.turn.now)
        self.set_state(None)
        self.turn.tell_desk(ticket_id, DeskEvent.CREATED)
        if self.config.auto_assign:
            self.auto_assign(ticket_id)
        self.say(Text("ticket-created", {"id": ticket_id, "due": self.local(due)}),
                 buttons=self.menu_buttons(), ticket_id=ticket_id)

    def auto_assign(self, ticket_id: int) -> None:
        agent = self.tx.next_available_agent(self.turn.now)
        if agent is None:
            return
        ticket = self.tx.ticket(ticket_id)
        assert ticket is not None
        agent_id, name = agent
        self.tx.update_ticket(ticket_id, self.turn.now, assignee_id=agent_id,
                              assignee_name=name)
        self.turn.record(ticket, Actor(AuthorKind.SYSTEM), "assignee", None, name)

    def local(self, moment: datetime) -> datetime:
        """A time as the customer's clock shows it, when their app tells us their zone."""
        if self.customer.timezone:
            with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
                return moment.astimezone(ZoneInfo(self.customer.timezone))
        return moment

    # -- where the customer stands ---------------------------------------------------------------
    def current_prompt(self) -> tuple[Text, ...]:
        """Texts that remind the customer of the step they are on (none when idle)."""
        return self.current_prompt_texts()

    def current_prompt_texts(self) -> tuple[Text, ...]:
        match self.state:
            case "category":
                return (Text("form-choose-category"),)
            case "field":
                field = self.current_field()
                if field is None:
                    return ()
                prompt = Text(f"field-{field.name}-prompt")
                hint = Text("form-optional") if not field.required else None
                if field.spec.kind is FieldKind.FILES:
                    files = len(self.data.get("attachments", []))
                    return (prompt, Text("form-files-so-far", {"count": files}))
                return (prompt, hint) if hint else (prompt,)
            case "confirm":
                return self.summary()
            case "edit":
                return (Text("form-choose-field"),)
            case "pick_ticket":
                return (Text("follow-up-pick"),)
            case "priority":
                return (Text("form-choose-priority"),)
            case "rating_comment":
                return (Text("rating-ask-comment"),)
            case "kb":
                return (Text("kb-did-it-help"),)
        return ()

    def current_buttons(self) -> tuple[Button, ...]:
        match self.state:
            case "category":
                return (*(Button(category_text(c), f"cat:{c}")
                          for c in self.config.forms.categories),
                        Button(Text("button-cancel"), "f:cancel"))
            case "field":
                field = self.current_field()
                if field is None:
                    return ()
                buttons: list[Button] = []
                if field.spec.kind is FieldKind.FILES:
                    buttons.append(Button(Text("button-done"), "f:done"))
                elif not field.required:
                    buttons.append(Button(Text("button-skip"), "f:skip"))
                buttons.append(Button(Text("button-cancel"), "f:cancel"))
                return tuple(buttons)
            case "confirm":
                return (Button(Text("button-confirm"), "f:ok"),
                        Button(Text("button-edit"), "f:edit"),
                        Button(Text("button-cancel"), "f:cancel"))
            case "edit":
                return (*(Button(field_label(f.name), f"e:{f.name}")
                          for f in self.form_fields() if f.spec.kind is not FieldKind.FILES),
                        Button(Text("button-back"), "f:back"))
            case "pick_ticket":
                active = self.tx.customer_tickets(self.customer.id, active_only=True, limit=5)
                return (*(Button(Text("button-ticket", {"id": t.id,
                                                        "subject": shorten(t.subject, 30)}),
                                 f"fu:{t.id}") for t in active),
                        Button(Text("button-new-ticket"), "fu:new"))
            case "kb":
                return (Button(Text("button-helped"), "kb:ok"),
                        Button(Text("button-open-ticket"), "kb:new"))
            case "priority":
                return (*(Button(priority_text(p), f"prio:{p}") for p in CUSTOMER_PRIORITIES),
                        Button(Text("button-cancel"), "f:cancel"))
            case "rating_comment":
                return (Button(Text("button-skip"), "rc:skip"),)
        return ()

    def summary(self) -> tuple[Text, ...]:
        values = self.data.get("values", {})
        lines = [Text("summary-title"),
                 Text("summary-line", {"label": Text("summary-category"),
                                       "value": category_text(self.data["category"])})]
        if "priority" in self.data:
            lines.append(Text("summary-line", {"label": Text("summary-priority"),
                                               "value": priority_text(self.data["priority"])}))
        for field in self.form_fields():
            if field.spec.kind is FieldKind.FILES:
                continue
            value = values.get(field.name, "")
            lines.append(Text("summary-line", {
                "label": field_label(field.name),
                "value": value if value else Text("summary-empty"),
            }))
        lines.append(Text("summary-files", {"count": len(self.data.get("attachments", []))}))
        return (*lines, Text("summary-confirm"))

    # -- status and history ----------------------------------------------------------------------
    def own_ticket(self, ticket_id: int | None) -> TicketRecord | None:
        """A ticket of this customer; someone else's number is treated as a missing one."""
        if ticket_id is None:
            return None
        ticket = self.tx.ticket(ticket_id)
        return ticket if ticket is not None and ticket.customer_id == self.customer.id else None

    def show_status(self, argument: str) -> None:
        number = _int(argument.lstrip("#"))
        if number is None:
            active = self.tx.customer_tickets(self.customer.id, active_only=True, limit=2)
            if len(active) == 1:
                number = active[0].id
            else:
                self.show_ticket_list(page=1)
                return
        ticket = self.own_ticket(number)
        if ticket is None:
            self.say(Text("ticket-not-found", {"id": argument or "?"}),
                     buttons=self.menu_buttons())
            return
        texts = [Text("ticket-status", {
            "id": ticket.id, "subject": ticket.subject, "status": status_text(ticket.status),
            "category": category_text(ticket.category), "created": ticket.created_at,
        })]
        if ticket.status in (Status.NEW, Status.OPEN) and ticket.first_response_at is None \
                and ticket.first_response_due is not None:
            texts.append(Text("ticket-expect-answer",
                              {"due": self.local(ticket.first_response_due)}))
        texts.extend(self.history(ticket))
        buttons = [Button(Text("button-my-tickets"), "m:tickets")]
        if self.may_remind(ticket):
            buttons.insert(0, Button(Text("button-remind"), f"remind:{ticket.id}"))
        if Status(ticket.status).is_active:
            buttons.insert(0, Button(Text("button-close-ticket"), f"close:{ticket.id}"))
        else:
            buttons.insert(0, Button(Text("button-reopen-ticket"), f"reopen:{ticket.id}"))
        self.say(*texts, buttons=tuple(buttons), ticket_id=ticket.id)

    def history(self, ticket: TicketRecord) -> list[Text]:
        entries: list[tuple[Any, int, Text]] = []
        for message in self.tx.ticket_messages(ticket.id):
            if message.internal:
                continue
            body = shorten(message.body, 500) if message.body else ""
            if message.author_kind == AuthorKind.AGENT:
                entries.append((message.created_at, message.id, Text("history-agent", {
                    "at": message.created_at, "text": body,
                    "name": self.agent_display_name(message.author_name),
                })))
            else:
                files = len(attachments_from_json(message.attachments))
                entries.append((message.created_at, message.id, Text("history-customer", {
                    "at": message.created_at, "text": body, "files": files,
                })))
        for event in self.tx.ticket_events(ticket.id):
            if event.kind == "status" and event.new_value:
                entries.append((event.created_at, event.id, Text("history-status", {
                    "at": event.created_at, "status": status_text(event.new_value),
                })))
        entries.sort(key=lambda e: (e[0], e[1]))
        shown = [text for _, _, text in entries[-HISTORY_LIMIT:]]
        if len(entries) > HISTORY_LIMIT:
            shown.insert(0, Text("history-more", {"count": len(entries) - HISTORY_LIMIT}))
        return [Text("history-title"), *shown] if shown else []

    def agent_display_name(self, name: str) -> str:
        return name if self.config.show_agent_names and name else self.config.team_name

    def show_ticket_list(self, *, page: int) -> None:
        size = self.config.tickets_page_size
        total = self.tx.count_customer_tickets(self.customer.id)
        if total == 0:
            self.say(Text("tickets-none"), buttons=(
                Button(Text("button-new-ticket"), "m:new"),))
            return
        pages = (total + size - 1) // size
        page = min(max(page, 1), pages)
        tickets = self.tx.customer_tickets(self.customer.id, limit=size,
                                           offset=(page - 1) * size)
        texts = [Text("tickets-header", {"count": total, "page": page, "pages": pages})]
        texts += [Text("tickets-line", {
            "id": t.id, "subject": shorten(t.subject, 60), "status": status_text(t.status),
            "updated": t.updated_at,
        }) for t in tickets]
        buttons = [Button(Text("button-ticket", {"id": t.id, "subject": shorten(t.subject, 30)}),
                          f"t:{t.id}") for t in tickets]
        if page > 1:
            buttons.append(Button(Text("button-previous"), f"tl:{page - 1}"))
        if page < pages:
            buttons.append(Button(Text("button-next"), f"tl:{page + 1}"))
        self.say(*texts, buttons=tuple(buttons))

    # -- reminders -------------------------------------------------------------------------------
    def may_remind(self, ticket: TicketRecord) -> bool:
        return (ticket.status in (Status.NEW, Status.OPEN) and ticket.first_response_at is None
                and ticket.first_response_due is not None
                and self.turn.now >= ticket.first_response_due)

    def remind(self, number: int | None) -> None:
        if number is None:
            active = self.tx.customer_tickets(self.customer.id, active_only=True, limit=2)
            number = active[0].id if len(active) == 1 else None
        ticket = self.own_ticket(number)
        if ticket is None:
            self.say(Text("ticket-not-found", {"id": number or "?"}),
                     buttons=self.menu_buttons())
            return
        if ticket.status not in (Status.NEW, Status.OPEN) or ticket.first_response_at:
            self.say(Text("reminder-not-needed", {"id": ticket.id}), ticket_id=ticket.id)
            return
        due = ticket.first_response_due
        if due is not None and self.turn.now < due:
            self.say(Text("reminder-too-early", {"id": ticket.id, "due": self.local(due)}),
                     ticket_id=ticket.id)
            return
        period = response_period(self.config, ticket.priority)
        if ticket.reminded_at is not None and self.turn.now - ticket.reminded_at < period:
            self.say(Text("reminder-already", {
                "id": ticket.id, "next": self.local(ticket.reminded_at + period),
            }), ticket_id=ticket.id)
            return
        self.tx.update_ticket(ticket.id, self.turn.now, reminded_at=self.turn.now)
        self.turn.record(ticket, self.actor, "reminder", None, None)
        mark_overdue(self.turn, self.config, ticket)
        self.turn.tell_desk(ticket.id, DeskEvent.ALERT, text=Text("desk-reminder", {
            "id": ticket.id, "name": self.customer.display_name,
        }))
        self.say(Text("reminder-sent", {"id": ticket.id}), ticket_id=ticket.id)

    # -- satisfaction ----------------------------------------------------------------------------
    def rate(self, number: int | None, stars: int | None) -> None:
        ticket = self.own_ticket(number)
        if ticket is None or stars is None or not 1 <= stars <= 5 \
                or ticket.status not in (Status.RESOLVED, Status.CLOSED):
            self.say(Text("button-expired"), buttons=self.menu_buttons())
            return
        if ticket.rating is not None:
            self.say(Text("rating-already", {"id": ticket.id}), buttons=self.menu_buttons())
            return
        self.tx.update_ticket(ticket.id, self.turn.now, rating=stars)
        self.turn.record(ticket, self.actor, "rating", None, str(stars))
        self.turn.tell_desk(ticket.id, DeskEvent.UPDATED,
                            text=Text("desk-rated", {"id": ticket.id, "stars": stars}))
        self.set_state(RATING_COMMENT, {"ticket": ticket.id})
        self.say(Text("rating-thanks", {"stars": stars}), Text("rating-ask-comment"),
                 buttons=self.current_buttons(), ticket_id=ticket.id)

    def save_rating_comment(self, text: str) -> None:
        ticket = self.own_ticket(_int(self.data.get("ticket")))
        self.set_state(None)
        if ticket is None:
            self.say(Text("button-expired"), buttons=self.menu_buttons())
            return
        comment = shorten(text, RATING_COMMENT_LIMIT)
        self.tx.update_ticket(ticket.id, self.turn.now, rating_comment=comment)
        self.turn.record(ticket, self.actor, "rating_comment", None, comment)
        self.turn.tell_desk(ticket.id, DeskEvent.UPDATED, text=Text(
            "desk-rating-comment", {"id": ticket.id, "text": comment}))
        self.say(Text("rating-comment-thanks"), buttons=self.menu_buttons(), ticket_id=ticket.id)

    # -- closing and reopening -------------------------------------------------------------------
    def close_ticket(self, number: int | None) -> None:
        ticket = self.own_ticket(number)
        if ticket is None:
            self.say(Text("ticket-not-found", {"id": number or "?"}),
                     buttons=self.menu_buttons())
            return
        if ticket.status == Status.CLOSED:
            self.say(Text("ticket-already-closed", {"id": ticket.id}),
                     buttons=self.menu_buttons())
            return
        self.turn.set_status(ticket, Status.CLOSED, self.actor)
        self.turn.tell_desk(ticket.id, DeskEvent.UPDATED,
                            text=Text("desk-customer-closed", {"id": ticket.id}))
        self.say(Text("ticket-closed-by-you", {"id": ticket.id}),
                 buttons=(Button(Text("button-reopen-ticket"), f"reopen:{ticket.id}"),),
                 ticket_id=ticket.id)

    def reopen_ticket(self, number: int | None) -> None:
        ticket = self.own_ticket(number)
        if ticket is None:
            self.say(Text("ticket-not-found", {"id": number or "?"}),
                     buttons=self.menu_buttons())
            return
        if Status(ticket.status).is_active:
            self.say(Text("ticket-still-open", {"id": ticket.id}), buttons=self.menu_buttons())
            return
        self.turn.set_status(ticket, Status.OPEN, self.actor)
        self.turn.tell_desk(ticket.id, DeskEvent.UPDATED,
                            text=Text("desk-customer-reopened", {"id": ticket.id}))
        self.say(Text("ticket-reopened-by-you", {"id": ticket.id}), ticket_id=ticket.id)


def _int(text: str | int | None) -> int | None:
    if isinstance(text, int):
        return text
    try:
        return int(str(text).strip().lstrip("#"))
    except (TypeError, ValueError):
        return None


def _keep_files(data: dict[str, Any]) -> dict[str, Any]:
    return {"attachments": data["attachments"]} if data.get("attachments") else {}


def _plain(markdown: str) -> str:
    """Markdown to one plain line, for excerpts."""
    lines = [line.lstrip("#>*- ").strip() for line in markdown.splitlines()]
    text = " ".join(line for line in lines if line)
    return _MARKUP.sub("", text)
