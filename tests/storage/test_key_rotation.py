"""Key rotation: every sealed value moves to the newest key, resumably, lookups intact."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from support.keys import Keys
from support.keys import keys as keys_fixture

from actions.ktp_vault import KtpVault
from storage.crypto import cipher_from_settings
from storage.db import session_scope
from storage.key_rotation import rotate_all, stale_counts
from storage.models import Applicant, Outbox
from storage.repositories import find_applicant_by_nik
from storage.settings import get_settings

keys = keys_fixture
NIKS = [f"32730145089{n:05d}" for n in range(1, 8)]


def seed(engine: Engine, keys: Keys) -> None:
    """Stores applicants, outbox rows and KTP images sealed with the old key."""
    vault = KtpVault([keys.old])
    with session_scope(engine) as session:
        for chat_id, nik in enumerate(NIKS, start=1):
            session.add(Applicant(chat_id=chat_id, nik=nik))
            row = Outbox(kind="registration", chat_id=chat_id, destination="platform",
                         payload={"registration": {"nik": nik}})
            session.add(row)
            vault.store(session, key=row.idempotency_key, chat_id=chat_id,
                        image=b"KTP" + nik.encode())


def everyone_is_found(engine: Engine) -> bool:
    """Tells whether every seeded NIK is still found through the blind index."""
    with Session(engine) as session:
        return all(find_applicant_by_nik(session=session, nik=nik) is not None for nik in NIKS)


def test_rotation_moves_everything_to_the_new_key_and_lookups_never_miss(
    engine: Engine, keys: Keys,
) -> None:
    seed(engine, keys)
    keys.use(f"{keys.new},{keys.old}")
    assert everyone_is_found(engine)  # a new newest key does not change the blind index
    found_between_batches: list[bool] = []
    tally = rotate_all(engine, cipher_from_settings(get_settings()), batch_size=3,
                       progress=lambda *_: found_between_batches.append(everyone_is_found(engine)))
    assert tally.rotated == 3 * len(NIKS) and tally.raced == 0
    assert found_between_batches and all(found_between_batches)
    keys.use(keys.new)  # the old key removed
    assert everyone_is_found(engine)
    assert set(stale_counts(engine, cipher_from_settings(get_settings())).values()) == {0}
    with Session(engine) as session:
        assert {a.nik for a in session.exec(select(Applicant)).all()} == set(NIKS)
        keys_of = [row.idempotency_key for row in session.exec(select(Outbox)).all()]
        images = [KtpVault([keys.new]).load(session, key) for key in keys_of]
    assert all(image is not None and image[0].startswith(b"KTP") for image in images)


def test_a_stopped_rotation_resumes_where_it_stopped(sqlite_engine: Engine, keys: Keys) -> None:
    seed(sqlite_engine, keys)
    keys.use(f"{keys.new},{keys.old}")
    cipher = cipher_from_settings(get_settings())

    def stop_after_first_batch(*_: object) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate_all(sqlite_engine, cipher, batch_size=2, progress=stop_after_first_batch)
    assert stale_counts(sqlite_engine, cipher)["applicant.nik"] == len(NIKS) - 2
    tally = rotate_all(sqlite_engine, cipher, batch_size=2)
    assert tally.current == 2 and tally.rotated == 3 * len(NIKS) - 2
    assert set(stale_counts(sqlite_engine, cipher).values()) == {0}


def test_payloads_stored_before_sealing_are_sealed_by_rotation(
    engine: Engine, keys: Keys,
) -> None:
    clear = {"subject": "Kode", "body": "Kode Anda 123456"}
    with engine.begin() as connection:
        connection.execute(text(
            "insert into outbox (idempotency_key, kind, chat_id, destination, payload, status,"
            " attempts, next_attempt_at, created_at) values ('legacy', 'email', 1, 'x', :p,"
            " 'delivered', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"p": json.dumps(clear)})
    with Session(engine) as session:
        assert session.exec(select(Outbox)).one().payload == clear  # old rows keep working
    rotate_all(engine, cipher_from_settings(get_settings()))
    with engine.connect() as connection:
        raw = connection.execute(text("select payload from outbox")).scalar_one()
    assert "123456" not in str(raw)
    token = raw if not raw.startswith('"') else json.loads(raw)
    assert json.loads(Fernet(keys.old.encode()).decrypt(token.encode())) == clear
