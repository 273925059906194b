"""The Slack adapter's small parts: mrkdwn both ways, Block Kit limits, error mapping, the
customers' command words, the pacer, and the app manifests."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.blocks import MAX_BLOCKS, SECTION_TEXT, customer_blocks
from adapters.slack.client import ChannelPacer
from adapters.slack.errors import to_delivery_error
from adapters.slack.inbound import keyword_command
from adapters.slack.mrkdwn import chunks, escape, quote, to_plain
from bot.actions import Text
from bot.i18n import Translator
from bot.model import Command, Status
from bot.settings import PROJECT_ROOT, SlackSettings


def test_customer_text_cannot_ping_link_or_pose_as_the_bot() -> None:
    typed = "<!channel> hi <@U123> see <https://evil.example|your invoice> & more"
    assert escape(typed) == ("&lt;!channel&gt; hi &lt;@U123&gt; see "
                             "&lt;https://evil.example|your invoice&gt; &amp; more")
    assert quote("line one\n\n<!here>") == "> line one\n>\n> &lt;!here&gt;"
    assert quote("") == ""


def test_an_agents_slack_text_becomes_plain_for_the_customer() -> None:
    wire = ("Hi &lt;name&gt; &amp; co: see <https://help.example/a?b=1&amp;c=2|the guide>, "
            "<mailto:help@example.com|help@example.com>, <https://x.example>, "
            "ask <@U42|ania> in <#C1|support> <!here>")
    assert to_plain(wire) == (
        "Hi <name> & co: see the guide (https://help.example/a?b=1&c=2), help@example.com, "
        "https://x.example, ask @ania in #support @here")


def test_long_text_is_split_within_section_limits() -> None:
    text = "\n".join(f"Linijka numer {n} " + "x" * 80 for n in range(100))
    pieces = chunks(text, SECTION_TEXT)
    assert len(pieces) == 4 and all(len(p) <= SECTION_TEXT for p in pieces)
    assert "\n".join(pieces) == text


def test_customer_buttons_keep_the_cores_data_and_stay_within_block_kit_limits() -> None:
    buttons = [(f"Artykuł numer {n} " + "z" * 100, f"kb:a:slug-{n}") for n in range(30)]
    blocks = customer_blocks("x" * 7000, buttons)
    actions = [b for b in blocks if b["type"] == "actions"]
    elements = [e for b in actions for e in b["elements"]]
    assert len(blocks) <= MAX_BLOCKS and all(len(b["elements"]) <= 25 for b in actions)
    assert [e["value"] for e in elements] == [data for _, data in buttons]
    assert len({e["action_id"] for e in elements}) == 30
    assert all(len(e["text"]["text"]) <= 75 for e in elements)
    assert all(len(b["text"]["text"]) <= SECTION_TEXT for b in blocks if b["type"] == "section")


@pytest.mark.parametrize(("typed", "expected"), [
    ("pomoc", (Command.HELP, "")), ("Menu", (Command.START, "")),
    ("status 12", (Command.STATUS, "12")), ("status #12", (Command.STATUS, "12")),
    ("!nowe", (Command.NEW, "")), ("język en", (Command.LANGUAGE, "en")),
    ("pomocy, nie działa mi konto", None), ("Nie pamiętam hasła", None),
])
def test_customers_command_words(typed: str, expected: tuple[Command, str] | None) -> None:
    assert keyword_command(typed) == expected


def _api_error(status: int, error: str, headers: dict[str, str] | None = None) -> SlackApiError:
    response = AsyncSlackResponse(client=AsyncWebClient(), http_verb="POST",
                                  api_url="https://slack.com/api/chat.postMessage",
                                  req_args={}, data={"ok": False, "error": error},
                                  headers=headers or {}, status_code=status)
    return SlackApiError(error, response)


def test_slack_errors_become_delivery_outcomes() -> None:
    gone = to_delivery_error(_api_error(200, "channel_not_found"))
    archived = to_delivery_error(_api_error(200, "is_archived"))
    limited = to_delivery_error(_api_error(429, "ratelimited", {"Retry-After": "30"}))
    server = to_delivery_error(_api_error(500, "internal_error"))
    revoked = to_delivery_error(_api_error(200, "token_revoked"))
    assert (gone.permanent, archived.permanent) == (True, True)
    assert (limited.permanent, limited.retry_after) == (False, 30.0)
    assert (server.permanent, revoked.permanent) == (False, False)  # an admin can fix a token
    assert to_delivery_error(TimeoutError()).permanent is False


async def test_the_pacer_lets_a_burst_through_then_keeps_the_pace() -> None:
    pacer = ChannelPacer(burst=2, per_second=20)
    started = time.monotonic()
    for _ in range(2):
        await pacer.wait("C1")
    burst = time.monotonic() - started
    await asyncio.gather(pacer.wait("C1"), pacer.wait("C1"))
    paced = time.monotonic() - started
    await pacer.wait("C2")  # another channel has its own bucket
    assert burst < 0.03 and paced >= 0.09
    assert time.monotonic() - started - paced < 0.03


def _manifest(name: str) -> dict[str, Any]:
    return json.loads((PROJECT_ROOT / "adapters" / "slack" / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["manifest.json", "manifest-http.json"])
def test_the_manifests_ask_for_what_the_adapter_uses(name: str) -> None:
    manifest = _manifest(name)
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "channels:history", "groups:history", "im:history",
            "channels:read", "groups:read", "reactions:write", "files:read", "files:write",
            "users:read", "commands"} <= scopes
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "message.channels", "message.groups", "message.im"}
    assert settings["interactivity"]["is_enabled"] is True
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == SlackSettings().command
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_read_only_enabled"] is False


def test_socket_mode_and_http_manifests_differ_only_in_how_slack_reaches_the_bot() -> None:
    socket, http = _manifest("manifest.json"), _manifest("manifest-http.json")
    assert socket["settings"]["socket_mode_enabled"] is True
    assert http["settings"]["socket_mode_enabled"] is False
    path = SlackSettings().events_path
    urls = [http["settings"]["event_subscriptions"]["request_url"],
            http["settings"]["interactivity"]["request_url"],
            http["features"]["slash_commands"][0]["url"]]
    assert all(url.startswith("https://") and url.endswith(path) for url in urls)
    assert "request_url" not in json.dumps(socket)
    assert socket["oauth_config"] == http["oauth_config"]



@pytest.mark.parametrize(("count", "expected"), [
    (1, "Masz 1 przypisane otwarte zgłoszenie:"),
    (2, "Masz 2 przypisane otwarte zgłoszenia:"),
    (5, "Masz 5 przypisanych otwartych zgłoszeń:"),
    (12, "Masz 12 przypisanych otwartych zgłoszeń:"),
    (22, "Masz 22 przypisane otwarte zgłoszenia:"),
    (25, "Masz 25 przypisanych otwartych zgłoszeń:"),
])
def test_the_desk_counts_in_polish_with_three_plural_forms(count: int, expected: str) -> None:
    translator = Translator(PROJECT_ROOT / "locales", strict=True)
    assert translator.render(Text("slack-mine-header", {"count": count}), "pl") == expected


def test_every_slack_string_exists_in_both_languages() -> None:
    translator = Translator(PROJECT_ROOT / "locales", strict=True)
    keys = {k for k in translator.message_ids("pl") if k.startswith("slack-")}
    assert len(keys) > 40
    assert keys == {k for k in translator.message_ids("en") if k.startswith("slack-")}
    assert {f"slack-status-{s.value}" for s in Status} <= keys
