"""Logs an admin reads: one line per event, text or JSON, level from config, no secrets, no
message bodies at INFO."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.events import AgentReply
from bot.model import AgentOp
from bot.settings import Settings
from supportbot.logs import REDACTED, configure_logging
from tests.harness import Harness, new_event_id
from tests.test_metrics import open_suggestion

TOKEN = "7000001234:AAFakeTokenForTestsOnly-abcdefghijkl"
SLACK_TOKEN = "xoxb-1111-2222-FakeSlackTokenValue"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, telegram={"enabled": True, "token": TOKEN},
                    slack={"bot_token": SLACK_TOKEN}, **values)


def test_secrets_are_redacted_wherever_they_appear(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging(settings(), stream=out)
    log = logging.getLogger("adapters.telegram")
    log.info("calling https://api.telegram.org/bot%s/getUpdates", TOKEN)
    log.warning("slack said no to %s", SLACK_TOKEN, extra={"token": TOKEN})
    try:
        raise RuntimeError(f"connect failed for https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError:
        log.exception("telegram crashed")
    # A token-shaped string that is not configured (an old token in a URL) goes too.
    log.error("stale https://api.telegram.org/bot123456789:AAOldTokenNoLongerInUse-xyzxyzxy/x")
    text = out.getvalue()
    assert TOKEN not in text and SLACK_TOKEN not in text
    assert "AAOldTokenNoLongerInUse" not in text
    assert text.count(REDACTED) == 4
    assert "getUpdates" in text and "telegram crashed" in text and "Traceback" in text


def test_library_loggers_never_show_urls_at_info(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging(settings(log_level="DEBUG"), stream=out)
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot.../getMe")
    logging.getLogger("telegram.ext.Updater").debug("payload dump")
    logging.getLogger("slack_sdk.web").debug("request body dump")
    logging.getLogger("httpx").warning("httpx warning still shows")
    text = out.getvalue()
    assert "HTTP Request" not in text and "dump" not in text
    assert "httpx warning still shows" in text


def test_the_level_comes_from_the_settings(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging(settings(log_level="WARNING"), stream=out)
    logging.getLogger("bot.engine").info("an info line")
    logging.getLogger("bot.engine").warning("a warning line")
    assert "an info line" not in out.getvalue() and "a warning line" in out.getvalue()


async def test_one_text_line_per_event_without_message_bodies(tmp_path: Path,
                                                              restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging(settings(), stream=out)
    async with Harness(tmp_path / "db.sqlite3") as h:
        await open_suggestion(h)
    lines = out.getvalue().splitlines()
    events = [line for line in lines if " bot.engine: event " in line]
    assert len(events) == 5
    assert all(" INFO " in line for line in events)
    assert events[0].endswith("event customer_command from test: processed (tickets -)")
    assert events[-1].endswith("event button_press from test: processed (tickets #1)")
    assert "Ciemny motyw" not in out.getvalue() and "Proszę o ciemny" not in out.getvalue()


async def test_json_lines_carry_ticket_platform_and_outcome(tmp_path: Path,
                                                             restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging(settings(log_format="json"), stream=out)
    async with Harness(tmp_path / "db.sqlite3") as h:
        number = await open_suggestion(h)
        reply = AgentReply(new_event_id(), h.agent, number, "Sekretna odpowiedź agenta")
        await h.send(reply)
        await h.send(reply)  # the platform delivers it again
        await h.agent_act(number, AgentOp.RESOLVE)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    events = [r for r in records if r["logger"] == "bot.engine"]
    assert [r["outcome"] for r in events[-3:]] == ["processed", "duplicate", "processed"]
    last = events[-3]
    assert last["event_kind"] == "agent_reply" and last["platform"] == "test"
    assert last["tickets"] == [number] and last["level"] == "INFO" and "time" in last
    assert "Sekretna" not in out.getvalue()
