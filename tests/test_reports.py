"""Reports computed on a generated history whose right answers the test knows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.i18n import Translator
from bot.reports import Durations, build_report, report_texts
from bot.settings import PROJECT_ROOT
from storage.store import Store
from storage.tx import Tx
from tests.test_cli import supportbot

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def generate(tx: Tx) -> None:
    """20 tickets: 10 answered after 1..10 h and resolved after 2..20 h (rated 1..5 twice),
    4 new ones past due, 3 open ones not due, 2 waiting, 1 closed long ago."""
    customer = tx.upsert_customer(platform="test", user_id="c", chat_id="c", display_name="C",
                                  locale="pl", now=START)

    def ticket(created: datetime, status: str, priority: str = "normal", **extra: object) -> int:
        ticket_id = tx.insert_ticket(customer_id=customer.id, category="other", subject="s",
                                     fields={}, status=status, priority=priority,
                                     first_response_due=created + timedelta(hours=8),
                                     now=created)
        if extra:
            tx.update_ticket(ticket_id, created, **extra)
        return ticket_id

    for n in range(1, 11):
        created = START + timedelta(days=n)
        ticket(created, "resolved", first_response_at=created + timedelta(hours=n),
               resolved_at=created + timedelta(hours=2 * n), rating=(n - 1) % 5 + 1)
    for n in range(4):
        ticket(NOW - timedelta(days=2, hours=n), "new", "urgent" if n == 0 else "normal")
    for _ in range(3):
        ticket(NOW - timedelta(hours=1), "open", "high")
    for _ in range(2):
        created = NOW - timedelta(days=1)
        ticket(created, "waiting", first_response_at=created + timedelta(minutes=30))
    ticket(START - timedelta(days=60), "closed")


async def test_report_on_a_known_history(tmp_path: Path) -> None:
    async with Store(tmp_path / "db.sqlite3") as store:
        await store.write(generate)
        report = await build_report(store, since=START, until=NOW, now=NOW)
    assert report.backlog["new"] == {"urgent": 1, "high": 0, "normal": 3, "low": 0}
    assert report.backlog["open"]["high"] == 3
    assert report.backlog["waiting"]["normal"] == 2
    assert report.backlog["resolved"]["normal"] == 10
    assert report.created == 19  # the closed one is older than the period
    # First responses: 1..10 h for the resolved ones, 0.5 h twice for the waiting ones.
    assert report.first_response.count == 12
    assert report.first_response.median == 4.5 * 3600
    assert report.first_response.p90 == 9 * 3600  # the 11th of 12 sorted values
    assert report.resolution == Durations(10, 11 * 3600, 18 * 3600)
    assert report.overdue == 4  # the new ones, due 8 h after creation two days ago
    assert report.satisfaction_average == 3.0 and report.satisfaction_count == 10


async def test_report_renders_in_polish(tmp_path: Path) -> None:
    async with Store(tmp_path / "db.sqlite3") as store:
        await store.write(generate)
        report = await build_report(store, since=START, until=NOW, now=NOW)
    translator = Translator(PROJECT_ROOT / "locales", strict=True)
    lines = [translator.render(t, "pl") for t in report_texts(report)]
    assert "nowe: 4 (pilne 1, wysokie 0, normalne 3, niskie 0)" in lines
    assert "Pierwsza odpowiedź (12 zgł.): mediana 4 godz. 30 min, 90. percentyl 9 godz. 0 min" \
        in lines
    assert "Po terminie teraz: 4" in lines
    assert "Średnia ocena: 3/5 (10 ocen)" in lines


async def test_stats_command_prints_json(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    async with Store(db) as store:
        await store.write(generate)
    result = supportbot("stats", "--since", "2026-11-02T08:00:00+00:00",
                        "--until", "2026-11-20T12:00:00+00:00", "--format", "json",
                        env={"SUPPORTBOT_DATABASE": str(db)})
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["created"] == 19
    assert data["resolution"] == {"count": 10, "median": 39600.0, "p90": 64800.0}
    assert data["satisfaction_count"] == 10
