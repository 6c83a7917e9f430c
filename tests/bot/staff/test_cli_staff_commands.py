"""`prakerja staff add|list|remove`, `prakerja audit export` and the staff training console."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from actions.lookup import lookup
from bot.cli import app
from bot.console_staff import StaffConsole
from flows.staff_desk import StaffDesk
from storage.db import make_engine, session_scope
from storage.settings import Settings, get_settings

runner = CliRunner()


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("STAFF_TELEGRAM_IDS", "111")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_staff_add_list_remove_and_audit_export(database_url: str, tmp_path: Path) -> None:
    added = runner.invoke(app, ["staff", "add", "222", "--role", "pmo", "--name", "Rina"])
    assert added.exit_code == 0
    assert runner.invoke(app, ["staff", "add", "333", "--role", "boss"]).exit_code == 2
    listed = runner.invoke(app, ["staff", "list"]).output
    assert "111\tstaff\tconfig" in listed and "222\tpmo\tdb\tRina" in listed
    assert "dinonaktifkan" in runner.invoke(app, ["staff", "remove", "222"]).output
    assert "222" not in runner.invoke(app, ["staff", "list"]).output
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        lookup(session=session, query="3273014508900001", actor_id=111, actor_role="staff")
    out = tmp_path / "audit.csv"
    result = runner.invoke(app, ["audit", "export", "--out", str(out)])
    assert result.exit_code == 0 and "1 baris" in result.output
    assert "3273********0001" in out.read_text(encoding="utf-8")
    engine.dispose()


def test_training_console_walks_a_flow(sqlite_engine: Engine) -> None:
    desk = StaffDesk(sqlite_engine, Settings(staff_telegram_ids="77"))
    lines = iter(["/alur otp_tidak_masuk", "2", "2", "/alur otp_tidak_masuk", "1",
                  "/kirim salam", "/keluar"])
    written: list[str] = []
    StaffConsole(desk, user_id=77, read=lambda _p: next(lines), write=written.append).run()
    shown = "\n".join(written)
    assert "📱 Bagikan nomor saya" in shown and "sinyal" in shown and "[1]" in shown
    # A caller has no chat with the bot: the node says what it runs for a pushed applicant.
    assert "asisten\nlangsung menjalankan: minta nomor HP baru" in shown
    assert "Halo, saya petugas" in shown
