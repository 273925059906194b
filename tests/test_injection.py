"""Injection: what customers and agents type never pings, never formats as the bot, and never
breaks out of its quote in the agents' thread, through the real adapters.

One hostile text carries every platform's specials at once: Slack's ``<!channel>``, mentions,
channel links and masked links, Telegram's HTML, Discord's mentions and Markdown, and lines
that try to end the quote and speak as the support team. It goes in as a Telegram customer's
subject, description, name and follow-up, as a Slack customer's DM, and as a Discord DM; it
comes back as an agent's reply. Figures go to ``injection.json`` (see load_driver).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.discord_world import discord_world
from tests.load_driver import record_case
from tests.slack_harness import (
    AGENTS,
    ANNA,
    SlackCustomer,
    message_text,
    rendered,
    running_desk,
)
from tests.standins.discord_api import DiscordStandIn
from tests.standins.slack_api import Message, SlackStandIn
from tests.telegram_harness import USER
from tests.test_hostile_input import ODD_TEXTS
from tests.test_platform_faults import World, world

REPORT = "injection"
SPECIALS = ("<!channel> <!here|here> <!subteam^S0TEAM> <@UANNA> <#CAGENTS|agents> "
            "<https://evil.example|Kliknij tutaj>")
HTML = "<b>pogrubione</b> <a href=\"https://evil.example\">link</a> &amp;"
DISCORD = "@everyone @here <@&555> <@!4242> **pilne** __x__ ||spoiler|| [a](https://evil.example)"
BREAKOUT = "\n\n*Zespół wsparcia*: proszę podać hasło\n> fałszywy cytat\n```kod```"
HOSTILE = f"{SPECIALS} {HTML} {DISCORD}{BREAKOUT}"
HOSTILE_NAME = "Jan* <!channel> `x` <@UANNA>"

# Raw Slack specials: anything in angle brackets is a mention, a link or a command to Slack.
SLACK_SPECIAL = re.compile(r"<[!@#]|<https?:|<mailto:")


pytestmark = pytest.mark.usefixtures("ptb_timedelta")


def all_slack_text(message: Message) -> str:
    """What Slack parses for mentions and links: the message text and every mrkdwn text
    object in its blocks (plain_text, such as the root's header, is shown literally)."""
    found = [message.text]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(str(node.get("text", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.blocks or [])
    return "\n".join(found)


async def hostile_ticket(w: World) -> int:
    """A Telegram customer with a hostile name files a ticket in hostile words."""
    tg = w.tg
    name = HOSTILE_NAME
    await w.customer_does(lambda: tg.push_command(USER, "/new", first_name=name))
    await w.customer_does(lambda: tg.push_callback(USER, "cat:other", first_name=name))
    await w.customer_does(lambda: tg.push_text(USER, "<!channel> <b>pilne</b> **@everyone**",
                                               first_name=name))
    await w.customer_does(lambda: tg.push_text(USER, HOSTILE, first_name=name))
    for data in ("f:done", "f:skip", "f:ok"):
        await w.customer_does(lambda d=data: tg.push_callback(USER, d, first_name=name))
    created = tg.messages_for(USER)[-1].visible_text or ""
    number = int(created.split("zgłoszenie nr ")[1].split(".")[0])
    await w.customer_does(lambda: tg.push_text(USER, HOSTILE, first_name=name))
    await w.settled()
    return number


async def test_a_telegram_customers_words_stay_quoted_and_inert_on_the_desk(
        tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        number = await hostile_ticket(w)
        thread_ts = await w.thread_ts(number)
        root = w.slack.message(AGENTS, thread_ts)
        assert root is not None
        line = next(m for m in w.slack.messages_in(AGENTS, thread_ts) if "pisze:" in m.text)
        telegram_texts = [m.text or "" for m in w.tg.messages_for(USER)]
        summary = next(m for m in w.tg.messages_for(USER)
                       if (m.visible_text or "").startswith("Sprawdź zgłoszenie"))
        posts = list(w.slack.posts)

    # Slack: no raw special anywhere the bot posted; the name cannot leave its line; every
    # line of the customer's words is inside the quote, so none can pass for the bot's own.
    raw = [p.ts for p in posts if SLACK_SPECIAL.search(all_slack_text(p))]
    header, *quoted = line.text.split("\n")
    record_case(REPORT, "telegram customer -> slack desk", {
        "slack_posts": len(posts), "posts_with_raw_specials": len(raw),
        "thread_line_header": header, "quoted_lines": len(quoted),
        "unquoted_customer_lines": sum(1 for q in quoted if not q.startswith(">")),
        "unfurl_links": line.params.get("unfurl_links")})
    assert raw == []
    assert header == "*Jan* &lt;!channel&gt; `x` &lt;@UANNA&gt;* (telegram) pisze:"
    assert quoted and all(q.startswith(">") for q in quoted)
    assert "> *Zespół wsparcia*: proszę podać hasło" in quoted
    assert "&lt;!channel&gt;" in line.text and "&lt;https://evil.example|Kliknij tutaj&gt;" \
        in line.text
    assert line.params.get("unfurl_links") is False
    # The subject: escaped in the notification text, literal in the plain_text header.
    assert "&lt;!channel&gt; &lt;b&gt;pilne&lt;/b&gt;" in root.text
    assert "<!channel> <b>pilne</b>" in rendered({"blocks": root.blocks})

    # Telegram: what the customer typed comes back as text, not markup: no tag is ever sent.
    assert all("<" not in text for text in telegram_texts), "a raw tag reached Telegram"
    assert "<b>pogrubione</b>" in (summary.visible_text or "")  # shown as typed
    assert "&lt;b&gt;pogrubione&lt;/b&gt;" in (summary.text or "")


async def test_an_agents_mentions_and_links_reach_the_customer_as_plain_text(
        tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        number = await w.open_ticket()
        # Slack's wire format: mentions, a special, a link, and escaped HTML the agent typed.
        await w.agent_replies(number, "Pomoże <@UANNA> i <@UBOB>, <!channel> wie. Zobacz "
                                      "<https://pomoc.example/adres|instrukcję>. "
                                      "&lt;b&gt;nie pogrubione&lt;/b&gt; &amp; tyle")
        await w.settled()
        reply = w.tg.messages_for(USER)[-1]
    shown = (reply.visible_text or "").split("\n", 1)[1]
    record_case(REPORT, "slack agent -> telegram customer",
                {"customer_reads": shown, "raw_tags_sent": "<" in (reply.text or "")})
    assert shown == ("Pomoże @Anna Nowak i @Bob Smith, @channel wie. Zobacz instrukcję "
                     "(https://pomoc.example/adres). <b>nie pogrubione</b> & tyle")
    assert "<" not in (reply.text or "")  # escaped for HTML: nothing formats


async def test_a_slack_customers_mentions_are_shown_escaped_in_the_thread(
        tmp_path: Path) -> None:
    async with SlackStandIn() as slack, running_desk(tmp_path, slack) as desk:
        kasia = SlackCustomer(desk, "UKASIA", name="Kasia <!channel>")
        await kasia.say("nowe")
        await kasia.press("Sugestia")
        await kasia.say("Temat <!here>")
        await kasia.say("Opis z <!channel> i <@UANNA> oraz &lt;!everyone&gt; wpisanym ręcznie.")
        await kasia.press("Wyślij zgłoszenie")
        number = int(kasia.last_text().split("zgłoszenie nr ")[1].split(".")[0])
        # A real @channel mention (wire format) and a typed one (Slack escapes it itself).
        await kasia.say("<!channel> pilne! &lt;!channel&gt; <https://evil.example|tu>")
        await desk.settle()
        thread = await desk.thread(number)
        root = await desk.root(number)
        posts = list(slack.posts)
    raw = [p.ts for p in posts if p.channel == AGENTS and SLACK_SPECIAL.search(all_slack_text(p))]
    line = next(m for m in thread if "pisze:" in m.text)
    record_case(REPORT, "slack customer -> slack desk",
                {"agents_channel_posts": sum(p.channel == AGENTS for p in posts),
                 "posts_with_raw_specials": len(raw), "thread_line": line.text})
    assert raw == []
    assert line.text == ("*Kasia &lt;!channel&gt;* (slack) pisze:\n"
                         "> @channel pilne! &lt;!channel&gt; tu (https://evil.example)")
    assert "Temat @here" in message_text(root)


async def test_discord_text_pings_nobody_and_shows_markdown_as_typed(tmp_path: Path) -> None:
    async with DiscordStandIn() as stand_in, discord_world(tmp_path, stand_in) as w:
        await w.dm("!new")
        await w.press("Sugestia")
        await w.dm("@everyone **pilne** <@4242>")
        summary = await w.dm("Opis: " + DISCORD)
        number_text = await w.press("Wyślij zgłoszenie")
        number = int(number_text.split("zgłoszenie nr ")[1].split(".")[0])
        before = len(w.messages())
        await w.agent_reply(number, "@here <@&555> **ważne** ||tajne|| [x](https://evil.example)")
        [reply] = await w.replies(before)
        mentions: list[Any] = [m.allowed_mentions for m in stand_in.messages]
    record_case(REPORT, "discord customer and agent text",
                {"messages": len(mentions),
                 "allowed_mentions": sorted({str(m) for m in mentions}),
                 "summary_line": next(x for x in summary.splitlines() if "Temat" in x),
                 "agent_reply": reply.content.split("\n", 1)[1]})
    assert mentions and all(m == {"parse": []} for m in mentions)  # nothing can ping
    assert r"Temat: @everyone \*\*pilne\*\* <@4242>" in summary
    assert r"\|\|spoiler\|\|" in summary and r"\*\*pilne\*\*" in summary
    assert reply.content.split("\n", 1)[1] == (
        r"@here <@&555> \*\*ważne\*\* \|\|tajne\|\| \[x](https://evil.example)")


# -- odd, oversized and malformed input at the platform level ------------------------------------
async def test_odd_and_oversized_text_from_telegram_is_kept_as_written_and_answered(
        tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        number = await w.open_ticket()
        answers: dict[str, str] = {}
        for name, (text, _) in ODD_TEXTS.items():
            await w.customer_does(lambda t=text: w.tg.push_text(USER, t))
            answers[name] = w.tg.messages_for(USER)[-1].visible_text or ""
        await w.customer_does(lambda: w.tg.push_text(USER, "ż" * 100_000))
        too_long = w.tg.messages_for(USER)[-1].visible_text or ""
        await w.settled()
        bodies = [m.body for m in await w.runtime.store.ticket_messages(number)][1:]
        thread = w.slack.messages_in(AGENTS, await w.thread_ts(number))
    record_case(REPORT, "odd text through telegram", {
        "texts": len(ODD_TEXTS), "answered_added": sum("Dopisano" in a for a in answers.values()),
        "stored_as_expected": bodies == [kept for _, kept in ODD_TEXTS.values()],
        "shown_in_thread": sum("pisze:" in m.text for m in thread),
        "100kB_answer": too_long})
    assert all("Dopisano do zgłoszenia" in a for a in answers.values()), answers
    assert bodies == [kept for _, kept in ODD_TEXTS.values()]  # nothing lost, nothing extra
    assert sum("pisze:" in m.text for m in thread) == len(ODD_TEXTS)
    assert "Wiadomość jest za długa (100\xa0000 znaków, limit to 20\xa0000)" in too_long


MALFORMED_UPDATES: dict[str, dict[str, Any]] = {
    "no kind at all": {},
    "message is not an object": {"message": "hello"},
    "message without chat or date": {"message": {"text": "no chat, no date, no message_id"}},
    "chat of the wrong type": {"message": {"message_id": 1, "date": 0, "chat": "oops",
                                           "text": "x"}},
    "callback without a user": {"callback_query": {"id": "77", "data": "m:new"}},
    "content of a kind never seen": {"message": {
        "message_id": 5, "date": 0, "chat": {"id": USER, "type": "private"},
        "from": {"id": USER, "is_bot": False, "first_name": "Jan"},
        "hologram": {"id": "h1"}}},
}


async def test_malformed_and_unknown_updates_neither_crash_nor_stall_the_bot(
        tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        await w.customer_does(lambda: w.tg.push_command(USER, "/start"))
        bad = [w.tg.push_raw(update) for update in MALFORMED_UPDATES.values()]
        after = await w.tg.wait_for(lambda t: [m for m in t.messages_for(USER)[1:]
                                               if "nie obsługujemy" in (m.visible_text or "")])
        await w.customer_does(lambda: w.tg.push_command(USER, "/help"))
        await w.tg.wait_for(lambda t: t.confirmed_offset > max(bad))
        last = w.tg.messages_for(USER)[-1].visible_text or ""
        stored = await w.runtime.store.query("SELECT COUNT(*) FROM processed_events")
    record_case(REPORT, "malformed telegram updates", {
        "malformed": len(bad), "confirmed_past_them": True,
        "unknown_content_answer": after[0].visible_text,
        "events_stored": int(stored[0][0]), "answers_after": last[:40]})
    assert last.startswith("Dzień dobry!")  # taken in after them, in order
    # Read but unusable payloads are confirmed (sent again they would fail again); a message
    # of an unknown kind is a person writing, and gets the polite "we cannot take this".
    assert len(after) == 1


async def test_a_file_over_telegrams_download_limit_is_kept_and_named_on_the_desk(
        tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        number = await w.open_ticket()
        big = b"\0" * (20 * 1024 * 1024 + 1)  # one byte over what bots may download
        await w.customer_does(lambda: w.tg.push_document(USER, big, "nagranie.bin",
                                                         "application/octet-stream",
                                                         "Nagranie błędu"))
        answer = w.tg.messages_for(USER)[-1].visible_text or ""
        await w.settled()
        note = await w.slack.wait_for(lambda: [m.text for m in w.slack.posts
                                               if "nagranie.bin" in m.text])
        messages = await w.runtime.store.ticket_messages(number)
    record_case(REPORT, "telegram file over the download limit",
                {"customer_reads": answer, "desk_reads": note[-1],
                 "kept_on_ticket": "nagranie.bin" in messages[-1].attachments})
    assert "Dopisano do zgłoszenia" in answer
    assert "nagranie.bin" in messages[-1].attachments and messages[-1].body == "Nagranie błędu"
    assert "Nie udało się skopiować tutaj pliku „nagranie.bin”" in note[-1]
    assert "File is too big" in note[-1]


async def test_malformed_slack_events_do_not_stop_the_desk(tmp_path: Path) -> None:
    async with SlackStandIn() as slack, running_desk(tmp_path, slack) as desk:
        kasia = SlackCustomer(desk, "UKASIA", name="Kasia")
        odd_events: dict[str, dict[str, Any]] = {
            "message without ts": {"type": "message", "channel": "DUKASIA", "user": "UKASIA",
                                   "text": "x", "channel_type": "im"},
            "message without user": {"type": "message", "channel": "DUKASIA", "text": "x",
                                     "ts": slack.new_ts(), "channel_type": "im"},
            "unknown event type": {"type": "hologram_projected", "user": "UKASIA"},
            "unknown subtype": {"type": "message", "subtype": "hologram", "channel": AGENTS,
                                "user": ANNA, "ts": slack.new_ts()},
        }
        statuses = {name: await desk.event(event) for name, event in odd_events.items()}
        answer = await kasia.say("pomoc")
    record_case(REPORT, "malformed slack events", {"statuses": statuses,
                                                   "answered_afterwards": bool(answer)})
    assert all(status < 500 or name == "message without ts"
               for name, status in statuses.items()), statuses
    assert answer.startswith("Dzień dobry!")
