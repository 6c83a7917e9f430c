"""`prakerja ktp …` commands: check KTP photos from the terminal."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from actions.ktp import KtpReport, check_ktp

ktp_app = typer.Typer(help="Pemeriksaan foto KTP (tanpa Telegram).", no_args_is_help=True)


class UploadKind(StrEnum):
    """Names how the file reached us: a Telegram photo (recompressed) or a document."""

    PHOTO = "photo"
    DOCUMENT = "document"


@ktp_app.callback()
def ktp() -> None:
    """Checks KTP photos the way the bot does."""


@ktp_app.command("check")
def check(
    files: Annotated[
        list[Path],
        typer.Argument(exists=True, dir_okay=False, readable=True, help="JPEG/PNG files."),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    source: Annotated[
        UploadKind, typer.Option(help="photo = Telegram-compressed photo.")
    ] = UploadKind.DOCUMENT,
) -> None:
    """Checks each FILE and prints the verdict; exits 0 whatever the verdicts."""
    results = [(path, check_ktp(path.read_bytes(), source=source.value)) for path in files]
    if as_json:
        for path, report in results:
            typer.echo(json.dumps({"path": str(path), **report.to_json_dict()}, ensure_ascii=False))
        return
    _print_table(results)


def _print_table(results: list[tuple[Path, KtpReport]]) -> None:
    """Prints one readable row per file, then the tips for refused files."""
    console = Console()
    table = Table(title="Pemeriksaan foto KTP")
    for column in ("Berkas", "Hasil", "Masalah", "Ukuran", "Diperkecil"):
        table.add_column(column)
    for path, report in results:
        table.add_row(
            str(path),
            "OK" if report.ok else "DITOLAK",
            ", ".join(report.codes) or "-",
            f"{report.size_bytes / 1024:.0f} KB",
            "ya" if report.shrunk else "tidak",
        )
    console.print(table)
    for path, report in results:
        for problem in report.problems:
            console.print(f"[bold]{path.name}[/bold] ({problem.code}): {problem.message}")
