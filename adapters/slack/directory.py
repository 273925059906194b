"""Who is who on Slack: people's names and locales, and who counts as an agent.

An agent is a member of the agents' channel, or a user listed in ``agent_ids``. The member list
is cached for ``cache_seconds`` (a person just added is looked up again on their first try, so
nobody waits a minute to be let in). Lookups made while an event waits for its ack are bounded
in time and fall back to less detail rather than failing the event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

PEOPLE_CACHE_SECONDS = 3600.0
# A member list younger than this is trusted for a "no" too; older ones are fetched again.
MEMBERS_RECHECK_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Person:
    user_id: str
    name: str = ""
    locale: str | None = None
    timezone: str | None = None


class Directory:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        agent_channel: str | None,
        agent_ids: Iterable[str] = (),
        cache_seconds: float = 60.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.client = client
        self.agent_channel = agent_channel
        self.agent_ids = frozenset(agent_ids)
        self.cache_seconds = cache_seconds
        self._clock = clock or (lambda: asyncio.get_running_loop().time())
        self._people: dict[str, tuple[Person, float]] = {}
        self._members: frozenset[str] = frozenset()
        self._members_at: float | None = None
        self._members_lock = asyncio.Lock()

    # -- people --------------------------------------------------------------------------------
    async def person(self, user_id: str, *, timeout: float = 1.5) -> Person:
        """Name, locale and time zone of a user; just the id when Slack does not answer."""
        cached = self._people.get(user_id)
        if cached is not None and self._clock() - cached[1] < PEOPLE_CACHE_SECONDS:
            return cached[0]
        try:
            response = await asyncio.wait_for(
                self.client.users_info(user=user_id, include_locale=True), timeout)
        except (SlackApiError, SlackClientError, TimeoutError, OSError) as exc:
            log.warning("users.info for %s failed: %s", user_id, type(exc).__name__)
            return Person(user_id)
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        # The real name reads best for customers; a display name is often a handle.
        name = (profile.get("real_name") or user.get("real_name")
                or profile.get("display_name") or user.get("name") or "")
        person = Person(user_id, str(name), user.get("locale"), user.get("tz"))
        self._people[user_id] = (person, self._clock())
        return person

    # -- agents --------------------------------------------------------------------------------
    async def is_agent(self, user_id: str) -> bool:
        if user_id in self.agent_ids:
            return True
        if self.agent_channel is None:
            return False
        now = self._clock()
        fresh = self._members_at is not None and now - self._members_at < self.cache_seconds
        if fresh and user_id in self._members:
            return True
        recent = self._members_at is not None and now - self._members_at < min(
            MEMBERS_RECHECK_SECONDS, self.cache_seconds)
        if not recent:
            await self._refresh_members()
        return user_id in self._members

    async def _refresh_members(self) -> None:
        if self.agent_channel is None:
            return
        async with self._members_lock:
            members: set[str] = set()
            cursor: str | None = None
            try:
                while True:
                    response = await self.client.conversations_members(
                        channel=self.agent_channel, limit=200, cursor=cursor)
                    members.update(str(m) for m in response.get("members") or [])
                    cursor = (response.get("response_metadata") or {}).get("next_cursor")
                    if not cursor:
                        break
            except (SlackApiError, SlackClientError, OSError) as exc:
                # Keep the last known list: a Slack hiccup must not lock the team out.
                log.warning("conversations.members failed: %s", type(exc).__name__)
                return
            self._members = frozenset(members)
            self._members_at = self._clock()
