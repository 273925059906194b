"""The vocabulary of the support desk: statuses, priorities, categories, commands."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING = "waiting"  # waiting for the customer
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def is_active(self) -> bool:
        """Active tickets take follow-ups; resolved and closed ones do not."""
        return self in ACTIVE_STATUSES


ACTIVE_STATUSES = frozenset({Status.NEW, Status.OPEN, Status.WAITING})

# Who may move a ticket from one status to another; anything else is refused.
ALLOWED_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED}),
    Status.OPEN: frozenset({Status.WAITING, Status.RESOLVED, Status.CLOSED}),
    Status.WAITING: frozenset({Status.OPEN, Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.OPEN}),
}


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """Higher ranks sort first wherever agents look."""
        return PRIORITY_ORDER.index(self)


PRIORITY_ORDER = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)


class Command(StrEnum):
    """What a customer can ask for; each chat app maps its commands and buttons onto these."""

    START = "start"
    HELP = "help"
    NEW = "new"
    TICKETS = "tickets"
    STATUS = "status"
    ARTICLES = "articles"
    LANGUAGE = "language"
    CANCEL = "cancel"
    CLOSE = "close"
    REOPEN = "reopen"
    REMIND = "remind"  # no answer in the promised time: nudge the agents
    PRIVACY = "privacy"  # a copy of my data, or erase it (GDPR / RODO)
    UNKNOWN = "unknown"  # a command we do not know; the argument holds what was typed


class AgentOp(StrEnum):
    """What an agent can do to a ticket from the desk."""

    CLAIM = "claim"
    ASSIGN = "assign"
    RELEASE = "release"
    PRIORITY = "priority"
    ASK_INFO = "ask_info"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    CLOSE = "close"
    BLOCK = "block"
    UNBLOCK = "unblock"
    CANNED = "canned"  # reply with the canned reply named in the value


class AuthorKind(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"
