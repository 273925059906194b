"""Telegram HTML text: escaping what people wrote, and splitting long texts under the limit.

Messages are sent with ``parse_mode=HTML``. Our templates are plain text; what customers and
agents wrote is inserted escaped (``escape``), so nobody can inject formatting or links. Telegram
refuses a text longer than 4096 characters after entity parsing, so a long text is split into
several messages at paragraph, line or word boundaries, never inside a tag or an entity, with
any open tags closed at the end of a part and opened again at the start of the next.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

MAX_MESSAGE_LENGTH = 4096

# A tag, or an entity: the pieces of HTML that must never be cut.
_MARKUP = re.compile(r"<[^<>]*>|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_TAG_NAME = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9-]*)")
_TAGS = re.compile(r"<[^<>]*>")

# Cut preferences: a paragraph break is best, then a line break, then a space.
_PARAGRAPH, _LINE, _WORD = 3, 2, 1


def escape(text: str) -> str:
    """Make inserted text inert under ``parse_mode=HTML``: only ``<``, ``>`` and ``&`` matter."""
    return html.escape(text, quote=False)


def utf16_length(text: str) -> int:
    """Telegram measures in UTF-16 code units; an emoji outside the BMP counts twice."""
    return len(text.encode("utf-16-le")) // 2


def visible_length(html_text: str) -> int:
    """Length of what a person sees: tags removed, entities counted as one character."""
    return utf16_length(html.unescape(_TAGS.sub("", html_text)))


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    width: int  # visible UTF-16 units
    tag: str = ""  # the tag's name, for tags
    closing: bool = False

    @property
    def is_space(self) -> bool:
        return not self.tag and self.text.isspace()


def _tokens(text: str) -> list[_Token]:
    """Tags and entities stay whole; plain text becomes one token per character."""
    tokens: list[_Token] = []
    position = 0
    for match in _MARKUP.finditer(text):
        tokens.extend(_Token(ch, utf16_length(ch)) for ch in text[position:match.start()])
        piece = match.group()
        if piece.startswith("<"):
            name = _TAG_NAME.match(piece)
            if name is None:  # "<>" or "< 3": not a tag Telegram knows; keep it as text
                tokens.extend(_Token(ch, utf16_length(ch)) for ch in piece)
            else:
                tokens.append(_Token(piece, 0, name.group(2).lower(), bool(name.group(1))))
        else:
            tokens.append(_Token(piece, utf16_length(html.unescape(piece))))
        position = match.end()
    tokens.extend(_Token(ch, utf16_length(ch)) for ch in text[position:])
    return tokens


def _break_after(tokens: list[_Token], end: int) -> int:
    """How good a cut is between ``tokens[end - 1]`` and ``tokens[end]`` (0: not a break)."""
    last = tokens[end - 1]
    if last.text == "\n":
        return _PARAGRAPH if end >= 2 and tokens[end - 2].text == "\n" else _LINE
    return _WORD if last.is_space else 0


def _choose_cut(breaks: dict[int, tuple[int, int]], limit: int) -> int | None:
    """The best break that still fills at least half a message, else the latest break."""
    for priority in (_PARAGRAPH, _LINE, _WORD):
        if priority in breaks and breaks[priority][1] >= limit // 2:
            return breaks[priority][0]
    if breaks:
        return max(position for position, _ in breaks.values())
    return None


def _open_tags(stack: list[_Token], tokens: list[_Token]) -> list[_Token]:
    stack = list(stack)
    for token in tokens:
        if token.tag and token.closing:
            for index in range(len(stack) - 1, -1, -1):
                if stack[index].tag == token.tag:
                    del stack[index]
                    break
        elif token.tag:
            stack.append(token)
    return stack


def split_html(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Split into parts of at most ``limit`` visible characters; whitespace at cuts is dropped.

    A single word longer than a whole message is cut where it must be, but still never inside
    an entity or a tag. Parts with nothing visible are left out.
    """
    if limit < 2:
        raise ValueError("limit must leave room for at least one character")
    tokens = _tokens(text)
    parts: list[str] = []
    reopen: list[_Token] = []
    start = 0
    while start < len(tokens):
        while start < len(tokens) and tokens[start].is_space:
            start += 1
        end, width = start, 0
        breaks: dict[int, tuple[int, int]] = {}  # priority -> (latest cut position, width)
        while end < len(tokens) and width + tokens[end].width <= limit:
            width += tokens[end].width
            end += 1
            priority = _break_after(tokens, end)
            if priority:
                breaks[priority] = (end, width)
        if end < len(tokens):
            end = _choose_cut(breaks, limit) or max(end, start + 1)
        chunk = tokens[start:end]
        stack = _open_tags(reopen, chunk)
        body = "".join(t.text for t in chunk).rstrip()
        part = ("".join(t.text for t in reopen) + body
                + "".join(f"</{t.tag}>" for t in reversed(stack)))
        if html.unescape(_TAGS.sub("", part)).strip():
            parts.append(part)
        reopen = stack
        start = end
    return parts
