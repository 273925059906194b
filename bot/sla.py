"""Response-time promises: when a customer can expect the first answer to a ticket.

Serving time is counted in the policy's own time zone: each working window is a local
wall-clock interval (e.g. 08:00-16:00 Europe/Warsaw) on a working day that is not a public
holiday, converted to UTC for arithmetic. On a DST-change day a window is therefore shorter
or longer in real time, exactly as the office clock says. Priorities listed in
``always_served`` are served around the clock, so their time is plain elapsed (UTC) time.

Everything here is pure and synchronous; datetimes going in must be timezone-aware, and
datetimes coming out are aware UTC datetimes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "ResponsePolicy",
    "UnknownPriority",
    "WorkingWindow",
]

# How many consecutive calendar days without any serving time we scan before giving up.
MAX_CLOSED_DAYS = 400

_DAY_NAMES: dict[str, int] = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
_RESOLUTION = timedelta(microseconds=1)
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")


class UnknownPriority(KeyError):
    """The priority is not configured in the policy."""


@dataclass(frozen=True, slots=True)
class WorkingWindow:
    """One local wall-clock interval of a working day: [start, end)."""

    start: time
    end: time  # end > start, same day

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("working window times must be naive local wall-clock times")
        if self.end <= self.start:
            raise ValueError(
                f"working window must end after it starts: {self.start:%H:%M}-{self.end:%H:%M}"
            )


@lru_cache(maxsize=256)
def _holiday_dates(country: str, year: int) -> frozenset[date]:
    """Public holidays of *country* in *year*, from the ``holidays`` package (cached)."""
    return frozenset(holidays.country_holidays(country, years=year).keys())


def _known_country(code: str) -> bool:
    # The registry, not country_holidays(): that imports every country's module (~90 ms of
    # start-up); the holidays themselves are loaded on first use, after the bot is ready.
    from holidays.registry import COUNTRIES

    return any(code in names[1:] for names in COUNTRIES.values())


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")
    return value.astimezone(UTC)


def _local_to_utc(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which the clocks in *zone* show *wall* on *day*.

    An ambiguous wall time (clocks going back) resolves to its first occurrence. A wall time
    that does not exist (clocks going forward) resolves to the instant of the jump, i.e. the
    first real moment after it, so a window is never longer than what the clock shows.
    """
    naive = datetime.combine(day, wall)
    after = naive.replace(tzinfo=zone).astimezone(UTC)
    if after.astimezone(zone).replace(tzinfo=None) == naive:
        return after
    # In a gap: with fold=1 zoneinfo applies the offset from after the jump, giving an
    # instant before the jump; fold=0 gives one after it. Bisect for the jump itself.
    before = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    offset_after = after.astimezone(zone).utcoffset()
    while after - before > _RESOLUTION:
        middle = before + (after - before) // 2
        if middle.astimezone(zone).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return after


def _parse_time(text: str, spec: str) -> time:
    match = _TIME_RE.match(text)
    if match is None:
        raise ValueError(f"bad time {text!r} in working-week spec {spec!r}: expected HH:MM")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"time out of range {text!r} in working-week spec {spec!r}")
    return time(hour, minute)


