"""`prakerja nlu parse|train|eval`: classify texts, build the model cache, measure accuracy."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from nlu import ParseResult, embedded_parser
from nlu.embedded import EmbeddedParser, load_or_train
from nlu.evaluation import EvalReport, cross_validate, score
from nlu.normalize import load_normalizer
from nlu.rasa_client import RasaParser, rasa_parser
from nlu.training_data import HELDOUT_PATH, TRAINING_PATH, load_examples
from storage.settings import get_settings

nlu_app = typer.Typer(help="Intent classifier: parse texts, train, evaluate.", no_args_is_help=True)


class Backend(StrEnum):
    """NLU backend selectable on the command line."""

    embedded = "embedded"
    rasa = "rasa"


BackendOption = Annotated[Backend | None, typer.Option(help="Default: NLU_BACKEND setting.")]


def _parser(backend: Backend | None) -> EmbeddedParser | RasaParser:
    """Returns the parser for the chosen backend (settings decide when None)."""
    settings = get_settings()
    chosen = backend.value if backend is not None else settings.nlu_backend
    return rasa_parser(settings) if chosen == Backend.rasa else embedded_parser()


def to_json(result: ParseResult) -> str:
    """Returns the one-line JSON form of a parse result."""
    entities = [asdict(e) for e in result.entities]
    return json.dumps(
        {"text": result.text, "intent": result.intent,
         "confidence": round(result.confidence, 4), "entities": entities},
        ensure_ascii=False,
    )


@nlu_app.command()
def parse(backend: BackendOption = None) -> None:
    """Reads one text per line on stdin and writes one JSON object per line."""
    asyncio.run(_parse_lines(_parser(backend)))


async def _parse_lines(parser: EmbeddedParser | RasaParser) -> None:
    """Parses stdin line by line, flushing each answer so pipes stay interactive."""
    for line in sys.stdin:
        result = await parser.parse(line.rstrip("\r\n"))
        sys.stdout.write(to_json(result) + "\n")
        sys.stdout.flush()
    if isinstance(parser, RasaParser):
        await parser.aclose()


@nlu_app.command()
def train() -> None:
    """Trains the embedded model from nlu/nlu.yml and writes the cache."""
    cache_dir = Path(get_settings().nlu_cache_dir)
    started = time.perf_counter()
    model = load_or_train(cache_dir)
    typer.echo(
        f"model {model.fingerprint} ready in {cache_dir} ({time.perf_counter() - started:.2f} s)"
    )


@nlu_app.command("eval")
def evaluate(
    backend: BackendOption = None,
    folds: Annotated[int, typer.Option(min=2, help="Cross-validation folds (embedded).")] = 5,
) -> None:
    """Prints cross-validated and held-out accuracy, per-intent F1 and confusions."""
    settings = get_settings()
    parser = _parser(backend)
    heldout = load_examples(HELDOUT_PATH)
    results = asyncio.run(_parse_all(parser, [e.text for e in heldout]))
    report = score(heldout, results, settings.nlu_confidence_threshold)
    cv = None
    if isinstance(parser, EmbeddedParser):
        cv = cross_validate(load_examples(TRAINING_PATH), load_normalizer(), folds=folds)
    name = "rasa" if isinstance(parser, RasaParser) else "embedded"
    print_report(Console(), name, report, cv, settings.nlu_confidence_threshold)


async def _parse_all(parser: EmbeddedParser | RasaParser, texts: list[str]) -> list[ParseResult]:
    """Returns the parse of every text, in order."""
    results = [await parser.parse(text) for text in texts]
    if isinstance(parser, RasaParser):
        await parser.aclose()
    return results


def print_report(
    console: Console, backend: str, report: EvalReport, cv: float | None, threshold: float
) -> None:
    """Prints the summary, per-intent F1, confusions and calibration as rich tables."""
    summary = Table(title=f"NLU evaluation ({backend}, threshold {threshold:.2f})")
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    if cv is not None:
        summary.add_row("cross-validated accuracy (nlu.yml)", f"{cv:.1%}")
    summary.add_row(f"held-out top-1 accuracy (n={report.size})", f"{report.accuracy:.1%}")
    summary.add_row("out-of-scope false accepts", f"{report.oos_false_accept_rate:.1%}")
    console.print(summary)
    f1 = Table(title="Per-intent F1 (held-out)")
    f1.add_column("intent")
    f1.add_column("F1", justify="right")
    for intent, value in sorted(report.per_intent_f1.items(), key=lambda kv: kv[1]):
        f1.add_row(intent, f"{value:.2f}")
    console.print(f1)
    confusions = Table(title="Top confusions (gold → predicted)")
    for column in ("gold", "predicted", "count"):
        confusions.add_column(column)
    for gold, predicted, count in report.confusions:
        confusions.add_row(gold, predicted, str(count))
    console.print(confusions)
    calibration = Table(title="Calibration (confidence bin → accuracy)")
    for column in ("confidence", "n", "accuracy"):
        calibration.add_column(column)
    for low, high, count, accuracy in report.calibration:
        calibration.add_row(f"{low:.2f}–{high:.2f}", str(count), f"{accuracy:.1%}")
    console.print(calibration)


__all__ = ["nlu_app", "to_json"]
