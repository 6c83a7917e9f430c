"""`prakerja wave|lottery|lists|actions …`: waves, the draw, agency lists and the action server."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import Engine

from storage.db import make_engine, session_scope
from storage.settings import get_settings

wave_app = typer.Typer(help="Gelombang: buat, buka, tutup, umumkan, lihat.", no_args_is_help=True)
lottery_app = typer.Typer(help="Undian acak gelombang: jalankan, verifikasi, terbitkan kit.",
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
    from actions.draw import WeakSeed, check_strength
    from actions.draw import commitment as commit
    from actions.wave_reminders import remind_registered_to_join
    from actions.waves import WaveError, open_wave

    if seed is None and commitment is None:
        seed = secrets.token_hex(32)
        console.print(f"Seed baru (SIMPAN RAHASIA sampai undian): [bold]{seed}[/bold]")
    try:
        if seed is not None:
            check_strength(seed, "seed")
        published = commitment or commit(seed or "")
        with session_scope(_engine()) as session:
            wave = open_wave(session=session, number=number, seed_commitment=published)
            reminder = remind_registered_to_join(session=session, wave=wave,
                                                 created_by="wave-open")
    except (WaveError, WeakSeed) as error:
        _fail(str(error))
    console.print(f"Gelombang {number} dibuka. Komitmen seed (umumkan): [bold]{published}[/bold]")
    console.print(f"Pengingat untuk pendaftar yang belum bergabung: siaran #{reminder} "
                  "(dikirim oleh `prakerja broadcast send`).")


@wave_app.command("close")
def wave_close(number: WaveNumber) -> None:
    """Closes an open wave, freezes its inputs and prints the digest to publish."""
    from actions.results import result_text
    from actions.wave_freeze import FreezeError
    from actions.waves import WaveError, close_wave
    from storage.models_waves import WaveFreeze

    try:
        with session_scope(_engine()) as session:
            wave = close_wave(session=session, number=number)
            freeze = session.get(WaveFreeze, wave.id)
            assert freeze is not None  # written by close_wave
            announcement = result_text(
                "freeze_announcement", wave=number, applicants=freeze.applicants,
                digest=freeze.inputs_digest, commitment=wave.seed_commitment)
    except (WaveError, FreezeError) as error:
        _fail(str(error))
    console.print(f"Gelombang {number} ditutup dan dibekukan. Umumkan sebelum undian:")
    console.print(announcement, markup=False, highlight=False)


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
    from flows.staff_texts import staff_entry
    from storage.models_waves import LotteryRun, WaveFreeze

    try:
        with session_scope(_engine()) as session:
            wave = get_wave(session=session, number=number)
            run = session.exec(select(LotteryRun).where(col(LotteryRun.wave_id) == wave.id)
                               ).first()
            freeze = session.get(WaveFreeze, wave.id)
    except WaveError as error:
        _fail(str(error))
    labels, statuses = staff_entry("wave_show_labels"), staff_entry("wave_status_labels")
    table = Table(title=f"Gelombang {number}", show_header=False)
    for key, value in wave.model_dump(exclude={"id"}).items():
        shown = statuses.get(value, value) if key == "status" else value
        table.add_row(labels.get(key, key), "—" if shown is None else str(shown))
    if freeze is not None:
        table.add_row(labels["freeze_inputs_digest"], freeze.inputs_digest)
        table.add_row(labels["freeze_applicants"], str(freeze.applicants))
    if run is not None:
        for key in ("applicants", "excluded", "eligible", "selected", "priority_selected",
                    "kk_limited", "seed", "beacon", "beacon_source", "final_seed",
                    "draw_digest", "seconds"):
            table.add_row(labels[key], str(getattr(run, key)))
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
    wave: Annotated[int, typer.Option("--wave", help="Nomor gelombang.")], seed: SeedOption,
    beacon: Annotated[str, typer.Option(help="Nilai beacon publik sesudah penutupan (hex).")],
    beacon_source: Annotated[str, typer.Option(help="Sumber beacon, mis. URL ronde drand.")],
) -> None:
    """Draws a closed, frozen wave with the committed seed and a public beacon value."""
    from actions.lottery import run_lottery
    from actions.waves import WaveError

    try:
        outcome = run_lottery(_engine(), wave_number=wave, seed=seed, beacon=beacon,
                              beacon_source=beacon_source)
    except WaveError as error:
        _fail(str(error))
    console.print(f"Undian gelombang {wave}: {outcome.selected} lolos dari {outcome.applicants} "
                  f"pendaftar ({outcome.excluded} dikecualikan, {outcome.kk_limited} karena "
                  f"batas KK, {outcome.priority_selected} prioritas) dalam "
                  f"{outcome.seconds:.1f} s. Seed akhir: {outcome.final_seed}. "
                  f"Digest: {outcome.draw_digest}")


@lottery_app.command("verify")
def lottery_verify(
    wave: Annotated[int, typer.Option("--wave", help="Nomor gelombang.")],
) -> None:
    """Re-derives the draw from the frozen snapshot and compares every stored value."""
    from actions.lottery import verify_lottery
    from actions.waves import WaveError

    try:
        found = verify_lottery(_engine(), wave_number=wave)
    except WaveError as error:
        _fail(str(error))
    for label, good in found.checks:
        console.print(f"{'✅' if good else '❌'} {label}")
    if found.differences:
        table = Table(title=f"{len(found.differences)} perbedaan (maks. 50 ditampilkan)")
        for column in ("Baris", "Kolom", "Tersimpan", "Seharusnya"):
            table.add_column(column)
        for item in found.differences[:50]:
            table.add_row(item.row, item.column, item.stored, item.derived)
        console.print(table)
    console.print(f"{'✅' if not found.differences else '❌'} Hasil tersimpan sama dengan "
                  f"hasil turunan ({found.erased} pendaftar dihapus atas permintaan sendiri)")
    if not found.ok:
        raise typer.Exit(1)


@lottery_app.command("publish")
def lottery_publish(
    wave: Annotated[int, typer.Option("--wave", help="Nomor gelombang.")],
    out: Annotated[Path | None, typer.Option(help="Berkas kit (bawaan: undian-gel-N.csv).")]
    = None,
) -> None:
    """Writes the public verification kit of a drawn wave (no NIK; tools/verify_draw.py)."""
    from actions.draw_kit import publish_kit
    from actions.waves import WaveError

    path = out or Path(f"undian-gel-{wave}.csv")
    try:
        rows = publish_kit(_engine(), wave_number=wave, path=path)
    except WaveError as error:
        _fail(str(error))
    console.print(f"Kit verifikasi gelombang {wave}: {rows} baris di {path}. Periksa dengan "
                  f"`python3 -I tools/verify_draw.py {path}`.")


@lists_app.command("import")
def lists_import(
    source: Annotated[str, typer.Argument(help="DAPODIK, DIKTI, …, KEMNAKER_PRIORITY.")],
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    replace: Annotated[bool, typer.Option(help="Terima berkas yang jauh lebih kecil/banyak "
                                                "salah dari daftar yang berlaku.")] = False,
) -> None:
    """Imports an agency NIK list (CSV, NIK in the first column) as the version in force."""
    from actions.agency_lists import import_list

    with Progress(*_progress_columns(), console=console) as progress:
        tasks = {"read": progress.add_task(f"Baca {source.upper()}", total=path.stat().st_size,
                                           unit=("MB/s", 1e6)),
                 "store": progress.add_task("Simpan NIK", total=None, unit=("jt baris/s", 1e6))}

        def advance(stage: str, done: int, total: int) -> None:
            progress.update(tasks[stage], advance=done, total=total)

        try:
            report = import_list(_engine(), source=source, path=path, progress=advance,
                                 replace=replace)
        except ValueError as error:
            _fail(str(error))
    if report.skipped:
        console.print("Berkas sama dengan impor terakhir; tidak ada perubahan.")
    console.print(f"{report.source}: {report.rows_read} baris dibaca, {report.rows_stored} NIK "
                  f"tersimpan (sebelumnya {report.rows_before}), {report.rows_invalid} tidak "
                  f"valid ({report.rows_per_second:,.0f} baris/detik).")


class RateColumn(ProgressColumn):
    """Shows a task's speed in its own unit (MB/s while reading, rows/s while storing)."""

    def render(self, task: Task) -> Text:
        """Returns the speed text."""
        unit, scale = task.fields.get("unit", ("baris/s", 1))
        return Text(f"{(task.speed or 0) / scale:,.1f} {unit}", style="progress.data.speed")


def _progress_columns() -> tuple[ProgressColumn, ...]:
    return (TextColumn("{task.description:<14}"), BarColumn(), TaskProgressColumn(),
            RateColumn(), TimeRemainingColumn())


@actions_app.command("serve")
def actions_serve(
    port: Annotated[int, typer.Option(help="Port HTTP.")] = 5055,
    host: Annotated[str, typer.Option(help="Antarmuka jaringan.")] = "127.0.0.1",
) -> None:
    """Runs the rasa_sdk action server with the actions in actions.server."""
    from actions.server.serve import serve

    serve(port=port, host=host)
