"""One-time codes for email and phone: 6 digits, 10 minutes, single use, 5 attempts."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.crypto import personal_data_cipher
from storage.models import VerificationCode
from storage.settings import Settings, get_settings

CODE_TTL = timedelta(minutes=10)
RESEND_COOLDOWN = timedelta(seconds=60)
MAX_ATTEMPTS = 5
KEYED_PREFIX = "k1$"
HOURLY_CODE_LIMIT = 5  # codes cost money (SMS) and can be abused to spam someone's inbox


class CodeCheck(StrEnum):
    """Outcomes of checking a typed code; the flow branches on these."""

    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    NO_CODE = "no_code"


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A fresh code to send, or the seconds to wait before another may be sent.

    `limit` names the hourly limit that was hit: "chat" (this chat), "address" (this email
    address or phone number, from any chat) or "global" (all codes of this purpose).
    """

    code: str | None
    wait_seconds: int = 0
    hourly_limit_hit: bool = False
    limit: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class CodeLimits:
    """Codes allowed per hour: per address (from any chat), and for every address together."""

    per_address: int
    per_purpose: int

    @classmethod
    def from_settings(cls, settings: Settings, purpose: str) -> CodeLimits:
        """Returns the limits of "email" or "phone" codes configured in settings."""
        email = purpose == "email"
        overall = settings.codes_per_hour_email if email else settings.codes_per_hour_sms
        return cls(per_address=settings.codes_per_address_per_hour, per_purpose=overall)


def _digest(code: str, salt: str) -> str:
    # Keyed: six digits are a million guesses, so a plain hash in a leaked table is the code.
    keyed = personal_data_cipher().blind_index(f"code:{salt}:{code}")
    return f"{KEYED_PREFIX}{salt}${keyed}"


def _matches(code: str, stored: str) -> bool:
    if stored.startswith(KEYED_PREFIX):
        salt = stored.removeprefix(KEYED_PREFIX).split("$", 1)[0]
        return hmac.compare_digest(_digest(code, salt), stored)
    salt = stored.split("$", 1)[0]  # a code issued before keyed digests (10 minutes at most)
    legacy = salt + "$" + hashlib.sha256((salt + code).encode()).hexdigest()
    return hmac.compare_digest(legacy, stored)


def _as_aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone columns.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def latest_code(session: Session, *, chat_id: int, purpose: str) -> VerificationCode | None:
    """Returns the newest unused code of this chat for this purpose."""
    query = (
        select(VerificationCode)
        .where(VerificationCode.chat_id == chat_id, VerificationCode.purpose == purpose)
        .where(col(VerificationCode.used_at).is_(None))
        .order_by(col(VerificationCode.id).desc())
    )
    return session.exec(query).first()


def issue_code(
    session: Session, *, chat_id: int, purpose: str, target: str, now: datetime,
    limits: CodeLimits | None = None,
) -> IssuedCode:
    """Creates a new code unless a cooldown or an hourly limit (chat, address, all) forbids it.

    The address is kept only as its blind index: the limit works across chats without storing
    who was sent a code.
    """
    limits = limits or CodeLimits.from_settings(get_settings(), purpose)
    target_index = personal_data_cipher().address_index(target)
    hour_ago = now - timedelta(hours=1)
    recent = select(VerificationCode.created_at).where(
        VerificationCode.purpose == purpose, col(VerificationCode.created_at) > hour_ago)
    checks = (
        ("chat", HOURLY_CODE_LIMIT, recent.where(VerificationCode.chat_id == chat_id)),
        ("address", limits.per_address, recent.where(VerificationCode.target == target_index)),
        ("global", limits.per_purpose, recent),
    )
    for name, limit, query in checks:
        if (refused := _over_limit(session, query, limit, name, now)) is not None:
            return refused
    previous = latest_code(session, chat_id=chat_id, purpose=purpose)
    # Per chat and purpose, whatever the address: going back and typing another one must not
    # skip the wait (that would let one chat mail-bomb a list of addresses).
    if previous is not None:
        waited = now - _as_aware(previous.created_at)
        if waited < RESEND_COOLDOWN:
            return IssuedCode(None, int((RESEND_COOLDOWN - waited).total_seconds()) + 1)
    if previous is not None:
        previous.used_at = now  # a new code replaces the old one
        session.add(previous)
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(
        VerificationCode(
            chat_id=chat_id,
            purpose=purpose,
            target=target_index,
            code_hash=_digest(code, secrets.token_hex(8)),
            created_at=now,
            expires_at=now + CODE_TTL,
        )
    )
    return IssuedCode(code)


def _over_limit(session: Session, query: SelectOfScalar[datetime], limit: int, name: str,
                now: datetime) -> IssuedCode | None:
    """Returns the refusal when `limit` codes of the query were issued in the last hour."""
    if limit <= 0:
        return IssuedCode(None, 3600, hourly_limit_hit=True, limit=name)
    oldest = session.exec(
        query.order_by(col(VerificationCode.created_at).desc()).offset(limit - 1).limit(1)
    ).first()
    if oldest is None:
        return None
    free_at = _as_aware(oldest) + timedelta(hours=1)
    return IssuedCode(None, max(1, int((free_at - now).total_seconds()) + 1),
                      hourly_limit_hit=True, limit=name)


def check_code(
    session: Session, *, chat_id: int, purpose: str, typed: str, now: datetime
) -> CodeCheck:
    """Checks a typed code, counting attempts and spending the code on success."""
    stored = latest_code(session, chat_id=chat_id, purpose=purpose)
    if stored is None:
        return CodeCheck.NO_CODE
    if stored.attempts >= MAX_ATTEMPTS:
        return CodeCheck.TOO_MANY_ATTEMPTS
    if now >= _as_aware(stored.expires_at):
        return CodeCheck.EXPIRED
    stored.attempts += 1
    session.add(stored)
    if _matches(typed, stored.code_hash):
        stored.used_at = now
        return CodeCheck.OK
    return CodeCheck.TOO_MANY_ATTEMPTS if stored.attempts >= MAX_ATTEMPTS else CodeCheck.WRONG
