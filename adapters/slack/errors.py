"""Slack API failures as delivery outcomes: retry later, or give up and tell the agents."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.delivery import DeliveryError

log = logging.getLogger(__name__)

# Errors that the same call cannot overcome by waiting: the conversation is gone or closed to
# the bot, the message is gone, or what was sent is malformed. Everything else (rate limits
# after the client's own retries, 5xx, timeouts, and auth errors an admin can fix) is retried.
PERMANENT_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "channel_is_archived",
    "cannot_dm_bot", "user_not_found", "user_disabled", "account_inactive",
    "message_not_found", "cant_update_message", "cant_delete_message", "edit_window_closed",
    "msg_too_long", "no_text", "invalid_blocks", "invalid_blocks_format", "too_many_attachments",
    "restricted_action", "restricted_action_read_only_channel", "thread_reply_not_allowed",
    "ekm_access_denied", "messages_tab_disabled", "invalid_arguments", "file_not_found",
})
# Outcomes that mean "already so": a retried call that had in fact succeeded.
ALREADY_DONE = frozenset({"already_reacted", "no_reaction"})


def api_error_code(exc: SlackApiError) -> str:
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    return str(data.get("error") or "unknown_error")


def to_delivery_error(exc: Exception) -> DeliveryError:
    """What the dispatcher should do about a failed Slack call."""
    if isinstance(exc, SlackApiError):
        code = api_error_code(exc)
        status = exc.response.status_code
        if status == 429:
            raw = exc.response.headers.get("Retry-After") or exc.response.headers.get(
                "retry-after")
            retry_after = _seconds(raw)
            return DeliveryError(f"slack: rate limited ({code})", permanent=False,
                                 retry_after=retry_after)
        return DeliveryError(f"slack: {code}", permanent=code in PERMANENT_ERRORS)
    if isinstance(exc, SlackClientError | aiohttp.ClientError | TimeoutError):
        return DeliveryError(f"slack: {type(exc).__name__}: {exc}", permanent=False)
    return DeliveryError(f"slack: {type(exc).__name__}", permanent=False)


def _seconds(raw: object) -> float | None:
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    try:
        return max(0.0, float(str(raw)))
    except (TypeError, ValueError):
        return None


@contextlib.contextmanager
def delivery_errors() -> Iterator[None]:
    """Raise a ``DeliveryError`` for whatever a Slack call inside fails with."""
    try:
        yield
    except DeliveryError:
        raise
    except (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
        raise to_delivery_error(exc) from exc
