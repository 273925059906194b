"""Support reports: backlog, response and resolution times, overdue tickets, satisfaction."""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from bot.actions import Text
from bot.model import PRIORITY_ORDER, Status
from storage import reports as queries
from storage.store import Store


@dataclass(frozen=True, slots=True)
class Durations:
    """Seconds; the 90th percentile is the nearest-rank one (a value that really occurred)."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, values: list[float]) -> Durations:
        if not values:
            return cls(0, None, None)
        ordered = sorted(values)
        rank = max(1, math.ceil(0.9 * len(ordered)))
        return cls(len(ordered), statistics.median(ordered), ordered[rank - 1])


@dataclass(frozen=True, slots=True)
class Report:
    since: datetime
    until: datetime
    backlog: dict[str, dict[str, int]]  # status -> priority -> count (closed excluded)
    created: int
    first_response: Durations
    resolution: Durations
    overdue: int
    satisfaction_average: float | None
    satisfaction_count: int

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["since"], data["until"] = self.since.isoformat(), self.until.isoformat()
        return data


async def build_report(store: Store, *, since: datetime, until: datetime,
                       now: datetime) -> Report:
    counts = await queries.backlog(store)
    backlog = {
        status.value: {p.value: counts.get((status.value, p.value), 0)
                       for p in reversed(PRIORITY_ORDER)}
        for status in Status if status is not Status.CLOSED
    }
    scores = await queries.ratings(store, since, until)
    return Report(
        since=since,
        until=until,
        backlog=backlog,
        created=await queries.created_count(store, since, until),
        first_response=Durations.of(await queries.first_response_seconds(store, since, until)),
        resolution=Durations.of(await queries.resolution_seconds(store, since, until)),
        overdue=await queries.overdue_count(store, now),
        satisfaction_average=round(statistics.fmean(scores), 2) if scores else None,
        satisfaction_count=len(scores),
    )


def duration_text(seconds: float | None) -> Text:
    if seconds is None:
        return Text("stats-none")
    minutes = round(seconds / 60)
    if minutes >= 48 * 60:
        return Text("duration-days", {"days": minutes // 1440, "hours": minutes % 1440 // 60})
    return Text("duration-hours", {"hours": minutes // 60, "minutes": minutes % 60})


def report_texts(report: Report) -> list[Text]:
    """The report as localisable lines, for the CLI and the desk's /ticket stats."""
    lines = [Text("stats-title", {"since": report.since, "until": report.until})]
    for status, by_priority in report.backlog.items():
        lines.append(Text("stats-backlog-line", {
            "status": Text(f"status-{status}"), "total": sum(by_priority.values()),
            **{priority: count for priority, count in by_priority.items()},
        }))
    lines.append(Text("stats-created", {"count": report.created}))
    for key, durations in (("stats-first-response", report.first_response),
                           ("stats-resolution", report.resolution)):
        lines.append(Text(key, {"count": durations.count,
                                "median": duration_text(durations.median),
                                "p90": duration_text(durations.p90)}))
    lines.append(Text("stats-overdue", {"count": report.overdue}))
    if report.satisfaction_average is None:
        lines.append(Text("stats-satisfaction-none"))
    else:
        lines.append(Text("stats-satisfaction", {"average": report.satisfaction_average,
                                                 "count": report.satisfaction_count}))
    return lines
