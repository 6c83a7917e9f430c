"""Changing a confirmed account: pick a part, answer its registration step, queue the change."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from actions.outbox.account_change import CHANGE_FIELDS, enqueue_account_change
from flows.context import TurnContext
from flows.messages import Button, Reply
from flows.texts import buttons, text

CHANGING = "account_change"
BEFORE = "account_change_before"
EDIT_MENU = "account:edit"
EDIT_PREFIX = "account:edit:"


def edit_button() -> Button:
    """Returns the "✏️ Ubah data akun" button shown to confirmed applicants."""
    return Button(text("account_edit_button"), EDIT_MENU)


def show_edit_menu(ctx: TurnContext) -> None:
    """Lists what a confirmed applicant may change, one button each."""
    if ctx.applicant.registration_completed_at is None:
        ctx.say(text("account_edit_not_ready"))
        return
    ctx.say(Reply(text("account_edit_menu"),
                  buttons=tuple((b,) for b in buttons("account_edit_buttons"))))


def begin_change(ctx: TurnContext, part: str) -> bool:
    """Remembers the part's current values and opens its step; False when it cannot change."""
    if ctx.applicant.registration_completed_at is None or part not in CHANGE_FIELDS:
        ctx.say(text("account_edit_not_ready"))
        return False
    before = {name: _jsonable(getattr(ctx.applicant, name)) for name in CHANGE_FIELDS[part]}
    ctx.state.data = {**ctx.state.data, "editing": True, CHANGING: part, BEFORE: before}
    ctx.state.history = []
    return True


def finish_change(ctx: TurnContext) -> bool:
    """Queues the finished change for the platform; False when no change is in progress."""
    part = ctx.state.data.get(CHANGING)
    if part is None:
        return False
    before = ctx.state.data.get(BEFORE) or {}
    after = {name: _jsonable(getattr(ctx.applicant, name)) for name in CHANGE_FIELDS[part]}
    _end(ctx)
    if after == before:
        ctx.say(text("account_change_nothing"))
        return True
    enqueue_account_change(ctx.session, applicant=ctx.applicant, part=part)
    ctx.say(Reply(text("account_change_saved"), buttons=((edit_button(),),)))
    return True


def abandon_change(ctx: TurnContext) -> bool:
    """Puts the old values back when a change is cancelled halfway; False if none was running."""
    if ctx.state.data.get(CHANGING) is None:
        return False
    for name, value in (ctx.state.data.get(BEFORE) or {}).items():
        setattr(ctx.applicant, name, _restored(name, value))
    _end(ctx)
    return True


def _end(ctx: TurnContext) -> None:
    ctx.state.data = {k: v for k, v in ctx.state.data.items()
                      if k not in (CHANGING, BEFORE, "editing")}
    ctx.state.flow, ctx.state.step, ctx.state.history = None, None, []


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _restored(name: str, value: Any) -> Any:
    if name.endswith("_at") and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value
