"""`prakerja rasa domain`: regenerates the Rasa FAQ responses and rules from flows/faq.yml."""

from __future__ import annotations

from typing import Annotated

import typer

rasa_app = typer.Typer(help="Proyek Rasa: domain dari flows/faq.yml.", no_args_is_help=True)


@rasa_app.command("domain")
def rasa_domain(
    check: Annotated[bool, typer.Option(help="Hanya periksa; keluar 1 bila berbeda.")] = False,
) -> None:
    """Writes domain/faq.yml and nlu/rules_faq.yml from flows/faq.yml (or checks them)."""
    from flows.rasa_domain import drift, generated_files, write

    files = generated_files()
    if not check:
        write(files)
        typer.echo("\n".join(f"Ditulis: {file.path}" for file in files))
        return
    diffs = drift(files)
    if diffs:
        typer.echo("".join(diffs))
        raise typer.Exit(1)
    typer.echo("Domain Rasa sesuai dengan flows/faq.yml.")
