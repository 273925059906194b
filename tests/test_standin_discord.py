"""The Discord stand-in, exercised through the real discord.py client (no mocks)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.standins.discord_api import DiscordStandIn, point_discord_at

USER_ID = 4_242_000_000_000_000_001
OTHER_USER_ID = 4_242_000_000_000_000_002
START_TIMEOUT = 5.0


# --------------------------------------------------------------------------------------
# A small bot built only from discord.py parts
# --------------------------------------------------------------------------------------


class TicketView(discord.ui.View):
    """A persistent view: no timeout, explicit custom_id."""

    def __init__(self, log: list[tuple[str, int]]) -> None:
        super().__init__(timeout=None)
        self.log = log

    @discord.ui.button(
        label="Close ticket", style=discord.ButtonStyle.danger, custom_id="ticket:close"
    )
    async def close_ticket(
        self, interaction: discord.Interaction, button: discord.ui.Button[TicketView]
    ) -> None:
        self.log.append(("close", interaction.user.id))
        await interaction.response.edit_message(content="Ticket closed.", view=None)


class TicketModal(discord.ui.Modal, title="New ticket"):
    subject: discord.ui.TextInput[TicketModal] = discord.ui.TextInput(
        label="Subject", custom_id="ticket:subject"
    )

    def __init__(self, log: list[tuple[str, int]], *, custom_id: str = "ticket:modal") -> None:
        super().__init__(timeout=None, custom_id=custom_id)
        self.log = log

    async def on_submit(self, interaction: discord.Interaction) -> None:
        self.log.append((f"modal:{self.subject.value}", interaction.user.id))
        await interaction.response.send_message(f"Got: {self.subject.value}", ephemeral=True)


class SupportBot(discord.Client):
    def __init__(self, *, persistent: bool = True) -> None:
        intents = discord.Intents.default()
        intents.dm_messages = True
        intents.message_content = True
        super().__init__(
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=0.1,
        )
        self.persistent = persistent
        self.tree = app_commands.CommandTree(self)
        self.received: list[discord.Message] = []
        self.log: list[tuple[str, int]] = []
        self.events: list[str] = []
        self.interaction_locales: list[str] = []
        self._add_commands()

    def _add_commands(self) -> None:
        ticket = app_commands.Group(name="ticket", description="Support tickets")

        @ticket.command(name="new", description="Open a ticket")
        async def ticket_new(interaction: discord.Interaction, subject: str) -> None:
            self.interaction_locales.append(interaction.locale.value)
            self.log.append((f"new:{subject}", interaction.user.id))
            await interaction.response.send_message(f"Ticket opened: {subject}", ephemeral=True)
            await interaction.followup.send("An agent will answer soon.", ephemeral=True)

        @ticket.command(name="form", description="Open a ticket with a form")
        async def ticket_form(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(TicketModal(self.log, custom_id="ticket:form"))

        @ticket.command(name="status", description="Look a ticket up (slowly)")
        async def ticket_status(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.edit_original_response(content="Ticket #7: open")
            extra = await interaction.followup.send("Details follow.", ephemeral=True, wait=True)
            await extra.edit(content="No details.")
            await extra.delete()

        self.tree.add_command(ticket)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every re-IDENTIFY; not needed against a stand-in."""

    async def setup_hook(self) -> None:
        if self.persistent:
            self.add_view(TicketView(self.log))
            self.add_view(TicketModal(self.log))

    async def on_ready(self) -> None:
        self.events.append("ready")

    async def on_resumed(self) -> None:
        self.events.append("resumed")

    async def on_message(self, message: discord.Message) -> None:
        assert self.user is not None
        if message.author.id == self.user.id:
            return
        self.received.append(message)
        if message.content.startswith("echo "):
            await message.channel.send(message.content.removeprefix("echo "))
        if message.attachments:
            data = await message.attachments[0].read()
            reply = discord.File(io.BytesIO(data[::-1]), filename="reversed.bin")
            await message.channel.send(f"got {len(data)} bytes", file=reply)


