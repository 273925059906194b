"""The core stays platform-free: bot/ imports nothing from adapters/ or chat-app libraries."""

from __future__ import annotations

import ast
import subprocess
import sys

from bot.settings import PROJECT_ROOT

PLATFORM_MODULES = ("adapters", "telegram", "discord", "slack_bolt", "slack_sdk")


def imported_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (PROJECT_ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        found[str(path.relative_to(PROJECT_ROOT))] = names
    return found


def test_core_and_store_import_nothing_platform_specific() -> None:
    for package in ("bot", "storage"):
        for path, names in imported_modules(package).items():
            bad = sorted(n for n in names if n.split(".")[0] in PLATFORM_MODULES)
            assert bad == [], f"{path} imports {bad}"


def test_store_does_not_depend_on_the_core() -> None:
    for path, names in imported_modules("storage").items():
        assert not [n for n in names if n.split(".")[0] == "bot"], path


def test_loading_the_core_loads_no_platform_library() -> None:
    code = (
        "import sys, pkgutil, importlib, bot\n"
        "for m in pkgutil.iter_modules(bot.__path__): importlib.import_module('bot.' + m.name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {PLATFORM_MODULES!r}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=PROJECT_ROOT)
    assert result.stdout.strip() == "[]"
