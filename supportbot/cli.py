"""The ``supportbot`` command: run the bot, try it in a terminal, look at tickets."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError

from bot.customer_flow import category_text, priority_text, status_text
from bot.i18n import Translator
from bot.model import ACTIVE_STATUSES, Status
from bot.reports import build_report, report_texts
from bot.settings import Settings
from bot.views import load_ticket_view
from storage.store import Store, StoreError
from supportbot.app import ConfigurationError, run_console, run_enabled_apps

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="A support desk bot for Telegram, Discord and Slack.")
tickets_app = typer.Typer(no_args_is_help=True, help="Look at tickets in the store.")
app.add_typer(tickets_app, name="tickets")


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'__'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        typer.echo(f"Configuration error: {problems}", err=True)
        raise typer.Exit(2) from None


def configure_logging(settings: Settings, *, quiet: bool = False) -> None:
    logging.basicConfig(
        level=logging.WARNING if quiet else settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _run(coro: object) -> None:
    try:
        asyncio.run(coro)  # type: ignore[arg-type]
    except (ConfigurationError, StoreError) as exc:
        typer.echo(f"Cannot start: {exc}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        pass


@app.command()
def run() -> None:
    """Start every chat app enabled in the configuration (the console when none is)."""
    settings = load_settings()
    configure_logging(settings, quiet=not settings.enabled_apps())
    _run(run_enabled_apps(settings))


@app.command()
def console() -> None:
    """Chat with the bot in this terminal; /agent commands act as the agents' desk."""
    settings = load_settings()
    configure_logging(settings, quiet=True)
    _run(run_console(settings))


@tickets_app.command("list")
def tickets_list(
    status: Annotated[list[Status] | None, typer.Option(help="Only these statuses.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include resolved and closed.")] = False,
    limit: Annotated[int, typer.Option(help="How many at most.")] = 50,
) -> None:
    """Tickets, highest priority first."""
    settings = load_settings()
    statuses = [s.value for s in status] if status else (
        None if all_ else [s.value for s in ACTIVE_STATUSES])

    async def show() -> None:
        translator = Translator(settings.locales_dir, timezone=settings.timezone)
        lang = settings.desk_language
        async with Store(settings.database) as store:
            tickets = await store.list_tickets(statuses=statuses, limit=limit)
            if not tickets:
                typer.echo("no tickets")
            for t in tickets:
                typer.echo(f"#{t.id:<6} {translator.render(priority_text(t.priority), lang):<10} "
                           f"{translator.render(status_text(t.status), lang):<26} "
                           f"{t.created_at:%Y-%m-%d %H:%M}  {t.subject}")

    _run(show())


@tickets_app.command("show")
def tickets_show(ticket_id: int) -> None:
    """One ticket with its fields and whole history, internal notes included."""
    settings = load_settings()

    async def show() -> None:
        translator = Translator(settings.locales_dir, timezone=settings.timezone)
        lang = settings.desk_language
        async with Store(settings.database) as store:
            view = await load_ticket_view(store, ticket_id)
            if view is None:
                typer.echo(f"no ticket #{ticket_id}", err=True)
                raise typer.Exit(1)
            t = view.ticket
            typer.echo(f"#{t.id} {t.subject}")
            typer.echo(f"  category: {translator.render(category_text(t.category), lang)}")
            typer.echo(f"  status:   {translator.render(status_text(t.status), lang)}")
            typer.echo(f"  priority: {translator.render(priority_text(t.priority), lang)}")
            typer.echo(f"  customer: {view.customer.display_name} ({view.customer.platform})")
            typer.echo(f"  assignee: {t.assignee_name or '-'}")
            if t.first_response_due:
                typer.echo(f"  first answer due: {t.first_response_due:%Y-%m-%d %H:%M} UTC")
            for name, value in t.fields.items():
                typer.echo(f"  {name}: {value}")
            typer.echo("history:")
            entries = [(m.created_at, m.id, f"{m.author_kind}"
                        f"{' (internal)' if m.internal else ''} {m.author_name}: {m.body}")
                       for m in view.messages]
            entries += [(e.created_at, e.id, f"{e.kind}: {e.old_value or '-'} → "
                         f"{e.new_value or '-'} by {e.actor_kind} {e.actor_name}")
                        for e in view.events]
            for at, _, line in sorted(entries, key=lambda e: (e[0], e[1])):
                typer.echo(f"  {at:%Y-%m-%d %H:%M} {line}")

    _run(show())


@app.command()
def stats(
    days: Annotated[int, typer.Option(help="The last N days, up to now.")] = 30,
    since: Annotated[datetime | None, typer.Option(help="Start (overrides --days).")] = None,
    until: Annotated[datetime | None, typer.Option(help="End (default: now).")] = None,
    output: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Backlog by status and priority, response and resolution times, overdue, satisfaction."""
    settings = load_settings()
    zone = ZoneInfo(settings.timezone)
    now = datetime.now(UTC)
    end = (until.replace(tzinfo=until.tzinfo or zone) if until else now).astimezone(UTC)
    start = (since.replace(tzinfo=since.tzinfo or zone).astimezone(UTC) if since
             else end - timedelta(days=days))

    async def show() -> None:
        async with Store(settings.database) as store:
            report = await build_report(store, since=start, until=end, now=now)
        if output == "json":
            typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
            return
        translator = Translator(settings.locales_dir, timezone=settings.timezone)
        for line in report_texts(report):
            typer.echo(translator.render(line, settings.desk_language))

    if output not in ("text", "json"):
        typer.echo("--format must be text or json", err=True)
        raise typer.Exit(2)
    _run(show())


def main() -> None:
    app()


if __name__ == "__main__":
    main()
