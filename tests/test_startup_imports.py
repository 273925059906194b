"""Start-up loads only what is needed before ready (benchmark item R11).

Chat-app libraries are imported once their app is found enabled, the health endpoint's aiohttp
once it is on, and the lemmatiser and the locales when first used (the warm-up thread loads
them in the background). Each check runs in a fresh interpreter: this process's own modules
would hide what a start imports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.settings import PROJECT_ROOT

CHAT_APP_LIBRARIES = ("telegram", "discord", "slack_bolt", "slack_sdk")
ADAPTERS = ("adapters.telegram", "adapters.discord", "adapters.slack")
# Loaded after ready: aiohttp (~0.2 s) only for the health endpoint or an app using it,
# simplemma (~65 ms) and fluent (~35 ms) by the warm-up thread or on first use.
LOADED_AFTER_READY = ("aiohttp", "simplemma", "fluent")


def python(code: str, *args: str, stdin: str = "",
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTBOT_")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-c", code, *args], input=stdin,
                          capture_output=True, text=True, cwd=PROJECT_ROOT, env=environment,
                          timeout=120, check=False)


def imported(modules: list[str], names: tuple[str, ...]) -> list[str]:
    """The modules of `modules` that are one of `names` or inside one of them."""
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_run_with_no_chat_app_imports_no_chat_app_library(tmp_path: Path) -> None:
    # `supportbot run` with no token starts the console; it still answers the first question
    # with the right help article, although the index is built behind its back.
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from supportbot.cli import app\n"
        "try:\n"
        "    app(['run'], prog_name='supportbot')\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "Path(sys.argv[1]).write_text(json.dumps(sorted(sys.modules)))\n"
    )
    modules_file = tmp_path / "modules.json"
    result = python(code, str(modules_file), stdin="Nie pamiętam hasła do konta\n",
                    env={"SUPPORTBOT_DATABASE": str(tmp_path / "db.sqlite3"),
                         "LANG": "pl_PL.UTF-8"})
    assert result.returncode == 0, result.stderr
    assert "Nie pamiętam hasła lub nie mogę się zalogować" in result.stdout
    modules: list[str] = json.loads(modules_file.read_text())
    assert imported(modules, CHAT_APP_LIBRARIES + ADAPTERS + ("aiohttp",)) == []
    assert "adapters.console.channel" in modules


def test_importing_the_bot_loads_nothing_needed_only_after_ready() -> None:
    code = ("import json, sys\n"
            "import supportbot.app, supportbot.cli\n"
            "print(json.dumps(sorted(sys.modules)))\n")
    result = python(code)
    assert result.returncode == 0, result.stderr
    modules: list[str] = json.loads(result.stdout)
    assert imported(modules, CHAT_APP_LIBRARIES + ADAPTERS + LOADED_AFTER_READY) == []


def test_an_enabled_app_imports_its_own_library_only() -> None:
    code = ("import json, sys\n"
            "from supportbot.app import ADAPTERS\n"
            "import importlib\n"
            "importlib.import_module(ADAPTERS['telegram'])\n"
            "print(json.dumps(sorted(sys.modules)))\n")
    result = python(code)
    assert result.returncode == 0, result.stderr
    modules: list[str] = json.loads(result.stdout)
    assert "telegram" in modules
    assert imported(modules, ("discord", "slack_bolt", "adapters.discord", "adapters.slack")) == []
