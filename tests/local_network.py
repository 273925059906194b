"""Keeping the tests' HTTP on 127.0.0.1: the proxy settings a machine may have."""

from __future__ import annotations

import pytest

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                   "all_proxy")


def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours HTTP(S)_PROXY unless NO_PROXY names the host; slack-sdk passes
    HTTP(S)_PROXY to aiohttp itself, which then ignores NO_PROXY: the variables must go."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
