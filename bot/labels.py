"""Message keys for the names of things: statuses, priorities, categories, form fields."""

from __future__ import annotations

from bot.actions import Text


def status_text(status: str) -> Text:
    return Text(f"status-{status}")


def priority_text(priority: str) -> Text:
    return Text(f"priority-{priority}")


def category_text(category: str) -> Text:
    return Text(f"category-{category}")


def field_label(name: str) -> Text:
    return Text(f"field-{name}-label")
