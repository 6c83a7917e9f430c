"""Registration submission through the outbox: enqueue, tell the applicant, and /status."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from actions.ktp_vault import KtpVault
from actions.outbox.claim import Claimed
from actions.outbox.kinds import DEAD, DELIVERED, KTP_ATTACHMENT, REGISTRATION, TELEGRAM_MESSAGE
from actions.outbox.texts import text
from storage.crypto import seal_fields
from storage.models import Applicant, Outbox
from storage.settings import get_settings

logger = logging.getLogger(__name__)

PLATFORM_DESTINATION = "platform"
HANDOFF_REASON = "delivery_failed"
REGISTRATION_FIELDS = (
    "full_name", "email", "nik", "birth_date", "gender", "address", "domicile_same",
    "domicile_address", "education", "employment_status", "phone", "phone_verified_via",
    "email_verified_at", "registration_completed_at", "channel",
)
SEALED_FIELDS = ("nik",)


def registration_payload(applicant: Applicant) -> dict[str, Any]:
    """Returns the registration fields as JSON-ready values (dates in ISO 8601), with the NIK
    sealed: the outbox row may wait for days and must not hold it in the clear."""
    values: dict[str, Any] = {}
    for name in REGISTRATION_FIELDS:
        value = getattr(applicant, name)
        values[name] = value.isoformat() if isinstance(value, date | datetime) else value
    return seal_fields(values, SEALED_FIELDS)


def enqueue_registration_submission(
    session: Session, *, applicant: Applicant, ktp_image: bytes | None,
    vault: KtpVault | None = None, content_type: str = "image/jpeg",
) -> None:
    """Adds the submission row and the encrypted KTP to the caller's transaction (once per chat)."""
    if _open_submission(session, applicant.chat_id) is not None:
        logger.info("registration for chat %s already queued or delivered", applicant.chat_id)
        return
    row = Outbox(kind=REGISTRATION, chat_id=applicant.chat_id,
                 destination=PLATFORM_DESTINATION,
                 payload={"registration": registration_payload(applicant)})
    if ktp_image is not None:
        row.payload = {**row.payload, "attachment": KTP_ATTACHMENT}
        (vault or KtpVault.from_settings(get_settings())).store(
            session, key=row.idempotency_key, chat_id=applicant.chat_id, image=ktp_image,
            content_type=content_type,
        )
    session.add(row)


def queued_text() -> str:
    """Returns the "KTP diterima dan sedang dikirim" reply for the moment of enqueueing."""
    return text("registration_queued")


def notify(session: Session, *, chat_id: int | None, text_: str, channel: str) -> None:
    """Queues a chat message (kind telegram_message) in the caller's transaction."""
    if chat_id is None:
        return
    session.add(Outbox(kind=TELEGRAM_MESSAGE, chat_id=chat_id, destination=channel,
                       payload={"text": text_}))


class RegistrationFollowUp:
    """Tells the applicant the outcome; on dead-letter also opens a ticket for staff."""

    def on_delivered(self, session: Session, row: Claimed, ack: dict[str, Any]) -> None:
        """Queues "✅ data Anda sudah terkirim" (with the platform's reference when given)."""
        notify(session, chat_id=row.chat_id, text_=_delivered_text(ack), channel=_channel(row))

    def on_dead(self, session: Session, row: Claimed, error: str) -> None:
        """Queues the apology and hands the chat over to staff."""
        notify(session, chat_id=row.chat_id, text_=text("registration_dead"),
               channel=_channel(row))
        if row.chat_id is not None:
            # Imported here: the ticket module queues its staff alerts through this package.
            from actions.tickets import open_ticket

            open_ticket(session=session, chat_id=row.chat_id, reason=HANDOFF_REASON)


def delivery_status(session: Session, chat_id: int) -> str | None:
    """Returns the text describing this chat's registration delivery, or None if none queued."""
    row = session.exec(
        select(Outbox).where(Outbox.chat_id == chat_id, Outbox.kind == REGISTRATION)
        .order_by(col(Outbox.id).desc())
    ).first()
    if row is None:
        return None
    if row.status == DELIVERED:
        return _delivered_text(row.payload.get("ack") or {})
    if row.status == DEAD:
        return text("registration_dead")
    if row.attempts <= 1:
        return text("registration_queued")
    return text("registration_sending", attempts=row.attempts)


def _open_submission(session: Session, chat_id: int) -> Outbox | None:
    return session.exec(
        select(Outbox).where(Outbox.chat_id == chat_id, Outbox.kind == REGISTRATION,
                             Outbox.status != DEAD)
    ).first()


def _delivered_text(ack: dict[str, Any]) -> str:
    reference = ack.get("registration_id")
    if reference:
        return text("registration_delivered_reference", reference=reference)
    return text("registration_delivered")


def _channel(row: Claimed) -> str:
    registration = row.payload.get("registration") or {}
    return str(registration.get("channel") or "telegram")
