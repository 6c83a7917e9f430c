"""`prakerja nlu parse|train|eval` through typer's runner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli_nlu import nlu_app
from storage.settings import get_settings


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, model_cache_dir: Path) -> Iterator[CliRunner]:
    """Returns a runner whose settings use the session's model cache and the embedded backend."""
    monkeypatch.setenv("NLU_CACHE_DIR", str(model_cache_dir))
    monkeypatch.setenv("NLU_BACKEND", "embedded")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_parse_writes_one_json_line_per_input_line(runner: CliRunner) -> None:
    result = runner.invoke(nlu_app, ["parse"], input="kpn gel 13 buka\notp ga masuk2\n\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["intent"] for line in lines] == [
        "wave_schedule", "otp_not_received", "out_of_scope"
    ]
    assert set(lines[0]) == {"text", "intent", "confidence", "entities"}
    assert lines[0]["entities"] == [
        {"entity": "wave_number", "value": "13", "start": 8, "end": 10}
    ]


def test_train_reports_the_cached_model(runner: CliRunner, model_cache_dir: Path) -> None:
    result = runner.invoke(nlu_app, ["train"])
    assert result.exit_code == 0, result.output
    assert list(model_cache_dir.glob("embedded-*.joblib"))


def test_eval_prints_accuracy_table(runner: CliRunner) -> None:
    result = runner.invoke(nlu_app, ["eval", "--folds", "2"])
    assert result.exit_code == 0, result.output
    for heading in ("held-out top-1", "cross-validated", "out-of-scope false accepts", "F1"):
        assert heading in result.stdout
