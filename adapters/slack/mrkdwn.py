"""Slack's mrkdwn both ways: people's words shown safely, and agents' words made plain.

Whatever a customer wrote is escaped (``&``, ``<``, ``>``) and quoted before it reaches the
agents' channel, so ``<!channel>``, ``<@U…>`` or ``<http://evil|a link>`` typed by a customer
never pings anyone nor reads as the bot's own words. The other way, an agent's Slack message
arrives in Slack's wire format (entities escaped, links and mentions in angle brackets) and is
turned into plain text before it goes to a customer on another chat app.
"""

from __future__ import annotations

import re

_ANGLE = re.compile(r"<([^<>]*)>")
_SPECIALS = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}


def escape(text: str) -> str:
    """Text that Slack shows literally: no mentions, links or entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(text: str) -> str:
    """Escaped and block-quoted, line by line (a quote shows it is someone else's words)."""
    if not text:
        return ""
    return "\n".join(f"> {line}" if line else ">" for line in escape(text).split("\n"))


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut with an ellipsis (Block Kit rejects longer text)."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def chunks(text: str, limit: int) -> list[str]:
    """Split at line breaks (or spaces) into pieces of at most ``limit`` characters."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut <= limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _plain_entity(inner: str) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):  # a user mention: the name Slack showed, or the id
        return f"@{label}" if label else target
    if target.startswith("#"):
        return f"#{label}" if label else target
    if target.startswith("!"):
        special = target[1:].split("^")[0]
        if special in _SPECIALS:
            return _SPECIALS[special]
        return label or special
    if target.startswith("mailto:"):
        return label or target[len("mailto:"):]
    if label and label != target:
        return f"{label} ({target})"
    return target


def to_plain(text: str) -> str:
    """An agent's Slack message as plain text for a customer on any chat app."""
    plain = _ANGLE.sub(lambda m: _plain_entity(m.group(1)), text)
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
