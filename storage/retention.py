"""The retention policy: how long personal data that is no longer needed stays, then goes.

RETENTION_*_DAYS settings: KTP images never acknowledged by the platform, outbox payloads of
finished deliveries (the platform's reference is kept for /status) and processed webhook
updates, staff audit rows, and conversations (state idle that long, closed tickets).
`prakerja retention run` applies it; run it daily (cron or a systemd timer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from storage.db import session_scope
from storage.models import ConversationState, HandoffTicket, Outbox, VerificationCode, utcnow
from storage.models_inbox import InboxUpdate
from storage.models_outbox import DeliveryAttempt, KtpBlob
from storage.models_staff import AuditLog, TicketEvent
from storage.settings import Settings

FINISHED = ("delivered", "dead")
# Marks a payload already reduced, so a later run does not rewrite it again.
REDUCED = "retention_reduced"


@dataclass(frozen=True, kw_only=True)
class RetentionPolicy:
    """Days each kind of data is kept."""

    ktp_days: int
    payload_days: int
    audit_days: int
    conversation_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        """Returns the policy configured by the RETENTION_*_DAYS settings."""
        return cls(ktp_days=settings.retention_ktp_days,
                   payload_days=settings.retention_payload_days,
                   audit_days=settings.retention_audit_days,
                   conversation_days=settings.retention_conversation_days)


def apply_retention(engine: Engine, policy: RetentionPolicy, *,
                    now: datetime | None = None) -> dict[str, int]:
    """Removes what the policy no longer allows us to keep; returns rows touched per kind."""
    now = now or utcnow()
    with session_scope(engine) as session:
        return {
            "ktp_images": _delete_older(session, KtpBlob, KtpBlob.created_at,
                                        now - timedelta(days=policy.ktp_days)),
            "outbox_payloads": _reduce_payloads(session, now - timedelta(days=policy.payload_days)),
            "inbox_updates": _delete_inbox(session, now - timedelta(days=policy.payload_days)),
            "verification_codes": _delete_older(session, VerificationCode,
                                                VerificationCode.expires_at,
                                                now - timedelta(days=policy.payload_days)),
            "audit_rows": _delete_older(session, AuditLog, AuditLog.created_at,
                                        now - timedelta(days=policy.audit_days)),
            "conversations": _delete_older(session, ConversationState,
                                           ConversationState.updated_at,
                                           now - timedelta(days=policy.conversation_days)),
            "closed_tickets": _delete_closed_tickets(
                session, now - timedelta(days=policy.conversation_days)),
        }


def _delete_older(session: Session, model: type, moment: object, before: datetime) -> int:
    result = session.execute(delete(model).where(col(moment) < before))
    return int(result.rowcount)  # type: ignore[attr-defined]


def _reduce_payloads(session: Session, before: datetime) -> int:
    """Keeps only the acknowledgement of finished rows older than `before`; drops attempts."""
    rows = session.execute(
        select(col(Outbox.id), col(Outbox.payload))
        .where(col(Outbox.status).in_(FINISHED), col(Outbox.created_at) < before)
    ).all()
    reduced = 0
    for outbox_id, payload in rows:
        if (payload or {}).get(REDUCED):
            continue
        kept = {"ack": payload["ack"]} if isinstance(payload.get("ack"), dict) else {}
        session.execute(update(Outbox).where(col(Outbox.id) == outbox_id)
                        .values(payload={**kept, REDUCED: True}, destination="-"))
        session.execute(delete(DeliveryAttempt).where(col(DeliveryAttempt.outbox_id) == outbox_id))
        reduced += 1
    return reduced


def _delete_inbox(session: Session, before: datetime) -> int:
    result = session.execute(delete(InboxUpdate).where(
        col(InboxUpdate.status) == "done", col(InboxUpdate.received_at) < before))
    return int(result.rowcount)  # type: ignore[attr-defined]


def _delete_closed_tickets(session: Session, before: datetime) -> int:
    closed = select(col(HandoffTicket.id)).where(col(HandoffTicket.status) == "closed",
                                            col(HandoffTicket.closed_at) < before)
    session.execute(delete(TicketEvent).where(col(TicketEvent.ticket_id).in_(closed)))
    result = session.execute(delete(HandoffTicket).where(col(HandoffTicket.id).in_(closed)))
    return int(result.rowcount)  # type: ignore[attr-defined]
