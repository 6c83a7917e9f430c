"""The update being processed from the inbox, visible to the handlers through a context variable.

The inbox processor sets it around `Application.process_update`; the conversation handler then
runs its turn inside the inbox's journal and leaves the Bot API calls to the processor, which makes
them after the commit (or answers the webhook with the last one).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from flows.messages import Turn
from storage.inbox import InboxJournal


@dataclass(slots=True)
class Delivery:
    """One inbox update in flight: its journal, and what the handlers made of it."""

    journal: InboxJournal
    turn: Turn | None = None
    error: BaseException | None = None


CURRENT_DELIVERY: ContextVar[Delivery | None] = ContextVar("current_delivery", default=None)
