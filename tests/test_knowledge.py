"""Knowledge base: Polish-aware normalisation, article files, and question-to-article search."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.knowledge import MAX_SLUG_BYTES, Article, KnowledgeBase, KnowledgeBaseError
from bot.textmatch import fold, normalise

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"

VALID_ARTICLE = """\
---
title: Jak zresetować hasło
language: pl
keywords: hasło, logowanie, reset, nie pamiętam
---
Kliknij **Nie pamiętasz hasła?** na stronie logowania.
"""


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    # Loading pays the one-off cost of reading the lemmatiser's dictionaries, so share it.
    return KnowledgeBase.load(KNOWLEDGE_DIR)


def slugs(articles: list[Article]) -> list[str]:
    return [article.slug for article in articles]


# --- textmatch ---------------------------------------------------------------------------


def test_fold_strips_case_and_polish_diacritics() -> None:
    assert fold("Zażółć GĘŚLĄ jaźń") == "zazolc gesla jazn"
    assert fold("ŁÓDŹ, Ćma, ńę") == "lodz, cma, ne"
    assert fold("Café ﬁle") == "cafe file"  # NFKD also splits ligatures


def test_normalise_drops_stop_words_and_punctuation() -> None:
    assert normalise("Dzień dobry, nie mogę się zalogować!", "pl") == normalise("logowanie", "pl")
    assert normalise("What is the weather?", "en") == normalise("weather", "en")
    assert normalise("  ?!  ", "pl") == []


def test_normalise_joins_e_mail() -> None:
    assert normalise("e-mail", "pl") == normalise("email", "pl") == normalise("E-maila", "pl")
    assert normalise("e-mails", "en") == normalise("email", "en")


def test_normalise_rejects_unknown_language() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        normalise("hallo", "de")


@pytest.mark.parametrize(
    ("language", "forms"),
    [
        (
            "pl",
            ["hasło", "hasła", "haseł", "hasłem", "haśle", "hasłami", "HASŁO", "haslo", "hasla"],
        ),
        ("pl", ["zamówienie", "zamówienia", "zamówień", "zamówieniem", "zamówić", "zamowienia"]),
        ("pl", ["płatność", "płatności", "płatnością", "platnosc", "platnosci"]),
        ("pl", ["konto", "konta", "kont", "koncie", "kontem"]),
        ("pl", ["zwrot", "zwrotu", "zwroty", "zwrotów"]),
        ("pl", ["faktura", "faktury", "faktur", "fakturę", "fakturą", "fakturze", "fakture"]),
        ("pl", ["logowanie", "logowania", "zalogować", "zalogowania", "zaloguj", "zalogowac"]),
        ("pl", ["paczka", "paczki", "paczkę", "paczce"]),
        ("pl", ["usunąć", "usunięcie", "usuniecie"]),
        ("en", ["password", "passwords", "Passwords"]),
        ("en", ["reset", "resets", "resetting"]),
        ("en", ["cancel", "cancels", "cancelling", "cancelled", "canceled"]),
        ("en", ["order", "orders", "ordering", "ordered"]),
        ("en", ["invoice", "invoices", "invoicing"]),
        ("en", ["delivery", "deliveries"]),
    ],
)
def test_inflected_forms_reduce_to_one_term(language: str, forms: list[str]) -> None:
    terms = {tuple(normalise(form, language)) for form in forms}
    assert len(terms) == 1, dict(zip(forms, (normalise(f, language) for f in forms), strict=True))
    assert len(terms.pop()) == 1


def test_different_words_stay_apart() -> None:
    assert normalise("hasło", "pl") != normalise("konto", "pl")
    assert normalise("zamówić", "pl") != normalise("mówić", "pl")
    assert normalise("password", "en") != normalise("passport", "en")


# --- search: the brief's examples ----------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["Nie pamiętam hasła", "zmiana haseł", "problem z hasłem", "Haśle", "nie pamietam hasla"],
)
def test_every_form_of_haslo_finds_the_password_article(kb: KnowledgeBase, query: str) -> None:
    assert slugs(kb.search(query, "pl"))[0] == "password-reset"


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("gdzie jest moja paczka", "order-tracking"),
        ("chcę zwrócić towar", "returns"),
        ("karta odrzucona przy płatności", "payment-failed"),
        ("nie mogę się zalogować do konta", "password-reset"),
        ("jak włączyć weryfikację dwuetapową", "two-factor-authentication"),
        ("nie przychodzi kod SMS", "two-factor-authentication"),
        ("jak zmienić adres e-mail", "account-email-deletion"),
        ("chcę usunąć konto", "account-email-deletion"),
        ("potrzebuję faktury VAT na firmę", "invoices"),
        ("status zamówienia", "order-tracking"),
        ("ile kosztuje wysyłka", "delivery-times-costs"),
        ("ile trwa dostawa", "delivery-times-costs"),
        ("odstąpienie od umowy", "returns"),
        ("towar jest uszkodzony, chcę złożyć reklamację", "complaints-warranty"),
        ("rękojmia", "complaints-warranty"),
        ("kiedy dostanę zwrot pieniędzy", "refunds"),
        ("aplikacja nie działa", "app-troubleshooting"),
        ("strona się nie ładuje", "app-troubleshooting"),
        ("ktoś podszywa się pod sklep", "report-abuse"),
        ("fałszywe konto", "report-abuse"),
        ("RODO usunięcie danych osobowych", "privacy-personal-data"),
        ("jak anulować subskrypcję", "subscriptions"),
        ("jak zrezygnować z abonamentu", "subscriptions"),
    ],
)
def test_polish_questions_find_their_article(kb: KnowledgeBase, query: str, slug: str) -> None:
    results = kb.search(query, "pl")
    assert slugs(results)[:1] == [slug]
    assert all(article.language == "pl" for article in results)


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("I forgot my password", "password-reset"),
        ("resetting passwords", "password-reset"),
        ("can't log in", "password-reset"),
        ("2FA code not working", "two-factor-authentication"),
        ("how do I change my email", "account-email-deletion"),
        ("my card was declined", "payment-failed"),
        ("I need an invoice for my company", "invoices"),
        ("where is my parcel", "order-tracking"),
        ("track my order", "order-tracking"),
        ("how long does delivery take", "delivery-times-costs"),
        ("I want to return an item", "returns"),
        ("my product is broken", "complaints-warranty"),
        ("when will I get my refund", "refunds"),
        ("the app is not loading", "app-troubleshooting"),
        ("report a fake account", "report-abuse"),
        ("GDPR data export", "privacy-personal-data"),
        ("cancel subscription", "subscriptions"),
    ],
)
def test_english_questions_find_the_english_article(
    kb: KnowledgeBase, query: str, slug: str
) -> None:
    results = kb.search(query, "en")
    assert slugs(results)[:1] == [slug]
    assert all(article.language == "en" for article in results)


@pytest.mark.parametrize(
    "query",
    [
        "asdf",
        "what is the weather",
        "jaka jest pogoda",
        "kto wygrał mecz",
        "lorem ipsum dolor sit amet",
        "dzień dobry",
        "",
        "   ",
        "???",
    ],
)
def test_unrelated_questions_find_nothing(kb: KnowledgeBase, query: str) -> None:
    assert kb.search(query, "pl") == []
    assert kb.search(query, "en") == []


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_search_returns_at_most_limit(kb: KnowledgeBase, limit: int) -> None:
    # A deliberately broad question that touches many articles.
    query = "konto hasło zamówienie zwrot płatność faktura paczka dane subskrypcja reklamacja"
    results = kb.search(query, "pl", limit=limit)
    assert 1 <= len(results) <= limit
    assert len(set(slugs(results))) == len(results)


def test_search_with_non_positive_limit_is_empty(kb: KnowledgeBase) -> None:
    assert kb.search("hasło", "pl", limit=0) == []


def test_search_is_ranked_and_deterministic(kb: KnowledgeBase) -> None:
    # "zwrot" alone could be a return or a refund; "pieniędzy" tips it towards the refund.
    first = kb.search("kiedy zwrot pieniędzy", "pl")
    assert first == kb.search("kiedy zwrot pieniędzy", "pl")
    assert slugs(first) == ["refunds", "returns"]


def test_locale_tags_are_reduced_to_the_language(kb: KnowledgeBase) -> None:
    assert slugs(kb.search("zmiana haseł", "pl-PL"))[0] == "password-reset"
    assert slugs(kb.search("forgot password", "en_GB"))[0] == "password-reset"
    assert kb.search("forgot password", "en_GB")[0].language == "en"


def test_unloaded_language_falls_back_to_english(kb: KnowledgeBase) -> None:
    results = kb.search("where is my parcel", "de")
    assert slugs(results)[0] == "order-tracking"
    assert results[0].language == "en"


def test_loaded_language_never_falls_back(kb: KnowledgeBase) -> None:
    # A Polish customer typing English gets Polish articles or nothing, never a mix.
    assert all(a.language == "pl" for a in kb.search("password reset login", "pl"))


def test_falls_back_to_the_only_loaded_language(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "password-reset.md").write_text(
        (KNOWLEDGE_DIR / "en" / "password-reset.md").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    kb = KnowledgeBase.load(tmp_path)
    assert kb.languages == frozenset({"en"})
    assert slugs(kb.search("forgot my password", "pl")) == ["password-reset"]
    assert kb.get("password-reset", "pl") is not None
    assert slugs(kb.articles("pl")) == ["password-reset"]


def test_empty_knowledge_base_finds_nothing(tmp_path: Path) -> None:
    kb = KnowledgeBase.load(tmp_path)
    assert kb.languages == frozenset()
    assert kb.search("hasło", "pl") == []
    assert kb.get("password-reset", "pl") is None
    assert kb.articles("pl") == []


def test_get_and_articles(kb: KnowledgeBase) -> None:
    article = kb.get("password-reset", "pl")
    assert article is not None
    assert article.language == "pl"
    assert "hasło" in article.keywords
    assert kb.get("no-such-article", "pl") is None
    listed = kb.articles("en")
    assert slugs(listed) == sorted(slugs(listed))
    assert all(a.language == "en" for a in listed)


# --- the shipped articles -------------------------------------------------------------------


def test_shipped_articles_cover_both_languages(kb: KnowledgeBase) -> None:
    assert kb.languages == frozenset({"pl", "en"})
    for language in ("pl", "en"):
        assert len(kb.articles(language)) >= 10
        files = sorted(path.stem for path in (KNOWLEDGE_DIR / language).glob("*.md"))
        assert slugs(kb.articles(language)) == files


def test_every_polish_article_has_an_english_twin(kb: KnowledgeBase) -> None:
    assert set(slugs(kb.articles("pl"))) == set(slugs(kb.articles("en")))


@pytest.mark.parametrize("language", ["pl", "en"])
def test_shipped_articles_are_well_formed(kb: KnowledgeBase, language: str) -> None:
    for article in kb.articles(language):
        assert article.slug.isascii(), article.slug
        assert len(article.slug.encode("ascii")) <= MAX_SLUG_BYTES, article.slug
        assert article.title.strip(), article.slug
        assert article.keywords and all(k.strip() for k in article.keywords), article.slug
        words = len(article.body.split())
        assert 100 <= words <= 250, f"{article.slug}: {words} words"
        # Each article is found by its own title, so no article is unreachable.
        assert kb.search(article.title, language)[0] == article


# --- malformed files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("Just text, no front matter.\n", "missing front matter"),
        ("---\ntitle: T\nlanguage: pl\nkeywords: a\nBody\n", "not closed"),
        ("---\nlanguage: pl\nkeywords: a, b\n---\nBody\n", "'title'"),
        ("---\ntitle: T\nlanguage: pl\nkeywords:  ,  \n---\nBody\n", "keywords"),
        ("---\ntitle: T\nlanguage: pl\nkeywords: a\n---\n\n", "body is empty"),
        ("---\ntitle: T\nlanguage: pl\nkeywords: a\nno colon here\n---\nBody\n", "key: value"),
        ("---\ntitle: T\nlanguage: pl\nkeywords: a\nauthor: me\n---\nBody\n", "unknown"),
        ("---\ntitle: T\ntitle: U\nlanguage: pl\nkeywords: a\n---\nBody\n", "duplicate"),
        ("---\ntitle: T\nlanguage: en\nkeywords: a\n---\nBody\n", "folder"),
        ("---\ntitle: T\nlanguage: de\nkeywords: a\n---\nBody\n", "unsupported language"),
    ],
)
def test_malformed_article_names_the_file(tmp_path: Path, content: str, problem: str) -> None:
    (tmp_path / "pl").mkdir()
    (tmp_path / "pl" / "broken-article.md").write_text(content, encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as excinfo:
        KnowledgeBase.load(tmp_path)
    message = str(excinfo.value)
    assert "broken-article.md" in message
    assert problem in message


def test_invalid_utf8_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "pl").mkdir()
    (tmp_path / "pl" / "latin2.md").write_bytes(VALID_ARTICLE.encode("iso-8859-2"))
    with pytest.raises(KnowledgeBaseError, match=r"latin2\.md.*UTF-8"):
        KnowledgeBase.load(tmp_path)


@pytest.mark.parametrize(
    "stem", ["Has-Capitals", "spaces in name", "zażółć", "x" * (MAX_SLUG_BYTES + 1)]
)
def test_bad_slug_names_the_file(tmp_path: Path, stem: str) -> None:
    (tmp_path / "pl").mkdir()
    (tmp_path / "pl" / f"{stem}.md").write_text(VALID_ARTICLE, encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="slug") as excinfo:
        KnowledgeBase.load(tmp_path)
    assert f"{stem}.md" in str(excinfo.value)


def test_valid_article_round_trips(tmp_path: Path) -> None:
    (tmp_path / "pl").mkdir()
    (tmp_path / "pl" / "reset-hasla.md").write_text("\ufeff" + VALID_ARTICLE, encoding="utf-8")
    kb = KnowledgeBase.load(tmp_path)
    assert kb.get("reset-hasla", "pl") == Article(
        slug="reset-hasla",
        language="pl",
        title="Jak zresetować hasło",
        keywords=("hasło", "logowanie", "reset", "nie pamiętam"),
        body="Kliknij **Nie pamiętasz hasła?** na stronie logowania.",
    )


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="does not exist"):
        KnowledgeBase.load(tmp_path / "nope")


def test_unsupported_language_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "de").mkdir()
    (tmp_path / "de" / "passwort.md").write_text(VALID_ARTICLE, encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="unsupported language folder"):
        KnowledgeBase.load(tmp_path)


# --- speed ---------------------------------------------------------------------------------


def test_search_over_hundreds_of_articles_is_well_under_a_millisecond(
    kb: KnowledgeBase,
) -> None:
    shipped = kb.articles("pl") + kb.articles("en")
    many = [
        Article(
            slug=f"{a.slug}-{copy}",
            language=a.language,
            title=a.title,
            keywords=a.keywords,
            body=f"{a.body}\n\nWariant {copy}.",
        )
        for copy in range(12)
        for a in shipped
    ]
    big = KnowledgeBase(many)
    assert len(big.articles("pl")) >= 150 and len(big.articles("en")) >= 150
    queries = [
        ("Nie pamiętam hasła", "pl"),
        ("gdzie jest moja paczka", "pl"),
        ("karta odrzucona przy płatności", "pl"),
        ("chcę zwrócić towar i dostać pieniądze", "pl"),
        ("I forgot my password", "en"),
        ("where is my parcel", "en"),
        ("asdf", "en"),
    ]
    for query, language in queries:  # warm the per-token cache, as a running bot would be
        big.search(query, language)
    rounds = 50
    start = time.perf_counter()
    for _ in range(rounds):
        for query, language in queries:
            big.search(query, language)
    per_query = (time.perf_counter() - start) / (rounds * len(queries))
    assert per_query < 0.001, f"{per_query * 1e6:.0f} µs per query"
