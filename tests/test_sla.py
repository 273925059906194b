"""Response-time promises (bot/sla.py): every expected instant is worked out by hand.

Default policy: Europe/Warsaw, Mon-Fri 08:00-16:00, Sat 09:00-13:00, Polish public holidays,
low 16h / normal 8h / high 4h of business time, urgent 2h of clock time.
Warsaw is UTC+1 (CET) in winter and UTC+2 (CEST) in summer; in 2026 the clocks go forward on
Sunday 2026-03-29 (02:00 CET -> 03:00 CEST) and back on Sunday 2026-10-25 (03:00 -> 02:00).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.model import Priority
from bot.sla import ResponsePolicy, UnknownPriority, WorkingWindow

WAW = ZoneInfo("Europe/Warsaw")
POLICY = ResponsePolicy.default()


def waw(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A Warsaw wall-clock time (first occurrence if ambiguous)."""
    return datetime(year, month, day, hour, minute, tzinfo=WAW)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def due(submitted: datetime, priority: str, policy: ResponsePolicy = POLICY) -> datetime:
    result = policy.first_response_due(submitted, priority)
    assert result.tzinfo is UTC
    return result


# --- ordinary working days --------------------------------------------------------------


def test_normal_monday_morning_rolls_into_tuesday() -> None:
    # Mon 2026-03-02 10:00 CET: 6h left on Monday, 2h more from Tue 08:00 -> Tue 10:00 CET.
    assert due(waw(2026, 3, 2, 10, 0), "normal") == utc(2026, 3, 3, 9, 0)


def test_high_same_day() -> None:
    # 4h from Mon 10:00 CET -> Mon 14:00 CET = 13:00 UTC.
    assert due(waw(2026, 3, 2, 10, 0), "high") == utc(2026, 3, 2, 13, 0)


def test_low_spans_three_days() -> None:
    # 16h: Mon 10-16 (6h), Tue 08-16 (8h), Wed 08-10 (2h) -> Wed 10:00 CET.
    assert due(waw(2026, 3, 2, 10, 0), "low") == utc(2026, 3, 4, 9, 0)


def test_target_ending_exactly_at_closing_time_lands_on_closing_time() -> None:
    # 8h from Mon 08:00 CET -> Mon 16:00 CET (not Tue 08:00).
    assert due(waw(2026, 3, 2, 8, 0), "normal") == utc(2026, 3, 2, 15, 0)


def test_input_in_any_zone_gives_the_same_instant() -> None:
    # Mon 2026-03-02 09:00 UTC is 10:00 CET and 18:00 in Tokyo.
    expected = utc(2026, 3, 3, 9, 0)
    assert due(utc(2026, 3, 2, 9, 0), "normal") == expected
    assert due(datetime(2026, 3, 2, 18, 0, tzinfo=ZoneInfo("Asia/Tokyo")), "normal") == expected


def test_priority_enum_is_accepted() -> None:
    assert due(waw(2026, 3, 2, 10, 0), Priority.HIGH) == utc(2026, 3, 2, 13, 0)


# --- evenings, Saturdays, Sundays --------------------------------------------------------


def test_after_hours_clock_starts_at_next_opening() -> None:
    # Mon 17:00 CET -> starts Tue 08:00, 8h -> Tue 16:00 CET.
    assert due(waw(2026, 3, 2, 17, 0), "normal") == utc(2026, 3, 3, 15, 0)


def test_friday_evening_uses_saturday_morning() -> None:
    # Fri 2026-03-06 17:00 CET: Sat 09-13 (4h), Sun closed, Mon 08:00 + 4h -> Mon 12:00 CET.
    assert due(waw(2026, 3, 6, 17, 0), "normal") == utc(2026, 3, 9, 11, 0)


def test_saturday_noon_has_one_hour_left() -> None:
    # Sat 2026-03-07 12:00 CET: 1h on Saturday, Sunday closed, Mon 08:00 + 7h -> Mon 15:00 CET.
    assert due(waw(2026, 3, 7, 12, 0), "normal") == utc(2026, 3, 9, 14, 0)
    # high: 1h Sat + 3h Mon -> Mon 11:00 CET.
    assert due(waw(2026, 3, 7, 12, 0), "high") == utc(2026, 3, 9, 10, 0)


