"""Changes to a confirmed account (phone, email, address, …) queued for the platform."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from actions.outbox.claim import Claimed
from actions.outbox.kinds import ACCOUNT_CHANGE, DEAD, REGISTRATION
from actions.outbox.registration import PLATFORM_DESTINATION, notify
from actions.outbox.texts import text
from storage.crypto import seal_fields
from storage.models import Applicant, Outbox
from storage.repositories import open_handoff

CHANGE_HANDOFF_REASON = "change_delivery_failed"
# The fields each editable part of the account sends when it changes.
CHANGE_FIELDS: dict[str, tuple[str, ...]] = {
    "email": ("email", "email_verified_at"),
    "phone": ("phone", "phone_verified_via"),
    "address": ("address",),
    "domicile_same": ("domicile_same", "domicile_address"),
    "education": ("education",),
    "employment_status": ("employment_status",),
    "password": ("password_hash",),
}
SEALED = ("email", "phone", "address", "domicile_address", "password_hash")
FIELD_LABELS = {"email": "email", "phone": "nomor HP", "address": "alamat",
                "domicile_same": "domisili", "education": "pendidikan",
                "employment_status": "pekerjaan", "password": "kata sandi"}


def change_payload(applicant: Applicant, part: str) -> dict[str, Any]:
    """Returns the new values of one editable part, personal ones sealed."""
    values: dict[str, Any] = {}
    for name in CHANGE_FIELDS[part]:
        value = getattr(applicant, name)
        values[name] = value.isoformat() if isinstance(value, date | datetime) else value
    return seal_fields(values, tuple(n for n in SEALED if values.get(n) is not None))


def enqueue_account_change(session: Session, *, applicant: Applicant, part: str) -> None:
    """Adds the change row to the caller's transaction, bound to the original submission."""
    submission = session.exec(
        select(Outbox.idempotency_key).where(Outbox.chat_id == applicant.chat_id,
                                             Outbox.kind == REGISTRATION, Outbox.status != DEAD)
        .order_by(col(Outbox.id).desc())
    ).first()
    session.add(Outbox(
        kind=ACCOUNT_CHANGE, chat_id=applicant.chat_id, destination=PLATFORM_DESTINATION,
        payload={"submission_key": submission, "part": part, "channel": applicant.channel,
                 "changes": change_payload(applicant, part)},
    ))


class AccountChangeFollowUp:
    """Tells the applicant when the platform recorded the change, or hands over to staff."""

    def on_delivered(self, session: Session, row: Claimed, ack: dict[str, Any]) -> None:
        """Queues "✅ perubahan data Anda sudah tercatat"."""
        label = FIELD_LABELS.get(str(row.payload.get("part")), "data akun")
        notify(session, chat_id=row.chat_id, channel=str(row.payload.get("channel") or "telegram"),
               text_=text("account_change_delivered", fields=label))

    def on_dead(self, session: Session, row: Claimed, error: str) -> None:
        """Queues the apology and opens a ticket for staff."""
        notify(session, chat_id=row.chat_id, channel=str(row.payload.get("channel") or "telegram"),
               text_=text("account_change_dead"))
        if row.chat_id is not None:
            open_handoff(session=session, chat_id=row.chat_id, reason=CHANGE_HANDOFF_REASON)
