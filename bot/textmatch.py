"""Polish- and English-aware text normalisation for matching questions to help articles.

The pipeline for one token is::

    casefold -> lemmatise (simplemma) -> fold diacritics -> light suffix stemming

Lemmatisation runs *before* folding because simplemma's dictionaries are keyed by correctly
spelt words: "haśle" is found there, "hasle" is not. Folding runs *before* stemming so that
the lemma of a correctly spelt word ("hasło" -> "haslo") and a word the customer typed without
Polish letters ("hasla", which the dictionary does not know) meet in one ASCII space, where a
small set of suffix rules can take both to the same stem ("hasl"). The stemmer is therefore
applied to every lemma, known or not: a term is always a function of the lemma, so an article
and a question that share a lemma always share a term.

The suffix rules only have to cover what the dictionary leaves: forms typed without diacritics,
verb/noun pairs the lemmatiser keeps apart ("zamówić" / "zamówienie", "logować" /
"zalogować") and regular English inflection it misses ("cancelling" -> "cancell").

Why simplemma: of the offline options measured on the forms the bot must merge, Snowball's
Polish stemmer alone splits "haseł", "haśle", "koncie" and "fakturze" from their other forms,
and pystempel merges the diacritic forms as well as simplemma but mangles forms typed without
them ("hasla" -> "hasć"), takes ~6 s to load, and has no English. simplemma (MIT, typed, data
inside the wheel, one package for both languages) got every listed noun form right.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

SUPPORTED_LANGUAGES: frozenset[str] = frozenset({"pl", "en"})

# Letters that NFKD does not decompose into base letter + combining mark.
_EXTRA_FOLDS = str.maketrans({"ł": "l", "đ": "d", "ø": "o", "æ": "ae", "œ": "oe", "ı": "i"})

# "e-mail" is one word to a reader but two tokens to the tokeniser, and "mail" alone would not
# match articles that write "email".
_EMAIL_RE = re.compile(r"(?<![^\W_])e-mail", re.IGNORECASE)
_TOKEN_RE = re.compile(r"[^\W_]+")


def _word_set(*lines: str) -> frozenset[str]:
    return frozenset(word for line in lines for word in line.split())


# Folded forms. Only words that carry no topic: question words, pronouns, auxiliaries,
# greetings, and "help", which every support question implies. Checked against both the surface
# form and the lemma, so "jest" and "być", "moja" and "mój" all go.
_STOP_WORDS: dict[str, frozenset[str]] = {
    "pl": _word_set(
        "a aby albo ale az bo by byc bym bys chce chcemy chcial chciala chciec co coz czesc czy",
        "czyli dla dlaczego do dobry dzieki dziekuje dzien gdy gdzie hej i ich ile im ja jak",
        "jaka jaki jakie jako jednak jego jej jesli jest jestem jeszcze jezeli juz kiedy kto",
        "ktora ktore ktory ma mam mi miec mnie moc moge moim moj moja moje mozna musze my na",
        "nad nam nas nie niz no o od ok okej oraz po pod pomoc prosze przez przy sa sie siebie",
        "sobie ta tak takze tam te tego tej ten to tu tylko u w wam was we wiec witam wszystko",
        "z za ze zeby",
    ),
    "en": _word_set(
        "a about am an and any are as at be been being but by can cannot could did do does",
        "doesn don for from get got had has have hello help hey hi how i if in into is it its",
        "just know like me my no not of ok okay on or our please s so some t tell thank thanks",
        "that the their them then there this to us want was we were what when where which who",
        "why will with would yes you your",
    ),
}

# Perfective prefixes tried on "-ować" verbs, longer first so "za-" is tried before "z-".
_PL_PREFIXES = ("prze", "roz", "wy", "za", "od", "po", "z", "s")

# Forms of "-ować" verbs after folding: infinitive, gerund, participle and present tense.
_PL_OWAC_RE = re.compile(
    r"^(?P<root>[a-z]{2,}?)"
    r"(?:ow(?:ac|anie|ania|aniu|aniem|aniach|aniami|an|any|ana|ane|ani|ano|anych|anego|anej)"
    r"|uj(?:e|esz|emy|ecie|a|ac|acy)?)$"
)

# Endings removed by the Polish stemmer (after folding). The longest matching one wins.
_PL_STRIP_SUFFIXES = _word_set(
    # Verbal nouns, so "zamówienie" meets "zamówić" and "usunięcie" meets "usunąć".
    "ieniami ieniach ieniem ieniu ienia ienie iecie iecia ieciu",
    "eniami eniach eniem eniu enia enie aniami aniach aniem aniu ania anie",
    # "-owy" adjectives lose the "-ow-" too, so "dwuetapowa" meets "dwuetapowej" (which the
    # lemmatiser reads as a plural genitive noun "dwuetapów").
    "owego owemu owych owymi owym owej owa owe owy owi",
    # Infinitives ("-ać", "-ić", "-yć", "-eć" after folding).
    "ac ic yc ec",
    # Noun and adjective endings.
    "iami iach ami ach ego emu ymi imi ych ich iom om ow em ej ym im a e i o u y",
)
# "płatność", "płatności", "płatnością" typed without diacritics all end up as "platnosc".
_PL_SC_SUFFIXES = _word_set("sciami sciach sciom scia sci")
_PL_SUFFIXES: tuple[tuple[str, str], ...] = tuple(
    sorted(
        [(suffix, "") for suffix in _PL_STRIP_SUFFIXES]
        + [(suffix, "sc") for suffix in _PL_SC_SUFFIXES],
        key=lambda rule: (-len(rule[0]), rule[0]),
    )
)
_PL_MIN_STEM = 3
_EN_MIN_STEM = 3
_VOWELS = frozenset("aeiouy")


def fold(text: str) -> str:
    """Case-fold and strip diacritics: "Zażółć GĘŚLĄ" -> "zazolc gesla"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_EXTRA_FOLDS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenise(text: str) -> list[str]:
    """Split case-folded text on anything that is not a letter or digit; keeps diacritics."""
    return _TOKEN_RE.findall(_EMAIL_RE.sub("email", text.casefold()))


