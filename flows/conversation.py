"""The channel-independent conversation: one call per incoming event, state in the database."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from actions.outbox import delivery_status
from actions.senders import EmailSender, OutboxEmailSender, OutboxSmsSender, SmsSender
from actions.ticket_alerts import remember_last_reply
from actions.tickets import handoff_text
from actions.waves import delete_wave_data
from flows import basic_test_steps, wave_steps
from flows.account_change import (
    EDIT_MENU,
    EDIT_PREFIX,
    abandon_change,
    edit_button,
    show_edit_menu,
)
from flows.context import TurnContext
from flows.definition import Flow, Step, load_flow
from flows.early_photo import keep_early_photo
from flows.input_guard import guard_incoming
from flows.messages import Button, Incoming, Reply, Turn
from flows.registration_steps import BACK, HANDLERS, go_back, open_account_change, prompt
from flows.subscription_steps import (
    manage_subscription,
    on_start,
    stop_announcements,
    subscription_button_actions,
)
from flows.summary import checklist_text
from flows.texts import buttons, text
from flows.update_journal import UpdateJournal
from storage.db import session_scope
from storage.models import utcnow
from storage.repositories import (
    delete_personal_data,
    get_applicant,
    get_or_create_applicant,
    get_state,
    reset_registration,
    save_state,
)

logger = logging.getLogger(__name__)

REGISTRATION = "registration"
BACK_WORDS = {"kembali", "back", "⬅️ kembali"}
FreeTextHandler = Callable[[TurnContext, Incoming], bool]


def display_name(name: str) -> str:
    """Returns a name typed in one case ("siti aminah", "SITI") as a greeting writes it."""
    cleaned = " ".join(name.split())
    if cleaned.islower() or cleaned.isupper():
        return cleaned.title()
    return cleaned


class Conversation:
    """Runs the registration flow and the menu commands for any channel."""

    def __init__(
        self,
        engine: Engine,
        *,
        channel: str = "telegram",
        email_sender: EmailSender | None = None,
        sms_sender: SmsSender | None = None,
        clock: Callable[[], datetime] = utcnow,
        free_text: FreeTextHandler | None = None,
        max_message_length: int = 1000,
    ) -> None:
        self.engine = engine
        self.channel = channel
        self.email_sender = email_sender or OutboxEmailSender()
        self.sms_sender = sms_sender or OutboxSmsSender()
        self.clock = clock
        self.free_text = free_text
        self.max_message_length = max_message_length
        self.flow: Flow = load_flow(REGISTRATION)

    def wants_ktp_photo(self, chat_id: int) -> bool:
        """Tells whether a photo from this chat is worth fetching and checking now."""
        with Session(self.engine) as session:
            state = get_state(session=session, chat_id=chat_id)
            if state.flow == REGISTRATION and state.step:
                return self.flow.step(state.step).kind == "photo"
            found = get_applicant(session=session, chat_id=chat_id)
            # A photo sent before registering (a common first move) is kept for step 6.
            return found is None or (found.registration_completed_at is None
                                     and found.ktp_status != "accepted")

    def current_step(self, chat_id: int) -> Step | None:
        """Returns the step this chat is answering now, if a flow is running."""
        with Session(self.engine) as session:
            state = get_state(session=session, chat_id=chat_id)
            if state.flow != REGISTRATION or not state.step:
                return None
            return self.flow.step(state.step)

    def handle(
        self, chat_id: int, incoming: Incoming, *, journal: UpdateJournal | None = None
    ) -> Turn:
        """Processes one event in one transaction, which the journal (if any) claims and records."""
        with session_scope(self.engine) as session:
            if journal is not None and not journal.open(session):
                return Turn(duplicate=True)
            ctx = self._context(session, chat_id)
            self._dispatch(ctx, incoming)
            if not ctx.erased:  # after /hapusdata nothing about the person is written back
                remember_last_reply(ctx.state, ctx.applicant, [r.text for r in ctx.replies])
                ctx.applicant.updated_at = ctx.now
                session.add(ctx.applicant)
                save_state(session=session, state=ctx.state)
            turn = Turn(replies=ctx.replies, delete_message_ids=ctx.delete_message_ids)
            if journal is not None:
                journal.close(session, turn)
        return turn

    def _context(self, session: Session, chat_id: int) -> TurnContext:
        return TurnContext(
            session=session, chat_id=chat_id, channel=self.channel, now=self.clock(),
            state=get_state(session=session, chat_id=chat_id),
            applicant=get_or_create_applicant(session=session, chat_id=chat_id,
                                              channel=self.channel),
            email_sender=self.email_sender, sms_sender=self.sms_sender,
        )

    def _dispatch(self, ctx: TurnContext, incoming: Incoming) -> None:
        guarded = guard_incoming(ctx, incoming, max_length=self.max_message_length)
        if guarded is None:
            return
        incoming = guarded
        if incoming.kind == "command":
            self._command(ctx, incoming)
        elif incoming.kind == "button":
            self._button(ctx, incoming)
        elif ctx.state.flow == REGISTRATION and ctx.state.step:
            self._in_step(ctx, incoming)
        elif incoming.kind == "text":
            self._free_text(ctx, incoming)
        elif incoming.kind in ("photo", "document"):
            keep_early_photo(ctx, incoming, menu=self._menu())
        else:
            ctx.say(Reply(text("unsupported_message"), buttons=self._menu()))

    # --- commands ------------------------------------------------------------------------
    def _command(self, ctx: TurnContext, incoming: Incoming) -> None:
        handlers: dict[str, Callable[[TurnContext, Incoming], None]] = {
            "start": self._start, "daftar": self._register, "batal": self._cancel,
            "ulang": self._ask_restart, "status": self._status, "hapusdata": self._ask_delete,
            "bantuan": self._help, "help": self._help,
            "berhenti": stop_announcements, "langganan": manage_subscription,
            "tes": lambda c, _i: wave_steps.start_test(c),
            "gabung": lambda c, _i: wave_steps.start_join(c),
            "hasil": lambda c, _i: wave_steps.show_result(c),
        }
        handler = handlers.get(incoming.command)
        if handler is None:
            ctx.say(text("hint_not_understood"))
            return
        handler(ctx, incoming)

    def _menu(self) -> tuple[tuple[Button, ...], ...]:
        items = buttons("menu")
        return (items[:2], items[2:])

    def _start(self, ctx: TurnContext, incoming: Incoming) -> None:
        given = display_name(incoming.first_name or ctx.applicant.full_name or "")
        name = f" {given}" if given else ""
        resumable = ctx.state.step and ctx.applicant.registration_completed_at is None
        if resumable:
            step_label = self._step_label(ctx.state.step or "")
            ctx.say(Reply(text("welcome_back", name=f",{name}" if name else "", step=step_label),
                          buttons=self._menu()))
        else:
            ctx.say(Reply(text("welcome", name=name), buttons=self._menu()))
        on_start(ctx, first_name=incoming.first_name)
        ctx.state.flow = None  # paused until the user picks "Daftar akun" again

    def _step_label(self, step_id: str) -> str:
        first_line = self.flow.step(step_id).prompt.splitlines()[0]
        return first_line.replace("<b>", "").replace("</b>", "").strip()

    def _register(self, ctx: TurnContext, _incoming: Incoming) -> None:
        if ctx.applicant.registration_completed_at is not None:
            ctx.say(text("already_registered"))
            show_edit_menu(ctx)
            return
        ctx.state.flow = REGISTRATION
        step_id = ctx.state.step or self.flow.start
        ctx.state.step = step_id
        prompt(ctx, self.flow, self.flow.step(step_id))

    def _cancel(self, ctx: TurnContext, _incoming: Incoming) -> None:
        if abandon_change(ctx):
            ctx.say(Reply(text("account_change_cancelled"), remove_keyboard=True))
            return
        if ctx.state.flow is None:
            ctx.say(Reply(text("nothing_to_cancel"), remove_keyboard=True))
            return
        ctx.state.flow = None
        ctx.say(Reply(text("cancelled"), remove_keyboard=True))

    def _ask_restart(self, ctx: TurnContext, _incoming: Incoming) -> None:
        if ctx.applicant.registration_completed_at is not None:
            ctx.say(Reply(text("restart_completed"), buttons=((edit_button(),),)))
            return
        ctx.say(Reply(text("restart_confirm"), buttons=(buttons("restart_buttons"),)))

    def _status(self, ctx: TurnContext, _incoming: Incoming) -> None:
        checklist = checklist_text(self.flow, get_applicant(session=ctx.session,
                                                             chat_id=ctx.chat_id))
        parts = [checklist, delivery_status(ctx.session, ctx.chat_id),
                 wave_steps.status_text(ctx)]
        done = ctx.applicant.registration_completed_at is not None
        ctx.say(Reply("\n\n".join(part for part in parts if part),
                      buttons=((edit_button(),),) if done else ()))

    def _ask_delete(self, ctx: TurnContext, _incoming: Incoming) -> None:
        ctx.say(Reply(text("delete_confirm"), buttons=(buttons("delete_buttons"),)))

    def _help(self, ctx: TurnContext, _incoming: Incoming) -> None:
        ctx.say(Reply(text("help"), buttons=self._menu()))

    # --- buttons -------------------------------------------------------------------------
    def _button(self, ctx: TurnContext, incoming: Incoming) -> None:
        value = incoming.text
        if value.startswith("s:"):
            self._step_button(ctx, incoming)
            return
        if value.startswith(EDIT_PREFIX):
            open_account_change(ctx, self.flow, value.removeprefix(EDIT_PREFIX))
            return
        actions: dict[str, Callable[[TurnContext, Incoming], None]] = {
            "menu:register": self._register, "menu:status": self._status,
            "menu:faq": lambda c, _i: c.say(text("faq_intro")), "menu:help": self._help,
            "restart:yes": self._restart, "restart:no": lambda c, _i: c.say(text("restart_kept")),
            "delete:yes": self._delete, "delete:no": lambda c, _i: c.say(text("delete_kept")),
            "handoff:open": self._handoff,
            EDIT_MENU: lambda c, _i: show_edit_menu(c),
            "menu:test": lambda c, _i: wave_steps.start_test(c),
            **subscription_button_actions(),
        }
        action = actions.get(value)
        if action is not None:
            action(ctx, incoming)
        elif wave_steps.handle_button(ctx, value):
            return
        elif not (self.free_text and self.free_text(ctx, incoming)):
            ctx.say(text("stale_button"))

    def _step_button(self, ctx: TurnContext, incoming: Incoming) -> None:
        _, step_id, value = incoming.text.split(":", 2)
        if ctx.state.flow != REGISTRATION or step_id != ctx.state.step:
            ctx.say(text("stale_button"))
            if ctx.state.step:
                ctx.state.flow = REGISTRATION
                prompt(ctx, self.flow, self.flow.step(ctx.state.step))
            return
        if value in (BACK, "back"):
            go_back(ctx, self.flow)
            return
        step = self.flow.step(step_id)
        said_before = len(ctx.replies)
        HANDLERS[step.kind](ctx, self.flow, step, Incoming(kind="button", text=value))
        if len(ctx.replies) == said_before:  # a value no button of this step carries
            ctx.say(text("stale_button"))

    def _handoff(self, ctx: TurnContext, _incoming: Incoming) -> None:
        ctx.say(handoff_text(session=ctx.session, chat_id=ctx.chat_id, reason="user_request"))

    def _restart(self, ctx: TurnContext, _incoming: Incoming) -> None:
        ctx.session.expunge_all()
        reset_registration(session=ctx.session, chat_id=ctx.chat_id)
        ctx.applicant = get_or_create_applicant(session=ctx.session, chat_id=ctx.chat_id,
                                                channel=self.channel)
        ctx.state = get_state(session=ctx.session, chat_id=ctx.chat_id)
        ctx.state.flow, ctx.state.step, ctx.state.history = REGISTRATION, self.flow.start, []
        ctx.say(text("restart_done"))
        prompt(ctx, self.flow, self.flow.step(self.flow.start))

    def _delete(self, ctx: TurnContext, _incoming: Incoming) -> None:
        ctx.session.expunge_all()
        delete_personal_data(session=ctx.session, chat_id=ctx.chat_id)
        delete_wave_data(session=ctx.session, chat_id=ctx.chat_id)
        ctx.erased = True
        ctx.say(Reply(text("delete_done"), remove_keyboard=True))

    # --- answers inside a step, and free text ---------------------------------------------
    def _in_step(self, ctx: TurnContext, incoming: Incoming) -> None:
        step = self.flow.step(ctx.state.step or self.flow.start)
        if incoming.kind == "other":
            ctx.say(text("unsupported_in_step"))
            prompt(ctx, self.flow, step)
            return
        if incoming.kind == "text" and incoming.text.strip().casefold() in BACK_WORDS:
            go_back(ctx, self.flow)
            return
        answered_question = (
            incoming.kind == "text" and not step.secret
            and self.free_text is not None and self.free_text(ctx, incoming)
        )
        if answered_question:
            prompt(ctx, self.flow, step)
            return
        HANDLERS[step.kind](ctx, self.flow, step, incoming)

    def _free_text(self, ctx: TurnContext, incoming: Incoming) -> None:
        if basic_test_steps.answer_typed(ctx, incoming.text):
            return
        if self.free_text is not None and self.free_text(ctx, incoming):
            basic_test_steps.ask_again(ctx)  # during /tes the question comes back after an FAQ
            return
        ctx.say(Reply(text("hint_not_understood"), buttons=self._menu()))
