"""One whole console registration with the usual mistakes, kept as a transcript to read.

The transcript (tests/golden/registration_with_mistakes.txt) is reviewed by reading it: every
reply must be clear Indonesian that says what to do. Regenerate it after a deliberate text change
with `UPDATE_GOLDEN=1 .venv/bin/pytest tests/bot/test_golden_transcript.py`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
from sqlalchemy.engine import Engine
from support import ktp_synth
from support.applicant_data import ANSWERS, good_ktp_jpeg

from bot.console import ConsoleChat
from bot.runtime import build_runner

GOLDEN = Path(__file__).parents[1] / "golden" / "registration_with_mistakes.txt"
CODE = "<code>"
# What the person types, mistakes included, in order.
SCRIPT = [
    "1",
    "Siti 2 Nurhaliza", ANSWERS["full_name"],
    "siti.nur@gmial.com", ANSWERS["email"],
    "123", "000000", CODE,
    "password", ANSWERS["password"],
    "3273014508900", ANSWERS["nik"],
    "05-08-1991", ANSWERS["birth_date"],
    "Bandung", ANSWERS["address"],
    "iya sama", "sma", "kena phk",
    "/foto <photocopy>", "/foto <good>",
    "0812", "/kontak 0812 3456 7890",
    "ubah alamat", "Jl. Merdeka No. 12 RT 01/RW 02, Babakan Ciamis, Sumur Bandung, Kota Bandung",
    "ya benar",
    "/keluar",
]
_SIX_DIGITS = re.compile(r"\b\d{6}\b")


def _normalised(lines: list[str], tmp_path: Path, codes: list[str]) -> str:
    text = "\n".join(lines).replace(str(tmp_path), "<tmp>")
    for code in codes:  # one-time codes differ on every run
        text = text.replace(code, "<kode dari email>")
    return re.sub(r"/[^\s)]*contoh_foto_ktp\.jpg", "<contoh_foto_ktp.jpg>", text) + "\n"


async def test_registration_with_mistakes_reads_as_the_golden_transcript(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "good.jpg").write_bytes(good_ktp_jpeg())
    copy = ktp_synth.jpeg(ktp_synth.photocopy_scene(np.random.default_rng(6)))
    (tmp_path / "copy.jpg").write_bytes(copy)
    script = list(SCRIPT)
    lines: list[str] = []
    codes: list[str] = []

    def read(_prompt: str) -> str:
        typed = script.pop(0)
        if typed == CODE:
            emails = [w for w in lines if "Kode verifikasi email Anda" in w]
            typed = _SIX_DIGITS.findall(emails[-1])[-1]
            codes.append(typed)
        typed = typed.replace("<good>", str(tmp_path / "good.jpg"))
        typed = typed.replace("<photocopy>", str(tmp_path / "copy.jpg"))
        lines.append(f"\n👤 {typed}")
        return typed

    runner = build_runner(sqlite_engine, channel="console")
    try:
        await ConsoleChat(runner, sqlite_engine, chat_id=91, read=read, write=lines.append).run()
    finally:
        runner.close()
    transcript = _normalised(lines, tmp_path, codes)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(transcript, encoding="utf-8")
    assert script == [], "the conversation ended before the script"
    assert transcript == GOLDEN.read_text(encoding="utf-8")