@lru_cache(maxsize=4096)
def _pl_known_verb(infinitive: str) -> bool:
    # low_memory: the default backend holds the Polish dictionary as a Python dict (~400 MB
    # resident); the frugal one answers identically in ~55 MB for ~1 µs more per lookup.
    import simplemma  # on first use, see _term

    return simplemma.is_known(infinitive, "pl", low_memory=True)


def _stem_pl(word: str) -> str:
    owac = _PL_OWAC_RE.match(word)
    if owac is not None:
        root = owac.group("root")
        # "zalogować" and "logować" name the same action (the prefix only marks aspect), but
        # the lemmatiser keeps them apart, and "za-" vs "z-" ("zaktualizować") can only be told
        # apart by asking the dictionary whether the unprefixed verb exists.
        for prefix in _PL_PREFIXES:
            rest = root[len(prefix) :]
            if (
                root.startswith(prefix)
                and len(rest) >= _PL_MIN_STEM
                and _pl_known_verb(rest + "ować")
            ):
                return rest
        return root
    for suffix, replacement in _PL_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _PL_MIN_STEM:
            return word[: len(word) - len(suffix)] + replacement
    return word


def _stem_en(word: str) -> str:
    if len(word) - 3 >= _EN_MIN_STEM and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) - 3 >= _EN_MIN_STEM and word.endswith("ing"):
        word = word[:-3]
    elif len(word) - 2 >= _EN_MIN_STEM and word.endswith("ed"):
        word = word[:-2]
    elif (
        len(word) - 1 >= _EN_MIN_STEM
        and word.endswith("s")
        and not word.endswith(("ss", "us", "is"))
    ):
        word = word[:-1]
    # simplemma lemmatises "cancelling" to "cancell" and "-ing" stripping leaves "resett".
    if len(word) > _EN_MIN_STEM and word[-1] == word[-2] and word[-1] not in _VOWELS:
        word = word[:-1]
    # "update" / "updat(ing)": drop the silent e so both spellings meet.
    if len(word) > _EN_MIN_STEM + 1 and word.endswith("e"):
        word = word[:-1]
    return word


_STEMMERS: dict[str, Callable[[str], str]] = {"pl": _stem_pl, "en": _stem_en}


@lru_cache(maxsize=65536)
def _term(token: str, language: str) -> str | None:
    """The index term of one case-folded token, or None for a stop word."""
    stop_words = _STOP_WORDS[language]
    folded = fold(token)
    if folded in stop_words:
        return None
    if folded.isdigit():
        # Numbers such as "14" (days) are worth matching; lemmatising them is pointless.
        return folded
    if len(folded) < 2:
        return None
    # Imported here, not at the top: the import alone takes ~65 ms, which every start of the
    # bot would pay before it is ready, while only the help-article index, built in the
    # background (KnowledgeBase.warm_up), needs it. Cached terms do not get here.
    import simplemma

    lemma = fold(simplemma.lemmatize(token, language, low_memory=True))
    if lemma in stop_words:
        return None
    return _STEMMERS[language](lemma)


def normalise(text: str, language: str) -> list[str]:
    """Terms of `text` in document order, stop words dropped, repeats kept.

    Raises ValueError for a language outside SUPPORTED_LANGUAGES.
    """
    if language not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    terms: list[str] = []
    for token in tokenise(text):
        result = _term(token, language)
        if result is not None:
            terms.append(result)
    return terms
