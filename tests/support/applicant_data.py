"""A valid applicant's answers and helpers to read codes from the local outbox."""

from __future__ import annotations

import re
from functools import cache

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from support import ktp_synth

from actions.ktp import KtpReport, check_ktp
from storage.models import Outbox

# A woman born 5 Aug 1990 (day 05 + 40 = 45), Kota Bandung (32 73), district 01, serial 0001.
NIK = "3273014508900001"
# Her family card, issued in the same district of Kota Bandung.
KK = "3273010203150007"
ANSWERS = {
    "full_name": "Siti Nurhaliza",
    "email": "siti.nur@example.com",
    "password": "RahasiaKu2024",
    "nik": NIK,
    "birth_date": "05-08-1990",
    "kk_number": KK,
    "address": "Jl. Merdeka No. 10 RT 01/RW 02, Babakan Ciamis, Sumur Bandung, Kota Bandung",
    "phone": "0812 3456 7890",
}

DEFAULT_CHAT = 4242


def email_for(chat_id: int) -> str:
    """Returns the applicant's email for this chat: one account per email, so each chat its own."""
    if chat_id == DEFAULT_CHAT:
        return ANSWERS["email"]
    local, _, domain = ANSWERS["email"].partition("@")
    return f"{local}+{chat_id}@{domain}"


def latest_code(engine: Engine, *, chat_id: int, kind: str) -> str:
    """Returns the 6-digit code in the newest email/SMS queued for this chat."""
    with Session(engine) as session:
        row = session.exec(
            select(Outbox).where(Outbox.chat_id == chat_id, Outbox.kind == kind)
            .order_by(col(Outbox.id).desc())
        ).first()
    assert row is not None, f"no {kind} queued for chat {chat_id}"
    match = re.search(r"\b(\d{6})\b", row.payload["body"])
    assert match is not None
    return match.group(1)


@cache
def good_ktp_jpeg() -> bytes:
    """Returns a synthetic e-KTP photo (drawn, no real person) that passes the check."""
    return ktp_synth.jpeg(ktp_synth.good_scene(np.random.default_rng(5)))


@cache
def photocopy_ktp_jpeg() -> bytes:
    """Returns a synthetic greyscale copy of a KTP, which the check refuses."""
    return ktp_synth.jpeg(ktp_synth.photocopy_scene(np.random.default_rng(6)))


@cache
def good_ktp_report() -> KtpReport:
    """Returns the check's verdict on the good photo."""
    return check_ktp(good_ktp_jpeg(), source="photo")
