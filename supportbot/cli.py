"""The ``supportbot`` command: run the bot, try it in a terminal, look at tickets."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError

from bot.i18n import Translator
from bot.labels import category_text, priority_text, status_text
from bot.model import ACTIVE_STATUSES, Status
from bot.reports import build_report, report_texts
from bot.runtime import StartupError
from bot.settings import Settings
from bot.views import load_ticket_view
from storage import backup as backups
from storage import privacy
from storage.store import Store, StoreError
from supportbot.logs import configure_logging

# The bot itself (supportbot.app: engine, delivery, metrics) and the doctor are imported by
# the commands that use them, and a chat app's library only once the app is found enabled
# (supportbot.app.ADAPTERS): each command loads only what it needs.

# A crash must never print local variables: they can hold tokens.
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="A support desk bot for Telegram, Discord and Slack.")
tickets_app = typer.Typer(no_args_is_help=True, help="Look at tickets in the store.")
app.add_typer(tickets_app, name="tickets")
T = TypeVar("T")
customer_app = typer.Typer(no_args_is_help=True, help="Privacy requests (GDPR): a customer's "
                           "data as JSON, or its erasure.")
app.add_typer(customer_app, name="customer")


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


def _run(coro: object) -> None:
    try:
        asyncio.run(coro)  # type: ignore[arg-type]
    except (StartupError, StoreError) as exc:
        typer.echo(f"Cannot start: {exc}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        pass


@app.command()
def run() -> None:
    """Start every chat app enabled in the configuration (the console when none is)."""
    from supportbot.app import run_enabled_apps

    settings = load_settings()
    configure_logging(settings, quiet=not settings.enabled_apps())
    _run(run_enabled_apps(settings))


@app.command()
def console() -> None:
    """Chat with the bot in this terminal; /agent commands act as the agents' desk."""
    from supportbot.app import run_console

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


# -- operating: doctor, backups, privacy ----------------------------------------------------------
@app.command()
def doctor() -> None:
    """Check the configuration: chat apps and their tokens, the store, the data files.

    Prints what is wrong and how to fix it, and exits 1 when something is.
    Never prints a secret.
    """
    from supportbot.doctor import run_doctor

    code, lines = run_doctor()
    for line in lines:
        typer.echo(line)
    raise typer.Exit(code)


@app.command("backup")
def backup_command(
    path: Annotated[Path, typer.Argument(help="The backup file (or a folder to put it in).")],
) -> None:
    """Copy the store to PATH, safely while the bot runs (SQLite online backup)."""
    settings = load_settings()
    try:
        made = backups.backup(settings.database, path)
    except backups.BackupError as exc:
        typer.echo(f"Backup failed: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"backup written to {made.path}: schema version {made.schema_version}, "
               f"integrity ok, {_counts(made.counts)}")


@app.command("restore")
def restore_command(
    backup_file: Annotated[Path, typer.Argument(metavar="BACKUP", help="A file made by backup.")],
    to: Annotated[Path | None, typer.Option(help="The store to replace (default: "
                                                 "SUPPORTBOT_DATABASE).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Only check the backup.")] = False,
    force: Annotated[bool, typer.Option(help="Restore even though another process has the "
                                             "store open.")] = False,
) -> None:
    """Put a backup back in place of the store. The way back:

    1. supportbot restore BACKUP --check  (integrity, schema version, counts; changes nothing)
    2. systemctl stop supportbot  (a store a running bot has open is refused)
    3. supportbot restore BACKUP  (the current store is kept as *.before-restore-<time>)
    4. systemctl start supportbot  (a backup from an older version is migrated on start)
    """
    report = backups.check(backup_file)
    if check or not report.ok:
        for problem in report.problems:
            typer.echo(f"problem: {problem}", err=True)
        if report.ok:
            typer.echo(f"{backup_file}: integrity ok, schema version {report.schema_version}"
                       + (f" (migrated to {report.latest_version} on the next start)"
                          if report.needs_migration else "") + f", {_counts(report.counts)}")
        raise typer.Exit(0 if report.ok else 1)
    target = to or load_settings().database
    try:
        kept = backups.restore(backup_file, target, force=force)
    except backups.BackupError as exc:
        typer.echo(f"Restore refused: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"restored {backup_file} into {target} ({_counts(report.counts)})")
    if kept is not None:
        typer.echo(f"the store it replaced is kept at {kept}")
    if report.needs_migration:
        typer.echo(f"it is migrated from schema version {report.schema_version} to "
                   f"{report.latest_version} when the bot starts")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in counts.items())


IdsArgument = Annotated[list[str] | None, typer.Argument(
    metavar="ID...", help="Customer numbers, or platform:user_id (e.g. telegram:123456). "
    "A person who wrote on two chat apps is two customers: give both.")]
EmailOption = Annotated[str | None, typer.Option(
    help="Also every customer whose tickets give this contact e-mail.")]


