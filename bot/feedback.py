"""What a customer tells the desk about its service: reminders when an answer is late, and a
satisfaction rating with an optional comment after resolution."""

from __future__ import annotations

from datetime import datetime

from bot.actions import Button, DeskEvent, Text
from bot.conversation import Conversation, parse_number
from bot.model import Status
from bot.text import shorten
from bot.timers import mark_overdue, response_period
from storage.records import TicketRecord

RATING_COMMENT = "rating_comment"
RATING_COMMENT_LIMIT = 1000


def may_remind(ticket: TicketRecord, now: datetime) -> bool:
    """A reminder makes sense once the promised time passed with no answer."""
    return (ticket.status in (Status.NEW, Status.OPEN) and ticket.first_response_at is None
            and ticket.first_response_due is not None and now >= ticket.first_response_due)


class Feedback:
    def __init__(self, conv: Conversation) -> None:
        self.conv = conv

    def remind(self, number: int | None) -> None:
        conv, now = self.conv, self.conv.turn.now
        if number is None:
            active = conv.tx.customer_tickets(conv.customer.id, active_only=True, limit=2)
            number = active[0].id if len(active) == 1 else None
        ticket = conv.own_ticket(number)
        if ticket is None:
            conv.not_found(number)
            return
        if ticket.status not in (Status.NEW, Status.OPEN) or ticket.first_response_at:
            conv.say(Text("reminder-not-needed", {"id": ticket.id}), ticket_id=ticket.id)
            return
        due = ticket.first_response_due
        if due is not None and now < due:
            conv.say(Text("reminder-too-early", {"id": ticket.id, "due": conv.local(due)}),
                     ticket_id=ticket.id)
            return
        period = response_period(conv.config, ticket.priority)
        if ticket.reminded_at is not None and now - ticket.reminded_at < period:
            conv.say(Text("reminder-already", {
                "id": ticket.id, "next": conv.local(ticket.reminded_at + period),
            }), ticket_id=ticket.id)
            return
        conv.tx.update_ticket(ticket.id, now, reminded_at=now)
        conv.turn.record(ticket, conv.actor, "reminder", None, None)
        mark_overdue(conv.turn, conv.config, ticket)
        conv.turn.tell_desk(ticket.id, DeskEvent.ALERT, text=Text("desk-reminder", {
            "id": ticket.id, "name": conv.customer.display_name,
        }))
        conv.say(Text("reminder-sent", {"id": ticket.id}), ticket_id=ticket.id)

    def rate(self, argument: str) -> None:
        conv = self.conv
        number, _, stars_text = argument.partition(":")
        ticket, stars = conv.own_ticket(parse_number(number)), parse_number(stars_text)
        if ticket is None or stars is None or not 1 <= stars <= 5 \
                or ticket.status not in (Status.RESOLVED, Status.CLOSED):
            conv.say(Text("button-expired"), buttons=conv.menu_buttons())
            return
        if ticket.rating is not None:
            conv.say(Text("rating-already", {"id": ticket.id}), buttons=conv.menu_buttons())
            return
        conv.tx.update_ticket(ticket.id, conv.turn.now, rating=stars)
        conv.turn.record(ticket, conv.actor, "rating", None, str(stars))
        conv.turn.tell_desk(ticket.id, DeskEvent.UPDATED,
                            text=Text("desk-rated", {"id": ticket.id, "stars": stars}))
        conv.set_state(RATING_COMMENT, {"ticket": ticket.id})
        conv.say(Text("rating-thanks", {"stars": stars}), *conv.prompt(),
                 buttons=conv.buttons(), ticket_id=ticket.id)

    def comment(self, text: str) -> None:
        conv = self.conv
        ticket = conv.own_ticket(parse_number(conv.data.get("ticket")))
        conv.set_state(None)
        if ticket is None:
            conv.say(Text("button-expired"), buttons=conv.menu_buttons())
            return
        comment = shorten(text, RATING_COMMENT_LIMIT)
        conv.tx.update_ticket(ticket.id, conv.turn.now, rating_comment=comment)
        conv.turn.record(ticket, conv.actor, "rating_comment", None, comment)
        conv.turn.tell_desk(ticket.id, DeskEvent.UPDATED, text=Text(
            "desk-rating-comment", {"id": ticket.id, "text": comment}))
        conv.say(Text("rating-comment-thanks"), buttons=conv.menu_buttons(), ticket_id=ticket.id)

    def skip_comment(self) -> None:
        self.conv.set_state(None)
        self.conv.say(Text("rating-comment-skipped"), buttons=self.conv.menu_buttons())

    def prompt(self, state: str) -> tuple[Text, ...] | None:
        return (Text("rating-ask-comment"),) if state == RATING_COMMENT else None

    def buttons(self, state: str) -> tuple[Button, ...] | None:
        return (Button(Text("button-skip"), "rc:skip"),) if state == RATING_COMMENT else None
