"""What the engine needs to know, built once at start-up from the settings and data files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

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