def test_sunday_ticket_starts_monday_0800() -> None:
    sunday = waw(2026, 3, 8, 10, 0)
    assert POLICY.next_opening(sunday, "normal") == utc(2026, 3, 9, 7, 0)  # Mon 08:00 CET
    assert due(sunday, "normal") == utc(2026, 3, 9, 15, 0)  # Mon 16:00 CET
    assert due(sunday, "high") == utc(2026, 3, 9, 11, 0)  # Mon 12:00 CET


def test_urgent_on_sunday_counts_clock_time() -> None:
    # Sun 2026-03-08 10:00 CET + 2h -> 12:00 CET.
    assert due(waw(2026, 3, 8, 10, 0), "urgent") == utc(2026, 3, 8, 11, 0)


def test_urgent_at_night_on_a_holiday_counts_clock_time() -> None:
    # Wed 2026-11-11 (Independence Day) 23:30 CET + 2h -> Thu 01:30 CET.
    assert due(waw(2026, 11, 11, 23, 30), "urgent") == utc(2026, 11, 12, 0, 30)


# --- public holidays (holidays package, PL) -----------------------------------------------


def test_friday_evening_before_easter_monday() -> None:
    # Fri 2026-04-03 17:00 CEST: Sat 04-04 09-13 (4h); Sun 04-05 Easter Sunday and
    # Mon 04-06 Easter Monday closed; Tue 04-07 08:00 + 4h -> 12:00 CEST = 10:00 UTC.
    assert due(waw(2026, 4, 3, 17, 0), "normal") == utc(2026, 4, 7, 10, 0)


def test_independence_day_midweek() -> None:
    # Tue 2026-11-10 15:00 CET: 1h Tue; Wed 11-11 holiday; Thu 08:00 + 7h -> Thu 15:00 CET.
    assert due(waw(2026, 11, 10, 15, 0), "normal") == utc(2026, 11, 12, 14, 0)


def test_christmas_eve_is_a_holiday_and_so_is_a_saturday_holiday() -> None:
    # Wed 2026-12-23 12:00 CET: 4h Wed; Thu 24 (Christmas Eve, a holiday since 2025),
    # Fri 25, Sat 26 (Second Day of Christmas) closed; Sun 27 closed; Mon 28 08:00 + 4h.
    assert due(waw(2026, 12, 23, 12, 0), "normal") == utc(2026, 12, 28, 11, 0)


def test_new_year_crosses_into_next_years_holidays() -> None:
    # Thu 2026-12-31 14:00 CET: 2h Thu; Fri 2027-01-01 holiday; Sat 01-02 09-13 (4h);
    # Sun closed; Mon 2027-01-04 08:00 + 2h -> 10:00 CET.
    assert due(waw(2026, 12, 31, 14, 0), "normal") == utc(2027, 1, 4, 9, 0)


def test_extra_holidays_are_honoured() -> None:
    policy = dataclasses.replace(POLICY, extra_holidays=frozenset({date(2026, 3, 3)}))
    # Mon 2026-03-02 10:00 CET: 6h Mon; Tue 03-03 company holiday; Wed 08:00 + 2h.
    assert due(waw(2026, 3, 2, 10, 0), "normal", policy) == utc(2026, 3, 4, 9, 0)
    assert not policy.is_open(waw(2026, 3, 3, 10, 0), "normal")
    assert policy.is_open(waw(2026, 3, 3, 10, 0), "urgent")


def test_no_holiday_country_makes_easter_monday_a_working_day() -> None:
    policy = dataclasses.replace(POLICY, holiday_country=None)
    # Fri 2026-04-03 17:00 CEST: Sat 4h; Mon 04-06 08:00 + 4h -> 12:00 CEST.
    assert due(waw(2026, 4, 3, 17, 0), "normal", policy) == utc(2026, 4, 6, 10, 0)


# --- daylight-saving changes --------------------------------------------------------------


def test_urgent_across_spring_forward_is_two_real_hours() -> None:
    # 2026-03-29 01:30 CET (00:30 UTC) + 2h = 02:30 UTC = 04:30 CEST.
    result = due(waw(2026, 3, 29, 1, 30), "urgent")
    assert result == utc(2026, 3, 29, 2, 30)
    assert result == waw(2026, 3, 29, 4, 30)
    assert result.astimezone(WAW).time() == time(4, 30)


def test_urgent_across_fall_back_is_two_real_hours() -> None:
    # 2026-10-25 01:30 CEST (23:30 UTC on the 24th) + 2h = 01:30 UTC = 02:30 CET (2nd 02:30).
    result = due(waw(2026, 10, 25, 1, 30), "urgent")
    assert result == utc(2026, 10, 25, 1, 30)
    assert result.astimezone(WAW).time() == time(2, 30)


