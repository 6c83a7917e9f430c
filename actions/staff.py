"""Who is call-center staff or PMO: Telegram user ids from settings plus the staff table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from sqlmodel import Session, col, select

from storage.models import utcnow
from storage.models_staff import STAFF_ROLES, StaffDuty, StaffMember
from storage.settings import Settings

Role = Literal["staff", "pmo"]


class StaffError(ValueError):
    """Raised for an unknown role or a malformed user id."""


@dataclass(frozen=True, slots=True)
class StaffEntry:
    """One person with a role, and where the role comes from ("config" or "db")."""

    telegram_user_id: int
    role: Role
    name: str
    source: str


def parse_ids(raw: str) -> frozenset[int]:
    """Returns the Telegram user ids in a comma list such as "111, 222"."""
    return frozenset(int(part) for part in raw.replace(" ", "").split(",") if part.isdigit())


def configured_roles(settings: Settings) -> dict[int, Role]:
    """Returns the roles given by STAFF_TELEGRAM_IDS and PMO_TELEGRAM_IDS (PMO wins)."""
    roles: dict[int, Role] = dict.fromkeys(parse_ids(settings.staff_telegram_ids), "staff")
    roles.update(dict.fromkeys(parse_ids(settings.pmo_telegram_ids), "pmo"))
    return roles


def role_of(*, session: Session, user_id: int, settings: Settings) -> Role | None:
    """Returns the user's role, or None for everyone else (applicants)."""
    configured = configured_roles(settings).get(user_id)
    if configured is not None:
        return configured
    member = session.exec(
        select(StaffMember).where(StaffMember.telegram_user_id == user_id,
                                  col(StaffMember.active).is_(True))
    ).first()
    return cast(Role, member.role) if member is not None else None


def _member(session: Session, user_id: int) -> StaffMember | None:
    return session.exec(select(StaffMember).where(StaffMember.telegram_user_id == user_id)).first()


def add_staff(*, session: Session, user_id: int, role: str, name: str = "") -> StaffMember:
    """Adds (or reactivates and updates) a staff member."""
    if role not in STAFF_ROLES:
        raise StaffError(f"role must be one of {', '.join(STAFF_ROLES)}")
    member = _member(session, user_id) or StaffMember(telegram_user_id=user_id)
    member.role, member.active, member.updated_at = role, True, utcnow()
    member.name = name or member.name
    session.add(member)
    session.flush()
    return member


def remove_staff(*, session: Session, user_id: int) -> bool:
    """Deactivates a staff member (kept for the audit trail); tells whether one was active."""
    member = session.exec(select(StaffMember).where(StaffMember.telegram_user_id == user_id,
                                                    col(StaffMember.active).is_(True))).first()
    if member is None:
        return False
    member.active, member.updated_at = False, utcnow()
    session.add(member)
    return True


def list_staff(*, session: Session, settings: Settings) -> list[StaffEntry]:
    """Returns everyone with a role: configured ids first, then active database members."""
    configured = configured_roles(settings)
    entries = [StaffEntry(uid, role, "", "config") for uid, role in sorted(configured.items())]
    members = session.exec(select(StaffMember).where(col(StaffMember.active).is_(True))
                           .order_by(col(StaffMember.telegram_user_id))).all()
    entries += [StaffEntry(m.telegram_user_id, cast(Role, m.role), m.name, "db")
                for m in members if m.telegram_user_id not in configured]
    return entries


def staff_name(*, session: Session, user_id: int) -> str:
    """Returns the name a staff member registered with, or "" when none is known."""
    member = _member(session, user_id)
    return member.name if member is not None else ""


def active_staff_count(*, session: Session, settings: Settings) -> int:
    """Returns how many people take tickets: those on duty, else everyone with a role (≥ 1)."""
    on_duty = len(on_duty_chats(session=session, settings=settings))
    return max(1, on_duty or len(list_staff(session=session, settings=settings)))


def set_duty(*, session: Session, user_id: int, chat_id: int, on_duty: bool) -> StaffDuty:
    """Puts a staff member on or off duty (/tugas on|off); alerts go to `chat_id`."""
    duty = session.get(StaffDuty, user_id) or StaffDuty(telegram_user_id=user_id, chat_id=chat_id)
    duty.chat_id, duty.on_duty, duty.changed_at = chat_id, on_duty, utcnow()
    session.add(duty)
    session.flush()
    return duty


def is_on_duty(*, session: Session, user_id: int) -> bool:
    """Tells whether the staff member said /tugas on (and not /tugas off since)."""
    duty = session.get(StaffDuty, user_id)
    return duty is not None and duty.on_duty


def on_duty_chats(*, session: Session, settings: Settings) -> list[int]:
    """Returns the chats of staff on duty who still have a role (a removed one gets nothing)."""
    rows = session.exec(select(StaffDuty).where(col(StaffDuty.on_duty).is_(True))
                        .order_by(col(StaffDuty.telegram_user_id))).all()
    return [row.chat_id for row in rows
            if role_of(session=session, user_id=row.telegram_user_id, settings=settings)]
