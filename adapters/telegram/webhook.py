"""Webhook mode: Telegram POSTs each update to our HTTPS URL (through your reverse proxy).

A request is answered 200 only after the update is stored, so Telegram re-sends whatever we
could not store (a 5xx). Requests without Telegram's secret-token header are refused with 403
and nothing of them is stored. Telegram is asked for one connection at a time, so updates
arrive in order: a form's steps must be taken in the order the customer made them, and storing
one takes milliseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Bot

from adapters.telegram.inbound import ALLOWED_UPDATES
from adapters.telegram.updates import UpdateReceiver

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def webhook_secret(configured: str | None, token: str) -> str:
    """The configured secret, or one derived from the token: stable across restarts, and
    unguessable by anyone who does not already hold the token."""
    if configured:
        if not _SECRET.fullmatch(configured):
            raise ValueError("SUPPORTBOT_TELEGRAM__WEBHOOK_SECRET may only hold 1-256 of "
                             "A-Z a-z 0-9 _ -")
        return configured
    return hmac.new(token.encode(), b"supportbot telegram webhook", hashlib.sha256).hexdigest()


class WebhookServer:
    def __init__(self, bot: Bot, receiver: UpdateReceiver, *, url: str, secret: str,
                 listen: str, port: int) -> None:
        self.bot = bot
        self.receiver = receiver
        self.url = url
        self.path = urlsplit(url).path or "/"
        self._secret = secret.encode()
        self._listen = listen
        self._port = port
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        """The port listened on (useful when 0 was asked for)."""
        if self._runner is None:
            raise RuntimeError("the webhook server is not running")
        return int(self._runner.addresses[0][1])

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(self.path, self._receive)
        # No access log: a webhook path sometimes carries a secret of its own.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=10.0)
        await runner.setup()
        await web.TCPSite(runner, self._listen, self._port).start()
        self._runner = runner
        # Listening first, then telling Telegram where to send.
        await self.bot.set_webhook(self.url, secret_token=self._secret.decode(),
                                   allowed_updates=ALLOWED_UPDATES, max_connections=1)
        log.info("Telegram webhook set; listening on %s:%s%s", self._listen, self.port,
                 self.path)

    async def stop(self) -> None:
        # The webhook stays set: Telegram keeps updates while we are away and sends them later.
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()  # lets requests under way finish

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("webhook request without Telegram's secret token refused (from %s)",
                        request.remote)
            return web.Response(status=403)
        try:
            raw = await request.json()
        except ValueError:
            log.warning("webhook request with a body that is not JSON ignored")
            return web.Response()
        if not isinstance(raw, dict):
            log.warning("webhook request with a body that is not an update ignored")
            return web.Response()
        try:
            await self.receiver.receive(raw)
        except Exception:
            log.exception("Telegram update %s could not be stored; Telegram will send it again",
                          raw.get("update_id"))
            return web.Response(status=500)
        return web.Response()
