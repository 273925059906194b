"""Self-service help articles: loading them from Markdown files and matching free-text questions.

Layout on disk: ``<directory>/<language>/<slug>.md``, each file starting with a front matter
block of ``key: value`` lines between two ``---`` lines (keys: title, language, keywords).

Matching is BM25F-style over an inverted index built at load time: a term's weight in an
article mixes its title, keyword and body counts (title and keywords count more, the body count
is damped by body length), then saturates, then is scaled by the term's rarity. Everything that
depends only on the article set is precomputed, so a query costs one dictionary lookup per
distinct query term plus a sort of the few articles hit.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

from bot.textmatch import SUPPORTED_LANGUAGES, normalise

# Slugs travel inside chat-button callback data (64 bytes on Telegram) next to a prefix and the
# language, so they are kept ASCII and short.
MAX_SLUG_BYTES: Final = 40
_SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_FRONT_MATTER_FENCE = "---"
_REQUIRED_KEYS: Final = ("title", "language", "keywords")

# Field weights: a question that names an article's topic word for word ("hasło", "faktura")
# is a far stronger signal than the same word somewhere in a long body.
_TITLE_WEIGHT: Final = 3.0
_KEYWORDS_WEIGHT: Final = 3.0
_BODY_WEIGHT: Final = 1.0
_K1: Final = 1.2
_B: Final = 0.75
# idf treats the collection as at least this large. In a language with only a handful of
# articles, plain BM25 gives a word that occurs in all of them an idf near zero, so even an exact
# title match would fall under DEFAULT_MIN_SCORE; at full size this changes nothing.
_MIN_COLLECTION_SIZE: Final = 20

# Below this score a question shares too little with any article to be worth showing; tuned so
# that a single title/keyword hit on a topic word passes and a lone common body word does not.
DEFAULT_MIN_SCORE: Final = 2.0
# Articles scoring under this share of the best one are noise next to it, not alternatives.
DEFAULT_RELATIVE_CUTOFF: Final = 0.5

# When the customer's language has no articles, English is the likelier second language.
_FALLBACK_ORDER: Final = ("en", "pl")


class KnowledgeBaseError(Exception):
    """The knowledge base directory or one of its article files is unusable."""


@dataclass(frozen=True, slots=True)
class Article:
    slug: str  # file stem, ASCII, at most 40 bytes (it goes into 64-byte button data)
    language: str  # "pl" | "en"
    title: str
    keywords: tuple[str, ...]
    body: str  # Markdown body without the front matter


@dataclass(frozen=True, slots=True)
class _LanguageIndex:
    articles: tuple[Article, ...]
    by_slug: MappingProxyType[str, Article]
    # term -> ((article position, precomputed score contribution), ...)
    postings: MappingProxyType[str, tuple[tuple[int, float], ...]]


def parse_article(path: Path, language: str | None = None) -> Article:
    """Read one article file; `language`, when given, must match its front matter."""
    try:
        # utf-8-sig: editors on Windows like to prepend a BOM, which would hide the fence.
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KnowledgeBaseError(f"{path}: not valid UTF-8 ({exc.reason})") from exc
    except OSError as exc:
        raise KnowledgeBaseError(f"{path}: cannot be read ({exc.strerror})") from exc

    slug = path.stem
    if not _SLUG_RE.fullmatch(slug):
        raise KnowledgeBaseError(
            f"{path}: file name {slug!r} is not a valid slug "
            "(lower-case ASCII letters, digits and single hyphens)"
        )
    if len(slug.encode("ascii")) > MAX_SLUG_BYTES:
        raise KnowledgeBaseError(
            f"{path}: slug {slug!r} is {len(slug)} bytes long, at most {MAX_SLUG_BYTES} allowed"
        )

    lines = text.splitlines()
    if not lines or lines[0].strip() != _FRONT_MATTER_FENCE:
        raise KnowledgeBaseError(f"{path}: missing front matter (first line must be '---')")
    try:
        end = next(
            i for i, line in enumerate(lines[1:], start=1) if line.strip() == _FRONT_MATTER_FENCE
        )
    except StopIteration:
        raise KnowledgeBaseError(f"{path}: front matter is not closed with '---'") from None

    fields: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if not sep or not key:
            raise KnowledgeBaseError(f"{path}:{number}: expected 'key: value', got {line!r}")
        if key not in _REQUIRED_KEYS:
            raise KnowledgeBaseError(
                f"{path}:{number}: unknown front matter key {key!r} "
                f"(expected {', '.join(_REQUIRED_KEYS)})"
            )
        if key in fields:
            raise KnowledgeBaseError(f"{path}:{number}: duplicate front matter key {key!r}")
        fields[key] = value.strip()

    for key in _REQUIRED_KEYS:
        if not fields.get(key):
            raise KnowledgeBaseError(f"{path}: front matter key {key!r} is missing or empty")

    article_language = fields["language"].lower()
    if article_language not in SUPPORTED_LANGUAGES:
        raise KnowledgeBaseError(
            f"{path}: unsupported language {article_language!r} "
            f"(supported: {', '.join(sorted(SUPPORTED_LANGUAGES))})"
        )
    if language is not None and article_language != language:
        raise KnowledgeBaseError(
            f"{path}: front matter says language {article_language!r} "
            f"but the file is in the {language!r} folder"
        )

    keywords = tuple(k.strip() for k in fields["keywords"].split(",") if k.strip())
    if not keywords:
        raise KnowledgeBaseError(f"{path}: keywords list is empty")

    body = "\n".join(lines[end + 1 :]).strip()
    if not body:
        raise KnowledgeBaseError(f"{path}: article body is empty")

    return Article(
        slug=slug,
        language=article_language,
        title=fields["title"],
        keywords=keywords,
        body=body,
    )


def _build_index(articles: tuple[Article, ...], language: str) -> _LanguageIndex:
    field_counts: list[tuple[Counter[str], Counter[str], Counter[str], int]] = []
    for article in articles:
        body_terms = normalise(article.body, language)
        field_counts.append(
            (
                Counter(normalise(article.title, language)),
                Counter(normalise(" , ".join(article.keywords), language)),
                Counter(body_terms),
                len(body_terms),
            )
        )
    count = len(articles)
    average_body = sum(c[3] for c in field_counts) / count if count else 0.0

    document_frequency: Counter[str] = Counter()
    for title, keywords, body, _ in field_counts:
        document_frequency.update(set(title) | set(keywords) | set(body))

    collection_size = max(count, _MIN_COLLECTION_SIZE)
    postings: defaultdict[str, list[tuple[int, float]]] = defaultdict(list)
    for position, (title, keywords, body, body_length) in enumerate(field_counts):
        length_norm = 1.0 - _B + _B * (body_length / average_body if average_body else 0.0)
        for term_ in set(title) | set(keywords) | set(body):
            weighted_tf = (
                _TITLE_WEIGHT * title[term_]
                + _KEYWORDS_WEIGHT * keywords[term_]
                + _BODY_WEIGHT * body[term_] / length_norm
            )
            df = document_frequency[term_]
            idf = math.log(1.0 + (collection_size - df + 0.5) / (df + 0.5))
            saturated = weighted_tf * (_K1 + 1.0) / (weighted_tf + _K1)
            postings[term_].append((position, idf * saturated))

    return _LanguageIndex(
        articles=articles,
        by_slug=MappingProxyType({a.slug: a for a in articles}),
        postings=MappingProxyType({t: tuple(p) for t, p in postings.items()}),
    )


class KnowledgeBase:
    """An immutable, per-language searchable set of help articles."""

    __slots__ = ("_articles", "_index_lock", "_indexes", "_min_score", "_relative_cutoff")

    def __init__(
        self,
        articles: list[Article] | tuple[Article, ...] = (),
        *,
        min_score: float = DEFAULT_MIN_SCORE,
        relative_cutoff: float = DEFAULT_RELATIVE_CUTOFF,
    ) -> None:
        grouped: defaultdict[str, dict[str, Article]] = defaultdict(dict)
        for article in articles:
            if article.language not in SUPPORTED_LANGUAGES:
                raise KnowledgeBaseError(
                    f"article {article.slug!r}: unsupported language {article.language!r}"
                )
            if article.slug in grouped[article.language]:
                raise KnowledgeBaseError(
                    f"duplicate article slug {article.slug!r} in language {article.language!r}"
                )
            grouped[article.language][article.slug] = article
        self._articles: dict[str, tuple[Article, ...]] = {
            language: tuple(sorted(by_slug.values(), key=_slug_key))
            for language, by_slug in grouped.items()
        }
        # The search index needs the lemmatiser's dictionaries, which take seconds to load: it
        # is built on first use (or by warm_up in the background), so start-up stays quick.
        self._indexes: dict[str, _LanguageIndex] = {}
        self._index_lock = threading.Lock()
        self._min_score = min_score
        self._relative_cutoff = relative_cutoff

    @classmethod
    def load(
        cls,
        directory: Path,
        *,
        min_score: float = DEFAULT_MIN_SCORE,
        relative_cutoff: float = DEFAULT_RELATIVE_CUTOFF,
    ) -> KnowledgeBase:
        """Read every ``directory/<lang>/*.md``; the first bad file aborts the whole load."""
        if not directory.is_dir():
            raise KnowledgeBaseError(f"{directory}: knowledge base directory does not exist")
        articles: list[Article] = []
        for language_dir in sorted(directory.iterdir()):
            if not language_dir.is_dir() or language_dir.name.startswith((".", "_")):
                continue
            files = sorted(language_dir.glob("*.md"))
            if files and language_dir.name not in SUPPORTED_LANGUAGES:
                raise KnowledgeBaseError(
                    f"{language_dir}: unsupported language folder "
                    f"(supported: {', '.join(sorted(SUPPORTED_LANGUAGES))})"
                )
            articles.extend(parse_article(path, language_dir.name) for path in files)
        return cls(articles, min_score=min_score, relative_cutoff=relative_cutoff)

    @property
    def languages(self) -> frozenset[str]:
        """Languages that have at least one article."""
        return frozenset(self._articles)

    @property
    def ready(self) -> bool:
        """Whether every language's search index is built (search() will not wait)."""
        return len(self._indexes) == len(self._articles)

    def warm_up(self) -> None:
        """Build every language's search index now (blocking; run it in a thread)."""
        for language in self._articles:
            self._index(language)

    def _index(self, language: str) -> _LanguageIndex:
        index = self._indexes.get(language)
        if index is None:
            with self._index_lock:
                index = self._indexes.get(language)
                if index is None:
                    index = _build_index(self._articles[language], language)
                    self._indexes[language] = index
        return index

    def search(self, query: str, language: str, *, limit: int = 3) -> list[Article]:
        """Best-matching articles, best first; [] when nothing is relevant enough."""
        resolved = self._resolve(language)
        if resolved is None or limit <= 0:
            return []
        index = self._index(resolved)
        scores: dict[int, float] = defaultdict(float)
        # A repeated word ("hasło hasło hasło") says nothing more than one mention.
        for term_ in set(normalise(query, resolved)):
            for position, weight in index.postings.get(term_, ()):
                scores[position] += weight
        if not scores:
            return []
        best = max(scores.values())
        floor = max(self._min_score, best * self._relative_cutoff)
        ranked = sorted(
            (item for item in scores.items() if item[1] >= floor),
            key=lambda item: (-item[1], index.articles[item[0]].slug),
        )
        return [index.articles[position] for position, _ in ranked[:limit]]

    def get(self, slug: str, language: str) -> Article | None:
        """The article with this slug, under the same language fallback as search()."""
        resolved = self._resolve(language)
        if resolved is None:
            return None
        return next((a for a in self._articles[resolved] if a.slug == slug), None)

    def articles(self, language: str) -> list[Article]:
        """All articles of a language (with search()'s fallback), sorted by slug."""
        resolved = self._resolve(language)
        return [] if resolved is None else list(self._articles[resolved])

    def _resolve(self, language: str) -> str | None:
        # Chat platforms report locales such as "pl-PL" or "en_GB"; only the language matters.
        primary = language.replace("_", "-").split("-", 1)[0].strip().lower()
        if primary in self._articles:
            return primary
        # Only a language with no articles at all falls back: a Polish question with no good
        # Polish answer must not be answered with an English article.
        for candidate in (*_FALLBACK_ORDER, *sorted(self._articles)):
            if candidate in self._articles:
                return candidate
        return None


def _slug_key(article: Article) -> str:
    return article.slug
