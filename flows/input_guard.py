"""One guard for everything a user sends, before any of it can reach the database.

Control characters (U+0000 above all: PostgreSQL refuses it, SQLite stores it) are removed, and
every text is capped: the whole message by MAX_MESSAGE_LENGTH, a typed answer by the length of
the column it is stored in, names and file ids by theirs. So the same input gets the same clear
answer on SQLite and PostgreSQL, and never a database error.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata

from flows.context import TurnContext
from flows.messages import Incoming
from flows.texts import text
from storage.models import Applicant
from storage.models_broadcast import Subscriber

# C0 and C1 controls except tab and newline, plus the Unicode "noncharacter" U+FFFE/U+FFFF.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
_STEP_BUTTON = re.compile(r"s:[a-z_]+:.+", re.DOTALL)
FIRST_NAME_MAX = Subscriber.__table__.c.first_name.type.length  # type: ignore[attr-defined]
FILE_ID_MAX = Applicant.__table__.c.ktp_file_id.type.length  # type: ignore[attr-defined]


def clean(value: str) -> str:
    """Returns the value without control characters and lone surrogates, newlines kept."""
    value = _CONTROL.sub("", value)
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cs")


def field_limit(step_id: str | None) -> int | None:
    """Returns the stored length limit of the applicant field a step fills, if it has one."""
    if not step_id or step_id not in Applicant.__table__.c:  # type: ignore[attr-defined]
        return None
    length = getattr(Applicant.__table__.c[step_id].type, "length", None)  # type: ignore[attr-defined]
    return length if isinstance(length, int) else None


def guard_incoming(ctx: TurnContext, incoming: Incoming, *, max_length: int) -> Incoming | None:
    """Returns the incoming event made safe to store, or None after telling the user why not."""
    cleaned = dataclasses.replace(
        incoming, text=clean(incoming.text),
        first_name=clean(incoming.first_name)[:FIRST_NAME_MAX],
        phone=clean(incoming.phone)[:32] if incoming.phone is not None else None,
        file_id=incoming.file_id if _fits(incoming.file_id, FILE_ID_MAX) else None,
        mime_type=clean(incoming.mime_type)[:64] if incoming.mime_type is not None else None,
    )
    if cleaned.kind == "button" and not _well_formed_button(cleaned.text):
        ctx.say(text("stale_button"))  # forged or garbled callback data: nothing we sent
        return None
    if len(cleaned.text) > max_length:
        ctx.say(text("message_too_long", limit=max_length))
        return None
    limit = field_limit(ctx.state.step) if ctx.state.flow == "registration" else None
    if cleaned.kind == "text" and limit is not None and len(cleaned.text.strip()) > limit:
        ctx.say(text("answer_too_long", limit=limit))
        return None
    return cleaned


def _well_formed_button(value: str) -> bool:
    """Tells whether step-button data has the "s:<step>:<value>" shape our buttons carry."""
    return not value.startswith("s:") or bool(_STEP_BUTTON.fullmatch(value))


def _fits(value: str | None, limit: int) -> bool:
    return value is None or (len(value) <= limit and clean(value) == value)
