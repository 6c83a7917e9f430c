"""New-ticket alerts for staff on duty: the applicant's step and the bot's last message, masked.

The alert is an outbox chat notice (kind telegram_message), written in the transaction that opens
the ticket, so a crash or a Telegram outage delays it but never loses it. The bot's last message
is remembered per chat (masked, shortened) in the conversation state at the end of each turn.
"""

from __future__ import annotations

import html
import re

from sqlmodel import Session

from actions.outbox.kinds import TELEGRAM_MESSAGE
from actions.staff import on_duty_chats
from flows.bot_references import step_title
from flows.staff_texts import staff_label, staff_plain_text
from storage.models import Applicant, ConversationState, Outbox
from storage.repositories import get_applicant
from storage.settings import Settings

LAST_REPLY_KEY = "last_bot_text"
TEST_BUTTON_PREFIX = "test:"
BOT_TURN_KEY = "ticket_bot_step"  # {"ticket": id, "steps": [...], "test": bool}: the bot's turn
LAST_REPLY_LINES = 3
LAST_REPLY_CHARS = 240
STAFF_CHANNEL = "telegram"  # staff work in Telegram; the console training mode has no alerts
_TAG = re.compile(r"<[^>]+>")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGIT_RUN = re.compile(r"\+?\d[\d\s.*-]{4,}\d")  # NIK, phone, codes, also half-masked ones


def mask_personal(text: str, *, name: str | None = None) -> str:
    """Returns plain text without tags, emails, digit runs (NIK, phone, codes) or the name."""
    plain = html.unescape(_TAG.sub("", text))
    plain = _EMAIL.sub("[email]", plain)
    plain = _DIGIT_RUN.sub(lambda m: "[angka]" if sum(c.isdigit() for c in m[0]) >= 6 else m[0],
                           plain)
    if name and len(name.strip()) > 1:
        plain = re.sub(re.escape(name.strip()), "[nama]", plain, flags=re.IGNORECASE)
    return plain


def shorten(text: str) -> str:
    """Returns the first few non-empty lines, cut to a length an alert can carry."""
    lines = [line.strip() for line in text.splitlines() if line.strip()][:LAST_REPLY_LINES]
    joined = " / ".join(lines)
    return joined if len(joined) <= LAST_REPLY_CHARS else joined[: LAST_REPLY_CHARS - 1] + "…"


def remember_last_reply(state: ConversationState, applicant: Applicant, texts: list[str]) -> None:
    """Keeps the masked last message of this turn for a later ticket alert."""
    spoken = [t for t in texts if t.strip()]
    if not spoken:
        return
    masked = shorten(mask_personal(spoken[-1], name=applicant.full_name))
    state.data = {**state.data, LAST_REPLY_KEY: masked}  # a new dict: JSON columns track rebinding


def step_label(state: ConversationState | None, applicant: Applicant | None) -> str:
    """Returns where the applicant is, in words: the step's title or what is done."""
    if applicant is not None and applicant.registration_completed_at is not None:
        return staff_plain_text("step_done")
    title = step_title(state.step) if state is not None and state.step else None
    return title or staff_plain_text("step_none")


def alert_text(*, session: Session, ticket_id: int, chat_id: int, reason: str) -> str:
    """Returns the plain-text alert for a new ticket (nothing personal in it)."""
    state = session.get(ConversationState, chat_id)
    applicant = get_applicant(session=session, chat_id=chat_id)
    last = (state.data.get(LAST_REPLY_KEY) if state is not None else None) or staff_plain_text(
        "alert_no_message")
    return staff_plain_text("ticket_alert", ticket=ticket_id, reason=reason_label(reason),
                            step=step_label(state, applicant), last=last)


def reason_label(reason: str) -> str:
    """Returns why a ticket was opened, in Indonesian (unknown codes as a generic label)."""
    try:
        return staff_label("reason_labels", reason)
    except KeyError:
        return staff_label("reason_labels", "other")


def queue_alerts(
    *, session: Session, settings: Settings, ticket_id: int, chat_id: int, reason: str,
) -> int:
    """Queues the alert to every staff chat on duty; returns how many were queued."""
    targets = [c for c in on_duty_chats(session=session, settings=settings) if c != chat_id]
    if not targets:
        return 0
    body = alert_text(session=session, ticket_id=ticket_id, chat_id=chat_id, reason=reason)
    for target in targets:
        session.add(Outbox(kind=TELEGRAM_MESSAGE, chat_id=target, destination=STAFF_CHANNEL,
                           payload={"text": body}))
    return len(targets)


def bot_has_turn(
    session: Session, *, chat_id: int, ticket_id: int, button: str | None = None,
) -> bool:
    """Tells whether a troubleshooting action handed this ticket's applicant back to the bot:
    for the registration step they are on now, or for the test's answer buttons."""
    state = session.get(ConversationState, chat_id)
    marked = (state.data.get(BOT_TURN_KEY) or {}) if state is not None else {}
    if state is None or marked.get("ticket") != ticket_id:
        return False
    if button is not None and button.startswith(TEST_BUTTON_PREFIX):
        return bool(marked.get("test"))
    on_step = state.flow == "registration" and bool(state.step)
    return on_step and state.step in (marked.get("steps") or ())