@contextlib.asynccontextmanager
async def running(client: discord.Client, stand_in: DiscordStandIn) -> AsyncIterator[None]:
    """Run ``client.start`` in a task until ready; close the client afterwards."""
    task = asyncio.create_task(client.start(stand_in.token))
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not client.is_ready():
            if task.done():
                task.result()  # raises what start() raised
                raise AssertionError("client.start returned before ready")
            if time.monotonic() > deadline:
                raise AssertionError("client not ready in time\n" + stand_in.dump())
            await asyncio.sleep(0.01)
        yield
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5.0)


@pytest.fixture
async def stand_in() -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn() as server:
        with point_discord_at(server):
            yield server


@pytest.fixture
async def bot(stand_in: DiscordStandIn) -> AsyncIterator[SupportBot]:
    client = SupportBot()
    async with running(client, stand_in):
        yield client


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------


async def test_point_discord_at_restores_globals() -> None:
    def current() -> tuple[str, str]:
        return discord.http.Route.BASE, str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)

    before = current()
    async with DiscordStandIn() as server:
        with point_discord_at(server):
            assert current() == (server.api_base, server.gateway_url)
    assert current() == before


async def test_login_ready_and_guild_create(stand_in: DiscordStandIn, bot: SupportBot) -> None:
    assert bot.events == ["ready"]
    assert bot.user is not None and bot.user.id == stand_in.bot_user_id
    assert bot.application_id == stand_in.application_id
    guild = bot.get_guild(stand_in.guild_id)
    assert guild is not None and not guild.unavailable
    assert guild.get_channel(stand_in.text_channel_id) is not None
    assert guild.me is not None
    assert stand_in.calls("GET", "/users/@me")
    assert stand_in.calls("GET", "/oauth2/applications/@me")
    assert stand_in.identify_count == 1
    assert stand_in.last_identify is not None
    assert stand_in.last_identify["intents"] & discord.Intents(message_content=True).value
    assert [e.type for e in stand_in.gateway_events[:2]] == ["READY", "GUILD_CREATE"]
    assert stand_in.heartbeat_count >= 1  # discord.py beats right after HELLO


