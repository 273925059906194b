"""Canned replies: named snippets per language that agents insert by name."""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PLACEHOLDERS = frozenset({"customer_name", "ticket_id", "agent_name"})


class CannedError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class CannedReplies:
    replies: Mapping[str, Mapping[str, str]]  # name -> language -> text

    @property
    def names(self) -> list[str]:
        return sorted(self.replies)

    def render(self, name: str, language: str, values: Mapping[str, str | int]) -> str | None:
        """The reply in the customer's language (or any language it exists in)."""
        texts = self.replies.get(name.strip().lower())
        if not texts:
            return None
        template = texts.get(language) or next(iter(texts.values()))
        return template.format_map({k: str(values.get(k, "")) for k in PLACEHOLDERS})

    @classmethod
    def load(cls, path: Path) -> CannedReplies:
        if not path.exists():
            return cls({})
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise CannedError(f"{path}: {exc}") from exc
        replies: dict[str, dict[str, str]] = {}
        for name, texts in raw.items():
            if not isinstance(texts, dict) or not texts:
                raise CannedError(f"{path}: [{name}] needs one text per language")
            for language, text in texts.items():
                fields = {f for _, f, _, _ in string.Formatter().parse(str(text)) if f}
                unknown = fields - PLACEHOLDERS
                if unknown:
                    raise CannedError(f"{path}: [{name}] {language}: unknown placeholder "
                                      f"{sorted(unknown)}; allowed: {sorted(PLACEHOLDERS)}")
            replies[name.lower()] = {str(k): str(v) for k, v in texts.items()}
        return cls(replies)
