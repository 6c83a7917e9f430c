"""`prakerja keys rotate|status|reindex`: re-encrypting personal data with the newest key."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeRemainingColumn

from storage.settings import get_settings

keys_app = typer.Typer(help="Data keys: rotate, status, reindex", no_args_is_help=True)


@keys_app.command("rotate")
def keys_rotate(
    batch_size: Annotated[int, typer.Option(help="Rows per committed batch.")] = 500,
) -> None:
    """Re-encrypts every sealed column and KTP image with the newest DATA_ENCRYPTION_KEY.

    Resumable: each batch is committed, and a rerun skips values already under the newest key.
    """
    from bot.runtime import prepare_database
    from storage.crypto import cipher_from_settings
    from storage.key_rotation import rotate_all

    settings = get_settings()
    engine = prepare_database(settings)
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn()) as bar:
        tasks: dict[str, TaskID] = {}

        def show(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.update(tasks[label], completed=done, total=max(total, done))

        tally = rotate_all(engine, cipher_from_settings(settings), batch_size=batch_size,
                           progress=show)
    typer.echo(f"Selesai: {tally.rotated} dienkripsi ulang, {tally.current} sudah dengan kunci "
               f"terbaru, {tally.raced} diubah penulis lain (sudah dengan kunci terbaru).")


@keys_app.command("status")
def keys_status() -> None:
    """Shows, per sealed column, how many values still need the newest key (0 = done)."""
    from bot.runtime import prepare_database
    from storage.crypto import cipher_from_settings
    from storage.key_rotation import stale_counts

    settings = get_settings()
    counts = stale_counts(prepare_database(settings), cipher_from_settings(settings))
    for label, count in counts.items():
        typer.echo(f"{label}: {count} belum dengan kunci terbaru")
    raise typer.Exit(0 if not any(counts.values()) else 1)


@keys_app.command("reindex")
def keys_reindex() -> None:
    """Recomputes every NIK blind index with BLIND_INDEX_KEY (only after changing that key)."""
    from bot.runtime import prepare_database
    from storage.crypto import cipher_from_settings
    from storage.key_rotation import reindex_niks

    settings = get_settings()
    with prepare_database(settings).begin() as connection:
        count = reindex_niks(connection, cipher_from_settings(settings))
    typer.echo(f"{count} indeks NIK dihitung ulang.")