async def test_rest_errors_look_like_discord(stand_in: DiscordStandIn) -> None:
    auth = {"Authorization": f"Bot {stand_in.token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(stand_in.api_base + "/users/@me") as resp:
            assert resp.status == 401
        async with http.get(stand_in.api_base + "/no/such/route", headers=auth) as resp:
            assert resp.status == 404
            assert resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["message"] == "404: Not Found"
        async with http.get(stand_in.api_base + "/gateway/bot", headers=auth) as resp:
            assert (await resp.json())["url"].startswith("ws://127.0.0.1:")
    client = SupportBot()
    with pytest.raises(discord.LoginFailure):
        await client.login("wrong-token")
    await client.close()


async def test_dm_reaches_on_message_and_reply_is_recorded(
    stand_in: DiscordStandIn, bot: SupportBot
) -> None:
    message_id = await stand_in.push_dm(USER_ID, "echo hello there", username="jan")
    await stand_in.wait_for(lambda: stand_in.messages_to(USER_ID))
    assert bot.received[0].id == message_id
    assert bot.received[0].content == "echo hello there"
    assert isinstance(bot.received[0].channel, discord.DMChannel)
    [reply] = stand_in.messages_to(USER_ID)
    assert reply.content == "hello there"
    assert reply.allowed_mentions == {"parse": []}
    assert reply.channel_id == stand_in.dm_channel_id(USER_ID)


async def test_attachment_download_and_upload(stand_in: DiscordStandIn, bot: SupportBot) -> None:
    await stand_in.push_dm(USER_ID, "", attachments=[("log.txt", b"abc123")])
    [reply] = await stand_in.wait_for(lambda: stand_in.messages_to(USER_ID))
    assert reply.content == "got 6 bytes"
    assert reply.files == [("reversed.bin", b"321cba")]


async def test_guild_message(stand_in: DiscordStandIn, bot: SupportBot) -> None:
    await stand_in.push_guild_message(OTHER_USER_ID, "echo in guild", username="ola")
    [reply] = await stand_in.wait_for(lambda: stand_in.messages_in(stand_in.text_channel_id))
    assert reply.content == "in guild"
    assert bot.received[0].guild is not None
    assert isinstance(bot.received[0].author, discord.Member)


async def test_too_long_message_is_rejected(stand_in: DiscordStandIn, bot: SupportBot) -> None:
    dm = await bot.create_dm(discord.Object(USER_ID))
    with pytest.raises(discord.HTTPException) as caught:
        await dm.send("x" * 2001)
    assert caught.value.status == 400
    assert caught.value.code == 50035
    assert "2000 or fewer" in caught.value.text
    assert stand_in.messages == []
    await dm.send("x" * 2000)
    assert len(stand_in.messages) == 1


async def test_rate_limit_is_waited_out(stand_in: DiscordStandIn, bot: SupportBot) -> None:
    dm = await bot.create_dm(discord.Object(USER_ID))
    stand_in.rate_limit_next("POST /channels/", retry_after=0.3)
    started = time.monotonic()
    await dm.send("after the 429")
    assert time.monotonic() - started >= 0.3
    assert [m.content for m in stand_in.messages] == ["after the 429"]
    assert stand_in.rate_limited_count == 1
    assert [c.status for c in stand_in.calls("POST", "/messages")] == [429, 200]


async def test_closed_dms_raise_forbidden(stand_in: DiscordStandIn, bot: SupportBot) -> None:
    stand_in.closed_dms.add(USER_ID)
    dm = await bot.create_dm(discord.Object(USER_ID))
    with pytest.raises(discord.Forbidden) as caught:
        await dm.send("hello?")
    assert caught.value.code == 50007
    assert stand_in.messages == []


async def test_slash_command_group_sync_and_invoke(
    stand_in: DiscordStandIn, bot: SupportBot
) -> None:
    synced = await bot.tree.sync()
    assert [c.name for c in synced] == ["ticket"]
    ticket = stand_in.command("ticket")
    assert ticket is not None
    assert {o["name"] for o in ticket["options"]} == {"new", "form", "status"}
    await bot.tree.sync(guild=discord.Object(stand_in.guild_id))  # empty guild tree
    assert stand_in.commands[stand_in.guild_id] == []

    interaction_id = await stand_in.push_slash_command(
        USER_ID, "ticket", "new", {"subject": "printer"}, locale="pl"
    )
    await stand_in.wait_for(lambda: stand_in.followups)
    [response] = stand_in.interaction_responses
    assert response.interaction_id == interaction_id
    assert response.type == 4
    assert response.content == "Ticket opened: printer"
    assert response.ephemeral
    [followup] = stand_in.followups
    assert followup.action == "create" and followup.ephemeral
    assert bot.interaction_locales == ["pl"]
    assert bot.log == [("new:printer", USER_ID)]

    # The same command from a DM (no member, a user object instead).
    await stand_in.push_slash_command(USER_ID, "ticket", "new", {"subject": "dm"}, guild=False)
    await stand_in.wait_for(lambda: len(stand_in.followups) == 2)
    assert stand_in.interaction_responses[-1].content == "Ticket opened: dm"


async def test_persistent_button_after_restart(stand_in: DiscordStandIn) -> None:
    first = SupportBot(persistent=False)
    async with running(first, stand_in):
        dm = await first.create_dm(discord.Object(USER_ID))
        sent = await dm.send("Your ticket #1", view=TicketView(first.log))
    [record] = stand_in.messages
    assert record.components[0]["components"][0]["custom_id"] == "ticket:close"

    second = SupportBot()  # a "restarted" bot: only the persistent view knows the button
    async with running(second, stand_in):
        await stand_in.push_component(USER_ID, "ticket:close", message_id=sent.id)
        await stand_in.wait_for(lambda: stand_in.interaction_responses)
    assert second.log == [("close", USER_ID)]
    [response] = stand_in.interaction_responses
    assert response.type == 7
    assert record.content == "Ticket closed."
    assert record.components == []


async def test_modal_submit_reaches_persistent_modal(
    stand_in: DiscordStandIn, bot: SupportBot
) -> None:
    await stand_in.push_modal_submit(USER_ID, "ticket:modal", {"ticket:subject": "no sound"})
    await stand_in.wait_for(lambda: stand_in.interaction_responses)
    assert bot.log == [("modal:no sound", USER_ID)]
    assert stand_in.interaction_responses[0].content == "Got: no sound"

    # discord.py 2.7: a modal added with add_view stop()s after its first successful
    # on_submit, which removes it from the store; the next submit is dropped silently.
    await stand_in.push_modal_submit(USER_ID, "ticket:modal", {"ticket:subject": "again"})
    await asyncio.sleep(0.2)
    assert len(stand_in.interaction_responses) == 1


async def test_modal_sent_by_command_then_submitted(
    stand_in: DiscordStandIn, bot: SupportBot
) -> None:
    await bot.tree.sync()
    await stand_in.push_slash_command(USER_ID, "ticket", "form")
    [modal] = await stand_in.wait_for(lambda: stand_in.interaction_responses)
    assert modal.type == 9
    assert modal.custom_id == "ticket:form"
    assert modal.data["title"] == "New ticket"
    await stand_in.push_modal_submit(
        USER_ID, "ticket:form", {"ticket:subject": "broken"}, labels=True
    )
    await stand_in.wait_for(lambda: len(stand_in.interaction_responses) == 2)
    assert bot.log == [("modal:broken", USER_ID)]


async def test_duplicate_dispatch_is_delivered_twice(
    stand_in: DiscordStandIn, bot: SupportBot
) -> None:
    message_id = await stand_in.push_dm(USER_ID, "once")
    await stand_in.wait_for(lambda: bot.received)
    await stand_in.replay(message_id)
    await stand_in.wait_for(lambda: len(bot.received) == 2)
    assert [m.id for m in bot.received] == [message_id, message_id]


async def test_reconnect_resumes_and_replays(stand_in: DiscordStandIn, bot: SupportBot) -> None:
    await stand_in.force_reconnect(op7=True)
    await stand_in.wait_for(lambda: "resumed" in bot.events)
    assert (stand_in.identify_count, stand_in.resume_count) == (1, 1)
    assert stand_in.gateway_paths[-1] == "/gw-resume/"  # READY's resume_gateway_url
    await stand_in.push_dm(USER_ID, "echo after op 7")
    await stand_in.wait_for(lambda: stand_in.messages_to(USER_ID))

    # A resumable close; the DM pushed while the client is away is replayed on RESUME.
    await stand_in.force_reconnect(op7=False, wait=False)
    await stand_in.push_dm(USER_ID, "echo while away")
    await stand_in.wait_for(lambda: len(stand_in.messages_to(USER_ID)) == 2)
    assert (stand_in.identify_count, stand_in.resume_count) == (1, 2)
    assert stand_in.replayed_count == 1
    assert [m.content for m in stand_in.messages_to(USER_ID)] == ["after op 7", "while away"]


async def test_invalid_session_leads_to_a_new_identify(
    stand_in: DiscordStandIn, bot: SupportBot
) -> None:
    await stand_in.invalidate_session(resumable=False)
    await stand_in.wait_for(lambda: stand_in.identify_count == 2)
    await stand_in.push_dm(USER_ID, "echo after identify")
    [reply] = await stand_in.wait_for(lambda: stand_in.messages_to(USER_ID))
    assert reply.content == "after identify"
    assert stand_in.resume_count == 0


async def test_deferred_response_edit_original_and_followups(
    stand_in: DiscordStandIn, bot: SupportBot
) -> None:
    await bot.tree.sync()
    await stand_in.push_slash_command(USER_ID, "ticket", "status")
    await stand_in.wait_for(lambda: any(f.action == "delete" for f in stand_in.followups))
    [deferred] = stand_in.interaction_responses
    assert deferred.type == 5 and deferred.ephemeral
    actions = [(f.action, f.original, f.content) for f in stand_in.followups]
    assert actions == [
        ("edit", True, "Ticket #7: open"),
        ("create", False, "Details follow."),
        ("edit", False, "No details."),
        ("delete", False, None),
    ]


async def test_disallowed_privileged_intents() -> None:
    async with DiscordStandIn(privileged_intents_enabled=False) as server:
        with point_discord_at(server):
            client = SupportBot()
            try:
                with pytest.raises(discord.PrivilegedIntentsRequired):
                    await asyncio.wait_for(client.start(server.token), timeout=START_TIMEOUT)
            finally:
                await client.close()
    assert server.identify_count == 1
