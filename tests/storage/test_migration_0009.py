"""Migration 0009: NIK indexes move to the blind-index key, payloads and code targets are sealed."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from sqlalchemy import text
from support.keys import Keys
from support.keys import keys as keys_fixture

from storage.crypto import open_json, personal_data_cipher
from storage.db import make_engine
from storage.migrate import upgrade

keys = keys_fixture
NIK = "3273014508900001"


def test_upgrade_reindexes_niks_and_seals_what_was_clear(tmp_path: Path, keys: Keys) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0007")
    engine = make_engine(url)
    cipher = personal_data_cipher()
    old_index_key = hmac.new(keys.old.encode(), b"prakerja-blind-index-v1", hashlib.sha256)
    old_index = hmac.new(old_index_key.digest(), NIK.encode(), hashlib.sha256).hexdigest()
    with engine.begin() as connection:
        connection.execute(text(
            "insert into applicant (chat_id, channel, nik, nik_index, created_at, updated_at)"
            " values (1, 'telegram', :nik, :ix, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            {"nik": cipher.encrypt(NIK), "ix": old_index})
        connection.execute(text(
            "insert into outbox (idempotency_key, kind, chat_id, destination, payload, status,"
            " attempts, next_attempt_at, created_at) values ('k', 'email', 1, 'a@b.id', :p,"
            " 'pending', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            {"p": json.dumps({"body": "Kode 654321"})})
        connection.execute(text(
            "insert into verificationcode (chat_id, purpose, target, code_hash, attempts,"
            " created_at, expires_at) values (1, 'email', 'Siti@Example.com', 'h', 0,"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
    upgrade(url, "0009")
    with engine.connect() as connection:
        index = connection.execute(text("select nik_index from applicant")).scalar_one()
        payload = connection.execute(text("select payload from outbox")).scalar_one()
        target = connection.execute(text("select target from verificationcode")).scalar_one()
    engine.dispose()
    assert index == cipher.blind_index(NIK) != old_index
    assert "654321" not in payload and open_json(json.loads(payload)) == {"body": "Kode 654321"}
    assert target == cipher.address_index("siti@example.com")
