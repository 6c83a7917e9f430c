"""The working context of one turn: session, state, applicant and what to send back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from actions.senders import EmailSender, SmsSender
from flows.messages import Reply
from storage.models import Applicant, ConversationState


@dataclass(slots=True)
class TurnContext:
    """Mutable per-turn context handed to every step handler."""

    session: Session
    chat_id: int
    channel: str
    now: datetime
    state: ConversationState
    applicant: Applicant
    email_sender: EmailSender
    sms_sender: SmsSender
    replies: list[Reply] = field(default_factory=list)
    delete_message_ids: list[int] = field(default_factory=list)
    erased: bool = False

    def say(self, reply: Reply | str) -> None:
        """Queues a reply."""
        self.replies.append(reply if isinstance(reply, Reply) else Reply(reply))

    @property
    def editing(self) -> bool:
        """Tells whether the user came from the summary to change one field."""
        return bool(self.state.data.get("editing"))
