"""Inbound events: one frozen dataclass per kind of thing a person does.

Adapters build these from platform updates; the engine consumes them. Every event carries an
``event_id`` that is unique per platform delivery, so a re-delivered update is recognised.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.model import AgentOp, Command


@dataclass(frozen=True, slots=True)
class CustomerRef:
    """Who wrote, and where replies go, in the platform's own terms."""

    platform: str
    user_id: str
    chat_id: str
    display_name: str = ""
    locale: str | None = None
    timezone: str | None = None  # IANA name, where the platform tells it (Slack does)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file, with what is needed to fetch it again from its platform."""

    kind: str  # photo, document, voice, video, file
    file_ref: str
    name: str = ""
    mime_type: str = ""
    size: int = 0
    source: str = ""  # the platform holding the file; its adapter can fetch it again


@dataclass(frozen=True, slots=True)
class AgentRef:
    platform: str
    user_id: str
    name: str


@dataclass(frozen=True, slots=True)
class CustomerText:
    event_id: str
    customer: CustomerRef
    text: str


@dataclass(frozen=True, slots=True)
class CustomerFile:
    event_id: str
    customer: CustomerRef
    attachment: Attachment
    caption: str = ""


@dataclass(frozen=True, slots=True)
class CustomerCommand:
    event_id: str
    customer: CustomerRef
    command: Command
    argument: str = ""


@dataclass(frozen=True, slots=True)
class ButtonPress:
    event_id: str
    customer: CustomerRef
    data: str


@dataclass(frozen=True, slots=True)
class UnsupportedContent:
    """Something the bot cannot take into a ticket (a sticker, a location, a poll...)."""

    event_id: str
    customer: CustomerRef
    kind: str


@dataclass(frozen=True, slots=True)
class AgentReply:
    event_id: str
    agent: AgentRef
    ticket_id: int
    text: str
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class AgentNote:
    event_id: str
    agent: AgentRef
    ticket_id: int
    text: str


@dataclass(frozen=True, slots=True)
class AgentAction:
    event_id: str
    agent: AgentRef
    ticket_id: int
    op: AgentOp
    value: str = ""


@dataclass(frozen=True, slots=True)
class AgentEdit:
    """An agent changed a reply they sent; ``original_event_id`` names that reply."""

    event_id: str
    agent: AgentRef
    ticket_id: int
    original_event_id: str
    text: str


@dataclass(frozen=True, slots=True)
class AgentDelete:
    event_id: str
    agent: AgentRef
    ticket_id: int
    original_event_id: str


@dataclass(frozen=True, slots=True)
class AgentAvailability:
    """An agent says whether new tickets may be assigned to them (round robin)."""

    event_id: str
    agent: AgentRef
    available: bool


CustomerEvent = CustomerText | CustomerFile | CustomerCommand | ButtonPress | UnsupportedContent
TicketAgentEvent = AgentReply | AgentNote | AgentAction | AgentEdit | AgentDelete
AgentEvent = TicketAgentEvent | AgentAvailability
InboundEvent = CustomerEvent | AgentEvent
