"""The console channel, driven exactly as the README shows: `make run` with a pipe on stdin."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from bot.settings import PROJECT_ROOT

SESSION = """\
/new
Zamówienia i dostawa
Paczka nie dotarła
ORD-12345
Kurier oznaczył paczkę jako doręczoną, ale nic nie dostałem.
Pomiń
Gotowe
Pomiń
Wyślij zgłoszenie
/agent claim 1
/agent reply 1 Sprawdzamy to z firmą kurierską, odezwiemy się jutro.
/agent note 1 Reklamacja u kuriera nr 555.
Dziękuję!
/tickets
/agent list
"""


def run_console(tmp_path: Path, session: str, **env: str) -> str:
    environment = {
        **os.environ,
        "SUPPORTBOT_DATABASE": str(tmp_path / "console.sqlite3"),
        "LANG": "pl_PL.UTF-8",
        "USER": "Jan",
        **env,
    }
    for key in [k for k in environment if k.startswith("SUPPORTBOT_") and "__ENABLED" in k]:
        environment.pop(key)
    result = subprocess.run(["make", "-s", "run"], input=session, capture_output=True,
                            text=True, cwd=PROJECT_ROOT, env=environment, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def blocks(out: str) -> list[tuple[str, str]]:
    """The printed conversation as (who, text) pairs: who is you, bot, desk or agent."""
    found: list[tuple[str, str]] = []
    for line in out.splitlines():
        who, mark, text = line.partition("› ")
        if mark and who.strip() in ("you", "bot", "desk", "agent", "error"):
            found.append((who.strip(), text))
        elif found:
            found[-1] = (found[-1][0], found[-1][1] + "\n" + line.strip())
    return found


def test_a_piped_console_session_opens_a_ticket_and_gets_an_answer(tmp_path: Path) -> None:
    out = run_console(tmp_path, SESSION)
    assert "[1] Zamówienia i dostawa" not in out  # numbers are per message, category is 3rd
    assert "[3] Zamówienia i dostawa" in out
    assert "Przyjęliśmy zgłoszenie nr 1." in out
    assert "desk› Nowe zgłoszenie #1 [Zamówienia i dostawa, priorytet: normalny] od Jan" in out
    assert "Twoim zgłoszeniem nr 1 zajmuje się teraz: Agent." in out
    assert "Odpowiedź w zgłoszeniu nr 1 — Agent:" in out
    assert "Sprawdzamy to z firmą kurierską" in out
    note_line = "notatka wewnętrzna od Agent: Reklamacja u kuriera nr 555."
    assert note_line in out
    to_customer = [text for who, text in blocks(out) if who == "bot"]
    assert not [t for t in to_customer if "Reklamacja u kuriera" in t]
    assert "Dopisano do zgłoszenia nr 1" in out
    assert "desk› #1 Jan pisze: Dziękuję!" in out
    assert "Masz 1 zgłoszenie (strona 1 z 1):" in out
    assert "#1 Paczka nie dotarła — w trakcie" in out
    assert "desk› #1 [normalny] w trakcie — Paczka nie dotarła (Jan)" in out


def test_the_console_keeps_the_form_across_runs(tmp_path: Path) -> None:
    run_console(tmp_path, "/new\n6\nFałszywe konto\n")
    out = run_console(tmp_path, "oszust123\n")
    assert "Opisz dokładnie problem" in out


def test_english_console_and_typed_numbers(tmp_path: Path) -> None:
    out = run_console(tmp_path, "/start\n2\n", LANG="en_US.UTF-8")
    assert "Hello!" in out
    assert "You have no tickets yet." in out
