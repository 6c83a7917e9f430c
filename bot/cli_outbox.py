"""`prakerja worker`, `prakerja outbox list|retry|purge` and `prakerja platform serve`."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine

from storage.settings import Settings, get_settings

outbox_app = typer.Typer(help="Outbox: pesan yang menunggu dikirim.", no_args_is_help=True)
platform_app = typer.Typer(help="Server referensi platform pendaftaran.", no_args_is_help=True)


def worker_command(
    concurrency: Annotated[int | None, typer.Option(help="Deliveries in flight.")] = None,
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due, then exit.")] = False,
) -> None:
    """Delivers outbox rows (platform, email, SMS, NIK checks, chat messages) until stopped."""
    from bot.runtime import configure_logging, prepare_database

    settings = get_settings()
    configure_logging(settings.log_level)
    engine = prepare_database(settings)
    asyncio.run(_run_worker(engine, settings, concurrency=concurrency, once=once))


async def _run_worker(engine: Engine, settings: Settings, *, concurrency: int | None,
                      once: bool) -> None:
    import httpx

    from actions.outbox.setup import build_worker, run_worker

    if once:
        async with httpx.AsyncClient(timeout=settings.outbox_http_timeout_seconds) as client:
            worker = build_worker(engine, settings, client, concurrency=concurrency)
            handled = await worker.drain()
        typer.echo(f"{handled} row(s) handled.")
        return
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run_worker(engine, settings, stop, concurrency=concurrency)


@outbox_app.command("list")
def outbox_list(
    status: Annotated[str | None, typer.Option(help="pending|sending|delivered|dead")] = None,
    kind: Annotated[str | None, typer.Option(help="registration|email|sms|…")] = None,
    limit: Annotated[int, typer.Option(help="Newest N rows.")] = 50,
) -> None:
    """Shows outbox rows (no personal data: destinations are not printed)."""
    from actions.outbox.admin import count_by_status, list_rows
    from storage.db import make_engine, session_scope

    engine = make_engine(get_settings().database_url)
    with session_scope(engine) as session:
        rows = list_rows(session, status=status, kind=kind, limit=limit)
        counts = count_by_status(session)
        table = Table("id", "kind", "status", "tries", "next try (UTC)", "last error")
        for row in rows:
            table.add_row(str(row.id), row.kind, row.status, str(row.attempts),
                          row.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S"), row.last_error or "")
    console = Console()
    console.print(table)
    console.print(", ".join(f"{name}: {count}" for name, count in sorted(counts.items())))


@outbox_app.command("retry")
def outbox_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="Dead row ids.")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Every dead row.")] = False,
) -> None:
    """Puts dead-lettered rows back in the queue with a fresh try budget."""
    from actions.outbox.admin import retry_rows
    from storage.db import make_engine, session_scope
    from storage.models import utcnow

    if not ids and not all_dead:
        raise typer.BadParameter("give row ids or --all-dead")
    with session_scope(make_engine(get_settings().database_url)) as session:
        count = retry_rows(session, ids=ids or [], all_dead=all_dead, now=utcnow())
    typer.echo(f"{count} row(s) queued again.")


@outbox_app.command("purge")
def outbox_purge(
    older_than_days: Annotated[float, typer.Option(help="Only rows older than this.")] = 30.0,
    dead: Annotated[bool, typer.Option("--dead", help="Also purge dead rows.")] = False,
) -> None:
    """Deletes delivered (and with --dead, dead) rows, their attempts and any KTP images."""
    from actions.outbox.admin import purge_rows
    from actions.outbox.kinds import DEAD, DELIVERED
    from storage.db import make_engine, session_scope
    from storage.models import utcnow

    statuses = [DELIVERED, DEAD] if dead else [DELIVERED]
    before = utcnow() - timedelta(days=older_than_days)
    with session_scope(make_engine(get_settings().database_url)) as session:
        count = purge_rows(session, statuses=statuses, before=before)
    typer.echo(f"{count} row(s) purged.")


@platform_app.command("serve")
def platform_serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8085,
    db: Annotated[str, typer.Option(help="Database URL of the platform.")] = (
        "sqlite:///./platform.db"
    ),
    error_rate: Annotated[float, typer.Option(help="Share answered 500.")] = 0.0,
    unavailable_rate: Annotated[float, typer.Option(help="Share answered 503+Retry-After.")] = 0.0,
    hang_rate: Annotated[float, typer.Option(help="Share answered only after --hang-seconds.")]
    = 0.0,
    drop_rate: Annotated[float, typer.Option(help="Share stored, then connection dropped.")]
    = 0.0,
    latency_ms: Annotated[float, typer.Option(help="Random added latency, 0..N ms.")] = 0.0,
    retry_after: Annotated[int, typer.Option(help="Retry-After seconds on 503.")] = 1,
    hang_seconds: Annotated[float, typer.Option()] = 30.0,
    seed: Annotated[int | None, typer.Option()] = None,
    token: Annotated[str | None, typer.Option(help="Require this bearer token.")] = None,
) -> None:
    """Runs the reference registration platform (see docs/platform-api.yaml)."""
    from actions.platform_server import Faults, serve
    from bot.runtime import configure_logging

    configure_logging("WARNING")
    faults = Faults(error_rate=error_rate, unavailable_rate=unavailable_rate,
                    hang_rate=hang_rate, drop_rate=drop_rate, latency_ms=latency_ms,
                    retry_after_seconds=retry_after, hang_seconds=hang_seconds, seed=seed)
    asyncio.run(serve(db, faults, host=host, port=port, token=token))