def test_normal_across_spring_forward_weekend() -> None:
    # Sat 2026-03-28 12:00 CET: 1h Sat; Sun (change) closed; Mon 03-30 08:00 CEST + 7h
    # -> 15:00 CEST = 13:00 UTC (a naive "add hours in UTC" would be one hour late).
    assert due(waw(2026, 3, 28, 12, 0), "normal") == utc(2026, 3, 30, 13, 0)
    # Low from Fri 03-27 12:00 CET: Fri 4h, Sat 4h, Mon 08-16 CEST 8h -> Mon 16:00 CEST.
    assert due(waw(2026, 3, 27, 12, 0), "low") == utc(2026, 3, 30, 14, 0)


def test_normal_across_fall_back_weekend() -> None:
    # Sat 2026-10-24 12:00 CEST: 1h Sat; Sun closed; Mon 10-26 08:00 CET + 7h -> 15:00 CET.
    assert due(waw(2026, 10, 24, 12, 0), "normal") == utc(2026, 10, 26, 14, 0)


def test_window_on_spring_forward_day_is_an_hour_shorter() -> None:
    policy = dataclasses.replace(POLICY, week=ResponsePolicy.parse_week("mon-sun 00:00-06:00"))
    # Sun 2026-03-29 00:00-06:00 local is 23:00 UTC (28th) .. 04:00 UTC: only 5 real hours.
    # 6h from 00:00: 5h on Sunday, 1h from Mon 00:00 CEST -> Mon 01:00 CEST = 23:00 UTC Sun.
    result = policy.add_serving_time(waw(2026, 3, 29, 0, 0), timedelta(hours=6), "normal")
    assert result == utc(2026, 3, 29, 23, 0)


def test_window_on_fall_back_day_is_an_hour_longer() -> None:
    policy = dataclasses.replace(POLICY, week=ResponsePolicy.parse_week("mon-sun 00:00-06:00"))
    # Sun 2026-10-25 00:00 CEST (22:00 UTC on the 24th) .. 06:00 CET (05:00 UTC): 7 real hours.
    # 6h from 00:00 -> 04:00 UTC = 05:00 CET, still inside Sunday's window.
    result = policy.add_serving_time(waw(2026, 10, 25, 0, 0), timedelta(hours=6), "normal")
    assert result == utc(2026, 10, 25, 4, 0)
    assert result.astimezone(WAW).time() == time(5, 0)


def test_window_inside_the_skipped_hour_serves_nothing() -> None:
    policy = dataclasses.replace(POLICY, week=ResponsePolicy.parse_week("sun 02:15-02:45"))
    # On 2026-03-29 the clocks jump 02:00 -> 03:00, so 02:15-02:45 never happens that day
    # (both ends resolve to the jump instant: zero length). Sun 2026-04-05 is Easter Sunday
    # (a PL holiday), so the next window is Sun 2026-04-12: 02:15 CEST + 10 min -> 02:25 CEST.
    amount = timedelta(minutes=10)
    result = policy.add_serving_time(waw(2026, 3, 29, 0, 0), amount, "normal")
    assert result == utc(2026, 4, 12, 0, 25)
    no_holidays = dataclasses.replace(policy, holiday_country=None)
    result = no_holidays.add_serving_time(waw(2026, 3, 29, 0, 0), amount, "normal")
    assert result == utc(2026, 4, 5, 0, 25)


def test_window_ending_in_the_skipped_hour_ends_at_the_jump() -> None:
    policy = dataclasses.replace(
        POLICY, week=ResponsePolicy.parse_week("sun 01:00-02:30"), holiday_country=None
    )
    # 2026-03-29: opens 01:00 CET (00:00 UTC), 02:30 does not exist, so it closes at the jump
    # (03:00 CEST = 01:00 UTC): one real hour. 1h lands exactly at closing.
    start = waw(2026, 3, 29, 0, 0)
    assert policy.add_serving_time(start, timedelta(hours=1), "normal") == utc(2026, 3, 29, 1, 0)
    # 61 min: 60 that Sunday, 1 more from Sun 04-05 01:00 CEST (23:00 UTC on the 4th).
    assert policy.add_serving_time(start, timedelta(minutes=61), "normal") == utc(
        2026, 4, 4, 23, 1
    )


# --- is_open / next_opening / add_serving_time -------------------------------------------


