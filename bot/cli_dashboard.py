"""`prakerja dashboard …`: a login link for a PMO user, or the dashboard server alone."""

from __future__ import annotations

import typer

from storage.settings import get_settings

dashboard_app = typer.Typer(no_args_is_help=True)


@dashboard_app.command("link")
def link(user: int = typer.Option(..., help="Telegram user id listed in PMO_TELEGRAM_IDS")) -> None:
    """Prints a single-use login link (valid 10 minutes) for a PMO user."""
    from bot.broadcast_commands import parse_pmo_ids
    from bot.dashboard.auth import Signer, dashboard_secret, login_url

    settings = get_settings()
    if user not in parse_pmo_ids(settings.pmo_telegram_ids):
        typer.echo(f"{user} is not in PMO_TELEGRAM_IDS; the dashboard would refuse it.", err=True)
        raise typer.Exit(1)
    typer.echo(login_url(settings, Signer(dashboard_secret(settings)), user))


@dashboard_app.command("serve")
def serve() -> None:
    """Serves the dashboard alone on DASHBOARD_HOST:DASHBOARD_PORT until interrupted."""
    import uvicorn

    from bot.dashboard.app import build_dashboard
    from bot.runtime import configure_logging, prepare_database

    settings = get_settings()
    configure_logging(settings.log_level)
    engine = prepare_database(settings)
    uvicorn.run(build_dashboard(engine, settings), host=settings.dashboard_host,
                port=settings.dashboard_port, log_level="warning", access_log=False)
