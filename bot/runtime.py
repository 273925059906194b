"""What every chat app adapter is handed: the shared engine, store, delivery and renderer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    # Only named in annotations: a command that needs nothing but StartupError (the CLI
    # catches it for every command) then does not import the engine and what it pulls in.
    from bot.delivery import Dispatcher
    from bot.engine import Engine
    from bot.events import Attachment
    from bot.i18n import Translator
    from bot.settings import Settings
    from storage.store import Store


class FileSource(Protocol):
    """A platform that can hand back a file a person sent there, by its reference."""

    async def fetch(self, attachment: Attachment) -> bytes: ...


class UnknownFileSource(LookupError):
    pass


class StartupError(RuntimeError):
    """A chat app cannot start as configured; the message tells the admin what to change."""


class ChatApp(Protocol):
    """An adapter's lifecycle: start taking updates, and stop (finishing what is in hand)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(slots=True)
class Runtime:
    settings: Settings
    store: Store
    engine: Engine
    dispatcher: Dispatcher
    translator: Translator
    files: dict[str, FileSource] = field(default_factory=dict)

    async def fetch_file(self, attachment: Attachment) -> bytes:
        """The bytes of a file from whichever platform it was sent on."""
        source = self.files.get(attachment.source)
        if source is None:
            raise UnknownFileSource(f"no adapter can fetch files from {attachment.source!r}")
        return await source.fetch(attachment)
