"""Names used across the outbox: message kinds and row statuses, declared once."""

from __future__ import annotations

REGISTRATION = "registration"
EMAIL = "email"
SMS = "sms"
NIK_CHECK = "nik_check"
TELEGRAM_MESSAGE = "telegram_message"
ACCOUNT_CHANGE = "account_change"

PENDING = "pending"
SENDING = "sending"
DELIVERED = "delivered"
DEAD = "dead"

CLAIMABLE = (PENDING, SENDING)
KTP_ATTACHMENT = "ktp"
