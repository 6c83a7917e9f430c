"""/cari lookups: masked view, no secrets, an audit row per lookup, CSV export; roles."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from actions.lookup import export_audit, lookup, mask_query
from actions.staff import add_staff, list_staff, remove_staff, role_of
from actions.tickets import open_ticket
from storage.db import session_scope
from storage.models import Applicant, utcnow
from storage.models_staff import AuditLog
from storage.settings import Settings

NIK = "3273014508900001"


def _applicant(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(Applicant(
            chat_id=4242, full_name="Siti Nurhaliza", email="siti@example.com",
            email_verified_at=utcnow(), password_hash="argon2-secret-hash", nik=NIK,
            birth_date=date(1990, 8, 5), phone="+6281234567890", phone_verified_via="sms",
            ktp_file_id="AgACAgSecretFileId", ktp_status="accepted"))
        session.flush()
        open_ticket(session=session, chat_id=4242, reason="user_request")


@pytest.mark.parametrize("query", [NIK, "SITI@example.com", "0812-3456-7890"])
def test_lookup_masks_hides_secrets_and_audits(sqlite_engine: Engine, query: str) -> None:
    _applicant(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        views = lookup(session=session, query=query, actor_id=9001, actor_role="staff")
    assert len(views) == 1
    shown = repr(views[0])
    assert views[0].nik_masked == "3273********0001" and NIK not in shown
    assert views[0].phone_masked == "+62812****7890" and "1234567890" not in shown
    for secret in ("argon2-secret-hash", "AgACAgSecretFileId", "siti@example.com"):
        assert secret not in shown
    assert views[0].open_tickets and views[0].registration_done is False
    with Session(sqlite_engine) as session:
        audit = session.exec(select(AuditLog)).one()
    assert (audit.actor_id, audit.action, audit.result_count) == (9001, "lookup", 1)
    assert audit.query_masked == mask_query(query)
    assert NIK not in audit.query_masked and "3456" not in audit.query_masked


def test_lookup_without_match_is_audited_too(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as session:
        assert lookup(session=session, query="budi@example.com", actor_id=1,
                      actor_role="pmo") == []
    with Session(sqlite_engine) as session:
        audit = session.exec(select(AuditLog)).one()
    assert audit.result_count == 0 and audit.query_masked == "bu**@example.com"


def test_export_writes_csv_and_audits_itself(sqlite_engine: Engine, tmp_path: Path) -> None:
    _applicant(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        lookup(session=session, query=NIK, actor_id=9001, actor_role="staff")
        lookup(session=session, query="+6281234567890", actor_id=9002, actor_role="staff")
    out = tmp_path / "audit.csv"
    with session_scope(sqlite_engine) as session:
        assert export_audit(session=session, out=out, actor_id=9100) == 2
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["actor_id"] for r in rows] == ["9001", "9002"]
    assert NIK not in out.read_text(encoding="utf-8")
    with Session(sqlite_engine) as session:
        actions = [a.action for a in session.exec(select(AuditLog)).all()]
    assert actions == ["lookup", "lookup", "audit_export"]


def test_roles_from_settings_and_database(sqlite_engine: Engine) -> None:
    settings = Settings(staff_telegram_ids="11, 12", pmo_telegram_ids="12,13")
    with session_scope(sqlite_engine) as session:
        add_staff(session=session, user_id=21, role="staff", name="Rina")
        assert role_of(session=session, user_id=11, settings=settings) == "staff"
        assert role_of(session=session, user_id=12, settings=settings) == "pmo"
        assert role_of(session=session, user_id=21, settings=settings) == "staff"
        assert role_of(session=session, user_id=99, settings=settings) is None
        assert [e.telegram_user_id for e in list_staff(session=session, settings=settings)] \
            == [11, 12, 13, 21]
        assert remove_staff(session=session, user_id=21)
        assert role_of(session=session, user_id=21, settings=settings) is None
        assert not remove_staff(session=session, user_id=21)
