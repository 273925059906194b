"""Self-service first: matching help articles before a ticket, which then starts pre-filled."""

from __future__ import annotations

import re
from typing import Any

from bot.actions import Button, Text
from bot.conversation import Conversation, parse_number
from bot.intake import Intake
from bot.text import shorten

KB = "kb"
ARTICLE_EXCERPT = 280
_MARKUP = re.compile(r"\*\*|__|`")


class SelfService:
    def __init__(self, conv: Conversation, intake: Intake) -> None:
        self.conv = conv
        self.intake = intake

    def ask(self, question: str, *, related: int | None = None) -> None:
        """Show the best articles for a question; the customer says whether they helped."""
        conv = self.conv
        articles = conv.config.knowledge.search(question, conv.lang, limit=3)
        data: dict[str, Any] = {"question": question}
        if conv.data.get("attachments"):
            data["attachments"] = conv.data["attachments"]
        if related is not None:
            data["related"] = related
        conv.set_state(KB, data)
        linked = (Text("kb-closed-ticket-linked", {"id": related}),) if related else ()
        if not articles:
            conv.say(Text("kb-nothing-found"), *linked, buttons=(
                Button(Text("button-open-ticket"), "kb:new"),
                Button(Text("button-articles"), "m:articles"),
            ))
            return
        texts = [Text("kb-found", {"count": len(articles)})]
        texts += [Text("kb-article-excerpt", {
            "title": a.title, "excerpt": shorten(plain(a.body), ARTICLE_EXCERPT),
        }) for a in articles]
        reads = tuple(Button(Text("button-read", {"title": shorten(a.title, 40)}),
                             f"kb:a:{a.slug}") for a in articles)
        conv.say(*texts, Text("kb-did-it-help"), *linked,
                 buttons=(*reads, *self.decision_buttons()))

    def on_button(self, arg: str) -> None:
        conv = self.conv
        in_kb = conv.state == KB
        if arg.startswith("a:"):
            article = conv.config.knowledge.get(arg[2:], conv.lang)
            if article is None:
                conv.say(Text("button-expired"), buttons=conv.menu_buttons())
                return
            conv.say(Text("kb-article", {"title": article.title, "body": article.body}),
                     buttons=self.decision_buttons() if in_kb else conv.menu_buttons())
        elif arg == "ok":
            if in_kb:
                conv.set_state(None)
            conv.say(Text("kb-glad"), buttons=conv.menu_buttons())
        elif arg == "new":
            question = conv.data.get("question", "") if in_kb else ""
            self.intake.start(prefill={"description": question} if question else {},
                              attachments=conv.data.get("attachments", []) if in_kb else [],
                              related=parse_number(conv.data.get("related")) if in_kb else None)
        else:
            conv.say(Text("button-expired"), buttons=conv.menu_buttons())

    def article_list(self) -> None:
        conv = self.conv
        articles = conv.config.knowledge.articles(conv.lang)[:20]
        if not articles:
            conv.say(Text("kb-empty"), buttons=conv.menu_buttons())
            return
        conv.say(Text("kb-list"), buttons=tuple(
            Button(Text("button-read", {"title": shorten(a.title, 40)}), f"kb:a:{a.slug}")
            for a in articles
        ))

    @staticmethod
    def decision_buttons() -> tuple[Button, ...]:
        return (Button(Text("button-helped"), "kb:ok"),
                Button(Text("button-open-ticket"), "kb:new"))

    def prompt(self, state: str) -> tuple[Text, ...] | None:
        return (Text("kb-did-it-help"),) if state == KB else None

    def buttons(self, state: str) -> tuple[Button, ...] | None:
        return self.decision_buttons() if state == KB else None


def plain(markdown: str) -> str:
    """Markdown to one plain line, for excerpts."""
    lines = [line.lstrip("#>*- ").strip() for line in markdown.splitlines()]
    return _MARKUP.sub("", " ".join(line for line in lines if line))
