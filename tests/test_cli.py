"""The supportbot command: clear start-up errors, secrets kept out, tickets for admins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.settings import PROJECT_ROOT, Settings
from tests.test_console import run_console

SECRET = "123456:AAE-very-secret-token-value"


def supportbot(*args: str, env: dict[str, str],
               stdin: str = "") -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTBOT_")}
    environment.update(env)
    return subprocess.run([sys.executable, "-m", "supportbot.cli", *args], input=stdin,
                          capture_output=True, text=True, cwd=PROJECT_ROOT, env=environment,
                          timeout=60, check=False)


def test_enabling_an_app_without_its_token_names_what_is_missing(tmp_path: Path) -> None:
    result = supportbot("run", env={"SUPPORTBOT_TELEGRAM__ENABLED": "true",
                                    "SUPPORTBOT_DATABASE": str(tmp_path / "db.sqlite3")})
    assert result.returncode == 2
    assert "missing settings: SUPPORTBOT_TELEGRAM__TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_setting_is_reported_without_its_value(tmp_path: Path) -> None:
    result = supportbot("run", env={"SUPPORTBOT_TELEGRAM__ENABLED": SECRET,
                                    "SUPPORTBOT_DATABASE": str(tmp_path / "db.sqlite3")})
    assert result.returncode == 2
    assert "TELEGRAM__ENABLED" in result.stderr
    assert SECRET not in result.stderr + result.stdout


def test_secrets_do_not_show_in_settings_repr(monkeypatch: object) -> None:
    settings = Settings(_env_file=None, telegram={"enabled": True, "token": SECRET})
    assert SECRET not in repr(settings) and SECRET not in str(settings.model_dump())
    assert settings.missing() == []


def test_admins_list_and_show_tickets(tmp_path: Path) -> None:
    run_console(tmp_path, "/new\nSugestia\nCiemny motyw\nProszę o ciemny motyw w aplikacji.\n"
                          "Wyślij zgłoszenie\n/agent note 1 Dobry pomysł\n")
    env = {"SUPPORTBOT_DATABASE": str(tmp_path / "console.sqlite3")}
    listing = supportbot("tickets", "list", env=env)
    assert listing.returncode == 0, listing.stderr
    assert "#1" in listing.stdout and "Ciemny motyw" in listing.stdout
    assert "nowe" in listing.stdout
    shown = supportbot("tickets", "show", "1", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "category: Sugestia" in shown.stdout
    assert "Proszę o ciemny motyw" in shown.stdout
    assert "agent (internal) Agent: Dobry pomysł" in shown.stdout
    missing = supportbot("tickets", "show", "99", env=env)
    assert missing.returncode == 1 and "no ticket #99" in missing.stderr
