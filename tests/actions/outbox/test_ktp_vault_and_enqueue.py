"""KTP images encrypted at rest; enqueueing joins the caller's transaction; /status texts."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlmodel import Session, select

from actions.ktp_vault import KtpVault
from actions.outbox import delivery_status, enqueue_registration_submission, queued_text
from storage.db import session_scope
from storage.models import Outbox
from storage.models_outbox import KtpBlob
from storage.settings import Settings

IMAGE = b"\xff\xd8\xff" + b"KTP-PIXELS" * 100


def test_image_is_encrypted_at_rest_and_round_trips(engine, vault, helpers) -> None:
    with session_scope(engine) as session:
        enqueue_registration_submission(session, applicant=helpers.applicant(1),
                                        ktp_image=IMAGE, vault=vault)
    with Session(engine) as session:
        row = session.exec(select(Outbox)).one()
        blob = session.exec(select(KtpBlob)).one()
        loaded = vault.load(session, row.idempotency_key)
    assert blob.idempotency_key == row.idempotency_key
    assert b"KTP-PIXELS" not in blob.ciphertext
    assert loaded == (IMAGE, "image/jpeg")
    assert row.payload["attachment"] == "ktp"
    assert row.payload["registration"]["birth_date"] == "1990-08-05"
    assert row.payload["registration"]["nik"] == helpers.applicant(1).nik
    with engine.connect() as connection:  # sealed whole while it waits in the outbox
        raw = connection.execute(text("select payload from outbox")).scalar_one()
    stored = raw if isinstance(raw, str) else json.dumps(raw)
    for clear in (helpers.applicant(1).nik, helpers.applicant(1).email, "1990-08-05"):
        assert str(clear) not in stored


def test_rotated_key_still_opens_old_blobs_and_wrong_key_does_not(sqlite_engine, helpers):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with session_scope(sqlite_engine) as session:
        enqueue_registration_submission(session, applicant=helpers.applicant(2),
                                        ktp_image=IMAGE, vault=KtpVault([old]))
    with Session(sqlite_engine) as session:
        key = session.exec(select(Outbox.idempotency_key)).one()
        assert KtpVault([new, old]).load(session, key) == (IMAGE, "image/jpeg")
        assert KtpVault([new]).load(session, key) is None


def test_vault_key_comes_from_env_or_a_private_local_file(tmp_path) -> None:
    key = Fernet.generate_key().decode()
    from_env = KtpVault.from_settings(Settings(data_encryption_key=key))
    assert from_env.fernet.decrypt(KtpVault([key]).fernet.encrypt(b"x")) == b"x"
    path = tmp_path / "k" / "data.key"
    first = KtpVault.from_settings(Settings(data_key_file=str(path)))
    second = KtpVault.from_settings(Settings(data_key_file=str(path)))
    assert second.fernet.decrypt(first.fernet.encrypt(b"y")) == b"y"
    assert path.stat().st_mode & 0o777 == 0o600


def test_enqueue_is_rolled_back_with_the_callers_transaction(sqlite_engine, vault, helpers):
    def failing_state_change() -> None:
        with session_scope(sqlite_engine) as session:
            enqueue_registration_submission(session, applicant=helpers.applicant(3),
                                            ktp_image=IMAGE, vault=vault)
            raise RuntimeError("the state change failed")

    with pytest.raises(RuntimeError):
        failing_state_change()
    with Session(sqlite_engine) as session:
        assert session.exec(select(Outbox)).all() == []
        assert session.exec(select(KtpBlob)).all() == []


def test_enqueue_once_per_chat_and_status_texts(sqlite_engine, vault, helpers) -> None:
    for _ in range(2):
        with session_scope(sqlite_engine) as session:
            enqueue_registration_submission(session, applicant=helpers.applicant(4),
                                            ktp_image=None, vault=vault)
    with session_scope(sqlite_engine) as session:
        rows = session.exec(select(Outbox)).all()
        assert len(rows) == 1
        assert delivery_status(session, 4) == queued_text()
        rows[0].attempts = 3
        session.add(rows[0])
    with Session(sqlite_engine) as session:
        assert "percobaan ke-3" in delivery_status(session, 4)
        assert delivery_status(session, 999) is None
