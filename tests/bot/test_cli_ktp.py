"""The `prakerja ktp check` command, driven through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from support import ktp_synth
from typer.testing import CliRunner

from bot.cli_ktp import ktp_app

runner = CliRunner()


def _files(tmp_path: Path) -> tuple[Path, Path]:
    good = tmp_path / "ktp.jpg"
    good.write_bytes(ktp_synth.jpeg(ktp_synth.good_scene(np.random.default_rng(3), width=800)))
    fake = tmp_path / "ktp.png"  # name says PNG, content is a GIF
    fake.write_bytes(ktp_synth.not_jpeg_or_png(np.random.default_rng(1), 0))
    return good, fake


def test_json_lines_one_per_file(tmp_path: Path) -> None:
    good, fake = _files(tmp_path)
    result = runner.invoke(ktp_app, ["check", "--json", str(good), str(fake)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["path"] for line in lines] == [str(good), str(fake)]
    assert lines[0]["ok"] is True and lines[0]["problems"] == []
    assert lines[1]["ok"] is False and lines[1]["problems"] == ["not_jpeg_or_png"]
    for line in lines:
        assert isinstance(line["shrunk"], bool) and isinstance(line["size_bytes"], int)


def test_table_output_lists_verdicts_and_tips(tmp_path: Path) -> None:
    good, fake = _files(tmp_path)
    result = runner.invoke(ktp_app, ["check", str(good), str(fake)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "DITOLAK" in result.output
    assert "not_jpeg_or_png" in result.output and "JPEG atau PNG" in result.output


def test_source_photo_is_passed_through(tmp_path: Path) -> None:
    blurry = tmp_path / "blur.jpg"
    blurry.write_bytes(ktp_synth.jpeg(ktp_synth.blurry_scene(np.random.default_rng(2))))
    result = runner.invoke(ktp_app, ["check", "--json", "--source", "photo", str(blurry)])
    assert json.loads(result.output)["suggest_send_as_file"] is True


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(ktp_app, ["check", "--json", str(tmp_path / "nope.jpg")])
    assert result.exit_code == 2
    assert "nope.jpg" in result.output
