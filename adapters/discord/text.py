"""Discord's text rules: 2,000 characters a message, and Markdown that inserted text must not use.

Discord counts a message's length in Unicode code points, which is what ``len`` counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import discord.utils

from bot.actions import Text
from bot.i18n import Translator

MAX_MESSAGE = 2000

# Help articles are Markdown written by the support team, and Discord renders Markdown well;
# everything else inserted into a message (what customers and agents typed, subjects, file
# names) is escaped so that it shows exactly as typed: no bold, spoilers or masked links.
TRUSTED_KEYS = frozenset({"kb-article"})

# Where a long message is best cut, in order of preference.
_BREAKS = ("\n\n", "\n", " ")


def escape(text: str) -> str:
    return discord.utils.escape_markdown(text)


def render(translator: Translator, texts: Iterable[Text], language: str) -> str:
    """The texts in the person's language, one per line, with inserted text escaped."""
    def escaper(text: Text) -> Callable[[str], str] | None:
        return None if text.key in TRUSTED_KEYS else escape

    return "\n".join(translator.render(t, language, escape=escaper(t)) for t in texts)


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Cut ``text`` into parts of at most ``limit`` characters, at paragraph, line or word
    boundaries where there is one in the second half of the window; never returns nothing."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].strip()
    if rest or not parts:
        parts.append(rest)
    return parts


def _cut_point(text: str, limit: int) -> int:
    window = text[: limit + 1]
    for separator in _BREAKS:
        at = window.rfind(separator, 0, limit)
        if at >= limit // 2:
            return at
    for separator in _BREAKS:  # a short first part is better than a word cut in two
        at = window.rfind(separator, 0, limit)
        if at > 0:
            return at
    cut = limit
    if text[cut - 1] == "\\":  # keep an escape and the character it escapes together
        cut -= 1
    return cut


def fit_parts(parts: list[str], count: int, limit: int = MAX_MESSAGE) -> list[str]:
    """At most ``count`` parts: the overflow joins the last one, shortened with an ellipsis.

    An edit cannot add messages to what the customer already has, so an edited text that
    has grown past its messages' room is cut at the end (rare: edits fix typos)."""
    if len(parts) <= count:
        return parts
    head, tail = parts[: count - 1], "\n".join(parts[count - 1:])
    if len(tail) > limit:
        tail = split_message(tail, limit - 1)[0] + "…"
    return [*head, tail]


def shorten_to(text: str, limit: int) -> str:
    """Cut a label to Discord's limit for it, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
