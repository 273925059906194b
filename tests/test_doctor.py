"""`supportbot doctor`: a good configuration passes, each broken one is named with its fix,
and no secret ever shows in the report."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.settings import PROJECT_ROOT, Settings
from storage.store import Store
from supportbot.doctor import run_doctor
from tests.test_cli import supportbot

TELEGRAM_TOKEN = "7000001234:AAFakeDoctorToken-abcdefghijklmnopq"
SLACK_TOKEN = "xoxb-1111-2222-FakeDoctorSlackToken"
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"
SECRETS = (TELEGRAM_TOKEN, SLACK_TOKEN, SIGNING_SECRET, "AAFakeDoctorToken")


@pytest.fixture
async def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "supportbot.sqlite3"
    async with Store(path):
        pass  # created and migrated, as the first start leaves it
    return path


def good(store_path: Path, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "database": store_path,
        "telegram": {"enabled": True, "token": TELEGRAM_TOKEN},
        "slack": {"enabled": True, "bot_token": SLACK_TOKEN, "signing_secret": SIGNING_SECRET,
                  "agent_channel": "C0123456789", "agent_ids": ["U0123456789"]},
    }
    values.update(overrides)
    return values


def doctor(**values: Any) -> tuple[int, str]:
    code, lines = run_doctor(lambda: Settings(_env_file=None, **values))
    text = "\n".join(lines)
    for secret in SECRETS:
        assert secret not in text
    return code, text


def test_a_good_configuration_passes(store_path: Path) -> None:
    code, text = doctor(**good(store_path))
    assert code == 0, text
    assert "FAIL" not in text
    assert "ok    chat apps" in text and "enabled: telegram, slack" in text
    assert "SUPPORTBOT_TELEGRAM__TOKEN is set and well formed" in text
    assert "agents' channel C0123456789" in text
    assert "passes its integrity check and is at schema version" in text
    assert "articles (pl)" in text and "9 categories" in text
    assert text.endswith("All good (0 warnings).")


def test_an_enabled_app_without_its_token(store_path: Path) -> None:
    code, text = doctor(**good(store_path, telegram={"enabled": True}))
    assert code == 1
    assert "FAIL  telegram" in text and "SUPPORTBOT_TELEGRAM__TOKEN is not set" in text
    assert "→ put the bot token (123456:ABC...) from @BotFather in SUPPORTBOT_TELEGRAM__TOKEN" \
        in text
    assert "1 problem, 0 warnings" in text


def test_malformed_slack_settings(store_path: Path) -> None:
    slack = {"enabled": True, "bot_token": "xoxp-user-token-by-mistake",
             "signing_secret": SIGNING_SECRET, "agent_channel": "#support",
             "agent_ids": ["anna"]}
    code, text = doctor(**good(store_path, slack=slack))
    assert code == 1
    assert "SUPPORTBOT_SLACK__BOT_TOKEN does not look like a bot token (xoxb-...)" in text
    assert "SUPPORTBOT_SLACK__AGENT_CHANNEL='#support' is not a channel id" in text
    assert "not its name" in text
    assert "SUPPORTBOT_SLACK__AGENT_IDS has entries that are not user ids: 'anna'" in text
    assert "xoxp-user-token-by-mistake" not in text


def test_a_token_pasted_into_the_wrong_setting_stays_hidden(store_path: Path) -> None:
    slack = {"enabled": True, "bot_token": SLACK_TOKEN, "signing_secret": SIGNING_SECRET,
             "agent_channel": SLACK_TOKEN}
    code, text = doctor(**good(store_path, slack=slack))
    assert code == 1
    assert "SUPPORTBOT_SLACK__AGENT_CHANNEL='[redacted]' is not a channel id" in text


def test_a_malformed_token_is_named_but_not_shown(store_path: Path) -> None:
    code, text = doctor(**good(store_path, telegram={"enabled": True,
                                                     "token": f" {TELEGRAM_TOKEN}"}))
    assert code == 1 and "SUPPORTBOT_TELEGRAM__TOKEN has spaces or quotes around it" in text
    code, text = doctor(**good(store_path, telegram={"enabled": True,
                                                     "token": "AAFakeDoctorToken-only"}))
    assert code == 1 and "SUPPORTBOT_TELEGRAM__TOKEN does not look like a bot token" in text


def test_broken_knowledge_base_and_forms(store_path: Path, tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    (knowledge / "pl").mkdir(parents=True)
    (knowledge / "pl" / "haslo.md").write_text("Brak nagłówka\n", encoding="utf-8")
    forms = tmp_path / "forms.toml"
    forms.write_text('categories = ["orders"]\n', encoding="utf-8")
    code, text = doctor(**good(store_path, knowledge_dir=knowledge, forms_file=forms))
    assert code == 1
    failures = [line for line in text.splitlines() if line.startswith("  FAIL")]
    assert any("knowledge base" in line
               and f"{knowledge / 'pl' / 'haslo.md'}: missing front matter" in line
               for line in failures)
    assert "category 'orders' has no [form.orders]" in text
    assert "2 problems" in text
    code, text = doctor(**good(store_path, knowledge_dir=tmp_path / "nowhere"))
    assert code == 1 and "knowledge base directory does not exist" in text


def test_store_problems(store_path: Path, tmp_path: Path) -> None:
    code, text = doctor(**good(store_path, database=tmp_path / "new" / "db.sqlite3"))
    assert code == 0 and "does not exist yet; it is created on the first start" in text
    assert not (tmp_path / "new" / "db.sqlite3").exists()  # the doctor creates nothing
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"this is not a database" * 100)
    code, text = doctor(**good(store_path, database=broken))
    assert code == 1 and "cannot be read as a SQLite store" in text
    with sqlite3.connect(store_path) as conn:
        conn.execute("PRAGMA user_version = 999")
    code, text = doctor(**good(store_path))
    assert code == 1 and "schema version 999 is newer than this program's" in text


def test_business_hours_and_languages(store_path: Path) -> None:
    code, text = doctor(**good(store_path, business_hours="mon-fri 8-16",
                               default_language="de", log_level="LOUD"))
    assert code == 1
    assert "FAIL  business hours" in text
    assert "SUPPORTBOT_DEFAULT_LANGUAGE must be one of pl, en" in text
    assert "SUPPORTBOT_LOG_LEVEL must be one of DEBUG" in text


def test_the_command_exits_non_zero_and_prints_no_secret(store_path: Path) -> None:
    env = {"SUPPORTBOT_DATABASE": str(store_path),
           "SUPPORTBOT_TELEGRAM__ENABLED": "true",
           "SUPPORTBOT_TELEGRAM__TOKEN": TELEGRAM_TOKEN,
           "SUPPORTBOT_SLACK__ENABLED": "true",
           "SUPPORTBOT_SLACK__BOT_TOKEN": SLACK_TOKEN,
           "SUPPORTBOT_SLACK__SIGNING_SECRET": SIGNING_SECRET,
           "SUPPORTBOT_SLACK__AGENT_CHANNEL": "C0123456789"}
    result = supportbot("doctor", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All good" in result.stdout
    broken = supportbot("doctor", env={**env, "SUPPORTBOT_SLACK__AGENT_CHANNEL": "support"})
    assert broken.returncode == 1
    assert "SUPPORTBOT_SLACK__AGENT_CHANNEL='support' is not a channel id" in broken.stdout
    unparsable = supportbot("doctor", env={**env, "SUPPORTBOT_TELEGRAM__ENABLED":
                                           TELEGRAM_TOKEN})
    assert unparsable.returncode == 1
    assert "FAIL  settings  SUPPORTBOT_TELEGRAM__ENABLED: Input should be a valid boolean" \
        in unparsable.stdout
    for result in (broken, unparsable):
        for secret in SECRETS:
            assert secret not in result.stdout + result.stderr


def test_the_shipped_example_configuration_passes(tmp_path: Path) -> None:
    settings = Settings(_env_file=PROJECT_ROOT / ".env.example",
                        database=tmp_path / "db.sqlite3")
    code, lines = run_doctor(lambda: settings)
    assert code == 0, "\n".join(lines)
