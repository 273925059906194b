"""Agents' edits and deletions reach what the customer saw, within a short window."""

from __future__ import annotations

from pathlib import Path

from bot.actions import DeleteCustomerMessage, DeskEvent, EditCustomerMessage
from bot.events import AgentDelete, AgentEdit, AgentReply
from bot.model import Command
from tests.harness import Harness, new_event_id
from tests.test_engine_lifecycle import open_account_ticket


async def reply(h: Harness, text: str) -> str:
    event_id = new_event_id()
    await h.send(AgentReply(event_id, h.agent, 1, text))
    return event_id


async def test_an_edit_changes_the_delivered_message(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await open_account_ticket(h)
        original = await reply(h, "Prosze zrestartowac")
        delivered_ref = str(len(h.chat.delivered))  # the recording channel's reference
        assert h.desk_notices()[-1].event is DeskEvent.DELIVERED
        await h.send(AgentEdit(new_event_id(), h.agent, 1, original, "Proszę zrestartować."))
        edit = h.chat.delivered[-1]
        assert isinstance(edit, EditCustomerMessage) and edit.ref == delivered_ref
        assert "Proszę zrestartować." in h.translator.render_all(edit.texts, edit.language)
        history = await h.command(Command.STATUS, "1")
        assert "Proszę zrestartować." in history and "Prosze zrestartowac" not in history
        kinds = [e.kind for e in await h.store.ticket_events(1)]
        assert "message_edited" in kinds


async def test_an_edit_before_delivery_replaces_what_will_be_sent(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await open_account_ticket(h)
        original_id = new_event_id()
        await h.engine.handle(AgentReply(original_id, h.agent, 1, "literówka"))
        await h.engine.handle(AgentEdit(new_event_id(), h.agent, 1, original_id, "poprawione"))
        await h.dispatcher.drain()
        texts = [h.render(m) for m in h.messages_to()]
        assert any("poprawione" in t for t in texts)
        assert not any("literówka" in t for t in texts)
        assert not [a for a in h.chat.delivered if isinstance(a, EditCustomerMessage)]


async def test_a_deletion_withdraws_the_message(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await open_account_ticket(h)
        original = await reply(h, "Wysłane do złego klienta")
        await h.send(AgentDelete(new_event_id(), h.agent, 1, original))
        assert isinstance(h.chat.delivered[-1], DeleteCustomerMessage)
        assert "Wysłane do złego klienta" not in await h.command(Command.STATUS, "1")


async def test_an_edit_after_the_window_is_reported_to_the_desk(tmp_path: Path) -> None:
    async with Harness(tmp_path / "db.sqlite3") as h:
        await open_account_ticket(h)
        original = await reply(h, "Stara odpowiedź")
        sent = len(h.chat.delivered)
        h.clock.advance(minutes=16)
        await h.send(AgentEdit(new_event_id(), h.agent, 1, original, "Nowa"))
        assert len(h.chat.delivered) == sent
        notice = h.desk_notices()[-1]
        assert notice.event is DeskEvent.ALERT and notice.text is not None
        assert notice.text.key == "desk-edit-too-late"
