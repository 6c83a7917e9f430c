"""Login links and sessions of the PMO dashboard: HMAC-signed, the link single-use.

A link carries a random nonce, the Telegram user id and its expiry, signed with the dashboard
secret; redeeming it inserts the nonce into `dashboardloginuse`, whose primary key lets only
the first use through. The session cookie is signed the same way under another purpose. The
role is checked against PMO_TELEGRAM_IDS on every request, so removing an id locks it out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from storage.crypto import local_key
from storage.db import session_scope
from storage.models_events import DashboardLoginUse
from storage.settings import Settings

LINK_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(hours=8)
COOKIE_NAME = "pmo_session"
LINK_PATH = "/masuk"
_LINK_LAYOUT = struct.Struct(">16sqq")  # nonce, user id, expiry (unix seconds)
_SESSION_LAYOUT = struct.Struct(">qq")  # user id, expiry


class Refusal(Enum):
    """Why a link or a session was not accepted."""

    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    USED = "used"
    NOT_PMO = "not_pmo"


@dataclass(frozen=True, slots=True)
class Signer:
    """Signs and checks dashboard tokens with one secret."""

    secret: bytes

    def sign(self, purpose: str, payload: bytes) -> str:
        """Returns payload and its signature as one URL-safe token."""
        mac = hmac.new(self.secret, purpose.encode() + b"\0" + payload, hashlib.sha256).digest()
        return f"{_b64(payload)}.{_b64(mac)}"

    def open(self, purpose: str, token: str) -> bytes | Refusal:
        """Returns the payload of a token signed for `purpose`, or why it is refused."""
        try:
            payload_part, mac_part = token.split(".", 1)
            payload, mac = _unb64(payload_part), _unb64(mac_part)
        except ValueError:
            return Refusal.MALFORMED
        expected = hmac.new(self.secret, purpose.encode() + b"\0" + payload,
                            hashlib.sha256).digest()
        return payload if hmac.compare_digest(mac, expected) else Refusal.BAD_SIGNATURE


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def dashboard_secret(settings: Settings) -> bytes:
    """Returns the configured secret, or a local key file's (shared by CLI and server)."""
    if settings.dashboard_secret:
        return settings.dashboard_secret.encode()
    return local_key(Path(settings.dashboard_key_file)).encode()


def issue_link_token(signer: Signer, user_id: int, *, now: datetime | None = None) -> str:
    """Returns a login token for `user_id`, valid for LINK_LIFETIME and for one use."""
    expires = (now or datetime.now(UTC)) + LINK_LIFETIME
    payload = _LINK_LAYOUT.pack(secrets.token_bytes(16), user_id, int(expires.timestamp()))
    return signer.sign("link", payload)


def redeem_link_token(signer: Signer, engine: Engine, token: str, *, pmo_ids: frozenset[int],
                      now: datetime | None = None) -> int | Refusal:
    """Returns the user id of a valid, unused link of a PMO user and marks it used."""
    payload = signer.open("link", token)
    if isinstance(payload, Refusal):
        return payload
    if len(payload) != _LINK_LAYOUT.size:
        return Refusal.MALFORMED
    nonce, user_id, expires = _LINK_LAYOUT.unpack(payload)
    now = now or datetime.now(UTC)
    if now.timestamp() >= expires:
        return Refusal.EXPIRED
    if user_id not in pmo_ids:
        return Refusal.NOT_PMO
    try:
        with session_scope(engine) as session:
            session.add(DashboardLoginUse(nonce=nonce.hex(), used_at=now))
    except IntegrityError:
        return Refusal.USED
    return int(user_id)


def issue_session(signer: Signer, user_id: int, *, now: datetime | None = None) -> str:
    """Returns a session cookie value for `user_id`, valid for SESSION_LIFETIME."""
    expires = (now or datetime.now(UTC)) + SESSION_LIFETIME
    return signer.sign("session", _SESSION_LAYOUT.pack(user_id, int(expires.timestamp())))


def session_user(signer: Signer, value: str | None, *, pmo_ids: frozenset[int],
                 now: datetime | None = None) -> int | Refusal:
    """Returns the PMO user id of a valid session cookie, or why it is refused."""
    if not value:
        return Refusal.MALFORMED
    payload = signer.open("session", value)
    if isinstance(payload, Refusal):
        return payload
    if len(payload) != _SESSION_LAYOUT.size:
        return Refusal.MALFORMED
    user_id, expires = _SESSION_LAYOUT.unpack(payload)
    if (now or datetime.now(UTC)).timestamp() >= expires:
        return Refusal.EXPIRED
    return int(user_id) if user_id in pmo_ids else Refusal.NOT_PMO


def base_url(settings: Settings) -> str:
    """Returns where the dashboard is reached (DASHBOARD_PUBLIC_URL, else host and port)."""
    if settings.dashboard_public_url:
        return settings.dashboard_public_url.rstrip("/")
    return f"http://{settings.dashboard_host}:{settings.dashboard_port}"


def login_url(settings: Settings, signer: Signer, user_id: int) -> str:
    """Returns a fresh single-use login link for `user_id`."""
    return f"{base_url(settings)}{LINK_PATH}?t={issue_link_token(signer, user_id)}"
