"""The Telegram stand-in, driven by the real python-telegram-bot (no mocks).

These tests pin down both the stand-in and what PTB 22.8 does against Telegram-shaped answers,
so adapter tests built on the stand-in can trust it.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.standins.telegram_api import TelegramStandIn

Context = ContextTypes.DEFAULT_TYPE
App = Application[Any, Any, Any, Any, Any, Any]
Builder = ApplicationBuilder[Any, Any, Any, Any, Any, Any]
USER = 4242


pytestmark = pytest.mark.usefixtures("ptb_timedelta")


@pytest.fixture
async def tg() -> AsyncIterator[TelegramStandIn]:
    async with TelegramStandIn(per_chat_interval=0.2) as stand_in:
        yield stand_in


def build_app(tg: TelegramStandIn, builder: Builder | None = None) -> App:
    builder = builder or ApplicationBuilder()
    return builder.token(tg.token).base_url(tg.base_url).base_file_url(tg.base_file_url).build()


@asynccontextmanager
async def polling(app: App) -> AsyncIterator[App]:
    """The lifecycle run_polling would do, minus signal handlers and closing the loop."""
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in buttons]])


# ---------------------------------------------------------------------------- basics


async def test_get_me_and_initialize(tg: TelegramStandIn) -> None:
    async with build_app(tg) as app:
        me = await app.bot.get_me()
        assert (me.id, me.username, me.is_bot) == (123, "support_test_bot", True)
        assert app.bot.username == "support_test_bot"  # initialize() called getMe


async def test_wrong_token_is_invalid_token(tg: TelegramStandIn) -> None:
    app = (
        ApplicationBuilder()
        .token("999:WRONG")
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .build()
    )
    try:
        with pytest.raises(InvalidToken):
            await app.initialize()
    finally:
        # Application.shutdown() is a no-op after a failed initialize(); without this the
        # bot's httpx connection leaks (ResourceWarning).
        await app.bot.shutdown()
    assert tg.requests[-1].status == 401


async def test_unknown_method_is_404(tg: TelegramStandIn) -> None:
    """PTB maps 404 to InvalidToken; do_api_request on an initialized bot re-raises it as
    EndPointNotFound."""
    async with build_app(tg) as app:
        with pytest.raises(EndPointNotFound, match="sendTelepathy"):
            await app.bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    assert tg.requests[-1].status == 404


# ---------------------------------------------------------------------------- updates


async def test_pushed_text_reaches_handler_and_reply_is_recorded(tg: TelegramStandIn) -> None:
    seen: list[tuple[str | None, str | None]] = []

    async def echo(update: Update, context: Context) -> None:
        assert update.message is not None and update.effective_user is not None
        seen.append((update.message.text, update.effective_user.language_code))
        await update.message.reply_text(f"Echo: {update.message.text}")

    app = build_app(tg)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with polling(app):
        tg.push_text(USER, "Dzień dobry")
        sent = await tg.wait_sent(USER, 1)

    assert seen == [("Dzień dobry", "pl")]
    assert sent[0].text == "Echo: Dzień dobry"
    assert sent[0].method == "sendMessage"
    assert sent[0].message_id == 2  # ids are per chat and shared with the user's message 1


async def test_command_with_payload(tg: TelegramStandIn) -> None:
    async def start(update: Update, context: Context) -> None:
        assert update.message is not None
        await update.message.reply_text(f"start args={context.args}")

    app = build_app(tg)
    app.add_handler(CommandHandler("start", start))
    async with polling(app):
        tg.push_command(USER, "/start ref42")
        sent = await tg.wait_sent(USER, 1)
    assert sent[0].text == "start args=['ref42']"


async def test_callback_query_is_answered_and_edit_drops_keyboard(tg: TelegramStandIn) -> None:
    async def on_button(update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Zapisano")
        await query.edit_message_text(f"Wybrano: {query.data}")  # no reply_markup passed

    app = build_app(tg)
    app.add_handler(CallbackQueryHandler(on_button))
    async with polling(app):
        await app.bot.send_message(USER, "Czy pomogło?", reply_markup=keyboard(("Tak", "yes")))
        assert tg.buttons(USER) == [["Tak"]]
        update_id = tg.push_button_press(USER, "Tak")
        await tg.wait_for(lambda t: t.edits)

        query_id = tg.callback_query_id(update_id)
        assert tg.callback_answers == [(query_id, "Zapisano")]
        assert tg.edits[0].text == "Wybrano: yes"
        # Telegram removes the keyboard when an edit omits reply_markup.
        assert tg.buttons(USER, tg.edits[0].message_id) == []
        with pytest.raises(BadRequest, match=r"[Qq]uery is too old"):
            await app.bot.answer_callback_query(query_id)  # answered already


async def test_pushed_media_types_parse_in_ptb(tg: TelegramStandIn) -> None:
    kinds: list[str] = []

    async def collect(update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        for kind in ("voice", "video", "sticker", "location", "document", "photo"):
            if getattr(message, kind):
                kinds.append(kind)

    app = build_app(tg)
    app.add_handler(MessageHandler(filters.ALL, collect))
    async with polling(app):
        tg.push_voice(USER)
        tg.push_video(USER)
        tg.push_sticker(USER)
        tg.push_location(USER)
        tg.push_document(USER, b"%PDF-1.4", "faktura.pdf", "application/pdf")
        await tg.wait_for(lambda t: len(kinds) == 5)
    assert kinds == ["voice", "video", "sticker", "location", "document"]


async def test_pushed_photo_can_be_downloaded_by_the_bot(tg: TelegramStandIn) -> None:
    content = b"\xff\xd8\xff\xe0 pretend jpeg \x00\x01"
    downloaded: list[bytes] = []

    async def on_photo(update: Update, context: Context) -> None:
        assert update.message is not None
        file = await update.message.photo[-1].get_file()
        downloaded.append(bytes(await file.download_as_bytearray()))
        await update.message.reply_text(f"Mam zdjęcie: {update.message.caption}")

    app = build_app(tg)
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    async with polling(app):
        tg.push_photo(USER, content, caption="paragon")
        await tg.wait_sent(USER, 1)
    assert downloaded == [content]
    assert tg.sent[0].text == "Mam zdjęcie: paragon"
    assert len(tg.downloads) == 1


async def test_confirmed_offset_advances_only_when_ptb_polls_again(tg: TelegramStandIn) -> None:
    app = build_app(tg)
    app.add_handler(MessageHandler(filters.TEXT, lambda u, c: asyncio.sleep(0)))
    async with polling(app):
        update_id = tg.push_text(USER, "hej")
        await tg.wait_for(lambda t: t.confirmed_offset > update_id)
        # The getUpdates that delivered the update did not confirm it ...
        delivering = [off for off, ids in tg.get_updates_log if update_id in ids]
        assert delivering and all(int(off or 0) <= update_id for off in delivering)
    # ... the next poll (or the updater's shutdown call) carried offset = update_id + 1.
    assert tg.confirmed_offset == update_id + 1
    assert tg.pending_update_ids == []


async def test_unconfirmed_updates_come_back_confirmed_ones_never(tg: TelegramStandIn) -> None:
    async with build_app(tg) as app:
        update_id = tg.push_text(USER, "raz")
        first = await app.bot.get_updates(timeout=0)
        again = await app.bot.get_updates(timeout=0)  # no offset: nothing confirmed yet
        assert [u.update_id for u in first] == [u.update_id for u in again] == [update_id]
        assert tg.confirmed_offset == 0

        assert await app.bot.get_updates(offset=update_id + 1, timeout=0) == ()
        assert tg.confirmed_offset == update_id + 1
        assert await app.bot.get_updates(timeout=0) == ()  # dropped forever

        # Long poll: parks until an update arrives.
        poll = asyncio.create_task(app.bot.get_updates(offset=update_id + 1, timeout=5))
        await asyncio.sleep(0.05)
        second = tg.push_text(USER, "dwa")
        updates = await asyncio.wait_for(poll, 2)
        assert [u.update_id for u in updates] == [second]


async def test_second_poller_terminates_the_first_with_conflict(tg: TelegramStandIn) -> None:
    async with build_app(tg) as first, build_app(tg) as second:
        parked = asyncio.create_task(first.bot.get_updates(timeout=3))
        await asyncio.sleep(0.05)
        await second.bot.get_updates(timeout=0)
        with pytest.raises(Conflict, match="terminated by other getUpdates"):
            await asyncio.wait_for(parked, 2)


async def test_redelivered_update_is_processed_again_by_ptb(tg: TelegramStandIn) -> None:
    handled: list[int] = []

    async def record(update: Update, context: Context) -> None:
        handled.append(update.update_id)

    app = build_app(tg)
    app.add_handler(MessageHandler(filters.TEXT, record))
    async with polling(app):
        update_id = tg.push_text(USER, "duplikat?")
        await tg.wait_for(lambda t: len(handled) == 1)
        await tg.wait_for(lambda t: t.confirmed_offset > update_id)
        tg.redeliver(update_id)
        await tg.wait_for(lambda t: len(handled) == 2)
    assert handled == [update_id, update_id]  # PTB does not deduplicate


# ---------------------------------------------------------------------------- limits


async def test_two_quick_sends_to_one_chat_raise_retry_after(tg: TelegramStandIn) -> None:
    async with build_app(tg) as app:
        await app.bot.send_message(USER, "pierwsza")
        with pytest.raises(RetryAfter) as caught:
            await app.bot.send_message(USER, "druga")
        assert caught.value.retry_after == dtm.timedelta(seconds=1)  # whole seconds, >= 1
        await app.bot.send_message(USER + 1, "inny czat")  # other chats are not affected
        await asyncio.sleep(0.25)
        await app.bot.send_message(USER, "druga, po przerwie")
    assert tg.rejected_429 == 1
    assert tg.rejected_429_per_chat == {USER: 1}
    assert [m.text for m in tg.messages_for(USER)] == ["pierwsza", "druga, po przerwie"]


async def test_global_limit_per_second() -> None:
    async with TelegramStandIn(global_per_second=3, per_chat_interval=0) as tg:
        async with build_app(tg) as app:
            for chat in (1, 2, 3):
                await app.bot.send_message(chat, "ok")
            with pytest.raises(RetryAfter):
                await app.bot.send_message(4, "za dużo")
        assert tg.rejected_429_per_chat == {4: 1}


async def test_rate_limiter_retries_on_429_in_private_chats() -> None:
    """AIORateLimiter does not pace private chats; it only retries after the 429."""
    async with TelegramStandIn(per_chat_interval=0.3, retry_after_override=0.3) as tg:
        app = build_app(tg, ApplicationBuilder().rate_limiter(AIORateLimiter(max_retries=2)))
        async with app:
            await app.bot.send_message(USER, "1")
            await app.bot.send_message(USER, "2")
        assert [m.text for m in tg.messages_for(USER)] == ["1", "2"]
        assert tg.rejected_429 == 1


async def test_text_length_limits(tg: TelegramStandIn) -> None:
    async with build_app(tg) as app:
        with pytest.raises(BadRequest, match="Message is too long"):
            await app.bot.send_message(1, "a" * 4097)
        await app.bot.send_message(2, "a" * 4096)
        await app.bot.send_message(3, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
        with pytest.raises(BadRequest, match="Message text is empty"):
            await app.bot.send_message(4, "  \n ")
    assert [m.chat_id for m in tg.sent] == [2, 3]


async def test_caption_limit(tg: TelegramStandIn) -> None:
    async with build_app(tg) as app:
        with pytest.raises(BadRequest, match="Message caption is too long"):
            await app.bot.send_photo(1, photo=b"img", caption="c" * 1025)
        await app.bot.send_photo(2, photo=b"img", caption="c" * 1024)
    assert [m.method for m in tg.sent] == ["sendPhoto"]


async def test_callback_data_over_64_bytes_is_refused(tg: TelegramStandIn) -> None:
    async with build_app(tg) as app:
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            # 33 characters but 66 bytes in UTF-8: PTB does not check this itself.
            await app.bot.send_message(1, "x", reply_markup=keyboard(("ą", "ą" * 33)))
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await app.bot.send_message(1, "x", reply_markup=keyboard(("b", "b" * 65)))
        await app.bot.send_message(2, "x", reply_markup=keyboard(("ok", "b" * 64)))
    assert len(tg.sent) == 1
    assert tg.sent[0].reply_markup == {
        "inline_keyboard": [[{"text": "ok", "callback_data": "b" * 64}]]
    }


async def test_blocked_chat_is_forbidden(tg: TelegramStandIn) -> None:
    tg.blocked_chats.add(USER)
    async with build_app(tg) as app:
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await app.bot.send_message(USER, "halo?")
        with pytest.raises(Forbidden):
            await app.bot.send_chat_action(USER, "typing")
    assert tg.sent == []


async def test_edit_with_same_content_is_not_modified(tg: TelegramStandIn) -> None:
    async with build_app(tg) as app:
        message = await app.bot.send_message(USER, "Status: otwarte")
        with pytest.raises(BadRequest, match="not modified"):
            await app.bot.edit_message_text("Status: otwarte", USER, message.message_id)
        edited = await app.bot.edit_message_text("Status: zamknięte", USER, message.message_id)
        assert not isinstance(edited, bool) and edited.text == "Status: zamknięte"
        shown = tg.current_message(USER, message.message_id)
        assert shown is not None and shown["text"] == "Status: zamknięte" and "edit_date" in shown
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await app.bot.edit_message_text("?", USER, 999)
        assert await app.bot.delete_message(USER, message.message_id)
    assert [e.text for e in tg.edits] == ["Status: zamknięte"]
    assert tg.deleted == [(USER, message.message_id)]
    assert tg.current_message(USER, message.message_id) is None


# ---------------------------------------------------------------------------- files, commands


async def test_send_document_then_get_file_downloads_same_bytes(tg: TelegramStandIn) -> None:
    content = bytes(range(256)) * 40  # binary-safe, 10 KiB, sent as multipart
    async with build_app(tg) as app:
        message = await app.bot.send_document(
            USER, document=content, filename="raport.bin", caption="Raport"
        )
        assert message.document is not None
        file = await app.bot.get_file(message.document.file_id)
        assert bytes(await file.download_as_bytearray()) == content
    record = tg.sent[0]
    assert (record.method, record.file_name, record.caption) == (
        "sendDocument",
        "raport.bin",
        "Raport",
    )
    assert record.file_bytes == content


async def test_set_my_commands_per_language_and_scope(tg: TelegramStandIn) -> None:
    async with build_app(tg) as app:
        await app.bot.set_my_commands([BotCommand("start", "Zacznij")], language_code="pl")
        await app.bot.set_my_commands([BotCommand("start", "Start")])
        await app.bot.set_my_commands(
            [BotCommand("close", "Zamknij zgłoszenie")], scope=BotCommandScopeChat(USER)
        )
        polish = await app.bot.get_my_commands(language_code="pl")
        assert [(c.command, c.description) for c in polish] == [("start", "Zacznij")]
        with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
            await app.bot.set_my_commands([BotCommand("Start", "capital letters")])
        await app.bot.delete_my_commands()
    assert tg.commands == {"pl": [{"command": "start", "description": "Zacznij"}]}
    assert tg.commands_for(f"chat:{USER}") == [
        {"command": "close", "description": "Zamknij zgłoszenie"}
    ]


# ---------------------------------------------------------------------------- faults, webhook


async def test_fault_injection(tg: TelegramStandIn) -> None:
    async with build_app(tg) as app:
        tg.fail_next("sendMessage", status=500)
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await app.bot.send_message(1, "a")
        tg.drop_connection_next("sendMessage")
        with pytest.raises(NetworkError, match="disconnected"):
            await app.bot.send_message(2, "b")
        assert tg.sent == []
        # The answer is lost but the message was delivered: a blind retry duplicates it.
        tg.drop_connection_next("sendMessage", after_processing=True)
        with pytest.raises(NetworkError):
            await app.bot.send_message(3, "c")
        await app.bot.send_message(4, "d")
    assert [m.chat_id for m in tg.sent] == [3, 4]


async def test_wire_shapes_for_other_clients(tg: TelegramStandIn) -> None:
    """JSON bodies, GET query strings and Telegram's exact error objects."""
    api = f"{tg.base_url}{tg.token}"
    async with aiohttp.ClientSession(trust_env=False) as http:
        async with http.post(f"{tg.base_url}0:BAD/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.get(f"{api}/noSuchMethod") as response:
            assert (response.status, (await response.json())["description"]) == (404, "Not Found")
        markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
        body = {"chat_id": USER, "text": "json", "reply_markup": markup}
        async with http.post(f"{api}/sendMessage", json=body) as response:
            result = (await response.json())["result"]
            assert result["reply_markup"] == markup
            assert result["from"]["username"] == "support_test_bot"
        async with http.get(f"{api}/sendMessage", params={"chat_id": USER, "text": "get"}) as resp:
            assert resp.status == 429
            assert await resp.json() == {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            }


async def test_polling_recovers_after_get_updates_failure(tg: TelegramStandIn) -> None:
    """After a TelegramError PTB's polling loop sleeps 1 s (then x1.5, up to 30 s)."""

    async def reply(update: Update, context: Context) -> None:
        assert update.message is not None
        await update.message.reply_text("ok")

    app = build_app(tg)
    app.add_handler(MessageHandler(filters.TEXT, reply))
    tg.fail_next("getUpdates", status=502, times=1)
    async with polling(app):
        tg.push_text(USER, "jesteś tam?")
        await tg.wait_sent(USER, 1, timeout=4)
    statuses = [c.status for c in tg.requests if c.method == "getUpdates"]
    assert statuses[0] == 502 and 200 in statuses


async def test_webhook_mode(tg: TelegramStandIn) -> None:
    """The custom-webhook pattern: own aiohttp route, secret check, Update on update_queue."""
    app = build_app(tg, ApplicationBuilder().updater(None))

    async def reply(update: Update, context: Context) -> None:
        assert update.message is not None
        await update.message.reply_text("webhook ok")

    app.add_handler(MessageHandler(filters.TEXT, reply))

    async def receive(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != "s3cr3t":
            return web.Response(status=403)
        await app.update_queue.put(Update.de_json(await request.json(), app.bot))
        return web.Response()

    server = web.Application()
    server.router.add_post("/tg", receive)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook_url = f"http://127.0.0.1:{runner.addresses[0][1]}/tg"
    try:
        async with app:
            await app.start()
            try:
                await _webhook_flow(tg, app, hook_url)
            finally:
                await app.stop()
    finally:
        await runner.cleanup()
    assert tg.sent[0].text == "webhook ok"
    assert tg.pending_update_ids == []  # make_* builds without queueing


async def _webhook_flow(tg: TelegramStandIn, app: App, hook_url: str) -> None:
    await app.bot.set_webhook("https://bot.example/tg", secret_token="s3cr3t")
    assert (tg.webhook.url, tg.webhook.secret_token) == ("https://bot.example/tg", "s3cr3t")
    with pytest.raises(Conflict, match="webhook is active"):
        await app.bot.get_updates()
    with pytest.raises(BadRequest, match=r"(?i)https url"):
        await app.bot.set_webhook("http://insecure.example/tg")

    update = tg.make_text_update(USER, "przez webhook")
    assert await tg.post_update_to(hook_url, update) == 403
    assert await tg.post_update_to(hook_url, update, secret_token="s3cr3t") == 200
    await tg.wait_sent(USER, 1)


async def test_malformed_update_stalls_ptb_polling(tg: TelegramStandIn) -> None:
    """PTB cannot parse it, never advances the offset and refetches it in a tight loop; the
    good update queued behind it is never handled.

    Updater.stop() then either raises the parse error (its final "confirm" getUpdates only
    catches TelegramError) or, depending on timing, logs a pool timeout for that call because
    the cancelled in-flight poll still holds the single getUpdates connection."""
    handled: list[int] = []

    async def record(update: Update, context: Context) -> None:
        handled.append(update.update_id)

    app = build_app(tg)
    app.add_handler(MessageHandler(filters.ALL, record))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        bad = tg.push_raw({"message": {"text": "no chat, no date, no message_id"}})
        tg.push_text(USER, "ok")
        await tg.wait_for(lambda t: t.delivered_ids.count(bad) >= 3)
        try:
            await app.updater.stop()
        except KeyError as exc:
            assert exc.args == ("date",)
        await app.stop()
    assert handled == []
    assert tg.confirmed_offset <= bad
