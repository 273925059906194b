"""Webhook mode: Telegram POSTs updates to us; only ones with its secret header are taken in,
and each is answered 200 only once it is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.telegram.webhook import webhook_secret
from storage.store import StoreError
from tests.standins.telegram_api import TelegramStandIn
from tests.telegram_harness import USER, Rig, running_bot

SECRET = "s3cr3t-Token_42"


pytestmark = pytest.mark.usefixtures("ptb_timedelta")


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    webhook = {"webhook_url": "https://bot.example/telegram/hook", "webhook_secret": SECRET,
               "webhook_listen": "127.0.0.1", "webhook_port": 0}
    async with TelegramStandIn(per_chat_interval=0.05, retry_after_override=0.2) as tg, \
            running_bot(tg, tmp_path / "db.sqlite3", **webhook) as running:
        yield running


def hook(rig: Rig) -> str:
    assert rig.app.webhook is not None
    return f"http://127.0.0.1:{rig.app.webhook.port}/telegram/hook"


async def test_the_webhook_is_set_with_the_secret(rig: Rig) -> None:
    assert rig.tg.webhook.url == "https://bot.example/telegram/hook"
    assert rig.tg.webhook.secret_token == SECRET
    assert rig.tg.webhook.allowed_updates == ["message", "callback_query", "channel_post"]
    assert not [c for c in rig.tg.requests if c.method == "getUpdates"]


async def test_only_requests_with_the_secret_are_taken_in(rig: Rig) -> None:
    tg = rig.tg
    update = tg.make_command_update(USER, "/start")
    assert await tg.post_update_to(hook(rig), update) == 403
    assert await tg.post_update_to(hook(rig), update, secret_token="wrong") == 403
    assert tg.sent == []
    # Nothing of the refused requests was stored: the same update, now genuine, is new.
    assert await tg.post_update_to(hook(rig), update, secret_token=SECRET) == 200
    (welcome,) = await tg.wait_sent(USER, 1)
    assert (welcome.visible_text or "").startswith("Dzień dobry!")
    # Telegram sending it again changes nothing.
    assert await tg.post_update_to(hook(rig), update, secret_token=SECRET) == 200
    await rig.settle()
    assert len(tg.messages_for(USER)) == 1


async def test_an_update_that_could_not_be_stored_gets_an_error_for_telegram_to_retry(
        rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = rig.runtime.engine
    handle = engine.handle

    async def broken(event: object) -> object:
        raise StoreError("disk full")

    update = rig.tg.make_text_update(USER, "Dzień dobry")
    monkeypatch.setattr(engine, "handle", broken)
    assert await rig.tg.post_update_to(hook(rig), update, secret_token=SECRET) == 500
    monkeypatch.setattr(engine, "handle", handle)
    assert await rig.tg.post_update_to(hook(rig), update, secret_token=SECRET) == 200
    await rig.tg.wait_sent(USER, 1)


async def test_a_button_press_by_webhook_is_answered(rig: Rig) -> None:
    tg = rig.tg
    assert await tg.post_update_to(hook(rig), tg.make_command_update(USER, "/start"),
                                   secret_token=SECRET) == 200
    await tg.wait_sent(USER, 1)
    await rig.settle()
    press = tg.make_callback_update(USER, "m:new")
    assert await tg.post_update_to(hook(rig), press, secret_token=SECRET) == 200
    await tg.wait_sent(USER, 2)
    assert "Czego dotyczy zgłoszenie?" in (tg.messages_for(USER)[-1].visible_text or "")
    await tg.wait_for(lambda t: len(t.callback_answers) == 1)


async def test_garbage_is_acknowledged_so_it_is_not_sent_again(rig: Rig) -> None:
    tg = rig.tg
    assert await tg.post_update_to(hook(rig), {"update_id": 1, "message": {"text": "?"}},
                                   secret_token=SECRET) == 200
    assert await tg.post_update_to(hook(rig), {"update_id": 2, "edited_message": {}},
                                   secret_token=SECRET) == 200
    assert tg.sent == []


def test_the_secret_is_derived_from_the_token_when_not_configured() -> None:
    derived = webhook_secret(None, "123:ABC")
    assert derived == webhook_secret("", "123:ABC") != webhook_secret(None, "123:ABD")
    assert len(derived) == 64 and "ABC" not in derived
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        webhook_secret("has spaces", "123:ABC")
