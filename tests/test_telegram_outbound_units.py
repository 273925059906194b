"""The Telegram adapter's pure parts: escaping, splitting, buttons, references, pacing, errors."""

from __future__ import annotations

import datetime as dtm
import html
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from adapters.telegram.outbound import SentRef, delivery_error, keyboard
from adapters.telegram.ratelimit import RateLimiter
from adapters.telegram.text import escape, split_html, visible_length
from bot.delivery import DeliveryError
from bot.settings import PROJECT_ROOT

_TAG = re.compile(r"<[^>]*>")


def shown(part: str) -> str:
    return html.unescape(_TAG.sub("", part))


# -- escaping ----------------------------------------------------------------------------------
def test_what_people_write_cannot_become_markup() -> None:
    assert escape('<b>pilne</b> & <a href="x">tu</a>') == \
        '&lt;b&gt;pilne&lt;/b&gt; &amp; &lt;a href="x"&gt;tu&lt;/a&gt;'


@pytest.mark.parametrize("name", ["supportbot.ftl", "telegram.ftl"])
@pytest.mark.parametrize("language", ["pl", "en"])
def test_customer_templates_are_valid_telegram_html(language: str, name: str) -> None:
    """Templates go out unescaped under parse_mode=HTML: none may hold a bare < or &."""
    source = (PROJECT_ROOT / "locales" / language / name).read_text(encoding="utf-8")
    for number, line in enumerate(source.splitlines(), start=1):
        if line.startswith("#"):
            continue
        literal = line.replace("->", "")  # Fluent's select arrow is syntax, not text
        assert "<" not in literal and "&" not in literal, f"{name}:{number}: {line}"


# -- splitting ---------------------------------------------------------------------------------
def test_a_short_text_is_one_part() -> None:
    assert split_html("Dzień dobry &amp; witaj") == ["Dzień dobry &amp; witaj"]


def test_paragraphs_are_preferred_to_lines_and_words() -> None:
    text = "a" * 30 + "\n\n" + "b" * 10 + "\n" + "c c c"
    assert split_html(text, 45) == ["a" * 30, "b" * 10 + "\nc c c"]


def test_words_are_kept_whole() -> None:
    parts = split_html(" ".join(["słowo"] * 50), 32)
    assert all(len(p) <= 32 for p in parts)
    assert " ".join(parts).split() == ["słowo"] * 50


def test_entities_are_never_cut_and_count_as_one_character() -> None:
    parts = split_html("&amp;" * 10, 4)
    assert parts == ["&amp;" * 4, "&amp;" * 4, "&amp;" * 2]


def test_open_tags_are_closed_and_reopened() -> None:
    parts = split_html("<b>" + "x " * 20 + "</b> koniec", 16)
    assert all(p.count("<b>") == p.count("</b>") for p in parts)
    assert parts[0].startswith("<b>") and parts[1].startswith("<b>")
    assert "".join(shown(p) + " " for p in parts).split() == ["x"] * 20 + ["koniec"]


def test_length_is_measured_like_telegram_in_utf16_units() -> None:
    assert visible_length("😀") == 2
    parts = split_html("😀" * 5, 4)
    assert parts == ["😀😀", "😀😀", "😀"]


@given(st.text(alphabet=st.sampled_from(["a", "ą", " ", "\n", "&", "<", ">", "😀", "x"]),
               max_size=400),
       st.integers(min_value=2, max_value=60))
def test_splitting_keeps_every_visible_character(raw: str, limit: int) -> None:
    parts = split_html(escape(raw), limit)
    assert all(0 < visible_length(p) <= limit for p in parts)
    # Only whitespace at the cuts may go; everything else is there, in order.
    assert "".join("".join(shown(p).split()) for p in parts) == "".join(raw.split())


# -- buttons and references --------------------------------------------------------------------
def test_buttons_share_rows_by_label_length_in_order() -> None:
    markup = keyboard([("Wyślij zgłoszenie", "f:ok"), ("Popraw pole", "f:edit"),
                       ("Anuluj", "f:cancel"), *((f"★ {n}", f"rate:1:{n}") for n in range(1, 6)),
                       ("Otwórz ponownie", "reopen:1")])
    assert markup is not None
    rows = [[b.text for b in row] for row in markup.inline_keyboard]
    assert rows == [["Wyślij zgłoszenie"], ["Popraw pole", "Anuluj"],
                    ["★ 1", "★ 2", "★ 3", "★ 4", "★ 5"], ["Otwórz ponownie"]]


def test_a_button_with_too_much_data_is_left_out_not_the_message() -> None:
    markup = keyboard([("OK", "kb:ok"), ("Za długi", "x" * 65)])
    assert markup is not None
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [["kb:ok"]]
    assert keyboard([]) is None


def test_references_name_texts_and_files() -> None:
    ref = SentRef((12, 13), (14,))
    assert ref.encode() == "t12,t13,f14"
    assert SentRef.parse("t12,t13,f14") == ref
    assert SentRef.parse("7") == SentRef((7,))
    with pytest.raises(DeliveryError) as caught:
        SentRef.parse("abc")
    assert caught.value.permanent


# -- failures ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("error", "permanent", "retry_after"), [
    (Forbidden("Forbidden: bot was blocked by the user"), True, None),
    (BadRequest("Bad Request: chat not found"), True, None),
    (RetryAfter(dtm.timedelta(seconds=3)), False, 3.0),
    (TimedOut(), False, None),
    (NetworkError("Bad Gateway"), False, None),
])
def test_telegram_errors_map_to_permanent_or_transient(
        monkeypatch: pytest.MonkeyPatch, error: Exception, permanent: bool,
        retry_after: float | None) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    mapped = delivery_error(error)  # type: ignore[arg-type]
    assert (mapped.permanent, mapped.retry_after) == (permanent, retry_after)
    assert mapped.reason.startswith("Telegram: ")


# -- pacing ------------------------------------------------------------------------------------
class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


async def test_one_chat_is_paced_and_others_are_not_held_up() -> None:
    time = FakeTime()
    limiter = RateLimiter(chat_interval=1.0, per_second=30, clock=time.clock, sleep=time.sleep)
    await limiter.wait(1)
    await limiter.wait(2)
    assert time.slept == []
    await limiter.wait(1)
    assert time.slept == [1.0]


async def test_groups_get_twenty_a_minute_and_a_429_pauses_the_chat() -> None:
    time = FakeTime()
    limiter = RateLimiter(chat_interval=1.0, per_second=30, clock=time.clock, sleep=time.sleep)
    await limiter.wait(-100)
    await limiter.wait(-100)
    assert time.slept == [3.0]
    limiter.pause(5, 7.0)
    await limiter.wait(5)
    assert time.slept == [3.0, 7.0]


async def test_the_overall_rate_is_capped_counting_sends_when_they_complete() -> None:
    time = FakeTime()
    limiter = RateLimiter(chat_interval=0.0, per_second=3, clock=time.clock, sleep=time.sleep)
    for chat in range(1, 4):
        async with limiter.slot(chat):
            time.now += 0.2  # each send takes 0.2 s to be answered
    async with limiter.slot(4):
        pass
    # The first send completed at 100.2; the fourth may only start a second after that.
    assert time.now == pytest.approx(101.2)
