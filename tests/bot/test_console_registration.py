"""A complete registration in the console channel, as `prakerja chat` runs it."""

from __future__ import annotations

import re
import time
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from support.applicant_data import ANSWERS, good_ktp_jpeg

from bot.console import ConsoleChat
from bot.runtime import build_runner
from storage.models import Applicant
from storage.settings import Settings


def emailed_code(written: list[str]) -> str:
    """Returns the 6 digits of the newest simulated verification email printed by the console."""
    emails = [w for w in written if "Kode verifikasi email Anda" in w]
    match = re.search(r"\b(\d{6})\b", emails[-1])
    assert match is not None
    return match.group(1)


async def test_console_registration_from_start_to_confirmation(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    photo = tmp_path / "ktp.jpg"
    photo.write_bytes(good_ktp_jpeg())
    written: list[str] = []
    script = [
        "1",  # 📝 Daftar akun
        ANSWERS["full_name"], ANSWERS["email"], "<code>", ANSWERS["password"], ANSWERS["nik"],
        ANSWERS["birth_date"], ANSWERS["kk_number"], ANSWERS["address"], "Ya, sama", "SMA/SMK",
        "Korban PHK",
        f"/foto {photo}", "/kontak 0812 3456 7890", "1",  # ✅ Benar, simpan
        "/keluar",
    ]

    def read(_prompt: str) -> str:
        line = script.pop(0)
        if line == "<code>":
            return emailed_code(written)
        return line

    runner = build_runner(sqlite_engine, channel="console")
    try:
        await ConsoleChat(runner, sqlite_engine, chat_id=77, read=read, write=written.append).run()
    finally:
        runner.close()
    output = "\n".join(written)
    assert "Foto KTP sudah kami periksa dan diterima" in output
    assert "3273********0001" in output and ANSWERS["nik"] not in output
    assert "selesai dan tersimpan" in output
    with Session(sqlite_engine) as session:
        saved = session.exec(select(Applicant).where(Applicant.chat_id == 77)).one()
    assert saved.registration_completed_at is not None
    assert saved.phone == "+6281234567890" and saved.phone_verified_via == "contact"
    assert saved.ktp_status == "accepted"


async def test_console_runs_the_outbox_so_later_messages_arrive(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    photo = tmp_path / "ktp.jpg"
    photo.write_bytes(good_ktp_jpeg())
    written: list[str] = []
    script = [
        "1", ANSWERS["full_name"], ANSWERS["email"], "<code>", ANSWERS["password"],
        ANSWERS["nik"], ANSWERS["birth_date"], ANSWERS["kk_number"], ANSWERS["address"], "ya",
        "sma", "kena phk",
        f"/foto {photo}", "/kontak 0812 3456 7890", "benar", "<wait>", "/keluar",
    ]

    def read(_prompt: str) -> str:
        line = script.pop(0)
        if line == "<code>":
            return emailed_code(written)
        if line == "<wait>":  # the person waits a moment, as they would for the push
            for _ in range(100):
                if any(w.startswith("\n🔔") for w in written):
                    break
                time.sleep(0.1)
            return ""
        return line

    settings = Settings(outbox_dir=str(tmp_path / "outbox"), outbox_poll_seconds=0.1,
                        telegram_bot_token=None)
    runner = build_runner(sqlite_engine, channel="console")
    try:
        await ConsoleChat(runner, sqlite_engine, chat_id=78, read=read, write=written.append,
                          settings=settings, poll_seconds=0.1).run()
    finally:
        runner.close()
    pushes = [w for w in written if w.startswith("\n🔔")]
    assert any("sudah terkirim ke sistem Kartu Prakerja" in p for p in pushes), pushes
    assert (tmp_path / "outbox" / "platform.jsonl").exists()  # the worker really delivered it
