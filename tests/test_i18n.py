"""Both languages are complete, and Polish plurals take their three forms."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.actions import Text
from bot.i18n import Translator, resolve_language
from bot.settings import PROJECT_ROOT
from tests.harness import Harness


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator(PROJECT_ROOT / "locales", strict=True)


@pytest.mark.parametrize(("count", "expected"), [
    (1, "Masz 1 zgłoszenie"),
    (2, "Masz 2 zgłoszenia"),
    (5, "Masz 5 zgłoszeń"),
    (12, "Masz 12 zgłoszeń"),
    (22, "Masz 22 zgłoszenia"),
    (25, "Masz 25 zgłoszeń"),
])
def test_polish_plural_forms(translator: Translator, count: int, expected: str) -> None:
    text = translator.render(Text("tickets-header", {"count": count, "page": 1, "pages": 1}),
                             "pl")
    assert text.startswith(expected + " (")


@pytest.mark.parametrize(("count", "expected"), [(1, "You have 1 ticket"),
                                                 (2, "You have 2 tickets")])
def test_english_plural_forms(translator: Translator, count: int, expected: str) -> None:
    text = translator.render(Text("tickets-header", {"count": count, "page": 1, "pages": 1}),
                             "en")
    assert text.startswith(expected + " (")


async def test_the_ticket_list_counts_in_polish(tmp_path: Path) -> None:
    from bot.model import Command
    from tests.test_engine_lifecycle import open_account_ticket

    async with Harness(tmp_path / "db.sqlite3") as h:
        for _ in range(2):
            await open_account_ticket(h)
        assert "Masz 2 zgłoszenia (strona 1 z 1)" in await h.command(Command.TICKETS)


def test_both_languages_define_the_same_messages(translator: Translator) -> None:
    assert translator.message_ids("pl") == translator.message_ids("en")


def _literal_keys() -> set[str]:
    """Every message key written literally as Text("...") in the code."""
    keys: set[str] = set()
    sources = [*(PROJECT_ROOT / "bot").rglob("*.py"), *(PROJECT_ROOT / "adapters").rglob("*.py")]
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Text"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                keys.add(str(node.args[0].value))
    return keys


def test_every_key_the_code_uses_exists_in_both_languages(translator: Translator) -> None:
    keys = _literal_keys()
    assert len(keys) > 50
    for language in ("pl", "en"):
        missing = sorted(k for k in keys if not translator.has(k, language))
        assert missing == [], f"{language} lacks {missing}"


def test_generated_keys_exist(translator: Translator) -> None:
    from bot.forms import FormBook

    book = FormBook.load(PROJECT_ROOT / "bot" / "data" / "forms.toml")
    needed = {f"category-{c}" for c in book.categories}
    for category in book.categories:
        for field in book.fields(category):
            needed |= {f"field-{field.name}-label", f"field-{field.name}-prompt"}
            if field.spec.pattern is not None:
                needed.add(f"field-{field.name}-format")
    needed |= {f"status-{s}" for s in ("new", "open", "waiting", "resolved", "closed")}
    needed |= {f"priority-{p}" for p in ("low", "normal", "high", "urgent")}
    for language in ("pl", "en"):
        assert sorted(k for k in needed if not translator.has(k, language)) == []


def test_no_user_facing_literals_in_the_engine() -> None:
    """User-facing text lives in locales/: the engine passes keys, not sentences."""
    sentence = re.compile(r"^[A-ZŁŚŻŹĆ][a-ząćęłńóśźż]+ [a-ząćęłńóśźż]+ [a-ząćęłńóśźż]+")
    for name in ("customer_flow.py", "intake.py", "self_service.py", "followups.py",
                 "ticket_views.py", "feedback.py", "agent_desk.py", "engine.py"):
        tree = ast.parse((PROJECT_ROOT / "bot" / name).read_text(encoding="utf-8"))
        scopes = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, scopes) and n.body and isinstance(n.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and id(node) not in docstrings:
                assert not sentence.match(node.value), f"{name}: {node.value!r}"


@pytest.mark.parametrize(("chosen", "locale", "expected"), [
    (None, "pl-PL", "pl"), (None, "en-US", "en"), (None, "de", "en"), (None, None, "pl"),
    ("en", "pl", "en"), ("xx", "pl_PL.UTF-8", "pl"), (None, "C.UTF-8", "pl"),
])
def test_language_resolution(chosen: str | None, locale: str | None, expected: str) -> None:
    assert resolve_language(chosen, locale, "pl") == expected


def test_customer_text_can_be_escaped_at_the_edge(translator: Translator) -> None:
    text = Text("agent-reply", {"id": 7, "name": "<b>Ann</b>", "text": "<@U1> & co"})
    rendered = translator.render(text, "en", escape=lambda s: s.replace("<", "&lt;"))
    assert "&lt;@U1>" in rendered and "&lt;b>Ann" in rendered and "no. 7" in rendered


def test_ticket_numbers_are_not_grouped(translator: Translator) -> None:
    assert "nr 12345." in translator.render(Text("follow-up-added", {"id": 12345}), "pl")


def test_long_values_are_rendered_whole(translator: Translator) -> None:
    text = "Bardzo długa odpowiedź. " * 400  # 9,600 characters, past Fluent's own limit
    rendered = translator.render(Text("agent-reply", {"id": 3, "name": "Anna", "text": text}),
                                 "pl", escape=lambda s: s.replace("<", "&lt;"))
    assert rendered == f"Odpowiedź w zgłoszeniu nr 3 — Anna:\n{text}"