def _store_or_exit(settings: Settings) -> Path:
    if not settings.database.is_file():
        typer.echo(f"There is no store at {settings.database}.", err=True)
        raise typer.Exit(1)
    return settings.database


@customer_app.command("export")
def customer_export(
    ids: IdsArgument = None,
    email: EmailOption = None,
    output: Annotated[Path | None, typer.Option(help="Write to this file (readable by its "
                                                      "owner only) instead of printing.")] = None,
) -> None:
    """Everything stored about a customer, as JSON (internal notes included: review it)."""
    settings = load_settings()
    database = _store_or_exit(settings)

    async def export() -> dict[str, object]:
        async with Store(database) as store:
            found = await privacy.find_customers(store, ids or [], email)
            return await privacy.export_customers(store, found, datetime.now(UTC))

    data = _privacy_run(export(), ids, email)
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if output is None:
        typer.echo(text)
        return
    # Personal data: the file is created readable by its owner only.
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text + "\n")
    typer.echo(f"written to {output}")


@customer_app.command("forget")
def customer_forget(
    ids: IdsArgument = None,
    email: EmailOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a customer's personal data and message texts; ticket statistics stay.

    Names, platform ids, subjects, form values, messages, files and rating comments go.
    Category, status, priority, times and ratings stay, so reports still add up.
    """
    settings = load_settings()
    database = _store_or_exit(settings)

    async def forget() -> privacy.Erased | None:
        async with Store(database) as store:
            found = await privacy.find_customers(store, ids or [], email)
            for customer_id in found:
                customer = await store.customer(customer_id)
                tickets = await store.query(
                    "SELECT COUNT(*) FROM tickets WHERE customer_id = ?", (customer_id,))
                if customer is not None:
                    typer.echo(f"customer {customer.id}: {customer.platform}, "
                               f"{customer.display_name or '(no name)'}, "
                               f"{tickets[0][0]} tickets")
            if not yes and not typer.confirm("Erase their personal data for good?"):
                return None
            return await store.write(
                lambda tx: privacy.forget_customers(tx, found, datetime.now(UTC)))

    erased = _privacy_run(forget(), ids, email)
    if erased is None:
        typer.echo("nothing erased")
        raise typer.Exit(1)
    _compact(database)
    typer.echo(f"erased {erased.customers} customers: {erased.tickets} tickets, "
               f"{erased.messages} messages, {erased.outbox_rows} sent messages, "
               f"{erased.held_messages} held messages")


@app.command()
def retention(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would go.")] = False,
    months: Annotated[int | None, typer.Option(min=1, help="Override "
                                               "SUPPORTBOT_RETENTION_MONTHS.")] = None,
) -> None:
    """Erase tickets closed longer ago than the retention period.

    The bot runs this daily by itself when SUPPORTBOT_RETENTION_MONTHS is set.
    """
    settings = load_settings()
    months = months or settings.retention_months
    if not months:
        typer.echo("No retention period: set SUPPORTBOT_RETENTION_MONTHS or pass --months.",
                   err=True)
        raise typer.Exit(2)
    database = _store_or_exit(settings)
    now = datetime.now(UTC)
    cutoff = privacy.months_before(now, months)

    async def go() -> tuple[privacy.RetentionPlan, privacy.Erased | None]:
        async with Store(database) as store:
            plan = await store.write(lambda tx: privacy.retention_plan(tx, cutoff))
            if dry_run:
                return plan, None
            return plan, await privacy.run_retention(store, months, now)

    plan, erased = _privacy_run(go(), None, None)
    tickets = ", ".join(f"#{t}" for t in plan.tickets[:20]) + (
        " …" if len(plan.tickets) > 20 else "")
    verb = "would erase" if erased is None else "erased"
    typer.echo(f"cutoff {cutoff:%Y-%m-%d}: {verb} {len(plan.tickets)} tickets"
               f"{' (' + tickets + ')' if tickets else ''} and {len(plan.customers)} customers")
    if erased is not None and (erased.tickets or erased.customers):
        _compact(database)


def _privacy_run(coro: Coroutine[object, object, T], ids: list[str] | None,
                 email: str | None) -> T:
    if ids is not None and not ids and not email:
        typer.echo("Name a customer: ID... or --email.", err=True)
        raise typer.Exit(2)
    try:
        return asyncio.run(coro)
    except privacy.CustomerNotFound as exc:
        typer.echo(f"Not found: {exc}", err=True)
        raise typer.Exit(1) from None
    except StoreError as exc:
        typer.echo(f"The store failed: {exc}", err=True)
        raise typer.Exit(2) from None


def _compact(database: Path) -> None:
    """Leave no copy of erased data in the WAL or free pages. VACUUM rewrites the whole file
    and holds the write lock meanwhile, so with a running bot it is left out: secure_delete
    has already zeroed the freed space, and the checkpoint completes at the bot's next one."""
    running = backups.in_use(database)
    if not privacy.compact(database, vacuum=not running) or running:
        typer.echo("note: the bot has the store open; its next checkpoint finishes the cleanup")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
