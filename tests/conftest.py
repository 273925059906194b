"""What every test shares: it talks only to stand-ins on 127.0.0.1, never through a proxy."""

from __future__ import annotations

import pytest

from tests.local_network import no_proxy


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    no_proxy(monkeypatch)


@pytest.fixture
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-telegram-bot 22.8 warns (PTBDeprecationWarning) whenever a RetryAfter is built
    unless this is set; with it, RetryAfter.retry_after is a timedelta."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
