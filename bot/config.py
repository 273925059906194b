"""What the engine needs to know, built once at start-up from the settings and data files."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import timedelta

from bot.canned import CannedReplies
from bot.forms import FormBook
from bot.knowledge import KnowledgeBase
from bot.sla import ResponsePolicy


@dataclass(frozen=True, slots=True)
class EngineConfig:
    knowledge: KnowledgeBase
    forms: FormBook
    policy: ResponsePolicy
    default_language: str = "pl"
    tickets_page_size: int = 5
    team_name: str = "Support"
    show_agent_names: bool = True
    max_text_length: int = 20_000  # longer messages are refused with a clear reason, not cut
    max_attachments: int = 10
    agent_edit_window: timedelta = timedelta(minutes=15)
    canned: CannedReplies = field(default_factory=lambda: CannedReplies({}))
    priority_customers: tuple[str, ...] = ()  # fnmatch patterns over "platform:user_id"
    supervisor: str = ""
    messages_per_minute: int = 20
    # Follow-ups within this time of the customer's previous one go in without a confirmation.
    follow_up_quiet: timedelta = timedelta(minutes=5)
    max_open_tickets: int = 5
    auto_close_after: timedelta = timedelta(days=7)
    auto_assign: bool = False
    # Long enough for any platform's re-delivery (Slack: minutes, Telegram: a day), short
    # enough that Telegram's update ids, which may restart after a quiet week, never collide.
    dedup_window: timedelta = timedelta(days=3)

    def may_choose_priority(self, platform: str, user_id: str) -> bool:
        identity = f"{platform}:{user_id}"
        return any(fnmatch.fnmatchcase(identity, p) for p in self.priority_customers)
