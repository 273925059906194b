"""Rendering message keys into a person's language with Fluent (locales/<lang>/*.ftl).

Fluent gives Polish its three plural forms through CLDR rules (1 zgłoszenie, 2 zgłoszenia,
5 zgłoszeń), which string concatenation cannot. Adapters render at the edge with ``render``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.actions import Param, Text

if TYPE_CHECKING:
    from fluent.runtime import FluentBundle

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
    __slots__ = ("_bundles", "_load_lock", "_locales_dir", "_strict", "_zone",
                 "default_language")

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
        self._locales_dir = locales_dir
        # Parsing the .ftl files takes ~80 ms, which every start of the bot would pay before it
        # is ready: a language's bundle is built on first use, or by warm_up in the background.
        self._bundles: dict[str, FluentBundle] = {}
        self._load_lock = threading.Lock()

    @property
    def languages(self) -> tuple[str, ...]:
        return SUPPORTED_LANGUAGES

    def warm_up(self) -> None:
        """Build every language's bundle and load its date formats now (blocking; ~0.1 s, run
        it in a thread), so the first message rendered does not wait for them."""
        now = datetime.now(UTC)
        for language in SUPPORTED_LANGUAGES:
            self._bundle(language)
            self.format_time(now, language)

    def resolve_language(self, chosen: str | None, locale: str | None) -> str:
        return resolve_language(chosen, locale, self.default_language)

    def has(self, key: str, language: str) -> bool:
        return self._bundle(language).has_message(key)

    def render(
        self, text: Text, language: str, *, escape: Callable[[str], str] | None = None
    ) -> str:
        bundle = self._bundle(
            language if language in SUPPORTED_LANGUAGES else self.default_language)
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
            from babel.dates import format_date, format_time  # ~20 ms: on first use

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
        return frozenset(self._bundle(language)._messages)

    def _bundle(self, language: str) -> FluentBundle:
        """The language's bundle, built on first use (KeyError for a language not supported).
        The lock keeps the warm-up thread and a first render from building it twice."""
        bundle = self._bundles.get(language)
        if bundle is None:
            if language not in SUPPORTED_LANGUAGES:
                raise KeyError(language)
            with self._load_lock:
                bundle = self._bundles.get(language)
                if bundle is None:
                    bundle = _load_bundle(self._locales_dir, language)
                    self._bundles[language] = bundle
        return bundle

    def format_time(self, moment: datetime, language: str) -> str:
        return str(self._arg(moment, language, None))


def _load_bundle(locales_dir: Path, language: str) -> FluentBundle:
    from fluent.runtime import FluentBundle, FluentResource  # ~35 ms: imported on first use

    bundle = FluentBundle([language], use_isolating=False)
    for path in sorted((locales_dir / language).glob("*.ftl")):
        bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))
    return bundle


def language_names() -> Mapping[str, str]:
    """Each language named in itself, for the language picker."""
    return {"pl": "Polski", "en": "English"}
