"""The intake form: category, priority where allowed, the category's fields, summary, submit."""

from __future__ import annotations

from typing import Any

from bot.actions import (
    Button,
    DeskEvent,
    Text,
    attachment_from_dict,
    attachment_to_dict,
    attachments_to_json,
)
from bot.conversation import Conversation, parse_number
from bot.events import Attachment
from bot.forms import FieldKind, FormField
from bot.labels import category_text, field_label, priority_text
from bot.model import AuthorKind, Priority, Status
from bot.text import shorten
from bot.timers import OVERDUE
from bot.turn import Actor

CATEGORY = "category"
PRIORITY = "priority"
FIELD = "field"
CONFIRM = "confirm"
EDIT = "edit"
STATES = frozenset({CATEGORY, PRIORITY, FIELD, CONFIRM, EDIT})

# Priorities a customer on a priority plan may pick; "low" is for agents to set.
CUSTOMER_PRIORITIES = (Priority.NORMAL, Priority.HIGH, Priority.URGENT)


class Intake:
    def __init__(self, conv: Conversation) -> None:
        self.conv = conv

    @property
    def data(self) -> dict[str, Any]:
        return self.conv.data

    # -- starting ------------------------------------------------------------------------------
    def start(self, *, prefill: dict[str, str], attachments: list[dict[str, Any]] | None = None,
              related: int | None = None) -> None:
        conv = self.conv
        if conv.state in (FIELD, CONFIRM, EDIT, PRIORITY):
            conv.reprompt(Text("form-in-progress"))
            return
        open_count = conv.tx.count_active_tickets(conv.customer.id)
        if open_count >= conv.config.max_open_tickets:
            conv.say(Text("too-many-open-tickets", {"count": open_count}),
                     buttons=(Button(Text("button-my-tickets"), "m:tickets"),))
            return
        data: dict[str, Any] = {"values": prefill, "attachments": attachments or []}
        if related is not None:
            data["related"] = related
        conv.set_state(CATEGORY, data)
        conv.reprompt()

    def pick_category(self, category: str) -> None:
        conv = self.conv
        if category not in conv.config.forms.categories:
            conv.reprompt(Text("button-expired"))
            return
        self.data["category"] = category
        if conv.config.may_choose_priority(conv.customer.platform,
                                           conv.customer.platform_user_id):
            conv.set_state(PRIORITY, self.data)
            conv.reprompt()
            return
        self.advance()

    def pick_priority(self, value: str) -> None:
        if value not in CUSTOMER_PRIORITIES:
            self.conv.reprompt(Text("button-expired"))
            return
        self.data["priority"] = value
        self.advance()

    # -- fields --------------------------------------------------------------------------------
    def fields(self) -> tuple[FormField, ...]:
        return self.conv.config.forms.fields(self.data["category"])

    def advance(self) -> None:
        """Ask for the next unanswered field, or show the summary when none is left."""
        values = self.data.get("values", {})
        field = next((f for f in self.fields() if f.name not in values), None)
        if field is None:
            self.conv.set_state(CONFIRM, self.data)
        else:
            self.data["field"] = field.name
            self.conv.set_state(FIELD, self.data)
        self.conv.reprompt()

    def current_field(self) -> FormField | None:
        if self.conv.state != FIELD:
            return None
        return self.conv.config.forms.field(self.data["category"], self.data["field"])

    def answer(self, text: str) -> None:
        field = self.current_field()
        if field is None:
            self.conv.set_state(None)
            self.conv.say(Text("button-expired"), buttons=self.conv.menu_buttons())
            return
        if field.spec.kind is FieldKind.FILES:
            self.conv.say(Text("form-send-files"), buttons=self.conv.buttons())
            return
        value, problem = field.spec.check(text)
        if problem is not None:
            self.conv.reprompt(problem)
            return
        self.data.setdefault("values", {})[field.name] = value
        self.finish_field()

    def add_file(self, attachment: Attachment, caption: str) -> None:
        """Files may come at any step of the form; a caption answers a text field."""
        files = self.data.setdefault("attachments", [])
        if len(files) >= self.conv.config.max_attachments:
            self.conv.reprompt(Text("too-many-files", {"max": self.conv.config.max_attachments}))
            return
        files.append(attachment_to_dict(attachment))
        self.conv.set_state(self.conv.state, self.data)
        field = self.current_field()
        if caption and field is not None and field.spec.kind is not FieldKind.FILES:
            self.answer(caption)
            return
        self.conv.reprompt(Text("file-added", {"count": len(files)}))

    def finish_field(self) -> None:
        if self.data.pop("editing", False):
            self.conv.set_state(CONFIRM, self.data)
            self.conv.reprompt()
        else:
            self.advance()

    def on_button(self, arg: str) -> bool:
        """A form button (f:...); False when it does not belong to the current step."""
        conv, field = self.conv, self.current_field()
        if arg in ("skip", "done") and field is not None:
            if arg == "skip" and field.required:
                conv.reprompt(Text("form-required"))
                return True
            self.data.setdefault("values", {})[field.name] = ""
            self.finish_field()
        elif arg == "ok" and conv.state == CONFIRM:
            self.submit()
        elif arg == "edit" and conv.state == CONFIRM:
            conv.set_state(EDIT, self.data)
            conv.reprompt()
        elif arg == "back" and conv.state == EDIT:
            conv.set_state(CONFIRM, self.data)
            conv.reprompt()
        else:
            return False
        return True

    def edit_field(self, name: str) -> None:
        if self.conv.config.forms.field(self.data["category"], name) is None:
            self.conv.reprompt(Text("button-expired"))
            return
        self.data["field"] = name
        self.data["editing"] = True
        self.conv.set_state(FIELD, self.data)
        self.conv.reprompt()

    # -- submitting ----------------------------------------------------------------------------
    def submit(self) -> None:
        conv, tx, now = self.conv, self.conv.tx, self.conv.turn.now
        values: dict[str, str] = dict(self.data.get("values", {}))
        missing = [f.name for f in self.fields() if f.required and not values.get(f.name)
                   and f.spec.kind is not FieldKind.FILES]
        if missing:
            self.data["field"] = missing[0]
            conv.set_state(FIELD, self.data)
            conv.reprompt(Text("form-required"))
            return
        priority = Priority(self.data.get("priority", Priority.NORMAL))
        due = conv.config.policy.first_response_due(now, priority)
        subject = values.pop("subject", "") or shorten(values.get("description", ""), 80)
        description = values.pop("description", "")
        customer = conv.customer
        ticket_id = tx.insert_ticket(
            customer_id=customer.id, category=self.data["category"], subject=subject,
            fields={k: v for k, v in values.items() if v}, status=Status.NEW,
            priority=priority, first_response_due=due, now=now,
        )
        files = tuple(attachment_from_dict(a) for a in self.data.get("attachments", []))
        tx.add_message(ticket_id=ticket_id, author_kind=AuthorKind.CUSTOMER,
                       author_id=str(customer.id), author_name=customer.display_name,
                       body=description, attachments_json=attachments_to_json(files), now=now)
        tx.add_ticket_event(ticket_id=ticket_id, actor_kind=AuthorKind.CUSTOMER,
                            actor_id=str(customer.id), actor_name=customer.display_name,
                            kind="created", old_value=None, new_value=Status.NEW, now=now)
        tx.add_timer(ticket_id, OVERDUE, due, now)
        related = parse_number(self.data.get("related"))
        if related is not None and conv.own_ticket(related) is not None:
            tx.update_ticket(ticket_id, now, related_ticket_id=related)
            tx.add_ticket_event(ticket_id=ticket_id, actor_kind=AuthorKind.CUSTOMER,
                                actor_id=str(customer.id), actor_name=customer.display_name,
                                kind="linked", old_value=None, new_value=str(related), now=now)
        conv.set_state(None)
        conv.turn.tell_desk(ticket_id, DeskEvent.CREATED)
        if conv.config.auto_assign:
            self.auto_assign(ticket_id)
        conv.say(Text("ticket-created", {"id": ticket_id, "due": conv.local(due)}),
                 buttons=conv.menu_buttons(), ticket_id=ticket_id)

    def auto_assign(self, ticket_id: int) -> None:
        tx, now = self.conv.tx, self.conv.turn.now
        agent = tx.next_available_agent(now)
        ticket = tx.ticket(ticket_id)
        if agent is None or ticket is None:
            return
        agent_id, name = agent
        tx.update_ticket(ticket_id, now, assignee_id=agent_id, assignee_name=name)
        self.conv.turn.record(ticket, Actor(AuthorKind.SYSTEM), "assignee", None, name)

    # -- reminding the customer where they stand -------------------------------------------------
    def prompt(self, state: str) -> tuple[Text, ...] | None:
        match state:
            case "category":
                return (Text("form-choose-category"),)
            case "priority":
                return (Text("form-choose-priority"),)
            case "field":
                field = self.current_field()
                if field is None:
                    return ()
                prompt = Text(f"field-{field.name}-prompt")
                if field.spec.kind is FieldKind.FILES:
                    files = len(self.data.get("attachments", []))
                    return (prompt, Text("form-files-so-far", {"count": files}))
                return (prompt,) if field.required else (prompt, Text("form-optional"))
            case "confirm":
                return self.summary()
            case "edit":
                return (Text("form-choose-field"),)
        return None

    def buttons(self, state: str) -> tuple[Button, ...] | None:
        cancel = Button(Text("button-cancel"), "f:cancel")
        match state:
            case "category":
                return (*(Button(category_text(c), f"cat:{c}")
                          for c in self.conv.config.forms.categories), cancel)
            case "priority":
                return (*(Button(priority_text(p), f"prio:{p}") for p in CUSTOMER_PRIORITIES),
                        cancel)
            case "field":
                field = self.current_field()
                if field is None:
                    return ()
                if field.spec.kind is FieldKind.FILES:
                    return (Button(Text("button-done"), "f:done"), cancel)
                if not field.required:
                    return (Button(Text("button-skip"), "f:skip"), cancel)
                return (cancel,)
            case "confirm":
                return (Button(Text("button-confirm"), "f:ok"),
                        Button(Text("button-edit"), "f:edit"), cancel)
            case "edit":
                return (*(Button(field_label(f.name), f"e:{f.name}")
                          for f in self.fields() if f.spec.kind is not FieldKind.FILES),
                        Button(Text("button-back"), "f:back"))
        return None

    def summary(self) -> tuple[Text, ...]:
        values = self.data.get("values", {})
        lines = [Text("summary-title"),
                 Text("summary-line", {"label": Text("summary-category"),
                                       "value": category_text(self.data["category"])})]
        if "priority" in self.data:
            lines.append(Text("summary-line", {"label": Text("summary-priority"),
                                               "value": priority_text(self.data["priority"])}))
        for field in self.fields():
            if field.spec.kind is FieldKind.FILES:
                continue
            value = values.get(field.name, "")
            lines.append(Text("summary-line", {
                "label": field_label(field.name),
                "value": value if value else Text("summary-empty"),
            }))
        lines.append(Text("summary-files", {"count": len(self.data.get("attachments", []))}))
        return (*lines, Text("summary-confirm"))
