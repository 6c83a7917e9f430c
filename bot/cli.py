"""The `prakerja` command line: run, chat, db upgrade and the tools of each feature."""

from __future__ import annotations

import asyncio
import importlib
import sys

import click
import typer

from storage.settings import get_settings

app = typer.Typer(help="Asisten Pendaftaran Kartu Prakerja", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema")
app.add_typer(db_app, name="db")


@app.command()
def run(
    webhook: bool = typer.Option(False, help="Serve a webhook instead of long polling"),
    workers: int = typer.Option(0, help="Webhook worker processes (default WEBHOOK_WORKERS)"),
) -> None:
    """Runs the Telegram bot (long polling or webhook); without a token, opens the console chat."""
    from bot.app import build_application, run_polling
    from bot.runtime import build_runner, configure_logging, prepare_database

    settings = get_settings()
    configure_logging(settings.log_level)
    if not settings.telegram_bot_token:
        typer.echo("TELEGRAM_BOT_TOKEN belum diisi: membuka obrolan konsol.")
        chat(chat_id=1, staff=False)
        return
    if webhook or settings.webhook_url:
        from bot.webhook_server import serve

        serve(settings, workers or settings.webhook_workers)
        return
    engine = prepare_database(settings)
    runner = build_runner(engine, channel="telegram")
    try:
        run_polling(build_application(settings, runner), settings)
    finally:
        runner.close()


@app.command()
def chat(
    chat_id: int = typer.Option(1, help="Console chat id (one per simulated person)"),
    staff: bool = typer.Option(False, "--staff", help="Staff training mode (flows, replies)"),
) -> None:
    """Chats with the assistant in this terminal (console channel)."""
    from bot.console import ConsoleChat
    from bot.runtime import build_runner, configure_logging, prepare_database

    settings = get_settings()
    configure_logging("WARNING")
    engine = prepare_database(settings)
    if staff:
        from bot.console_staff import run_training

        run_training(engine, settings, user_id=chat_id)
        return
    runner = build_runner(engine, channel="console")
    try:
        asyncio.run(ConsoleChat(runner, engine, chat_id=chat_id, settings=settings).run())
    finally:
        runner.close()


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads")) -> None:
    """Migrates the database to the newest schema (or to REVISION)."""
    from storage.migrate import upgrade

    upgrade(get_settings().database_url, revision)
    typer.echo("Database up to date.")


# Each feature owns its CLI module: (module, attribute, command name, help; None = a command).
FEATURE_COMMANDS = [
    ("bot.cli_ktp", "ktp_app", "ktp", "KTP photo check"),
    ("bot.cli_nlu", "nlu_app", "nlu", "Indonesian NLU: parse, train, eval"),
    ("bot.cli_waves", "wave_app", "wave", "Waves: create, open, close, announce, show"),
    ("bot.cli_waves", "lottery_app", "lottery", "Random selection: run, verify"),
    ("bot.cli_waves", "lists_app", "lists", "Agency NIK lists: import"),
    ("bot.cli_waves", "actions_app", "actions", "rasa_sdk action server"),
    ("bot.cli_rasa", "rasa_app", "rasa", "Rasa project: domain from flows/faq.yml"),
    ("bot.cli_outbox", "worker_command", "worker", None),
    ("bot.cli_outbox", "outbox_app", "outbox", "Outbox: list, retry, purge"),
    ("bot.cli_outbox", "platform_app", "platform", "Reference registration platform"),
    ("bot.cli_broadcast", "broadcast_app", "broadcast", "Announcements to subscribers"),
    ("bot.cli_staff", "staff_app", "staff", "Call-center staff: add, remove, list"),
    ("bot.cli_staff", "audit_app", "audit", "Audit log of staff lookups: export"),
    ("bot.cli_nudges", "nudges_app", "nudges", "Reminders for registrations left halfway"),
]


def _mount_features() -> None:
    for module_name, attribute, name, help_text in FEATURE_COMMANDS:
        target = getattr(importlib.import_module(module_name), attribute)
        if help_text is None:
            app.command(name)(target)
        else:
            app.add_typer(target, name=name, help=help_text)


_mount_features()


def main() -> None:
    """Entry point of the `prakerja` script: an error is one line, never a traceback."""
    try:
        app(standalone_mode=False)
    except click.exceptions.Abort:
        typer.echo("Dibatalkan.", err=True)
        sys.exit(1)
    except click.ClickException as error:  # usage errors keep click's own message and code
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except Exception as error:  # the message only: tracebacks quote values and scare operators
        typer.echo(f"Gagal: {error_line(error)}", err=True)
        sys.exit(1)


def error_line(error: BaseException) -> str:
    """Returns the first line of an error's message, or its type when it has none."""
    message = str(error).strip().splitlines()
    return message[0] if message else type(error).__name__
