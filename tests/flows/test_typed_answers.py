"""Typed answers at every choice step: labels, numbers, synonyms and sentences pick the option."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from support.conversation_driver import applicant, register_until, said, step_of, text

from flows.choice_matching import Choice, match_choice, normalise
from flows.conversation import Conversation
from flows.definition import load_flow

# (step to stop before, what the person types, applicant field, value stored, step after)
CHOICE_CASES = [
    ("address", "ya", "domicile_same", True, "education"),
    ("address", "Ya, sama", "domicile_same", True, "education"),
    ("address", "iya sama kok", "domicile_same", True, "education"),
    ("address", "sama", "domicile_same", True, "education"),
    ("address", "1", "domicile_same", True, "education"),
    ("address", "tidak", "domicile_same", False, "domicile_address"),
    ("address", "gak sama, saya ngekos", "domicile_same", False, "domicile_address"),
    ("address", "2", "domicile_same", False, "domicile_address"),
    ("domicile_same", "sma", "education", "SMA/SMK", "employment_status"),
    ("domicile_same", "SMK", "education", "SMA/SMK", "employment_status"),
    ("domicile_same", "lulusan smk", "education", "SMA/SMK", "employment_status"),
    ("domicile_same", "S1", "education", "D4/S1", "employment_status"),
    ("domicile_same", "sarjana", "education", "D4/S1", "employment_status"),
    ("domicile_same", "d3", "education", "D1/D2/D3", "employment_status"),
    ("domicile_same", "tamat SD", "education", "SD", "employment_status"),
    ("domicile_same", "tidak tamat sd", "education", "Tidak tamat SD", "employment_status"),
    ("domicile_same", "smp", "education", "SMP", "employment_status"),
    ("domicile_same", "4", "education", "SMA/SMK", "employment_status"),
    ("education", "nganggur", "employment_status", "Pencari kerja", "ktp_photo"),
    ("education", "lagi cari kerja", "employment_status", "Pencari kerja", "ktp_photo"),
    ("education", "kena phk", "employment_status", "Korban PHK", "ktp_photo"),
    ("education", "jualan online", "employment_status", "Pelaku usaha mikro/kecil", "ktp_photo"),
    ("education", "karyawan", "employment_status", "Pekerja/buruh", "ktp_photo"),
    ("education", "dirumahkan", "employment_status", "Pekerja dirumahkan", "ktp_photo"),
]


@pytest.fixture
def conversation(sqlite_engine: Engine) -> Conversation:
    return Conversation(sqlite_engine, channel="console")


@pytest.mark.parametrize(("before", "typed", "field", "stored", "after"), CHOICE_CASES)
def test_typed_choice_picks_the_option(
    conversation: Conversation, sqlite_engine: Engine,
    before: str, typed: str, field: str, stored: object, after: str,
) -> None:
    register_until(conversation, sqlite_engine, before)
    text(conversation, typed)
    assert getattr(applicant(sqlite_engine), field) == stored
    assert step_of(sqlite_engine) == after


@pytest.mark.parametrize("typed", ["ya benar", "benar", "Benar, simpan", "sudah benar", "1"])
def test_typed_confirmation_at_the_summary(
    conversation: Conversation, sqlite_engine: Engine, typed: str
) -> None:
    register_until(conversation, sqlite_engine, "phone")
    assert step_of(sqlite_engine) == "summary"
    text(conversation, typed)
    assert applicant(sqlite_engine).registration_completed_at is not None


@pytest.mark.parametrize(("typed", "opens"), [
    ("Ubah domisili", "domicile_same"), ("ubah alamat", "address"),
    ("ganti nomor hp", "phone"), ("nik salah", "nik"), ("ubah password", "password"),
])
def test_typed_edit_at_the_summary(
    conversation: Conversation, sqlite_engine: Engine, typed: str, opens: str
) -> None:
    register_until(conversation, sqlite_engine, "phone")
    text(conversation, typed)
    assert step_of(sqlite_engine) == opens
    assert applicant(sqlite_engine).registration_completed_at is None


def test_unclear_summary_answer_shows_the_summary_again(
    conversation: Conversation, sqlite_engine: Engine
) -> None:
    register_until(conversation, sqlite_engine, "phone")
    reply = said(text(conversation, "hmm entahlah"))
    assert "ketik <b>benar</b>" in reply and "Periksa data Anda" in reply
    assert step_of(sqlite_engine) == "summary"


def test_kirim_ulang_typed_in_the_email_code_step_resends(
    conversation: Conversation, sqlite_engine: Engine
) -> None:
    register_until(conversation, sqlite_engine, "email")
    reply = said(text(conversation, "kirim ulang"))
    assert "Tunggu" in reply  # the resend rule applies, as for the button
    assert step_of(sqlite_engine) == "email_code"


def test_a_wrong_format_in_the_email_code_step_talks_about_email(
    conversation: Conversation, sqlite_engine: Engine
) -> None:
    register_until(conversation, sqlite_engine, "email")
    turn = text(conversation, "12ab")
    assert "email" in said(turn) and "SMS" not in said(turn)
    labels = [b.label for row in turn.replies[-1].buttons for b in row]
    assert "🔁 Kirim ulang kode" in labels  # the way out is offered again, also in the console


def test_ganti_email_typed_goes_back_to_the_email_step(
    conversation: Conversation, sqlite_engine: Engine
) -> None:
    register_until(conversation, sqlite_engine, "email")
    text(conversation, "ganti email")
    assert step_of(sqlite_engine) == "email"


def test_every_option_is_reachable_by_its_own_label() -> None:
    flow = load_flow("registration")
    for step in flow.steps.values():
        choices = [Choice(o.value, (o.label, o.value, *o.synonyms)) for o in step.options]
        for option in step.options:
            assert match_choice(option.label, choices) == option.value, (step.id, option.label)


def test_ambiguous_sentences_pick_nothing() -> None:
    choices = [Choice("a", ("kerja pabrik",)), Choice("b", ("kena phk",))]
    assert match_choice("kerja pabrik lalu kena phk", choices) is None
    assert match_choice("", choices) is None
    assert normalise("  Ya,  SAMA!! 👍 ") == "ya sama"
