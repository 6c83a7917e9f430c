"""`prakerja retention run|show`: applies the retention policy of the RETENTION_* settings."""

from __future__ import annotations

import typer

from storage.settings import get_settings

retention_app = typer.Typer(help="Retention policy: run, show", no_args_is_help=True)


@retention_app.command("show")
def retention_show() -> None:
    """Prints how many days each kind of data is kept."""
    from storage.retention import RetentionPolicy

    policy = RetentionPolicy.from_settings(get_settings())
    typer.echo(f"Foto KTP yang belum terkirim: {policy.ktp_days} hari\n"
               f"Isi pesan outbox yang selesai, update webhook, kode OTP: "
               f"{policy.payload_days} hari\n"
               f"Log audit petugas: {policy.audit_days} hari\n"
               f"Percakapan diam dan tiket yang ditutup: {policy.conversation_days} hari")


@retention_app.command("run")
def retention_run() -> None:
    """Removes the data the policy no longer keeps; prints what was removed (run it daily)."""
    from bot.runtime import prepare_database
    from storage.retention import RetentionPolicy, apply_retention

    settings = get_settings()
    counts = apply_retention(prepare_database(settings), RetentionPolicy.from_settings(settings))
    for kind, count in counts.items():
        typer.echo(f"{kind}: {count}")