def test_is_open() -> None:
    assert POLICY.is_open(waw(2026, 3, 2, 8, 0), "normal")  # opening instant included
    assert POLICY.is_open(waw(2026, 3, 2, 15, 59), "low")
    assert not POLICY.is_open(waw(2026, 3, 2, 16, 0), "normal")  # closing instant excluded
    assert not POLICY.is_open(waw(2026, 3, 2, 7, 59), "normal")
    assert POLICY.is_open(waw(2026, 3, 7, 9, 30), "normal")  # Saturday morning
    assert not POLICY.is_open(waw(2026, 3, 7, 13, 30), "normal")  # Saturday afternoon
    assert not POLICY.is_open(waw(2026, 3, 8, 10, 0), "high")  # Sunday
    assert POLICY.is_open(waw(2026, 3, 8, 10, 0), "urgent")
    assert not POLICY.is_open(waw(2026, 11, 11, 10, 0), "normal")  # Independence Day
    assert POLICY.is_open(waw(2026, 11, 11, 3, 0), "urgent")


def test_next_opening() -> None:
    # Already open: the same instant, in UTC.
    assert POLICY.next_opening(waw(2026, 3, 2, 10, 0), "normal") == utc(2026, 3, 2, 9, 0)
    # Friday at closing time -> Saturday 09:00 CET.
    assert POLICY.next_opening(waw(2026, 3, 6, 16, 0), "normal") == utc(2026, 3, 7, 8, 0)
    # Saturday 2026-04-04 14:00 CEST -> Tuesday 2026-04-07 08:00 CEST (Easter).
    assert POLICY.next_opening(waw(2026, 4, 4, 14, 0), "normal") == utc(2026, 4, 7, 6, 0)
    # Urgent is always open.
    assert POLICY.next_opening(waw(2026, 4, 5, 3, 0), "urgent") == utc(2026, 4, 5, 1, 0)


def test_add_serving_time() -> None:
    start = waw(2026, 3, 2, 15, 0)
    assert POLICY.add_serving_time(start, timedelta(0), "normal") == utc(2026, 3, 2, 14, 0)
    # 90 min from Mon 15:00: 60 min Mon, 30 min Tue -> Tue 08:30 CET.
    assert POLICY.add_serving_time(start, timedelta(minutes=90), "low") == utc(2026, 3, 3, 7, 30)
    with pytest.raises(ValueError, match="negative"):
        POLICY.add_serving_time(start, timedelta(minutes=-1), "normal")


def test_several_windows_per_day() -> None:
    policy = dataclasses.replace(
        POLICY, week=ResponsePolicy.parse_week("mon-fri 08:00-12:00,13:00-17:00")
    )
    # high (4h) from Mon 2026-03-02 11:00 CET: 11-12 (1h), lunch, 13-16 (3h) -> 16:00 CET.
    assert due(waw(2026, 3, 2, 11, 0), "high", policy) == utc(2026, 3, 2, 15, 0)
    # normal (8h): 11-12 (1h), 13-17 (4h), Tue 08-11 (3h) -> Tue 11:00 CET.
    assert due(waw(2026, 3, 2, 11, 0), "normal", policy) == utc(2026, 3, 3, 10, 0)
    assert not policy.is_open(waw(2026, 3, 2, 12, 30), "high")
    assert policy.next_opening(waw(2026, 3, 2, 12, 30), "high") == utc(2026, 3, 2, 12, 0)


def test_long_target_is_fast_and_exact() -> None:
    # 40 weeks of 44h (5x8 + 4) = 1760h from Mon 2026-01-05 08:00 CET, with no holidays,
    # ends exactly 40 weeks later on Sat 2026-10-10 13:00 CEST = 11:00 UTC.
    policy = dataclasses.replace(POLICY, holiday_country=None)
    start = waw(2026, 1, 5, 8, 0)
    assert policy.add_serving_time(start, timedelta(hours=1760), "low") == utc(2026, 10, 10, 11, 0)


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: POLICY.first_response_due(datetime(2026, 3, 2, 10, 0), "normal"),
        lambda: POLICY.is_open(datetime(2026, 3, 2, 10, 0), "normal"),
        lambda: POLICY.next_opening(datetime(2026, 3, 2, 10, 0), "urgent"),
        lambda: POLICY.add_serving_time(datetime(2026, 3, 2, 10, 0), timedelta(1), "low"),
    ],
)
def test_naive_datetime_rejected(call: object) -> None:
    assert callable(call)
    with pytest.raises(ValueError, match="naive"):
        call()


