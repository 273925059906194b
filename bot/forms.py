"""The intake form, loaded from a data file: fields, their checks, and what each category asks."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.actions import Text

# Deliberately simple: the address is confirmed by writing to it, not by a regular expression.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")


class FieldKind(StrEnum):
    TEXT = "text"
    EMAIL = "email"
    FILES = "files"


class FormError(ValueError):
    """The forms file is malformed; the message names what is wrong."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: FieldKind
    min_length: int = 1
    max_length: int = 1000
    pattern: re.Pattern[str] | None = None

    def check(self, raw: str) -> tuple[str, Text | None]:
        """The cleaned value, or a localised reason to ask again."""
        value = raw.strip()
        if not value:
            return value, Text("form-error-empty")
        if self.kind is FieldKind.EMAIL:
            if len(value) > 254 or not _EMAIL.match(value):
                return value, Text("form-error-email")
            return value, None
        if len(value) < self.min_length:
            return value, Text("form-error-too-short", {"min": self.min_length})
        if len(value) > self.max_length:
            return value, Text("form-error-too-long",
                               {"max": self.max_length, "length": len(value)})
        if self.pattern is not None and not self.pattern.match(value):
            return value, Text(f"field-{self.name}-format")
        return value, None


@dataclass(frozen=True, slots=True)
class FormField:
    spec: FieldSpec
    required: bool

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True, slots=True)
class FormBook:
    categories: tuple[str, ...]
    forms: Mapping[str, tuple[FormField, ...]]

    def fields(self, category: str) -> tuple[FormField, ...]:
        return self.forms[category]

    def field(self, category: str, name: str) -> FormField | None:
        return next((f for f in self.forms.get(category, ()) if f.name == name), None)

    @classmethod
    def load(cls, path: Path) -> FormBook:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise FormError(f"{path}: {exc}") from exc
        return cls.from_dict(raw, source=str(path))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, source: str = "forms") -> FormBook:
        specs: dict[str, FieldSpec] = {}
        for name, body in raw.get("fields", {}).items():
            try:
                kind = FieldKind(body.get("kind", "text"))
                pattern = re.compile(body["pattern"]) if "pattern" in body else None
            except (ValueError, re.error) as exc:
                raise FormError(f"{source}: field {name!r}: {exc}") from exc
            specs[name] = FieldSpec(
                name=name,
                kind=kind,
                min_length=int(body.get("min_length", 1)),
                max_length=int(body.get("max_length", 1000)),
                pattern=pattern,
            )
        categories = tuple(raw.get("categories", ()))
        if not categories:
            raise FormError(f"{source}: no categories")
        forms: dict[str, tuple[FormField, ...]] = {}
        for category in categories:
            entries = raw.get("form", {}).get(category, {}).get("fields")
            if not entries:
                raise FormError(f"{source}: category {category!r} has no [form.{category}]")
            fields = []
            for entry in entries:
                name = entry.rstrip("?")
                if name not in specs:
                    raise FormError(f"{source}: category {category!r} uses unknown field {name!r}")
                fields.append(FormField(specs[name], required=not entry.endswith("?")))
            forms[category] = tuple(fields)
        return cls(categories=categories, forms=forms)
