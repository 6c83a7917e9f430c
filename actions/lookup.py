"""/cari for staff: an applicant's progress by NIK, email or phone, masked, and always audited.

Staff never see passwords, OTPs or KTP images: the view below is built field by field and
carries none of them. Wave results come from the waves feature when it is installed.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from actions.tickets import open_tickets_of_chat
from flows.validators import Valid, validate_email, validate_phone
from flows.validators.masking import mask_nik, mask_phone
from storage.models import Applicant
from storage.models_staff import AuditLog

ResultFinder = Callable[..., Any]
_applicant_result: ResultFinder | None
try:  # the waves feature is optional: without it, lookups show no wave or result
    from actions.results import applicant_result as _applicant_result
except ImportError:  # pragma: no cover - depends on which features are installed
    _applicant_result = None
MAX_RESULTS = 5
AUDIT_COLUMNS = ("id", "created_at", "actor_id", "actor_role", "action", "query_masked",
                 "result_count")
_NIK = re.compile(r"^\d{16}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_TERM = 120  # the audit column's length: a longer term is refused, never half-stored
REFUSED_TERM = "(refused: too long or control characters)"


@dataclass(frozen=True, slots=True)
class ApplicantView:
    """What staff may see of one applicant; secrets and images are not part of it."""

    chat_id: int
    name: str
    nik_masked: str
    phone_masked: str
    email_masked: str
    email_verified: bool
    ktp_status: str
    phone_verified: bool
    registration_done: bool
    wave: int | None
    result: str
    reasons: tuple[str, ...]
    open_tickets: tuple[int, ...]


def mask_email(email: str) -> str:
    """Returns the address with all but the first two letters of its local part masked."""
    local, _, domain = email.partition("@")
    return f"{local[:2]}{'*' * max(len(local) - 2, 1)}@{domain}"


def mask_query(query: str) -> str:
    """Returns the search term as it may be stored in the audit log."""
    term = query.strip()
    if _NIK.match(term):
        return mask_nik(term)
    if "@" in term:
        return mask_email(term)
    phone = validate_phone(term)
    if isinstance(phone, Valid):
        return mask_phone(phone.value)
    return term[:2] + "*" * max(len(term) - 2, 0) if len(term) > 2 else "*" * len(term)


def find_applicants(*, session: Session, query: str) -> list[Applicant]:
    """Returns the applicants whose NIK, email or phone is the query."""
    term = query.strip()
    if _NIK.match(term):
        return _by_nik(session, term)
    if "@" in term:
        email = validate_email(term)
        address = email.value if isinstance(email, Valid) else term
        return list(session.exec(select(Applicant).where(
            func.lower(col(Applicant.email)) == address.lower()).limit(MAX_RESULTS)).all())
    phone = validate_phone(term)
    if isinstance(phone, Valid):
        return list(session.exec(select(Applicant).where(
            col(Applicant.phone) == phone.value).limit(MAX_RESULTS)).all())
    return []


def _by_nik(session: Session, nik: str) -> list[Applicant]:
    try:  # the NIK may be encrypted at rest, then only its blind index is searchable
        from storage.repositories import find_applicant_by_nik
    except ImportError:  # pragma: no cover - plain NIK column
        return list(session.exec(select(Applicant).where(col(Applicant.nik) == nik)).all())
    found = find_applicant_by_nik(session=session, nik=nik)
    return [found] if found is not None else []


def view_of(*, session: Session, applicant: Applicant) -> ApplicantView:
    """Returns the masked progress of one applicant, with wave, result and open tickets."""
    wave, result, reasons = _wave_result(session, applicant.chat_id)
    return ApplicantView(
        chat_id=applicant.chat_id, name=applicant.full_name or "-",
        nik_masked=mask_nik(applicant.nik) if applicant.nik else "-",
        phone_masked=mask_phone(applicant.phone) if applicant.phone else "-",
        email_masked=mask_email(applicant.email) if applicant.email else "-",
        email_verified=applicant.email_verified_at is not None,
        ktp_status=applicant.ktp_status or ("diterima" if applicant.ktp_file_id else "-"),
        phone_verified=applicant.phone_verified_via is not None,
        registration_done=applicant.registration_completed_at is not None,
        wave=wave, result=result, reasons=reasons,
        open_tickets=tuple(t.id for t in open_tickets_of_chat(session=session,
                                                              chat_id=applicant.chat_id)),
    )


def _wave_result(session: Session, chat_id: int) -> tuple[int | None, str, tuple[str, ...]]:
    if _applicant_result is None:
        return None, "none", ()
    view = _applicant_result(session=session, chat_id=chat_id)
    return view.wave, view.state, tuple(view.reasons)


def acceptable_term(query: str) -> bool:
    """Tells whether a search term may be searched: at most MAX_TERM characters, no controls."""
    term = query.strip()
    return len(term) <= MAX_TERM and not _CONTROL.search(term)


def lookup(
    *, session: Session, query: str, actor_id: int, actor_role: str,
) -> list[ApplicantView]:
    """Finds applicants for staff and writes the lookup to the audit log (masked query).

    A term that is too long or holds control characters is not searched, but still audited.
    """
    accepted = acceptable_term(query)
    found = find_applicants(session=session, query=query) if accepted else []
    masked = mask_query(query) if accepted else REFUSED_TERM
    session.add(AuditLog(actor_id=actor_id, actor_role=actor_role, action="lookup",
                         query_masked=masked, result_count=len(found)))
    return [view_of(session=session, applicant=a) for a in found]


def export_audit(
    *, session: Session, out: Path, since: datetime | None = None, actor_id: int = 0,
) -> int:
    """Writes the audit log to a CSV file (the export itself is audited); returns rows written."""
    query = select(AuditLog).order_by(col(AuditLog.id))
    if since is not None:
        query = query.where(col(AuditLog.created_at) >= since)
    rows = session.exec(query).all()
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(AUDIT_COLUMNS)
        for row in rows:
            writer.writerow([row.id, row.created_at.isoformat(), row.actor_id, row.actor_role,
                             row.action, row.query_masked, row.result_count])
    session.add(AuditLog(actor_id=actor_id, actor_role="pmo", action="audit_export",
                         query_masked=out.name[:120], result_count=len(rows)))
    return len(rows)
