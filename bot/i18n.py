"""Rendering message keys into a person's language with Fluent (locales/<lang>/*.ftl).

Fluent gives Polish its three plural forms through CLDR rules (1 zgłoszenie, 2 zgłoszenia,
5 zgłoszeń), which string concatenation cannot. Adapters render at the edge with ``render``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from fluent.runtime import FluentBundle, FluentResource

from bot.actions import Param, Text

log = logging.getLogger(__name__)

SUPPORTED_LANGUAGES = ("pl", "en")
# Numbers that name things (ticket 12345) must not be grouped like counts (12 345 messages).
_IDENTIFIERS = frozenset({"id"})
_FLUENT_PLACEABLE_LIMIT = 2000


class MissingTranslation(KeyError):
    pass


def resolve_language(chosen: str | None, locale: str | None, default: str) -> str:
    """The customer's own choice, else their app's locale, else the default."""
    if chosen in SUPPORTED_LANGUAGES:
        return chosen
    if locale:
        base = locale.replace("_", "-").split("-")[0].split(".")[0].lower()
        if base in SUPPORTED_LANGUAGES:
            return base
        if base not in ("c", "posix"):
            return "en"  # a locale we do not speak: English is understood more widely
    return default


class Translator:
    __slots__ = ("_bundles", "_strict", "_zone", "default_language")

    def __init__(
        self,
        locales_dir: Path,
        *,
        default_language: str = "pl",
        timezone: str = "Europe/Warsaw",
        strict: bool = False,
    ) -> None:
        self.default_language = default_language
        self._zone = ZoneInfo(timezone)
        self._strict = strict
        self._bundles: dict[str, FluentBundle] = {}
        for language in SUPPORTED_LANGUAGES:
            bundle = FluentBundle([language], use_isolating=False)
            for path in sorted((locales_dir / language).glob("*.ftl")):
                bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))
            self._bundles[language] = bundle

    @property
    def languages(self) -> tuple[str, ...]:
        return SUPPORTED_LANGUAGES

    def resolve_language(self, chosen: str | None, locale: str | None) -> str:
        return resolve_language(chosen, locale, self.default_language)

    def has(self, key: str, language: str) -> bool:
        return self._bundles[language].has_message(key)

    def render(
        self, text: Text, language: str, *, escape: Callable[[str], str] | None = None
    ) -> str:
        bundle = self._bundles.get(language) or self._bundles[self.default_language]
        if not bundle.has_message(text.key):
            if self._strict:
                raise MissingTranslation(f"{text.key} ({language})")
            log.error("missing translation %s for %s", text.key, language)
            return text.key
        message = bundle.get_message(text.key)
        if message.value is None:
            raise MissingTranslation(f"{text.key} ({language}) has no value")
        args = {
            name: str(value) if name in _IDENTIFIERS else self._arg(value, language, escape)
            for name, value in text.params.items()
        }
        # Fluent refuses a placeable longer than 2,500 characters (it renders "{???}"), and a
        # customer's message or a help article can be longer: such values go in afterwards.
        long_values: dict[str, str] = {}
        for name, value in args.items():
            if isinstance(value, str) and len(value) > _FLUENT_PLACEABLE_LIMIT:
                token = f"\ue000{len(long_values)}\ue001"
                long_values[token] = value
                args[name] = token
        rendered, errors = bundle.format_pattern(message.value, args)
        if errors:
            if self._strict:
                raise MissingTranslation(f"{text.key} ({language}): {errors}")
            log.error("translation %s (%s) has errors: %s", text.key, language, errors)
        result = str(rendered)
        for token, value in long_values.items():
            result = result.replace(token, value)
        return result

    def render_all(
        self,
        texts: Iterable[Text],
        language: str,
        *,
        escape: Callable[[str], str] | None = None,
        separator: str = "\n",
    ) -> str:
        return separator.join(self.render(t, language, escape=escape) for t in texts)

    def _arg(
        self, value: Param, language: str, escape: Callable[[str], str] | None
    ) -> str | int | float:
        if isinstance(value, datetime):
            # UTC times (from the store) show in the desk's zone; a time the engine already put
            # in the customer's own zone keeps it.
            zone = self._zone if value.utcoffset() == timedelta(0) else value.tzinfo
            local = value.astimezone(zone)
            return (f"{format_date(local, 'full', locale=language)}, "
                    f"{format_time(local, 'short', locale=language)}")
        if isinstance(value, Text):
            return self.render(value, language, escape=escape)
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, str):
            return escape(value) if escape else value
        return value

    def message_ids(self, language: str) -> frozenset[str]:
        return frozenset(self._bundles[language]._messages)

    def format_time(self, moment: datetime, language: str) -> str:
        return str(self._arg(moment, language, None))


def language_names() -> Mapping[str, str]:
    """Each language named in itself, for the language picker."""
    return {"pl": "Polski", "en": "English"}
