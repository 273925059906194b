"""`.env.example` documents every setting there is, and nothing that is not."""

from __future__ import annotations

import re

from bot.settings import ENV_PREFIX, PROJECT_ROOT, Settings


def documented() -> set[str]:
    text = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(rf"^#?\s*({ENV_PREFIX}[A-Z0-9_]+)=", text, flags=re.MULTILINE))


def existing() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        nested = getattr(field.annotation, "model_fields", None)
        if nested:
            names |= {f"{ENV_PREFIX}{name.upper()}__{sub.upper()}" for sub in nested}
        else:
            names.add(f"{ENV_PREFIX}{name.upper()}")
    return names


def test_env_example_documents_every_setting() -> None:
    assert documented() == existing()


def test_env_example_loads() -> None:
    settings = Settings(_env_file=PROJECT_ROOT / ".env.example")
    assert settings.enabled_apps() == []
    assert settings.default_language == "pl"