def test_unknown_priority() -> None:
    with pytest.raises(UnknownPriority):
        POLICY.first_response_due(waw(2026, 3, 2, 10, 0), "critical")
    with pytest.raises(KeyError):
        POLICY.is_open(waw(2026, 3, 2, 10, 0), "critical")
    with pytest.raises(UnknownPriority):
        POLICY.next_opening(waw(2026, 3, 2, 10, 0), "")


def test_week_without_windows_raises_instead_of_looping() -> None:
    policy = dataclasses.replace(POLICY, week={})
    with pytest.raises(ValueError, match="no working windows"):
        policy.first_response_due(waw(2026, 3, 2, 10, 0), "normal")
    # Always-served priorities still work.
    assert policy.first_response_due(waw(2026, 3, 2, 10, 0), "urgent") == utc(2026, 3, 2, 11, 0)


def test_every_working_day_a_holiday_raises_instead_of_looping() -> None:
    mondays = frozenset(date(2026, 1, 5) + timedelta(weeks=n) for n in range(200))
    policy = dataclasses.replace(
        POLICY, week=ResponsePolicy.parse_week("mon 08:00-16:00"), extra_holidays=mondays
    )
    with pytest.raises(ValueError, match="no serving time"):
        policy.first_response_due(waw(2026, 1, 5, 10, 0), "normal")


def test_bad_policy_values() -> None:
    with pytest.raises(ValueError, match="time zone"):
        dataclasses.replace(POLICY, timezone="Europe/Atlantis")
    with pytest.raises(ValueError, match="end after"):
        WorkingWindow(time(16, 0), time(8, 0))
    with pytest.raises(ValueError, match="weekday"):
        dataclasses.replace(POLICY, week={7: (WorkingWindow(time(8), time(9)),)})
    with pytest.raises(ValueError, match="negative"):
        dataclasses.replace(POLICY, first_response={"normal": timedelta(hours=-1)})
    with pytest.raises(ValueError, match="country"):
        dataclasses.replace(POLICY, holiday_country="XX")


def test_default_policy_shape() -> None:
    assert POLICY.timezone == "Europe/Warsaw"
    assert POLICY.holiday_country == "PL"
    assert POLICY.always_served == frozenset({"urgent"})
    assert dict(POLICY.first_response) == {
        "low": timedelta(hours=16),
        "normal": timedelta(hours=8),
        "high": timedelta(hours=4),
        "urgent": timedelta(hours=2),
    }
    assert hash(POLICY) == hash(ResponsePolicy.default())


# --- parse_week -------------------------------------------------------------------------------


def ww(start: str, end: str) -> WorkingWindow:
    return WorkingWindow(time.fromisoformat(start), time.fromisoformat(end))


def test_parse_week_default_spec() -> None:
    week = ResponsePolicy.parse_week("mon-fri 08:00-16:00; sat 09:00-13:00")
    office = (ww("08:00", "16:00"),)
    assert dict(week) == {0: office, 1: office, 2: office, 3: office, 4: office,
                          5: (ww("09:00", "13:00"),)}  # fmt: skip


def test_parse_week_several_windows_lists_and_names() -> None:
    week = ResponsePolicy.parse_week(" Mon 13:00-17:00, 08:00-12:00 ;sat,Sunday 10:00-14:00; ")
    assert dict(week) == {
        0: (ww("08:00", "12:00"), ww("13:00", "17:00")),  # sorted
        5: (ww("10:00", "14:00"),),
        6: (ww("10:00", "14:00"),),
    }
    assert dict(ResponsePolicy.parse_week("wed 9:30-23:59")) == {2: (ww("09:30", "23:59"),)}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty"),
        (" ; ", "empty"),
        ("mon", "no hours"),
        ("xyz 08:00-16:00", "unknown day"),
        ("mon-xyz 08:00-16:00", "unknown day"),
        ("fri-mon 08:00-16:00", "backwards"),
        ("mon 16:00-08:00", "end after"),
        ("mon 08:00-08:00", "end after"),
        ("mon 8-16", "HH:MM"),
        ("mon 08:00", "HH:MM-HH:MM"),
        ("mon 08:00-12:00-13:00", "HH:MM"),
        ("mon 25:00-26:00", "out of range"),
        ("mon 08:00-24:00", "out of range"),
        ("mon 08:00-12:00,11:00-13:00", "overlapping"),
        ("mon 08:00-12:00; mon-fri 13:00-14:00", "more than once"),
        ("mon 08:00-12:00,", "HH:MM-HH:MM"),
    ],
)
def test_parse_week_rejects_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ResponsePolicy.parse_week(spec)
