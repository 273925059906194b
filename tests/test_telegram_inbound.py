"""Telegram updates to core events, over recorded payloads in tests/payloads/telegram/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, Update

from adapters.telegram.inbound import ForCore, GroupChat, Ignored, Inbound, translate
from bot.events import (
    Attachment,
    ButtonPress,
    CustomerCommand,
    CustomerFile,
    CustomerRef,
    CustomerText,
    UnsupportedContent,
)
from bot.model import Command

PAYLOADS = Path(__file__).parent / "payloads" / "telegram"
JAN = CustomerRef("telegram", "4242", "4242", "Jan Kowalski", "pl")


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text("utf-8"))
    return payload


def translated(name: str) -> Inbound:
    return translate(Update.de_json(load(name), Bot("123:TEST")))


def eid(name: str) -> str:
    return f"telegram:update:{load(name)['update_id']}"


def file_of(name: str, kind: str, file_id: str, file_name: str, mime: str, size: int,
            caption: str = "") -> ForCore:
    attachment = Attachment(kind, file_id, file_name, mime, size, "telegram")
    return ForCore(CustomerFile(eid(name), JAN, attachment, caption))


EXPECTED: dict[str, Inbound] = {
    "text": ForCore(CustomerText(eid("text"), JAN, "Gdzie jest moja paczka?")),
    "command_status": ForCore(CustomerCommand(eid("command_status"), JAN, Command.STATUS, "12")),
    "command_with_bot_name": ForCore(CustomerCommand(eid("command_with_bot_name"), JAN,
                                                     Command.START, "")),
    "command_unknown": ForCore(CustomerCommand(eid("command_unknown"), JAN, Command.UNKNOWN,
                                               "/foo")),
    "text_with_slash": ForCore(CustomerText(eid("text_with_slash"), JAN,
                                            "/ nie działa, pomocy")),
    "photo": file_of("photo", "photo", "AgACAgIAAxkBAAIBsmc_large", "photo_16.jpg",
                     "image/jpeg", 98765, "Zrzut ekranu błędu"),
    "document": file_of("document", "document", "BQACAgIAAxkBAAIBs2c_doc", "faktura.pdf",
                        "application/pdf", 48213),
    "voice": file_of("voice", "voice", "AwACAgIAAxkBAAIBtGc_voice", "voice_18.ogg",
                     "audio/ogg", 9021),
    "video": file_of("video", "video", "BAACAgIAAxkBAAIBtWc_video", "nagranie.mp4",
                     "video/mp4", 1048576),
    "video_note": file_of("video_note", "video", "DQACAgIAAxkBAAIBtmc_note",
                          "video_note_20.mp4", "video/mp4", 302111),
    "animation": file_of("animation", "video", "CgACAgIAAxkBAAIBt2c_anim", "blad.gif.mp4",
                         "video/mp4", 70000),
    "audio": file_of("audio", "document", "CQACAgIAAxkBAAIBuGc_audio", "rozmowa.mp3",
                     "audio/mpeg", 480000),
    "sticker": ForCore(UnsupportedContent(eid("sticker"), JAN, "sticker")),
    "location": ForCore(UnsupportedContent(eid("location"), JAN, "location")),
    "venue": ForCore(UnsupportedContent(eid("venue"), JAN, "location")),
    "contact": ForCore(UnsupportedContent(eid("contact"), JAN, "contact")),
    "poll": ForCore(UnsupportedContent(eid("poll"), JAN, "poll")),
    "dice": ForCore(UnsupportedContent(eid("dice"), JAN, "dice")),
    "pinned_service": Ignored("a service message"),
    "callback": ForCore(ButtonPress(eid("callback"), JAN, "cat:orders"), "4827356000001"),
    "callback_inline": Ignored("a button outside a private chat", "4827356000002"),
    "group_text": GroupChat(-1001234567890, "pl"),
    "channel_post": GroupChat(-1009876543210, None),
    "edited_message": Ignored("an update kind the bot does not serve"),
    "english_user": ForCore(CustomerText(eid("english_user"),
                                         CustomerRef("telegram", "777", "777", "Ann", "en-GB"),
                                         "Hello")),
}


def test_every_recorded_payload_has_an_expectation() -> None:
    assert {p.stem for p in PAYLOADS.glob("*.json")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_payload_translates(name: str) -> None:
    assert translated(name) == EXPECTED[name]


def test_a_redelivered_update_has_the_same_event_id() -> None:
    assert translated("text") == translated("text")
