"""`prakerja staff add|remove|list` and `prakerja audit export` (PMO)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from sqlalchemy.engine import Engine

from storage.settings import get_settings

staff_app = typer.Typer(help="Call-center staff and PMO roles", no_args_is_help=True)
audit_app = typer.Typer(help="Audit log of staff lookups", no_args_is_help=True)


def _engine() -> Engine:
    from bot.runtime import prepare_database

    return prepare_database(get_settings())


@staff_app.command("add")
def staff_add(
    user_id: int = typer.Argument(..., help="Telegram user id"),
    role: str = typer.Option("staff", help="staff or pmo"),
    name: str = typer.Option("", help="Name shown to applicants"),
) -> None:
    """Gives a Telegram user the staff (or PMO) role."""
    from actions.staff import StaffError, add_staff
    from storage.db import session_scope

    try:
        with session_scope(_engine()) as session:
            add_staff(session=session, user_id=user_id, role=role, name=name)
    except StaffError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{user_id} sekarang {role}.")


@staff_app.command("remove")
def staff_remove(user_id: int = typer.Argument(..., help="Telegram user id")) -> None:
    """Takes the role away (ids in STAFF_TELEGRAM_IDS/PMO_TELEGRAM_IDS stay until removed there)."""
    from actions.staff import remove_staff
    from storage.db import session_scope

    with session_scope(_engine()) as session:
        removed = remove_staff(session=session, user_id=user_id)
    typer.echo(f"{user_id} dinonaktifkan." if removed else f"{user_id} bukan petugas aktif.")


@staff_app.command("list")
def staff_list() -> None:
    """Lists everyone with a role and where it comes from."""
    from actions.staff import list_staff
    from storage.db import session_scope

    with session_scope(_engine()) as session:
        entries = list_staff(session=session, settings=get_settings())
    for entry in entries:
        typer.echo(f"{entry.telegram_user_id}\t{entry.role}\t{entry.source}\t{entry.name}")
    if not entries:
        typer.echo("Belum ada petugas.")


@audit_app.command("export")
def audit_export(
    out: str = typer.Option(..., "--out", help="CSV file to write"),
    since: str = typer.Option("", help="Only rows from this ISO date/time on"),
) -> None:
    """Writes the audit log (who looked up what, when; queries masked) to a CSV file."""
    from actions.lookup import export_audit
    from storage.db import session_scope

    start = datetime.fromisoformat(since) if since else None
    with session_scope(_engine()) as session:
        count = export_audit(session=session, out=Path(out), since=start)
    typer.echo(f"{count} baris ditulis ke {out}.")