def _parse_days(text: str, spec: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            raise ValueError(f"empty day name in working-week spec {spec!r}")
        first, sep, last = part.partition("-")
        if first not in _DAY_NAMES or (sep and last not in _DAY_NAMES):
            raise ValueError(
                f"unknown day {part!r} in working-week spec {spec!r}: "
                f"use mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri"
            )
        lo = _DAY_NAMES[first]
        hi = _DAY_NAMES[last] if sep else lo
        if hi < lo:
            raise ValueError(
                f"day range {part!r} runs backwards in working-week spec {spec!r} "
                f"(the week starts on Monday)"
            )
        days.extend(range(lo, hi + 1))
    return days


def _normalise_week(
    week: Mapping[int, tuple[WorkingWindow, ...]],
) -> Mapping[int, tuple[WorkingWindow, ...]]:
    normalised: dict[int, tuple[WorkingWindow, ...]] = {}
    for weekday, windows in week.items():
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {weekday!r}")
        ordered = tuple(sorted(windows, key=lambda w: w.start))
        for before, after in pairwise(ordered):
            if after.start < before.end:
                raise ValueError(
                    f"overlapping working windows on weekday {weekday}: "
                    f"{before.start:%H:%M}-{before.end:%H:%M} and "
                    f"{after.start:%H:%M}-{after.end:%H:%M}"
                )
        if ordered:
            normalised[weekday] = ordered
    return MappingProxyType(normalised)


@dataclass(frozen=True, slots=True)
class ResponsePolicy:
    """Working hours, holidays and first-response targets of the support desk.

    ``first_response`` is required, so it comes right after ``week`` (a field without a
    default cannot follow fields with defaults); pass everything by keyword for clarity.
    """

    timezone: str  # IANA, e.g. "Europe/Warsaw"
    week: Mapping[int, tuple[WorkingWindow, ...]] = field(hash=False)
    first_response: Mapping[str, timedelta] = field(hash=False)  # counted in serving time
    holiday_country: str | None = "PL"  # holidays package country code; None = no holidays
    extra_holidays: frozenset[date] = frozenset()
    always_served: frozenset[str] = frozenset({"urgent"})  # served 24/7 incl. holidays

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        object.__setattr__(self, "week", _normalise_week(self.week))
        for priority, target in self.first_response.items():
            if target < timedelta(0):
                raise ValueError(f"negative first-response target for {priority!r}: {target}")
        object.__setattr__(self, "first_response", MappingProxyType(dict(self.first_response)))
        object.__setattr__(self, "extra_holidays", frozenset(self.extra_holidays))
        object.__setattr__(self, "always_served", frozenset(self.always_served))
        if self.holiday_country is not None and not _known_country(self.holiday_country):
            raise ValueError(
                f"the holidays package does not know country {self.holiday_country!r}")

    # --- construction -------------------------------------------------------------------

    @classmethod
    def default(cls) -> ResponsePolicy:
        """Mon-Fri 08:00-16:00, Sat 09:00-13:00 (Europe/Warsaw), Polish public holidays.

        Targets: low 16h, normal 8h, high 4h of business time; urgent 2h of clock time.
        """
        return cls(
            timezone="Europe/Warsaw",
            week=cls.parse_week("mon-fri 08:00-16:00; sat 09:00-13:00"),
            first_response={
                "low": timedelta(hours=16),
                "normal": timedelta(hours=8),
                "high": timedelta(hours=4),
                "urgent": timedelta(hours=2),
            },
            holiday_country="PL",
            always_served=frozenset({"urgent"}),
        )

    @classmethod
    def parse_targets(cls, spec: str) -> Mapping[str, timedelta]:
        """Parse ``"low=16, normal=8, high=4, urgent=2"`` (hours, decimals allowed)."""
        targets: dict[str, timedelta] = {}
        for entry in filter(None, (part.strip() for part in spec.split(","))):
            name, sep, hours = entry.partition("=")
            try:
                value = float(hours)
            except ValueError:
                value = -1.0
            if not sep or not name.strip() or value < 0:
                raise ValueError(f"bad first-response target {entry!r} in {spec!r} "
                                 "(expected e.g. normal=8)")
            targets[name.strip().lower()] = timedelta(hours=value)
        if not targets:
            raise ValueError(f"no first-response targets in {spec!r}")
        return targets

    @classmethod
    def parse_week(cls, spec: str) -> Mapping[int, tuple[WorkingWindow, ...]]:
        """Parse ``"mon-fri 08:00-16:00; sat 09:00-13:00"`` into a weekday -> windows map.

        Entries are separated by ``;``. Each entry is a day list (``mon``, ``mon-fri``,
        ``sat,sun``; full names accepted, case-insensitive) followed by one or more
        ``HH:MM-HH:MM`` windows separated by commas (``mon 08:00-12:00,13:00-17:00``).
        Days not mentioned are closed. Raises ValueError on anything malformed, on a day
        given twice, on a window that does not end after it starts, and on overlaps.
        """
        if not isinstance(spec, str):
            raise ValueError(f"working-week spec must be a string, got {type(spec).__name__}")
        week: dict[int, tuple[WorkingWindow, ...]] = {}
        entries = [entry.strip() for entry in spec.split(";")]
        if not any(entries):
            raise ValueError("working-week spec is empty")
        for entry in entries:
            if not entry:
                continue
            days_text, _, windows_text = entry.partition(" ")
            windows_text = windows_text.strip()
            if not windows_text:
                raise ValueError(
                    f"entry {entry!r} in working-week spec {spec!r} has no hours: "
                    f"expected e.g. 'mon-fri 08:00-16:00'"
                )
            windows: list[WorkingWindow] = []
            for window_text in windows_text.split(","):
                start_text, sep, end_text = window_text.strip().partition("-")
                if not sep:
                    raise ValueError(
                        f"bad window {window_text.strip()!r} in working-week spec {spec!r}: "
                        f"expected HH:MM-HH:MM"
                    )
                start = _parse_time(start_text.strip(), spec)
                end = _parse_time(end_text.strip(), spec)
                if end <= start:
                    raise ValueError(
                        f"window {window_text.strip()!r} in working-week spec {spec!r} "
                        f"must end after it starts (same day)"
                    )
                windows.append(WorkingWindow(start, end))
            for weekday in _parse_days(days_text, spec):
                if weekday in week:
                    raise ValueError(
                        f"weekday {weekday} is given more than once in working-week spec {spec!r}"
                    )
                week[weekday] = tuple(windows)
        return _normalise_week(week)

    # --- queries --------------------------------------------------------------------------

    def is_open(self, at: datetime, priority: str) -> bool:
        """Whether a ticket of *priority* is being served at the instant *at*."""
        moment = _utc(at, "at")
        if self._always(priority):
            return True
        zone = ZoneInfo(self.timezone)
        for start, end in self._day_windows(moment.astimezone(zone).date(), zone):
            if start <= moment < end:
                return True
        return False

    def first_response_due(self, submitted_at: datetime, priority: str) -> datetime:
        """When the first answer is due (aware UTC) for a ticket submitted at *submitted_at*."""
        try:
            target = self.first_response[priority]
        except KeyError:
            raise UnknownPriority(priority) from None
        return self.add_serving_time(submitted_at, target, priority)

    def add_serving_time(self, start: datetime, amount: timedelta, priority: str) -> datetime:
        """Advance *start* by *amount* of serving time for *priority* (aware UTC result).

        If *start* is outside serving time the clock starts at the next opening. An amount
        that runs out exactly at the end of a window lands on that window's end.
        """
        moment = _utc(start, "start")
        if amount < timedelta(0):
            raise ValueError(f"amount of serving time must not be negative: {amount}")
        if self._always(priority):
            return moment + amount
        zone = ZoneInfo(self.timezone)
        remaining = amount
        day = moment.astimezone(zone).date()
        closed_days = 0
        while True:
            served_today = False
            for win_start, win_end in self._day_windows(day, zone):
                if win_end <= moment:
                    continue
                served_today = True
                begin = max(moment, win_start)
                available = win_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            closed_days = 0 if served_today else closed_days + 1
            if closed_days > MAX_CLOSED_DAYS:
                raise ValueError(
                    f"no serving time for priority {priority!r} within {MAX_CLOSED_DAYS} "
                    f"days after {moment.isoformat()}: check the working week and holidays"
                )
            day += timedelta(days=1)

    def next_opening(self, at: datetime, priority: str) -> datetime:
        """The first instant at or after *at* when *priority* is served (aware UTC)."""
        return self.add_serving_time(at, timedelta(0), priority)

    def is_holiday(self, day: date) -> bool:
        """Whether the local calendar *day* is a public or extra holiday."""
        if day in self.extra_holidays:
            return True
        if self.holiday_country is None:
            return False
        return day in _holiday_dates(self.holiday_country, day.year)

    # --- internals --------------------------------------------------------------------------

    def _always(self, priority: str) -> bool:
        """Whether *priority* is served 24/7; raises UnknownPriority for unknown ones."""
        if priority in self.always_served:
            return True
        if priority not in self.first_response:
            raise UnknownPriority(priority)
        if not any(self.week.values()):
            raise ValueError(
                f"the working week has no working windows, so priority {priority!r} "
                f"(not always served) is never served"
            )
        return False

    def _day_windows(self, day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
        """The UTC intervals of serving time on local calendar *day* (empty if closed)."""
        windows = self.week.get(day.weekday(), ())
        if not windows or self.is_holiday(day):
            return []
        result: list[tuple[datetime, datetime]] = []
        for window in windows:
            start = _local_to_utc(day, window.start, zone)
            end = _local_to_utc(day, window.end, zone)
            # A window lying wholly inside the hour skipped by a spring-forward change
            # (e.g. 02:15-02:45) has no real duration and serves no time at all.
            if end > start:
                result.append((start, end))
        return result
