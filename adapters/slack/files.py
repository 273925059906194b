"""Files both ways: fetching what people posted on Slack, and copying files into Slack.

Slack's file URLs need the bot token; without a valid one Slack answers a sign-in page with
status 200, so a download is checked for that and refused rather than passed on as the file.
The token is only ever sent to Slack's own hosts (and the configured API host, for a stand-in).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import ChannelPacer
from adapters.slack.errors import delivery_errors
from bot.delivery import DeliveryError
from bot.events import Attachment

log = logging.getLogger(__name__)

PLATFORM = "slack"
_SLACK_HOSTS = ("slack.com", "slack-files.com", "slack-edge.com")


def attachment_from_file(file: Mapping[str, Any]) -> Attachment:
    """A Slack file object as a core attachment that this adapter can fetch again."""
    mime = str(file.get("mimetype") or "")
    kind = ("photo" if mime.startswith("image/") else "video" if mime.startswith("video/")
            else "voice" if mime.startswith("audio/") else "document")
    url = file.get("url_private_download") or file.get("url_private") or ""
    return Attachment(kind=kind, file_ref=str(url), name=str(file.get("name") or "file"),
                      mime_type=mime, size=int(file.get("size") or 0), source=PLATFORM)


class SlackFiles:
    def __init__(self, client: AsyncWebClient, *, token: str, api_base_url: str,
                 pacer: ChannelPacer, max_bytes: int = 100 * 1024 * 1024) -> None:
        self.client = client
        self._token = token
        self._api_host = urlsplit(api_base_url).hostname or ""
        self.pacer = pacer
        self.max_bytes = max_bytes
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _trusted(self, url: str) -> bool:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host == self._api_host:
            return True
        return parts.scheme == "https" and any(
            host == h or host.endswith("." + h) for h in _SLACK_HOSTS)

    async def fetch(self, attachment: Attachment) -> bytes:
        """The bytes of a file someone posted on Slack (the runtime's file source)."""
        url = attachment.file_ref
        if not self._trusted(url):
            raise DeliveryError(f"slack: refusing to fetch a file from {urlsplit(url).hostname}",
                                permanent=True)
        if self._session is None:
            self._session = aiohttp.ClientSession(trust_env=True)
        headers = {"Authorization": f"Bearer {self._token}"}
        try:
            async with self._session.get(url, headers=headers) as response:
                if response.status >= 500 or response.status == 429:
                    raise DeliveryError(f"slack: file download answered {response.status}",
                                        permanent=False)
                if response.status != 200:
                    raise DeliveryError(f"slack: file download answered {response.status}",
                                        permanent=True)
                if response.content_type == "text/html" and \
                        not attachment.mime_type.startswith("text/html"):
                    # The sign-in page: the token cannot read files (files:read missing).
                    raise DeliveryError("slack: the file needs the files:read scope",
                                        permanent=True)
                data = await response.content.read(self.max_bytes + 1)
        except aiohttp.ClientError as exc:
            raise DeliveryError(f"slack: file download failed: {type(exc).__name__}",
                                permanent=False) from exc
        if len(data) > self.max_bytes:
            raise DeliveryError("slack: the file is too large to copy", permanent=True)
        return data

    async def upload(self, channel: str, files: Sequence[tuple[str, bytes]], *,
                     thread_ts: str | None = None) -> None:
        """Post files into a channel (or a thread), in one message."""
        if not files:
            return
        await self.pacer.wait(channel)
        with delivery_errors():
            await self.client.files_upload_v2(
                channel=channel, thread_ts=thread_ts,
                file_uploads=[{"content": data, "filename": name, "title": name}
                              for name, data in files],
            )
