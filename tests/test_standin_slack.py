"""The Slack stand-in, driven by the real slack-bolt and slack-sdk (no mocks)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.standins.slack_api import SlackStandIn

SECRET = "test-signing-secret"


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as stand_in:
        yield stand_in


def web_client(slack: SlackStandIn, token: str | None = None) -> AsyncWebClient:
    return AsyncWebClient(
        token=token or slack.bot_token,
        base_url=slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
    )


@pytest.fixture
def app(slack: SlackStandIn) -> AsyncApp:
    return AsyncApp(client=web_client(slack), signing_secret=SECRET)


@pytest.fixture
async def events_url(app: AsyncApp) -> AsyncIterator[str]:
    server = TestServer(app.web_app(path="/slack/events"), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/slack/events"))
    finally:
        await server.close()


# ------------------------------------------------------------------------------ Events API


async def test_signed_message_event_reaches_handler_which_replies_in_thread(
    slack: SlackStandIn, app: AsyncApp, events_url: str
) -> None:
    seen: list[dict[str, Any]] = []

    @app.event("message")
    async def on_message(event: dict[str, Any], say: Any) -> None:
        seen.append(event)
        await say(text=f"got: {event['text']}", thread_ts=event["ts"])

    event = slack.message_event("C1", "U1", "my printer is on fire")
    status, _ = await slack.send_event(events_url, event, signing_secret=SECRET)

    assert status == 200
    posts = await slack.wait_for(lambda: slack.posts)
    assert [e["text"] for e in seen] == ["my printer is on fire"]
    assert posts[0].channel == "C1"
    assert posts[0].thread_ts == event["ts"]
    assert posts[0].text == "got: my printer is on fire"
    assert slack.messages_in("C1", thread_ts=event["ts"]) == posts
    # bolt calls auth.test lazily, once, to learn its own user id.
    assert len(slack.calls_of("auth.test")) == 1


async def test_bot_ignores_its_own_messages(
    slack: SlackStandIn, app: AsyncApp, events_url: str
) -> None:
    seen: list[dict[str, Any]] = []

    @app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        seen.append(event)

    own = slack.message_event("C1", slack.bot_user_id, "echo", bot_id=slack.bot_id)
    status, _ = await slack.send_event(events_url, own, signing_secret=SECRET)

    assert status == 200
    assert seen == []


async def test_forged_signature_is_rejected_and_handler_not_run(
    slack: SlackStandIn, app: AsyncApp, events_url: str
) -> None:
    seen: list[dict[str, Any]] = []

    @app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        seen.append(event)

    event = slack.message_event("C1", "U1", "hello")
    status, _ = await slack.send_event(
        events_url, event, signing_secret=SECRET, signature="v0=" + "0" * 64
    )
    wrong_secret_status, _ = await slack.send_event(events_url, event, signing_secret="other")

    assert (status, wrong_secret_status) == (401, 401)
    assert seen == []
    assert slack.calls == []  # verification comes before authorization (auth.test)


async def test_stale_timestamp_is_rejected(
    slack: SlackStandIn, app: AsyncApp, events_url: str
) -> None:
    seen: list[dict[str, Any]] = []

    @app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        seen.append(event)

    event = slack.message_event("C1", "U1", "hello")
    status, _ = await slack.send_event(
        events_url, event, signing_secret=SECRET, timestamp=time.time() - 5 * 60 - 10
    )

    assert status == 401
    assert seen == []


async def test_retried_event_is_dispatched_twice_bolt_does_not_dedup(
    slack: SlackStandIn, app: AsyncApp, events_url: str
) -> None:
    deliveries: list[tuple[str, str | None]] = []

    @app.event("message")
    async def on_message(body: dict[str, Any], request: AsyncBoltRequest) -> None:
        retry = request.headers.get("x-slack-retry-num")
        deliveries.append((body["event_id"], retry[0] if retry else None))

    event = slack.message_event("C1", "U1", "hello")
    first, _ = await slack.send_event(events_url, event, signing_secret=SECRET, event_id="Ev1")
    again, _ = await slack.send_event(
        events_url, event, signing_secret=SECRET, event_id="Ev1", retry_num=1
    )

    assert (first, again) == (200, 200)
    await slack.wait_for(lambda: len(deliveries) == 2)
    # The same event_id reaches the listener twice: deduplication is the app's job.
    assert deliveries == [("Ev1", None), ("Ev1", "1")]


async def test_url_verification_echoes_the_challenge(
    slack: SlackStandIn, app: AsyncApp, events_url: str
) -> None:
    status, body = await slack.send_json(
        events_url, slack.url_verification("abc123"), signing_secret=SECRET
    )

    assert status == 200
    assert json.loads(body) == {"challenge": "abc123"}


# ------------------------------------------------------------------------------ interactivity


async def test_block_action_is_acked_and_can_react_and_respond(
    slack: SlackStandIn, app: AsyncApp, events_url: str
) -> None:
    posted = await app.client.chat_postMessage(channel="C1", text="New ticket #7")
    message_ts = posted["ts"]

    @app.action("claim")
    async def on_claim(ack: Any, body: dict[str, Any], client: AsyncWebClient,
                       respond: Any) -> None:
        await ack()
        container = body["container"]
        await client.reactions_add(
            channel=container["channel_id"], timestamp=container["message_ts"], name="eyes"
        )
        await respond(text=f"claimed by <@{body['user']['id']}>", replace_original=True)

    payload = slack.block_actions("U2", "claim", "7", channel="C1", message_ts=message_ts)
    status, _ = await slack.send_interaction(events_url, payload, signing_secret=SECRET)

    assert status == 200
    await slack.wait_for(lambda: slack.reactions and slack.responses)
    assert slack.reactions == [("C1", message_ts, "eyes")]
    assert slack.responses[0].body["text"] == "claimed by <@U2>"
    assert slack.responses[0].origin["kind"] == "block_actions"
    # replace_original through the response_url edits the stored message.
    current = slack.message("C1", message_ts)
    assert current is not None and current.text == "claimed by <@U2>"
    assert slack.posts[0].text == "New ticket #7"  # posts keep what was posted


async def test_action_opens_modal_and_submission_reaches_view_handler(
    slack: SlackStandIn, app: AsyncApp, events_url: str
) -> None:
    submitted: list[dict[str, Any]] = []

    @app.action("open_form")
    async def on_open(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view={
            "type": "modal",
            "callback_id": "ticket_form",
            "title": {"type": "plain_text", "text": "Ticket"},
            "blocks": [{"type": "input", "block_id": "subject",
                        "element": {"type": "plain_text_input", "action_id": "value"},
                        "label": {"type": "plain_text", "text": "Subject"}}],
        })

    @app.view("ticket_form")
    async def on_submit(ack: Any, view: dict[str, Any]) -> None:
        await ack()
        submitted.append(view)

    action = slack.block_actions("U1", "open_form", "x", channel="C1", message_ts="1.2",
                                 trigger_id="trig-1")
    assert (await slack.send_interaction(events_url, action, signing_secret=SECRET))[0] == 200
    views = await slack.wait_for(lambda: slack.views)
    assert views[0].trigger_id == "trig-1"
    assert views[0].view["callback_id"] == "ticket_form"

    submission = slack.view_submission(
        "U1", "ticket_form", {"subject": {"value": "VPN down"}}, private_metadata="C1",
        view_id=views[0].view_id,
    )
    status, _ = await slack.send_interaction(events_url, submission, signing_secret=SECRET)

    assert status == 200
    await slack.wait_for(lambda: submitted)  # the listener may finish after ack() answered
    assert submitted[0]["state"]["values"]["subject"]["value"]["value"] == "VPN down"
    assert submitted[0]["private_metadata"] == "C1"


async def test_slash_command_reaches_handler_and_respond_is_recorded(
    slack: SlackStandIn, app: AsyncApp, events_url: str
) -> None:
    @app.command("/ticket")
    async def on_ticket(ack: Any, command: dict[str, Any], respond: Any) -> None:
        await ack()
        await respond(f"Ticket created: {command['text']}")

    status, _ = await slack.send_command(
        events_url, "/ticket", "printer broken", user_id="U1", channel_id="C1",
        signing_secret=SECRET,
    )

    assert status == 200
    responses = await slack.wait_for(lambda: slack.responses)
    assert responses[0].body["text"] == "Ticket created: printer broken"
    assert responses[0].origin == {
        "kind": "slash_command", "command": "/ticket", "channel": "C1", "user": "U1",
    }


# ------------------------------------------------------------------------------ Web API


async def test_rate_limited_post_is_retried_and_recorded_once(
    slack: SlackStandIn, app: AsyncApp, events_url: str
) -> None:
    @app.event("message")
    async def on_message(event: dict[str, Any], say: Any) -> None:
        await say(text="on it", thread_ts=event["ts"])

    slack.rate_limit_next("chat.postMessage", times=1, retry_after=1)
    started = time.monotonic()
    event = slack.message_event("C1", "U1", "hello")
    status, _ = await slack.send_event(events_url, event, signing_secret=SECRET)

    assert status == 200
    await slack.wait_for(lambda: slack.posts, timeout=5.0)
    assert time.monotonic() - started >= 1.0  # the client honoured Retry-After
    assert [p.text for p in slack.posts] == ["on it"]
    assert slack.rate_limited == {"chat.postMessage": 1}
    assert len(slack.calls_of("chat.postMessage")) == 2


async def test_faults_and_auth_errors_surface_as_slack_api_errors(slack: SlackStandIn) -> None:
    client = web_client(slack)
    slack.fail_next("chat.postMessage", error="channel_not_found")
    slack.fail_next("chat.postMessage", error="internal_error", status=500)

    with pytest.raises(SlackApiError) as not_found:
        await client.chat_postMessage(channel="C404", text="x")
    with pytest.raises(SlackApiError) as server_error:
        await client.chat_postMessage(channel="C1", text="x")
    with pytest.raises(SlackApiError) as bad_token:
        await web_client(slack, token="xoxb-wrong").auth_test()

    assert not_found.value.response["error"] == "channel_not_found"
    assert server_error.value.response.status_code == 500
    assert bad_token.value.response["error"] == "invalid_auth"
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"]
    assert slack.failures_sent == {"chat.postMessage": 2}


async def test_message_limits_and_message_lifecycle(slack: SlackStandIn) -> None:
    client = web_client(slack)

    long = await client.chat_postMessage(channel="C1", text="a" * 40_001)
    with pytest.raises(SlackApiError) as too_many:
        await client.chat_postMessage(
            channel="C1", text="x", blocks=[{"type": "divider"}] * 51
        )
    second = await client.chat_postMessage(
        channel="C1", text="fallback",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}],
    )
    await client.chat_update(channel="C1", ts=second["ts"], text="edited")
    await client.chat_delete(channel="C1", ts=long["ts"])
    ephemeral = await client.chat_postEphemeral(channel="C1", user="U1", text="psst")
    link = await client.chat_getPermalink(channel="C1", message_ts=second["ts"])

    assert len(slack.posts[0].text) == 40_000
    assert too_many.value.response["error"] == "invalid_blocks"
    assert float(long["ts"]) < float(second["ts"])
    assert [m.text for m in slack.messages_in("C1")] == ["edited"]
    assert slack.updates[0].text == "edited"
    assert slack.deletes == [("C1", long["ts"])]
    assert slack.ephemerals[0].user == "U1" and ephemeral["message_ts"]
    assert link["permalink"].endswith(f"/archives/C1/p{second['ts'].replace('.', '')}")


async def test_directory_methods(slack: SlackStandIn) -> None:
    client = web_client(slack)
    slack.channel_members["C1"] = {"U1", "U2", slack.bot_user_id}
    slack.users["U1"] = {"name": "ania", "real_name": "Anna Nowak", "locale": "pl-PL"}

    auth = await client.auth_test()
    members = await client.conversations_members(channel="C1")
    dm = await client.conversations_open(users="U1")
    info = await client.conversations_info(channel="C1")
    user = await client.users_info(user="U1", include_locale=True)
    without_locale = await client.users_info(user="U1")

    assert (auth["user_id"], auth["bot_id"], auth["team_id"]) == ("UBOT", "BBOT", "T1")
    assert sorted(members["members"]) == ["U1", "U2", "UBOT"]
    assert dm["channel"]["id"] == "DU1"
    assert info["channel"]["id"] == "C1"
    assert user["user"]["real_name"] == "Anna Nowak"
    assert user["user"]["locale"] == "pl-PL"
    assert "locale" not in without_locale["user"]


async def test_files_upload_v2_records_bytes_and_downloads_need_auth(
    slack: SlackStandIn,
) -> None:
    client = web_client(slack)

    result = await client.files_upload_v2(
        channel="C1", thread_ts="1700000000.000100", filename="log.txt",
        content=b"\x00binary log\xff", title="Log", initial_comment="attached",
    )

    upload = slack.uploads[0]
    assert upload.content == b"\x00binary log\xff"
    assert (upload.filename, upload.title, upload.channel) == ("log.txt", "Log", "C1")
    assert upload.thread_ts == "1700000000.000100"
    assert upload.initial_comment == "attached"
    assert result["file"]["id"] == upload.file_id

    shared = slack.add_file("customer screenshot", "shot.png")
    url = shared["url_private_download"]
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers={"Authorization": "Bearer xoxb-test"}) as ok:
            assert (ok.status, await ok.read()) == (200, b"customer screenshot")
            assert ok.content_type == "image/png"
        async with session.get(url) as anonymous:
            # Like Slack: no token -> redirect to an HTML sign-in page answering 200.
            assert anonymous.status == 200
            assert anonymous.content_type == "text/html"


# ------------------------------------------------------------------------------ Socket Mode


async def test_socket_mode_events_commands_and_reconnect(
    slack: SlackStandIn, app: AsyncApp
) -> None:
    seen: list[str] = []

    @app.event("message")
    async def on_message(event: dict[str, Any], say: Any) -> None:
        seen.append(event["text"])
        await say(text="pong", thread_ts=event["ts"])

    @app.command("/ticket")
    async def on_ticket(ack: Any, command: dict[str, Any]) -> None:
        await ack(f"Created: {command['text']}")

    handler = AsyncSocketModeHandler(app, app_token=slack.app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    try:
        await slack.wait_socket_connected()
        assert len(slack.calls_of("apps.connections.open")) == 1

        event = slack.message_event("C1", "U1", "ping")
        ack = await slack.socket_send(
            "events_api", slack.event_callback(event), envelope_id="env-1"
        )
        assert ack == {"envelope_id": "env-1"}
        posts = await slack.wait_for(lambda: slack.posts)
        assert (posts[0].text, posts[0].thread_ts) == ("pong", event["ts"])

        command_ack = await slack.socket_send(
            "slash_commands", slack.slash_command("/ticket", "VPN"), envelope_id="env-2"
        )
        assert command_ack is not None
        assert command_ack["payload"]["text"] == "Created: VPN"

        # Slack's "disconnect" message: the SDK fetches a new URL and reconnects.
        await slack.socket_disconnect()
        await slack.wait_socket_connected(at_least=2)
        # A hard close from the server side: the SDK reconnects too.
        await slack.socket_disconnect(hard=True)
        await slack.wait_socket_connected(at_least=3)
        assert len(slack.calls_of("apps.connections.open")) == 3

        await slack.socket_send_event(slack.message_event("C1", "U1", "again"))
        await slack.wait_for(lambda: len(seen) == 2)  # acked first, the listener runs after
        assert seen == ["ping", "again"]
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
