"""Named actions a troubleshooting node runs for the applicant: the bot's own registration
steps (resend a code, ask a step again, show status or result, start the test).

An action runs in the applicant's chat with the same step functions the conversation uses, in
the desk's transaction. A step it asks for is marked as the bot's turn, so while a person holds
the ticket the applicant's answer (an email, a code) reaches the bot, not the staff chat.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache

from sqlmodel import Session

from actions.outbox.account_change import CHANGE_FIELDS
from actions.senders import OutboxEmailSender, OutboxSmsSender
from actions.ticket_alerts import BOT_TURN_KEY, remember_last_reply
from flows import wave_steps
from flows.context import TurnContext
from flows.definition import Flow, load_flow
from flows.messages import Reply
from flows.registration_steps import go_to, open_account_change, send_email_code, send_sms_code
from flows.summary import checklist_text
from flows.texts import text
from storage.repositories import get_or_create_applicant, get_state, save_state

REGISTRATION = "registration"
ActionFn = Callable[[TurnContext, Flow], None]


@cache
def _flow() -> Flow:
    return load_flow(REGISTRATION)


def _ask(step_id: str) -> ActionFn:
    def ask(ctx: TurnContext, flow: Flow) -> None:
        if ctx.applicant.registration_completed_at is not None:
            if step_id in CHANGE_FIELDS:  # a confirmed account changes through the platform
                open_account_change(ctx, flow, step_id)
            else:
                ctx.say(text("already_registered"))
            return
        # Once the summary was reached, a changed step returns there (as "Ubah …" does);
        # before, the flow simply goes on from the step asked again.
        if ctx.state.step == "summary" or "summary" in ctx.state.history:
            ctx.state.data = {**ctx.state.data, "editing": True}
        ctx.state.flow = REGISTRATION
        go_to(ctx, flow, step_id)

    return ask


def _resend(purpose: str) -> ActionFn:
    step_id, address = ("email_code", "email") if purpose == "email" else ("phone_code", "phone")

    def resend(ctx: TurnContext, flow: Flow) -> None:
        verified = (ctx.applicant.email_verified_at if purpose == "email"
                    else ctx.applicant.phone_verified_via)
        if verified:
            ctx.say(text("code_ok_email" if purpose == "email" else "code_ok_phone"))
            return
        if not getattr(ctx.applicant, address):
            _ask(address)(ctx, flow)
            return
        sent = send_email_code(ctx) if purpose == "email" else send_sms_code(ctx)
        if sent:
            ctx.say(text("code_resent"))
        ctx.state.flow = REGISTRATION
        go_to(ctx, flow, step_id)

    return resend


def _status(ctx: TurnContext, flow: Flow) -> None:
    ctx.say(checklist_text(flow, ctx.applicant))


def _resume(ctx: TurnContext, flow: Flow) -> None:
    if ctx.applicant.registration_completed_at is not None:
        ctx.say(text("already_registered"))
        return
    ctx.state.flow = REGISTRATION
    go_to(ctx, flow, ctx.state.step or flow.start, remember=False)


ACTIONS: dict[str, ActionFn] = {
    "resend_email_code": _resend("email"),
    "resend_sms_code": _resend("phone"),
    "ask_email": _ask("email"),
    "ask_phone": _ask("phone"),
    "ask_nik": _ask("nik"),
    "ask_birth_date": _ask("birth_date"),
    "ask_password": _ask("password"),
    "ask_ktp_photo": _ask("ktp_photo"),
    "resume_registration": _resume,
    "show_status": _status,
    "show_result": lambda ctx, _flow: wave_steps.show_result(ctx),
    "start_test": lambda ctx, _flow: wave_steps.start_test(ctx),
}


def same_numbered_steps(flow: Flow, step_id: str) -> list[str]:
    """Returns the step and those after it with the same number ("Langkah 2": email and its
    code), which the applicant answers in one go."""
    steps, current = [step_id], flow.step(step_id)
    while True:
        following = [s for s in (current.next, current.setting("typed_next")) if s]
        same = [s for s in following if flow.step(s).number == current.number and s not in steps]
        if not same:
            return steps
        steps += same
        current = flow.step(same[0])


def _give_bot_the_turn(ctx: TurnContext, flow: Flow, ticket_id: int, *, test: bool) -> None:
    """Marks the step just asked (or the test's buttons) as the bot's, for this ticket."""
    step = ctx.state.step if ctx.state.flow == REGISTRATION else None
    if step or test:
        steps = same_numbered_steps(flow, step) if step else []
        ctx.state.data = {**ctx.state.data,
                          BOT_TURN_KEY: {"ticket": ticket_id, "steps": steps, "test": test}}


def run_action(
    *, session: Session, chat_id: int, name: str, now: datetime, ticket_id: int | None,
) -> list[Reply]:
    """Runs one named action in the applicant's chat and returns what the bot says there."""
    ctx = TurnContext(
        session=session, chat_id=chat_id, channel="telegram", now=now,
        state=get_state(session=session, chat_id=chat_id),
        applicant=get_or_create_applicant(session=session, chat_id=chat_id, channel="telegram"),
        email_sender=OutboxEmailSender(), sms_sender=OutboxSmsSender(),
    )
    ACTIONS[name](ctx, _flow())
    if ticket_id is not None:
        _give_bot_the_turn(ctx, _flow(), ticket_id, test=name == "start_test")
    remember_last_reply(ctx.state, ctx.applicant, [reply.text for reply in ctx.replies])
    session.add(ctx.applicant)
    save_state(session=session, state=ctx.state)
    return ctx.replies
