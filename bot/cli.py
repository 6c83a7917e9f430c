"""The `prakerja` command line: run, chat, db upgrade and the tools of each feature."""

from __future__ import annotations

import asyncio

import typer

from storage.settings import get_settings

app = typer.Typer(help="Asisten Pendaftaran Kartu Prakerja", no_args_is_help=True)
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
        asyncio.run(ConsoleChat(runner, engine, chat_id=chat_id).run())
    finally:
        runner.close()


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads")) -> None:
    """Migrates the database to the newest schema (or to REVISION)."""
    from storage.migrate import upgrade

    upgrade(get_settings().database_url, revision)
    typer.echo("Database up to date.")


def _mount_optional() -> None:
    # Feature sub-apps are mounted when present, so each feature owns its own CLI module.
    try:
        from bot.cli_ktp import ktp_app
    except ImportError:
        pass
    else:
        app.add_typer(ktp_app, name="ktp", help="KTP photo check")
    try:
        from bot.cli_nlu import nlu_app
    except ImportError:
        pass
    else:
        app.add_typer(nlu_app, name="nlu", help="Indonesian NLU: parse, train, eval")
    try:
        from bot.cli_waves import actions_app, lists_app, lottery_app, wave_app
    except ImportError:
        pass
    else:
        app.add_typer(wave_app, name="wave", help="Waves: create, open, close, announce, show")
        app.add_typer(lottery_app, name="lottery", help="Random selection: run, verify")
        app.add_typer(lists_app, name="lists", help="Agency NIK lists: import")
        app.add_typer(actions_app, name="actions", help="rasa_sdk action server")
    try:
        from bot.cli_outbox import outbox_app, platform_app, worker_command
    except ImportError:
        pass
    else:
        app.command("worker")(worker_command)
        app.add_typer(outbox_app, name="outbox", help="Outbox: list, retry, purge")
        app.add_typer(platform_app, name="platform", help="Reference registration platform")
    try:
        from bot.cli_broadcast import broadcast_app
    except ImportError:
        pass
    else:
        app.add_typer(broadcast_app, name="broadcast", help="Announcements to subscribers")
    try:
        from bot.cli_staff import audit_app, staff_app
    except ImportError:
        pass
    else:
        app.add_typer(staff_app, name="staff", help="Call-center staff: add, remove, list")
        app.add_typer(audit_app, name="audit", help="Audit log of staff lookups: export")


_mount_optional()


def main() -> None:
    """Entry point of the `prakerja` script."""
    app()
