"""The record a channel keeps of an update inside the turn's own transaction."""

from __future__ import annotations

from typing import Protocol

from sqlmodel import Session

from flows.messages import Turn


class UpdateJournal(Protocol):
    """Claims an update at the start of its turn and records the outcome before the commit."""

    def open(self, session: Session) -> bool:
        """Returns False when the update must not run now (handled before, or must queue)."""
        ...

    def close(self, session: Session, turn: Turn) -> None:
        """Records the turn's outcome; raising rolls the whole turn back."""
        ...
