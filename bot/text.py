"""Cleaning what people type before it is stored or shown to anyone else."""

from __future__ import annotations

import re
import unicodedata

# C0/C1 controls except tab and newline; they corrupt terminals and some chat clients.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(raw: str) -> str:
    """Normalise line endings and drop characters no platform can carry."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = _LONE_SURROGATE.sub("\ufffd", text)
    text = _CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text).strip()


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary with an ellipsis, for previews and subjects."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:") + "…"
