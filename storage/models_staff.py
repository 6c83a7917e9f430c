"""Tables of the call-center side: staff members, ticket events, audit log, troubleshooting walks.

The ticket itself stays the `handoffticket` row of storage.models; migration 0005 adds the
columns the staff side needs, reached here through `HANDOFF` (a Core table clause, so the
applicant-side model stays untouched and unaware of them).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, SmallInteger, String, column, table
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

from storage.models import utcnow

STAFF_ROLES = ("staff", "pmo")
TICKET_STATUSES = ("open", "taken", "closed")

HANDOFF = table(
    "handoffticket",
    column("id", Integer),
    column("chat_id", BigInteger),
    column("reason", String),
    column("status", String),
    column("created_at", UTCDateTime()),
    column("closed_at", UTCDateTime()),
    column("assigned_staff_id", BigInteger),
    column("staff_chat_id", BigInteger),
    column("taken_at", UTCDateTime()),
    column("rating", SmallInteger),
    column("rated_at", UTCDateTime()),
    column("topic_id", BigInteger),
)


class StaffMember(SQLModel, table=True):
    """A call-center agent or PMO officer known by Telegram user id; removal only deactivates."""

    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_type=BigInteger, unique=True, index=True)
    role: str = Field(default="staff", max_length=8)
    name: str = Field(default="", max_length=80)
    active: bool = Field(default=True, sa_type=Boolean)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class TicketEvent(SQLModel, table=True):
    """One thing that happened to a ticket; relayed messages are logged by id, never by content."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(index=True)
    # chat_id, not a foreign key: erasing the applicant must not be blocked by history.
    chat_id: int = Field(sa_type=BigInteger, index=True)
    kind: str = Field(max_length=16)
    staff_id: int | None = Field(default=None, sa_type=BigInteger)
    detail: str = Field(default="", max_length=80)
    created_at: datetime = Field(default_factory=utcnow)


class AuditLog(SQLModel, table=True):
    """Who looked up whom and when; the query is stored masked."""

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(sa_type=BigInteger, index=True)
    actor_role: str = Field(max_length=8)
    action: str = Field(max_length=24)
    query_masked: str = Field(default="", max_length=120)
    result_count: int = 0
    created_at: datetime = Field(default_factory=utcnow, index=True)


class TroubleshootingWalk(SQLModel, table=True):
    """Where a chat stands in a canned troubleshooting flow (staff's own chat or an applicant's)."""

    chat_id: int = Field(sa_type=BigInteger, primary_key=True)
    flow_id: str = Field(max_length=40)
    node_id: str = Field(max_length=40)
    ticket_id: int | None = None
    pushed_by: int | None = Field(default=None, sa_type=BigInteger)
    updated_at: datetime = Field(default_factory=utcnow)


class StaffDuty(SQLModel, table=True):
    """Whether a staff member is on duty (/tugas on|off) and the chat their alerts go to.

    Kept apart from StaffMember: staff named in STAFF_TELEGRAM_IDS have no member row.
    """

    telegram_user_id: int = Field(sa_type=BigInteger, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger)
    on_duty: bool = Field(default=False, sa_type=Boolean, index=True)
    changed_at: datetime = Field(default_factory=utcnow)
