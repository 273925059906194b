"""The customer's side of the conversation: routes each event to the step it belongs to.

State between messages lives in the ``conversations`` table (saved in the same transaction as
everything else the event changes), never in process memory, so a restart continues where the
customer stood. Button data is short and stateless ("verb:argument"), so old buttons still
mean the same thing after a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.actions import Button, Text
from bot.config import EngineConfig
from bot.conversation import Conversation, parse_number
from bot.events import (
    Attachment,
    ButtonPress,
    CustomerCommand,
    CustomerEvent,
    CustomerFile,
    CustomerText,
    UnsupportedContent,
)
from bot.fair_use import admit
from bot.feedback import RATING_COMMENT, Feedback
from bot.followups import PICK_TICKET, FollowUps
from bot.i18n import SUPPORTED_LANGUAGES, language_names
from bot.intake import CATEGORY, EDIT, FIELD, PRIORITY, Intake
from bot.model import Command, Priority
from bot.privacy_requests import KINDS as PRIVACY_KINDS
from bot.privacy_requests import offer_privacy_options, parse_kind, request_privacy
from bot.self_service import KB, SelfService
from bot.text import clean_text, shorten
from bot.ticket_views import TicketViews
from bot.turn import Turn
from storage.records import CustomerRecord

MENU_COMMANDS: Mapping[str, Command] = MappingProxyType({
    "new": Command.NEW, "tickets": Command.TICKETS, "articles": Command.ARTICLES,
    "lang": Command.LANGUAGE, "help": Command.HELP, "privacy": Command.PRIVACY,
})
# States in which a file joins the ticket being prepared.
_FORM_STATES = frozenset({CATEGORY, PRIORITY, FIELD, "confirm", EDIT, KB})


class CustomerFlow:
    """Applies one customer event. Built per event; holds no state of its own beyond it."""

    def __init__(self, config: EngineConfig, turn: Turn, customer: CustomerRecord,
                 language: str) -> None:
        self.conv = conv = Conversation(config, turn, customer, language)
        self.intake = Intake(conv)
        self.self_service = SelfService(conv, self.intake)
        self.followups = FollowUps(conv, self.intake, self.self_service)
        self.tickets = TicketViews(conv)
        self.feedback = Feedback(conv)
        conv.steps = [self.intake, self.self_service, self.followups, self.feedback]

    def handle(self, event: CustomerEvent) -> None:
        try:
            self._handle(event)
        finally:
            # The steps and the conversation refer to each other. Parted here, the event's
            # objects are freed at once instead of by the cyclic garbage collector, whose
            # passes cost about a tenth of the writer's time under a burst.
            self.conv.steps = []

    def _handle(self, event: CustomerEvent) -> None:
        conv = self.conv
        if conv.customer.blocked:
            conv.say(Text("blocked"))
            return
        if not admit(conv, event):
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
                conv.reprompt(Text("unsupported-content", {"kind": event.kind}))

    # -- commands ------------------------------------------------------------------------------
    def on_command(self, command: Command, argument: str) -> None:
        conv = self.conv
        match command:
            case Command.START | Command.HELP:
                conv.say(Text("welcome"), buttons=conv.menu_buttons())
                if conv.state is not None:
                    conv.reprompt(Text("form-in-progress"))
            case Command.NEW:
                self.intake.start(prefill={})
            case Command.TICKETS:
                self.tickets.show_list(page=parse_number(argument) or 1)
            case Command.STATUS:
                self.tickets.show(argument)
            case Command.ARTICLES:
                self.self_service.article_list()
            case Command.LANGUAGE:
                self.choose_language(argument.lower())
            case Command.CANCEL:
                self.cancel()
            case Command.CLOSE:
                self.tickets.close(parse_number(argument))
            case Command.REOPEN:
                self.tickets.reopen(parse_number(argument))
            case Command.REMIND:
                self.feedback.remind(parse_number(argument))
            case Command.PRIVACY:
                self.privacy(parse_kind(argument))
            case Command.UNKNOWN:
                conv.say(Text("unknown-command", {"command": shorten(argument, 40)}),
                         buttons=conv.menu_buttons())

    def cancel(self) -> None:
        conv = self.conv
        if conv.state is None:
            conv.say(Text("nothing-to-cancel"), buttons=conv.menu_buttons())
            return
        conv.set_state(None)
        conv.say(Text("cancelled"), buttons=conv.menu_buttons())

    def privacy(self, kind: str | None) -> None:
        """Record a request for a copy of one's data or its erasure, for the agents."""
        conv = self.conv
        if kind is None:
            offer_privacy_options(conv.turn, conv.customer, conv.lang)
            return
        due = conv.config.policy.first_response_due(conv.turn.now, Priority.NORMAL)
        request_privacy(conv.turn, conv.customer, conv.lang, kind, first_response_due=due)

    def choose_language(self, code: str) -> None:
        conv = self.conv
        if code in SUPPORTED_LANGUAGES:
            conv.tx.set_customer_language(conv.customer.id, code)
            conv.lang = code
            conv.say(Text("language-set"), buttons=conv.menu_buttons())
            return
        conv.say(Text("language-choose"), buttons=tuple(
            Button(Text("language-name", {"name": name}), f"lang:{code}")
            for code, name in language_names().items()
        ))

    # -- buttons -------------------------------------------------------------------------------
    def on_button(self, data: str) -> None:
        state = self.conv.state
        verb, _, arg = data.partition(":")
        match verb:
            case "m" if arg in MENU_COMMANDS:
                self.on_command(MENU_COMMANDS[arg], "")
            case "lang":
                self.choose_language(arg)
            case "cat" if state == CATEGORY:
                self.intake.pick_category(arg)
            case "prio" if state == PRIORITY:
                self.intake.pick_priority(arg)
            case "f" if arg == "cancel":
                self.cancel()
            case "f" if self.intake.on_button(arg):
                pass
            case "e" if state == EDIT:
                self.intake.edit_field(arg)
            case "kb":
                self.self_service.on_button(arg)
            case "fu" if state == PICK_TICKET:
                self.followups.pick(arg)
            case "t":
                self.tickets.show(arg)
            case "tl":
                self.tickets.show_list(page=parse_number(arg) or 1)
            case "close":
                self.tickets.close(parse_number(arg))
            case "reopen":
                self.tickets.reopen(parse_number(arg))
            case "remind":
                self.feedback.remind(parse_number(arg))
            case "rate":
                self.feedback.rate(arg)
            case "rc" if state == RATING_COMMENT:
                self.feedback.skip_comment()
            case "privacy" if arg in PRIVACY_KINDS:
                self.privacy(arg)
            case _:
                conv = self.conv
                conv.say(Text("button-expired"), *conv.prompt(),
                         buttons=conv.buttons() or conv.menu_buttons())

    # -- free text and files -------------------------------------------------------------------
    def on_text(self, text: str, event_id: str) -> None:
        conv = self.conv
        if not text:
            conv.reprompt(Text("error-empty"))
            return
        limit = conv.config.max_text_length
        if len(text) > limit:
            conv.reprompt(Text("error-too-long", {"length": len(text), "max": limit}))
            return
        match conv.state:
            case None:
                self.followups.route(text, (), event_id)
            case "kb":
                self.self_service.ask(text)
            case "field":
                self.intake.answer(text)
            case "rating_comment":
                self.feedback.comment(text)
            case "pick_ticket":
                self.followups.keep(text, None)
            case _:
                conv.reprompt(Text("use-buttons"))

    def on_file(self, attachment: Attachment, caption: str, event_id: str) -> None:
        state = self.conv.state
        if state in _FORM_STATES:
            self.intake.add_file(attachment, caption)
        elif state == PICK_TICKET:
            self.followups.keep(caption, attachment)
        else:
            self.followups.route(caption, (attachment,), event_id)
