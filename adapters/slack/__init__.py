"""Slack: the agents' desk (one thread per ticket in the agents' channel) and a customer chat
app (workspace members who message the bot directly)."""

from __future__ import annotations

from adapters.slack.app import SlackApp
from bot.runtime import Runtime


def create(runtime: Runtime) -> SlackApp:
    return SlackApp(runtime)


__all__ = ["SlackApp", "create"]
