"""`prakerja nudges run`: queues the reminders due now (the bot does it every 5 minutes)."""

from __future__ import annotations

import typer

from storage.settings import get_settings

nudges_app = typer.Typer(help="Reminders for registrations left halfway", no_args_is_help=True)


@nudges_app.command("run")
def run() -> None:
    """Queues every reminder that is due now and prints how many."""
    from bot.runtime import prepare_database
    from flows.nudges import run_nudges

    count = run_nudges(prepare_database(get_settings()))
    typer.echo(f"{count} pengingat dimasukkan ke antrean pengiriman.")
