"""`prakerja broadcast …`: create, start, pause, resume, status and the sender loop (send)."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from sqlalchemy.engine import Engine

from actions.broadcasts import (
    BroadcastError,
    broadcast_progress,
    create_broadcast,
    pause_broadcast,
    resume_broadcast,
    start_broadcast,
)
from actions.broadcasts import Progress as BroadcastProgress
from storage.db import session_scope
from storage.settings import Settings, get_settings

if TYPE_CHECKING:
    from bot.broadcast_sender import SenderConfig, SenderStats

broadcast_app = typer.Typer(help="Announcements to every subscriber", no_args_is_help=True)
console = Console()


def _engine() -> Engine:
    from bot.runtime import prepare_database

    return prepare_database(get_settings())


def _params(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected key=value, got {pair!r}")
        values[key.strip()] = value
    return values


def _fail(error: BroadcastError) -> None:
    console.print(f"[red]{error}[/red]")
    raise typer.Exit(1)


@broadcast_app.command("create")
def create(
    template: str = typer.Option(..., help="Template id (flows/announcements/<id>.yml)"),
    audience: str = typer.Option("all", help="all | registered | not_registered | wave:N"),
    param: list[str] = typer.Option([], "--param", "-p", help="Template value key=value"),  # noqa: B008
    at: datetime | None = typer.Option(None, help="Send at this time (ISO, with offset)"),  # noqa: B008
    by: str = typer.Option("cli", help="Who creates it (kept with the broadcast)"),
) -> None:
    """Creates a draft broadcast and prints a preview; nothing is sent until `start`."""
    from actions.broadcasts import count_audience, load_template, render

    try:
        with session_scope(_engine()) as session:
            broadcast = create_broadcast(session=session, template=template, audience=audience,
                                         params=_params(param), created_by=by, scheduled_at=at)
            loaded = load_template(template)
            count = count_audience(session=session, audience=audience, template=loaded)
            preview = render(loaded, broadcast.params, "Budi")
    except BroadcastError as error:
        _fail(error)
        return
    console.print(f"Broadcast #{broadcast.id} (draft) → {count} chats now.\n{preview}")


@broadcast_app.command("start")
def start(broadcast_id: int) -> None:
    """Starts a draft (or schedules it when its time lies ahead)."""
    try:
        with session_scope(_engine()) as session:
            broadcast = start_broadcast(session=session, broadcast_id=broadcast_id)
    except BroadcastError as error:
        _fail(error)
        return
    console.print(f"Broadcast #{broadcast_id}: {broadcast.status}, {broadcast.total} recipients.")


@broadcast_app.command("pause")
def pause(broadcast_id: int) -> None:
    """Pauses a broadcast; senders stop within one batch."""
    try:
        with session_scope(_engine()) as session:
            pause_broadcast(session=session, broadcast_id=broadcast_id)
    except BroadcastError as error:
        _fail(error)
    console.print(f"Broadcast #{broadcast_id} paused.")


@broadcast_app.command("resume")
def resume(broadcast_id: int) -> None:
    """Resumes a paused broadcast where it stopped."""
    try:
        with session_scope(_engine()) as session:
            resume_broadcast(session=session, broadcast_id=broadcast_id)
    except BroadcastError as error:
        _fail(error)
    console.print(f"Broadcast #{broadcast_id} resumed.")


def _describe(progress: BroadcastProgress) -> str:
    eta = progress.eta
    eta_text = "—" if eta is None else str(timedelta(seconds=round(eta.total_seconds())))
    return (f"{progress.broadcast.status} sent {progress.sent} failed {progress.failed} "
            f"remaining {progress.remaining} · {progress.rate_per_s:.1f}/s · ETA {eta_text}")


@broadcast_app.command("status")
def status(
    broadcast_id: int,
    watch: bool = typer.Option(False, help="Refresh every second until done"),
) -> None:
    """Shows sent/failed/remaining with a progress bar, the recent rate and the ETA."""
    engine = _engine()
    columns: list[Any] = [TextColumn(f"#{broadcast_id}"), BarColumn(), TaskProgressColumn(),
                          TextColumn("{task.description}")]
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("", total=None)
        while True:
            try:
                with session_scope(engine) as session:
                    progress = broadcast_progress(session=session, broadcast_id=broadcast_id)
            except BroadcastError as error:
                _fail(error)
                return
            total = progress.sent + progress.failed + progress.remaining
            bar.update(task, total=max(total, 1), completed=progress.sent + progress.failed,
                       description=_describe(progress))
            if not watch or progress.broadcast.status in ("done", "draft"):
                return
            time.sleep(1)


@broadcast_app.command("send")
def send(
    slot: int = typer.Option(0, help="Worker slot on this host (one process per slot)"),
    rate: float | None = typer.Option(None, help="Messages/s (default BROADCAST_RATE)"),
    until_idle: bool = typer.Option(False, help="Exit when nothing is left to send"),
    journal_dir: Path = typer.Option(Path(".cache/broadcast"), help="Crash journal directory"),  # noqa: B008
    lease_s: float = typer.Option(60.0, help="Seconds before another sender adopts rows"),
    resend_ambiguous: bool = typer.Option(
        False, help="At-least-once: resend rows whose fate a crash left unknown"),
    max_in_flight: int = typer.Option(32, help="Concurrent requests to the Bot API"),
) -> None:
    """Runs the paced sender loop for this bot token (its own process and Bot instance)."""
    from bot.broadcast_sender import SenderConfig, effective_rate
    from bot.runtime import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    config = SenderConfig(
        rate=effective_rate(rate or settings.broadcast_rate, paid=settings.broadcast_paid),
        paid=settings.broadcast_paid, worker=f"{socket.gethostname()}-{slot}",
        journal_dir=journal_dir, lease=timedelta(seconds=lease_s),
        resend_ambiguous=resend_ambiguous, max_in_flight=max_in_flight,
    )
    stats = asyncio.run(_send(settings, _engine(), config, until_idle))
    console.print(f"sent {stats.sent} failed {stats.failed} 429s {stats.rate_limited} "
                  f"ambiguous {stats.ambiguous} recovered {stats.recovered} "
                  f"rate {stats.achieved_rate:.1f}/s")


async def _send(
    settings: Settings, engine: Engine, config: SenderConfig, until_idle: bool
) -> SenderStats:
    from bot.broadcast_sender import run_sender

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return await run_sender(settings, engine, config, until_idle=until_idle, stop=stop)
