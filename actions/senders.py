"""Email and SMS senders: the default writes an outbox row in the caller's transaction."""

from __future__ import annotations

from typing import Protocol

from sqlmodel import Session

from actions.lookup import mask_email
from flows.validators.masking import mask_phone
from storage.models import Outbox


class EmailSender(Protocol):
    """Sends an email as part of the caller's transaction."""

    def send_email(
        self, session: Session, *, chat_id: int, to: str, subject: str, body: str
    ) -> None: ...


class SmsSender(Protocol):
    """Sends an SMS as part of the caller's transaction."""

    def send_sms(self, session: Session, *, chat_id: int, to: str, body: str) -> None: ...


class OutboxEmailSender:
    """Queues email in the outbox table; a worker (or the console) delivers it."""

    def send_email(
        self, session: Session, *, chat_id: int, to: str, subject: str, body: str
    ) -> None:
        """Adds an email row to the outbox; the address travels only inside the sealed payload."""
        session.add(
            Outbox(
                kind="email", chat_id=chat_id, destination=mask_email(to),
                payload={"to": to, "subject": subject, "body": body},
            )
        )


class OutboxSmsSender:
    """Queues SMS in the outbox table; a worker (or the console) delivers it."""

    def send_sms(self, session: Session, *, chat_id: int, to: str, body: str) -> None:
        """Adds an SMS row to the outbox; the number travels only inside the sealed payload."""
        session.add(Outbox(kind="sms", chat_id=chat_id, destination=mask_phone(to),
                           payload={"to": to, "body": body}))
