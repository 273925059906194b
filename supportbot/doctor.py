"""``supportbot doctor``: check the configuration before (or while) the bot runs.

Every check says what it looked at and, when something is wrong, what to change, by the
environment variable's name. No value of a secret setting is ever put in a finding, and the
finished report is still passed through the log redactor, so a secret pasted into the wrong
setting (a token in a URL, say) cannot come out either.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import SecretStr, ValidationError

from bot.canned import CannedError, CannedReplies
from bot.forms import FormBook, FormError
from bot.i18n import SUPPORTED_LANGUAGES, Translator
from bot.knowledge import KnowledgeBase, KnowledgeBaseError
from bot.settings import ENV_PREFIX, Settings
from storage import backup
from storage.migrate import latest_version
from supportbot.app import ConfigurationError, build_policy
from supportbot.logs import Redactor, configured_secrets


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    topic: str
    message: str
    fix: str = ""


# Shapes of credentials and ids, from each platform's documentation.
TELEGRAM_TOKEN = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
DISCORD_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")
SLACK_CHANNEL = re.compile(r"^[CG][A-Z0-9]{6,}$")
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{6,}$")
SLACK_SIGNING_SECRET = re.compile(r"^[0-9a-f]{32}$")
WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def env(*parts: str) -> str:
    return ENV_PREFIX + "__".join(p.upper() for p in parts)


def ok(topic: str, message: str) -> Finding:
    return Finding(Level.OK, topic, message)


def warn(topic: str, message: str, fix: str = "") -> Finding:
    return Finding(Level.WARN, topic, message, fix)


def fail(topic: str, message: str, fix: str = "") -> Finding:
    return Finding(Level.FAIL, topic, message, fix)


# -- the checks -----------------------------------------------------------------------------------
def diagnose(settings: Settings) -> list[Finding]:
    findings: list[Finding] = []
    for check in CHECKS:
        try:
            findings.extend(check(settings))
        except Exception as exc:  # a check that crashes is a finding, not a traceback
            findings.append(fail(check.__name__.removeprefix("check_"),
                                 f"could not be checked: {type(exc).__name__}: {exc}"))
    return findings


def check_apps(settings: Settings) -> Iterator[Finding]:
    names = settings.enabled_apps()
    if not names:
        yield warn("chat apps", "none enabled: `supportbot run` starts the console channel",
                   f"set {env('telegram', 'enabled')}=true (or DISCORD / SLACK) to go live")
        return
    yield ok("chat apps", "enabled: " + ", ".join(names))
    if "slack" not in names:
        yield warn("agents' desk", "Slack is off, so no agents' desk: desk notices wait in "
                   "the store", f"enable Slack ({env('slack', 'enabled')}=true) for the desk")


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def _token(app: str, name: str, value: SecretStr | None, shape: re.Pattern[str],
           what: str, where: str) -> Iterator[Finding]:
    topic, variable = app, env(app, name)
    text = _secret(value)
    if not text:
        yield fail(topic, f"{variable} is not set", f"put the {what} from {where} in {variable}")
    elif text != text.strip() or text[:1] in "'\"":
        yield fail(topic, f"{variable} has spaces or quotes around it",
                   f"copy the {what} again, without quotes or spaces")
    elif not shape.match(text):
        yield fail(topic, f"{variable} does not look like a {what}",
                   f"copy the {what} again from {where}")
    else:
        yield ok(topic, f"{variable} is set and well formed")


def check_telegram(settings: Settings) -> Iterator[Finding]:
    t = settings.telegram
    if not t.enabled:
        return
    yield from _token("telegram", "token", t.token, TELEGRAM_TOKEN, "bot token (123456:ABC...)",
                      "@BotFather")
    if t.webhook_url:
        if not t.webhook_url.startswith("https://"):
            yield fail("telegram", f"{env('telegram', 'webhook_url')} must be an https:// URL",
                       "Telegram only sends webhooks over HTTPS; leave it empty for polling")
        else:
            yield ok("telegram", "webhook mode")
        secret = _secret(t.webhook_secret)
        if secret and not WEBHOOK_SECRET.match(secret):
            yield fail("telegram", f"{env('telegram', 'webhook_secret')} may only have "
                       "A-Z a-z 0-9 _ - (1-256 characters)", "choose another secret")
    else:
        yield ok("telegram", "long polling (no webhook URL set)")


def check_discord(settings: Settings) -> Iterator[Finding]:
    if settings.discord.enabled:
        yield from _token("discord", "token", settings.discord.token, DISCORD_TOKEN,
                          "bot token", "the Discord developer portal (Bot → Reset Token)")


def check_slack(settings: Settings) -> Iterator[Finding]:
    s = settings.slack
    if not s.enabled:
        return
    yield from _token("slack", "bot_token", s.bot_token, re.compile(r"^xoxb-[A-Za-z0-9-]+$"),
                      "bot token (xoxb-...)", "your Slack app's OAuth & Permissions page")
    if s.app_token is not None and _secret(s.app_token):
        yield from _token("slack", "app_token", s.app_token,
                          re.compile(r"^xapp-[A-Za-z0-9-]+$"), "app-level token (xapp-...)",
                          "your Slack app's Basic Information page")
    else:
        secret = _secret(s.signing_secret)
        variable = env("slack", "signing_secret")
        if not secret:
            yield fail("slack", f"{variable} is not set (needed in HTTP mode)",
                       f"copy it from the app's Basic Information page, or set "
                       f"{env('slack', 'app_token')} for Socket Mode")
        elif not SLACK_SIGNING_SECRET.match(secret):
            yield fail("slack", f"{variable} does not look like a signing secret "
                       "(32 hexadecimal characters)", "copy it again from Basic Information")
        else:
            yield ok("slack", f"{variable} is set and well formed")
    channel = env("slack", "agent_channel")
    if not s.agent_channel:
        yield fail("slack", f"{channel} is not set",
                   "put the agents' channel id there (channel details → C0123456789)")
    elif not SLACK_CHANNEL.match(s.agent_channel):
        # Shown whole (not cut short), so that the redactor still recognises a secret
        # pasted here by mistake.
        yield fail("slack", f"{channel}={s.agent_channel!r} is not a channel id",
                   "use the id from the channel's details (like C0123456789), not its name")
    else:
        yield ok("slack", f"agents' channel {s.agent_channel}")
    bad = [a for a in s.agent_ids if not SLACK_USER.match(a)]
    if bad:
        yield fail("slack", f"{env('slack', 'agent_ids')} has entries that are not user ids: "
                   + ", ".join(repr(a) for a in bad), "use ids like U0123456789")


def check_store(settings: Settings) -> Iterator[Finding]:
    path = settings.database
    variable = env("database")
    if not path.exists():
        parent = next((p for p in (path.parent, *path.parent.parents) if p.exists()), Path("/"))
        if os.access(parent, os.W_OK):
            yield warn("store", f"{path} does not exist yet; it is created on the first start")
        else:
            yield fail("store", f"{path} does not exist and {parent} is not writable",
                       f"point {variable} at a writable place")
        return
    if not os.access(path, os.R_OK | os.W_OK) or not os.access(path.parent, os.W_OK):
        yield fail("store", f"{path} (or its folder) is not readable and writable by this user",
                   "fix the owner / permissions, or run as the bot's user")
        return
    report = backup.check(path)
    if not report.ok:
        yield fail("store", f"{path}: " + "; ".join(report.problems),
                   "restore the latest good backup (`supportbot restore --help`)")
    elif report.needs_migration:
        yield warn("store", f"{path} is at schema version {report.schema_version}; "
                   f"the next start migrates it to {latest_version()}",
                   "take a backup first (`supportbot backup PATH`)")
    else:
        yield ok("store", f"{path} opens, passes its integrity check and is at schema "
                 f"version {report.schema_version} ({report.counts.get('tickets', 0)} tickets)")


def check_content(settings: Settings) -> Iterator[Finding]:
    try:
        kb = KnowledgeBase.load(settings.knowledge_dir)
    except KnowledgeBaseError as exc:
        yield fail("knowledge base", str(exc), f"fix the file, or {env('knowledge_dir')}")
    else:
        counts = {lang: len(kb.articles(lang)) for lang in sorted(kb.languages)}
        if not counts:
            yield warn("knowledge base", f"{settings.knowledge_dir} has no articles: "
                       "customers get no self-service answers")
        else:
            yield ok("knowledge base", ", ".join(f"{n} articles ({lang})"
                                                 for lang, n in counts.items()))
    try:
        forms = FormBook.load(settings.forms_file)
    except FormError as exc:
        yield fail("intake forms", str(exc), f"fix the file, or {env('forms_file')}")
    else:
        yield ok("intake forms", f"{len(forms.categories)} categories")
    try:
        canned = CannedReplies.load(settings.canned_file)
    except CannedError as exc:
        yield fail("canned replies", str(exc), f"fix the file, or {env('canned_file')}")
    else:
        yield ok("canned replies", f"{len(canned.names)} replies")
    missing = [lang for lang in SUPPORTED_LANGUAGES
               if not list((settings.locales_dir / lang).glob("*.ftl"))]
    if missing:
        yield fail("locales", f"{settings.locales_dir} has no .ftl files for "
                   + ", ".join(missing), f"point {env('locales_dir')} at the locales folder")
    else:
        translator = Translator(settings.locales_dir)
        pl, en = (translator.message_ids(lang) for lang in SUPPORTED_LANGUAGES)
        if pl != en:
            yield warn("locales", f"the languages differ by {len(pl ^ en)} messages",
                       "add the missing translations")
        else:
            yield ok("locales", f"{len(pl)} messages in each of " + ", ".join(
                SUPPORTED_LANGUAGES))


def check_core(settings: Settings) -> Iterator[Finding]:
    for name in ("default_language", "desk_language"):
        if getattr(settings, name) not in SUPPORTED_LANGUAGES:
            yield fail("languages", f"{env(name)} must be one of "
                       + ", ".join(SUPPORTED_LANGUAGES))
    try:
        build_policy(settings)
    except ConfigurationError as exc:
        yield fail("business hours", str(exc),
                   f"see {env('business_hours')} and {env('timezone')} in .env.example")
    else:
        yield ok("business hours", f"{settings.business_hours} ({settings.timezone})")


def check_operating(settings: Settings) -> Iterator[Finding]:
    if settings.log_level.strip().upper() not in LOG_LEVELS:
        yield fail("logging", f"{env('log_level')} must be one of " + ", ".join(LOG_LEVELS))
    else:
        yield ok("logging", f"{settings.log_level.upper()}, {settings.log_format}")
    if settings.health_enabled:
        where = f"http://{settings.health_listen}:{settings.health_port}"
        if _is_loopback(settings.health_listen):
            yield ok("health endpoint", f"{where}/healthz and /metrics")
        else:
            yield warn("health endpoint", f"{where} is reachable from other machines and has "
                       "no authentication", "keep it on 127.0.0.1 or firewall the port")
    else:
        yield ok("health endpoint", f"off ({env('health_enabled')}=true turns it on)")
    if settings.retention_months:
        yield ok("retention", f"tickets closed over {settings.retention_months} months ago "
                 "are erased daily")
    else:
        yield ok("retention", f"off: closed tickets are kept ({env('retention_months')})")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


CHECKS: tuple[Callable[[Settings], Iterator[Finding]], ...] = (
    check_apps, check_telegram, check_discord, check_slack, check_store, check_content,
    check_core, check_operating,
)


# -- running it -----------------------------------------------------------------------------------
def settings_problems(exc: ValidationError) -> list[Finding]:
    """Findings for settings that do not even parse (the value is never shown)."""
    return [fail("settings", f"{ENV_PREFIX}{'__'.join(str(p) for p in err['loc']).upper()}: "
                 f"{err['msg']}", "correct it in .env or the environment")
            for err in exc.errors()]


def report(findings: list[Finding], redact: Callable[[str], str] | None = None) -> list[str]:
    redact = redact or Redactor()
    width = max(len(f.topic) for f in findings) if findings else 0
    lines = ["supportbot doctor: configuration check", ""]
    for f in findings:
        lines.append(f"  {f.level.value:<4}  {f.topic:<{width}}  {f.message}")
        if f.fix and f.level is not Level.OK:
            lines.append(f"  {'':<4}  {'':<{width}}  → {f.fix}")
    problems = sum(f.level is Level.FAIL for f in findings)
    warnings = sum(f.level is Level.WARN for f in findings)
    lines.append("")
    if problems:
        lines.append(f"{problems} problem{'s' if problems != 1 else ''}, {warnings} "
                     f"warning{'s' if warnings != 1 else ''}: fix the FAIL lines and run "
                     "`supportbot doctor` again.")
    else:
        lines.append(f"All good ({warnings} warning{'s' if warnings != 1 else ''}).")
    return [redact(line) for line in lines]


def run_doctor(load: Callable[[], Settings] = Settings) -> tuple[int, list[str]]:
    """The exit code (0 all good, 1 something to fix) and the report's lines."""
    # The checks load data files that log on the way; the report says all there is to say.
    logging.disable(logging.WARNING)
    try:
        try:
            settings = load()
        except ValidationError as exc:
            findings = settings_problems(exc)
            return 1, report(findings)
        findings = diagnose(settings)
        code = 1 if any(f.level is Level.FAIL for f in findings) else 0
        return code, report(findings, Redactor(configured_secrets(settings)))
    finally:
        logging.disable(logging.NOTSET)
