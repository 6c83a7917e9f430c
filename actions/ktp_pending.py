"""The accepted KTP image between the photo step and the confirmed registration, encrypted."""

from __future__ import annotations

from functools import cache

from sqlmodel import Session

from actions.ktp_vault import KtpVault
from storage.settings import get_settings


@cache
def _vault() -> KtpVault:
    return KtpVault.from_settings(get_settings())


def _key(chat_id: int) -> str:
    return f"pending-{chat_id}"


def keep_accepted_ktp(session: Session, *, chat_id: int, image: bytes) -> None:
    """Stores the newest accepted image of the chat, replacing an earlier one."""
    _vault().discard(session, _key(chat_id))
    session.flush()
    _vault().store(session, key=_key(chat_id), chat_id=chat_id, image=image)


def take_accepted_ktp(session: Session, *, chat_id: int) -> bytes | None:
    """Returns the chat's accepted image and removes the pending copy (the outbox keeps its own)."""
    loaded = _vault().load(session, _key(chat_id))
    _vault().discard(session, _key(chat_id))
    return loaded[0] if loaded else None
