"""Secrets never come out: not in logs, error messages, ``repr`` of settings, or crash output.

Every credential the bot can be given is set to a recognisable canary (each contains the word
``canary``, which nothing else the bot prints does), and the real program is made to fail in
every way an admin meets: a malformed setting, APIs that cannot be reached, a corrupted store,
tokens the platforms (the stand-ins) reject, a port already taken, a run at DEBUG level that
meets Slack errors and forged requests, ``supportbot doctor``. Everything each run printed,
and every log file, is searched for the word. Some canaries are shaped like real tokens (so
the log's shape-based redaction would catch them anyway) and some are not (so only the
bot's own care keeps them out). Figures go to ``secrets.json`` (see load_driver).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.settings import Settings
from storage.store import Store
from tests.load_driver import (
    BotProcess,
    clean_environment,
    free_port,
    record_case,
    until,
)
from tests.standins.discord_api import DiscordStandIn
from tests.standins.slack_api import SlackStandIn
from tests.standins.telegram_api import TelegramStandIn

REPORT = "secrets"
CANARY = "canary"
TELEGRAM_TOKEN = "5550001:canaryTGsecret"  # not token-shaped: no pattern would catch it
TELEGRAM_SHAPED = "5550001234:AAH-canaryTG-0123456789abcdefghijkl"  # shaped like a real one
SLACK_BOT_TOKEN = "xoxb-canary-slack-bot-7f3a"
SLACK_APP_TOKEN = "xapp-canary-app-9c1d"
SIGNING_SECRET = "canarysigningsecret5e6f7a8b9c0d1"
DISCORD_TOKEN = "canary-discord-token-1b2c3d"
WEBHOOK_SECRET = "canary-webhook-secret-4d5e"
SECRETS = (TELEGRAM_TOKEN, TELEGRAM_SHAPED, SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SIGNING_SECRET,
           DISCORD_TOKEN, WEBHOOK_SECRET)
CLOSED = "http://127.0.0.1:9"  # nothing listens there: connection refused


def every_app(database: Path, **overrides: str) -> dict[str, str]:
    """All three apps on, every secret set; nothing reachable unless overridden."""
    values = {
        "DATABASE": str(database),
        "TELEGRAM__ENABLED": "true", "TELEGRAM__TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM__API_BASE_URL": f"{CLOSED}/bot", "TELEGRAM__FILE_BASE_URL": f"{CLOSED}/file/bot",
        "TELEGRAM__WEBHOOK_SECRET": WEBHOOK_SECRET,
        "DISCORD__ENABLED": "true", "DISCORD__TOKEN": DISCORD_TOKEN,
        "DISCORD__API_BASE_URL": f"{CLOSED}/api/v10", "DISCORD__GATEWAY_URL": "ws://127.0.0.1:9/",
        "SLACK__ENABLED": "true", "SLACK__BOT_TOKEN": SLACK_BOT_TOKEN,
        "SLACK__SIGNING_SECRET": SIGNING_SECRET, "SLACK__AGENT_CHANNEL": "CAGENTS01",
        "SLACK__API_BASE_URL": f"{CLOSED}/api/", "SLACK__HTTP_LISTEN": "127.0.0.1",
        "SLACK__HTTP_PORT": str(free_port()),
    }
    values.update(overrides)
    env = clean_environment()
    env.update({f"SUPPORTBOT_{key}": value for key, value in values.items() if value != ""})
    return env


def leaks(text: str) -> list[str]:
    """Lines that show any part of a secret (every canary holds the word ``canary``)."""
    return [line.strip()[:200] for line in text.splitlines() if CANARY in line.lower()]


def cli(args: tuple[str, ...], env: Mapping[str, str], cwd: Path) -> tuple[int, str]:
    result = subprocess.run([sys.executable, "-m", "supportbot.cli", *args], env=dict(env),
                            cwd=cwd, capture_output=True, text=True, timeout=90, check=False)
    return result.returncode, result.stdout + result.stderr


async def run_until_exit(env: Mapping[str, str], workdir: Path, timeout: float = 60) -> tuple[
        int | None, str]:
    bot = BotProcess(env, workdir)
    await bot.start()
    assert bot.process is not None
    try:
        code = await asyncio.wait_for(bot.process.wait(), timeout)
    finally:
        if bot.running:
            await bot.kill()
    return code, bot.output()


def report(case: str, code: int | None, output: str) -> list[str]:
    found = leaks(output)
    last = [line for line in output.strip().splitlines() if line.strip()][-1:] or [""]
    record_case(REPORT, case, {"exit_code": code, "last_line": last[0][:240],
                               "lines_printed": len(output.splitlines()),
                               "lines_with_a_secret": len(found)})
    return found


# -- the program failing in the ways an admin meets -----------------------------------------------
@pytest.mark.parametrize("case", ["malformed settings", "nothing reachable", "corrupted store"])
def test_failing_starts_print_no_secret(tmp_path: Path, case: str) -> None:
    database = tmp_path / "db.sqlite3"
    if case == "malformed settings":
        # Secrets pasted into settings that cannot hold them: the errors name the setting.
        env = every_app(database, TELEGRAM__ENABLED=TELEGRAM_SHAPED,
                        SLACK__HTTP_PORT=SLACK_BOT_TOKEN, HEALTH_PORT=SIGNING_SECRET,
                        LOG_FORMAT=DISCORD_TOKEN)
    elif case == "nothing reachable":
        env = every_app(database, LOG_LEVEL="DEBUG")
    else:
        database.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
        env = every_app(database)
    code, output = cli(("run",), env, tmp_path)
    found = report(f"supportbot run: {case}", code, output)
    assert found == [], found
    assert code == 2 and "Traceback" not in output, output[-2000:]


def test_doctor_prints_no_secret(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    configurations = {
        "every secret set": every_app(database, TELEGRAM__TOKEN=TELEGRAM_SHAPED,
                                      SLACK__APP_TOKEN=SLACK_APP_TOKEN),
        "secrets pasted into the wrong settings": every_app(
            database, SLACK__AGENT_CHANNEL=SLACK_BOT_TOKEN,
            TELEGRAM__WEBHOOK_URL=f"https://x.example/{TELEGRAM_TOKEN}"),
    }
    for name, env in configurations.items():
        code, output = cli(("doctor",), env, tmp_path)
        found = report(f"supportbot doctor: {name}", code, output)
        assert found == [], found
        assert code in (0, 1) and "Traceback" not in output


async def test_tokens_the_platforms_reject_print_no_secret(tmp_path: Path) -> None:
    """Each app started against its stand-in with a token the stand-in does not know."""
    database = tmp_path / "db.sqlite3"
    outcomes: dict[str, tuple[int | None, str]] = {}
    async with TelegramStandIn("5550001:the-right-one") as tg, \
            DiscordStandIn(token="the-right-one") as discord, \
            SlackStandIn(bot_token="xoxb-right", app_token="xapp-right") as slack:
        off = {"TELEGRAM__ENABLED": "false", "DISCORD__ENABLED": "false",
               "SLACK__ENABLED": "false"}
        outcomes["telegram"] = await run_until_exit(every_app(
            database, **{**off, "TELEGRAM__ENABLED": "true",
                         "TELEGRAM__API_BASE_URL": tg.base_url,
                         "TELEGRAM__FILE_BASE_URL": tg.base_file_url}), tmp_path)
        outcomes["discord"] = await run_until_exit(every_app(
            database, **{**off, "DISCORD__ENABLED": "true",
                         "DISCORD__API_BASE_URL": discord.api_base,
                         "DISCORD__GATEWAY_URL": discord.gateway_url}), tmp_path)
        outcomes["slack socket mode"] = await run_until_exit(every_app(
            database, **{**off, "SLACK__ENABLED": "true", "SLACK__APP_TOKEN": SLACK_APP_TOKEN,
                         "SLACK__API_BASE_URL": slack.api_url}), tmp_path)
    problems = []
    for app, (code, output) in outcomes.items():
        found = report(f"rejected token: {app}", code, output)
        problems += found
        assert code == 2 and "Cannot start:" in output and "Traceback" not in output, \
            f"{app}: {output[-2000:]}"
    assert problems == []


async def test_a_debug_run_meeting_slack_errors_and_forged_requests_logs_no_secret(
        tmp_path: Path) -> None:
    """The bot runs (Telegram and the Slack desk, DEBUG logs, JSON lines) while Slack rejects
    its bot token; customers write, a forged request comes in, then it is stopped."""
    database = tmp_path / "db.sqlite3"
    async with TelegramStandIn(TELEGRAM_SHAPED, per_chat_interval=0.05) as tg, \
            SlackStandIn(bot_token="xoxb-right") as slack:
        port = free_port()
        env = every_app(database, DISCORD__ENABLED="false", LOG_LEVEL="DEBUG",
                        LOG_FORMAT="json", TELEGRAM__TOKEN=TELEGRAM_SHAPED,
                        TELEGRAM__API_BASE_URL=tg.base_url,
                        TELEGRAM__FILE_BASE_URL=tg.base_file_url,
                        SLACK__API_BASE_URL=slack.api_url, SLACK__HTTP_PORT=str(port))
        bot = BotProcess(env, tmp_path)
        await bot.start()
        try:
            await bot.wait_ready()
            tg.push_command(4242, "/start")
            tg.push_text(4242, "Nie mogę się zalogować, hasło to canary-not-a-secret")
            url = f"http://127.0.0.1:{port}/slack/events"
            dm = slack.message_event("DUKASIA", "UKASIA", "pomoc", channel_type="im")
            await slack.send_event(url, dm, signing_secret=SIGNING_SECRET)
            await slack.send_event(url, dm, signing_secret="wrong")
            await until(lambda: len(tg.sent) >= 2, timeout=20, what="answers on Telegram")
            await asyncio.sleep(1.0)  # the Slack deliveries fail with invalid_auth meanwhile
            code, _ = await bot.terminate()
        finally:
            if bot.running:
                await bot.kill()
    output = bot.output().replace("canary-not-a-secret", "")  # what the customer wrote
    found = report("debug run with Slack rejecting the token", code, output)
    assert "invalid_auth" in output  # the failures were logged, without the token
    assert found == [], found
    assert code == 0


async def test_a_crash_on_start_prints_no_secret(tmp_path: Path) -> None:
    """The Slack HTTP port is taken by someone else."""
    database = tmp_path / "db.sqlite3"
    async with TelegramStandIn(TELEGRAM_TOKEN) as tg:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            env = every_app(database, DISCORD__ENABLED="false",
                            TELEGRAM__API_BASE_URL=tg.base_url,
                            TELEGRAM__FILE_BASE_URL=tg.base_file_url,
                            SLACK__HTTP_PORT=str(taken.getsockname()[1]))
            code, output = await run_until_exit(env, tmp_path)
    found = report("port taken", code, output)
    assert found == [], found
    assert code == 2 and "Traceback" not in output, output[-2000:]


# -- in the process ------------------------------------------------------------------------------
def test_settings_never_show_a_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # Given the way the environment gives them (nested dicts of strings).
    values: dict[str, Any] = {
        "telegram": {"enabled": True, "token": TELEGRAM_TOKEN, "webhook_secret": WEBHOOK_SECRET},
        "discord": {"enabled": True, "token": DISCORD_TOKEN},
        "slack": {"enabled": True, "bot_token": SLACK_BOT_TOKEN, "app_token": SLACK_APP_TOKEN,
                  "signing_secret": SIGNING_SECRET, "agent_channel": "C1"},
    }
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    shown: dict[str, str] = {
        "repr": repr(settings), "str": str(settings),
        "model_dump": str(settings.model_dump()),
        "model_dump_json": settings.model_dump_json(),
        "nested repr": repr(settings.telegram) + repr(settings.slack) + repr(settings.discord),
    }
    try:
        wrong: dict[str, Any] = {"health_port": SLACK_BOT_TOKEN,
                                 "telegram": {"enabled": TELEGRAM_TOKEN}}
        Settings(_env_file=None, **wrong)  # type: ignore[call-arg]
    except ValidationError as exc:
        # What `supportbot` prints of it: the message, and each error's place and words
        # (errors() also carries the raw input for programs; the CLI never prints that).
        shown["validation error"] = str(exc) + json.dumps(
            [(e["loc"], e["msg"]) for e in exc.errors()])
    logging.getLogger("test").info("settings: %s", settings)
    shown["log line"] = "\n".join(r.getMessage() for r in caplog.records)
    found = {name: leaks(text) for name, text in shown.items() if leaks(text)}
    record_case(REPORT, "settings in the process",
                {"forms_checked": sorted(shown), "with_a_secret": sorted(found)})
    assert found == {}
    assert "validation error" in shown


async def test_the_store_never_holds_a_secret(tmp_path: Path) -> None:
    """Nothing the bot stores (to back up, export or hand to an auditor) holds a token."""
    database = tmp_path / "db.sqlite3"
    async with TelegramStandIn(TELEGRAM_SHAPED) as tg:
        env = every_app(database, DISCORD__ENABLED="false", SLACK__ENABLED="false",
                        TELEGRAM__TOKEN=TELEGRAM_SHAPED, TELEGRAM__API_BASE_URL=tg.base_url,
                        TELEGRAM__FILE_BASE_URL=tg.base_file_url)
        bot = BotProcess(env, tmp_path)
        await bot.start()
        try:
            await bot.wait_ready()
            tg.push_command(4242, "/start")
            await until(lambda: tg.sent, timeout=20, what="an answer")
            await bot.terminate()
        finally:
            if bot.running:
                await bot.kill()
    async with Store(database):
        pass  # checkpoints the WAL into the file
    raw = database.read_bytes()
    found = [secret for secret in SECRETS if secret.encode() in raw]
    record_case(REPORT, "the store file", {"bytes_searched": len(raw), "secrets_found": found})
    assert found == [] and CANARY.encode() not in raw.lower()
