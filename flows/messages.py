"""What a channel hands to a conversation, and what it gets back; no channel types here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from actions.ktp import KtpReport
    from nlu import ParseResult

IncomingKind = Literal["text", "command", "button", "contact", "photo", "document", "other"]


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing the user did: typed, pressed, shared a contact or sent a file."""

    kind: IncomingKind
    text: str = ""
    message_id: int | None = None
    first_name: str = ""
    phone: str | None = None
    contact_is_own: bool = False
    file_id: str | None = None
    file_size: int | None = None
    mime_type: str | None = None
    ktp_report: KtpReport | None = None
    nlu: ParseResult | None = None
    throttled: bool = False

    @property
    def command(self) -> str:
        """Returns the command name without slash and bot suffix ("/start@bot x" → "start")."""
        head = self.text.split(maxsplit=1)[0] if self.text else ""
        return head.lstrip("/").split("@", 1)[0].lower()


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: the label shown and the value sent back when pressed."""

    label: str
    value: str = ""
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """A message to send; text is HTML with user values already escaped."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    request_contact: str | None = None
    remove_keyboard: bool = False
    photo: str | None = None


@dataclass(slots=True)
class Turn:
    """Everything a channel must do after one incoming event."""

    replies: list[Reply] = field(default_factory=list)
    delete_message_ids: list[int] = field(default_factory=list)
    duplicate: bool = False
