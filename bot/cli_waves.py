"""`prakerja wave|lottery|lists|actions …`: waves, the draw, agency lists and the action server."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.engine import Engine

from storage.db import make_engine, session_scope
from storage.settings import get_settings

wave_app = typer.Typer(help="Gelombang: buat, buka, tutup, umumkan, lihat.", no_args_is_help=True)
lottery_app = typer.Typer(help="Undian acak gelombang: jalankan, verifikasi.",
                          no_args_is_help=True)
lists_app = typer.Typer(help="Daftar NIK dari kementerian/lembaga.", no_args_is_help=True)
actions_app = typer.Typer(help="Server aksi rasa_sdk.", no_args_is_help=True)
console = Console()

WaveNumber = Annotated[int, typer.Argument(help="Nomor gelombang.")]
SeedOption = Annotated[str, typer.Option("--seed", help="Seed rahasia undian.")]


def _engine() -> Engine:
    return make_engine(get_settings().database_url)


def _fail(message: str) -> None:
    console.print(f"[red]Gagal:[/red] {message}")
    raise typer.Exit(1)


@wave_app.command("create")
def wave_create(
    number: WaveNumber,
    quota: Annotated[int, typer.Option(help="Kuota peserta.")],
    opens: Annotated[datetime, typer.Option(help="Waktu buka (ISO, UTC).")],
    closes: Annotated[datetime, typer.Option(help="Waktu tutup (ISO, UTC).")],
    exclude: Annotated[str | None, typer.Option(help="Daftar pengecualian, mis. DAPODIK,ASN.")]
    = None,
    max_age: Annotated[int | None, typer.Option(help="Usia maksimal (64 sejak gel. 18).")] = None,
) -> None:
    """Creates a planned wave."""
    from actions.waves import WaveError, create_wave

    try:
        with session_scope(_engine()) as session:
            create_wave(session=session, number=number, quota=quota, opens_at=_utc(opens),
                        closes_at=_utc(closes), excluded_sources=exclude, max_age=max_age)
    except (WaveError, ValueError) as error:
        _fail(str(error))
    console.print(f"Gelombang {number} dibuat (kuota {quota}).")


def _utc(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


@wave_app.command("open")
def wave_open(
    number: WaveNumber,
    commitment: Annotated[str | None, typer.Option(help="SHA-256(seed) yang diumumkan.")] = None,
    seed: Annotated[str | None, typer.Option(help="Seed; hanya komitmennya yang disimpan.")]
    = None,
) -> None:
    """Opens a wave and publishes the SHA-256 commitment of the draw seed."""
    from actions.lottery import commitment as commit
    from actions.waves import WaveError, open_wave

    if seed is None and commitment is None:
        seed = secrets.token_hex(32)
        console.print(f"Seed baru (SIMPAN RAHASIA sampai undian): [bold]{seed}[/bold]")
    published = commitment or commit(seed or "")
    try:
        with session_scope(_engine()) as session:
            open_wave(session=session, number=number, seed_commitment=published)
    except WaveError as error:
        _fail(str(error))
    console.print(f"Gelombang {number} dibuka. Komitmen seed (umumkan): [bold]{published}[/bold]")


@wave_app.command("close")
def wave_close(number: WaveNumber) -> None:
    """Closes an open wave."""
    from actions.waves import WaveError, close_wave

    try:
        with session_scope(_engine()) as session:
            close_wave(session=session, number=number)
    except WaveError as error:
        _fail(str(error))
    console.print(f"Gelombang {number} ditutup.")


@wave_app.command("announce")
def wave_announce(number: WaveNumber) -> None:
    """Announces a drawn wave: queues one result message per applicant."""
    from actions.result_delivery import hand_results_to_sender
    from actions.waves import WaveError, announce_wave

    try:
        with session_scope(_engine()) as session:
            queued = announce_wave(session=session, number=number)
            hand_results_to_sender(session=session, wave_number=number, created_by="lottery")
    except WaveError as error:
        _fail(str(error))
    console.print(f"Gelombang {number} diumumkan; {queued} pesan hasil diantrekan "
                  "untuk pengirim siaran (`prakerja broadcast send`).")


@wave_app.command("show")
def wave_show(number: WaveNumber) -> None:
    """Shows one wave and its draw, if any."""
    from sqlmodel import col, select

    from actions.waves import WaveError, get_wave
    from storage.models_waves import LotteryRun

    try:
        with session_scope(_engine()) as session:
            wave = get_wave(session=session, number=number)
            run = session.exec(select(LotteryRun).where(col(LotteryRun.wave_id) == wave.id)
                               ).first()
    except WaveError as error:
        _fail(str(error))
    table = Table(title=f"Gelombang {number}", show_header=False)
    for key, value in wave.model_dump(exclude={"id"}).items():
        table.add_row(key, str(value))
    if run is not None:
        for key in ("applicants", "excluded", "eligible", "selected", "priority_selected",
                    "seed", "draw_digest", "inputs_digest", "seconds"):
            table.add_row(f"undian.{key}", str(getattr(run, key)))
    console.print(table)


@wave_app.command("list")
def wave_list() -> None:
    """Lists every wave with its status and number of applicants."""
    from actions.waves import list_waves

    with session_scope(_engine()) as session:
        rows = list_waves(session=session)
    table = Table(title="Gelombang")
    for column in ("No.", "Status", "Kuota", "Pendaftar", "Buka", "Tutup"):
        table.add_column(column)
    for wave, count in rows:
        table.add_row(str(wave.number), wave.status, str(wave.quota), str(count),
                      f"{wave.opens_at:%Y-%m-%d %H:%M}", f"{wave.closes_at:%Y-%m-%d %H:%M}")
    console.print(table)


@lottery_app.command("run")
def lottery_run(
    wave: Annotated[int, typer.Option("--wave", help="Nomor gelombang.")], seed: SeedOption
) -> None:
    """Draws a closed wave with the committed seed (atomic; refuses a second run)."""
    from actions.lottery import run_lottery
    from actions.waves import WaveError

    try:
        outcome = run_lottery(_engine(), wave_number=wave, seed=seed)
    except WaveError as error:
        _fail(str(error))
    console.print(f"Undian gelombang {wave}: {outcome.selected} lolos dari {outcome.applicants} "
                  f"pendaftar ({outcome.excluded} dikecualikan, {outcome.priority_selected} "
                  f"prioritas) dalam {outcome.seconds:.1f} s. Digest: {outcome.draw_digest}")


@lottery_app.command("verify")
def lottery_verify(
    wave: Annotated[int, typer.Option("--wave", help="Nomor gelombang.")], seed: SeedOption
) -> None:
    """Re-derives the draw from the seed and compares it; exits 1 on any mismatch."""
    from actions.lottery import verify_lottery
    from actions.waves import WaveError

    try:
        found = verify_lottery(_engine(), wave_number=wave, seed=seed)
    except WaveError as error:
        _fail(str(error))
    for label, good in (("Seed cocok dengan komitmen", found.commitment_ok),
                        ("Data pendaftar & daftar tidak berubah", found.inputs_unchanged),
                        ("Urutan undian sama", found.draw_matches),
                        ("Hasil tersimpan sama", found.stored_matches)):
        console.print(f"{'✅' if good else '❌'} {label}")
    if not found.ok:
        raise typer.Exit(1)


@lists_app.command("import")
def lists_import(
    source: Annotated[str, typer.Argument(help="DAPODIK, DIKTI, …, KEMNAKER_PRIORITY.")],
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Imports an agency NIK list (CSV, NIK in the first column), replacing the old one."""
    from actions.agency_lists import import_list

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"Impor {source.upper()}", total=path.stat().st_size)
        try:
            report = import_list(_engine(), source=source, path=path,
                                 progress=lambda size: progress.advance(task, size))
        except ValueError as error:
            _fail(str(error))
    if report.skipped:
        console.print("Berkas sama dengan impor terakhir; tidak ada perubahan.")
    console.print(f"{report.source}: {report.rows_read} baris dibaca, {report.rows_stored} NIK "
                  f"tersimpan, {report.rows_invalid} tidak valid ({report.rows_per_second:,.0f} "
                  "baris/detik).")


@actions_app.command("serve")
def actions_serve(
    port: Annotated[int, typer.Option(help="Port HTTP.")] = 5055,
    host: Annotated[str, typer.Option(help="Antarmuka jaringan.")] = "127.0.0.1",
) -> None:
    """Runs the rasa_sdk action server with the actions in actions.server."""
    from actions.server.serve import serve

    serve(port=port, host=host)
