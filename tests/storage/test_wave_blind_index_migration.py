"""Revision 0010 on a database with waves drawn before it: NIKs become blind indexes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import make_engine
from storage.migrate import upgrade
from storage.nik_keys import nik_key

NIKS = (3273014508900001, 3273014508900002)


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yields the URL of a database without any table (a PostgreSQL schema of its own)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    # The shared fixture skips without PostgreSQL; its base URL serves a schema of our own.
    base = request.getfixturevalue("postgres_url").rsplit("options=", 1)[0].rstrip("?&")
    schema, admin = f"m_{uuid.uuid4().hex[:10]}", make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_existing_rows_are_converted_and_recipients_kept(empty_database: str) -> None:
    url = empty_database
    upgrade(url, "0002")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO wave (id, number, quota, opens_at, closes_at, status, excluded_sources, "
            "min_age, created_at, updated_at) VALUES (1, 1, 1, '2021-02-24', '2021-02-26', "
            "'announced', 'DAPODIK', 18, '2021-02-24', '2021-02-24')"))
        for index, nik in enumerate(NIKS, start=1):
            connection.execute(text(
                "INSERT INTO waveapplication (id, wave_id, chat_id, nik, birth_date, joined_at) "
                "VALUES (:i, 1, :i, :n, '1990-01-01', '2021-02-25')"), {"i": index, "n": nik})
            connection.execute(text(
                "INSERT INTO applicantresult (application_id, wave_id, selected, priority, "
                "reason_mask, draw_position) VALUES (:i, 1, :s, false, 0, :i)"),
                {"i": index, "s": index == 1})
        connection.execute(text("INSERT INTO agencylistentry (nik, source) VALUES (:n, 0)"),
                           {"n": NIKS[1]})
    upgrade(url, "heads")
    with engine.connect() as connection:
        keys = connection.execute(text("SELECT nik_key FROM waveapplication ORDER BY id")).all()
        assert [k[0] for k in keys] == [nik_key(str(n)) for n in NIKS]
        recipients = connection.execute(text("SELECT nik_key FROM cardrecipient")).all()
        assert [r[0] for r in recipients] == [nik_key(str(NIKS[0]))]
        listed = connection.execute(text(
            "SELECT i.source, e.nik_key FROM agencylistentry e "
            "JOIN agencylistimport i ON i.id = e.import_id")).all()
        assert [tuple(r) for r in listed] == [("DAPODIK", nik_key(str(NIKS[1])))]
        columns = connection.execute(text("SELECT * FROM waveapplication")).keys()
        assert "nik" not in columns
    engine.dispose()
