"""Configuration from the environment and ``.env``; every setting is documented in .env.example."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "SUPPORTBOT_"


class TelegramSettings(BaseModel):
    enabled: bool = False
    token: SecretStr | None = None
    api_base_url: str = "https://api.telegram.org/bot"
    file_base_url: str = "https://api.telegram.org/file/bot"
    webhook_url: str | None = None  # public HTTPS URL; unset means long polling
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8081, ge=0, le=65535)  # 0 picks a free port (tests)
    # Outbound pacing under Telegram's flood limits, so 429 answers stay rare.
    chat_interval: float = Field(default=1.0, ge=0)  # seconds between messages to one chat
    messages_per_second: int = Field(default=30, ge=1)  # across all chats


class DiscordSettings(BaseModel):
    enabled: bool = False
    token: SecretStr | None = None
    api_base_url: str | None = None  # only for a stand-in in tests
    gateway_url: str | None = None  # only for a stand-in in tests
    message_content_intent: bool = True  # privileged; direct messages carry text without it
    sync_commands: bool = True  # register the /ticket commands with Discord at start


class SlackSettings(BaseModel):
    enabled: bool = False
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None  # set for Socket Mode; unset means HTTP mode
    agent_channel: str | None = None
    agent_ids: list[str] = Field(default_factory=list)
    api_base_url: str = "https://slack.com/api/"
    http_listen: str = "0.0.0.0"
    http_port: int = 3000
    customers_enabled: bool = True  # workspace members may DM the bot as customers
    events_path: str = "/slack/events"  # HTTP mode: events, interactivity and commands
    command: str = "/ticket"  # the agents' slash command, as named in the app manifest
    agent_cache_seconds: float = Field(default=60.0, ge=0)  # how long channel members are kept


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
        hide_input_in_errors=True,
        frozen=True,
    )

    database: Path = Path("data/supportbot.sqlite3")
    default_language: str = "pl"
    desk_language: str = "pl"
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    forms_file: Path = PROJECT_ROOT / "bot" / "data" / "forms.toml"
    locales_dir: Path = PROJECT_ROOT / "locales"
    team_name: str = "Support"
    show_agent_names: bool = True
    note_prefix: str = "note:"
    timezone: str = "Europe/Warsaw"
    business_hours: str = "mon-fri 08:00-16:00; sat 09:00-13:00"
    holiday_country: str | None = "PL"
    max_text_length: int = Field(default=20_000, ge=100)
    tickets_page_size: int = Field(default=5, ge=1, le=20)
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one JSON object per line

    # Operating: health and metrics endpoint, data retention (GDPR).
    health_enabled: bool = False
    health_listen: str = "127.0.0.1"  # the endpoint has no authentication: keep it local
    health_port: int = Field(default=9108, ge=0, le=65535)  # 0 picks a free port (tests)
    retention_months: int | None = Field(default=None, ge=1)  # None keeps closed tickets

    # Support operations: priorities, promises, fair use, auto-close, assignment.
    priority_customers: list[str] = Field(default_factory=list)
    first_response_hours: str = "low=16, normal=8, high=4, urgent=2"
    served_outside_hours: list[str] = Field(default_factory=lambda: ["urgent"])
    supervisor: str = ""
    messages_per_minute: int = Field(default=20, ge=1)
    follow_up_quiet_minutes: float = Field(default=5, ge=0)
    max_open_tickets: int = Field(default=5, ge=1)
    auto_close_days: float = Field(default=7, gt=0)
    auto_assign: bool = False
    canned_file: Path = PROJECT_ROOT / "bot" / "data" / "canned.toml"
    timer_interval_seconds: float = Field(default=30, gt=0)

    telegram: TelegramSettings = TelegramSettings()
    discord: DiscordSettings = DiscordSettings()
    slack: SlackSettings = SlackSettings()

    def enabled_apps(self) -> list[str]:
        return [name for name in ("telegram", "discord", "slack")
                if getattr(self, name).enabled]

    def missing(self) -> list[str]:
        """Settings an enabled chat app cannot start without, by environment variable name."""
        required = {
            "telegram": ("token",),
            "discord": ("token",),
            "slack": ("bot_token", "agent_channel")
            + (() if self.slack.app_token else ("signing_secret",)),
        }
        return [
            f"{ENV_PREFIX}{app.upper()}__{name.upper()}"
            for app in self.enabled_apps()
            for name in required[app]
            if not getattr(getattr(self, app), name)
        ]
