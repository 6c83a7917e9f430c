"""Applicant-side steps of waves: the basic test, the pre-screen, joining and results.

Wiring (commands and buttons): /tes → start_test, /gabung → start_join, /hasil → show_result;
any button whose value starts with "test:" or "wave:" → handle_button (returns True if handled);
/status may append status_text(ctx).
"""

from __future__ import annotations

from actions.eligibility import prescreen_questions
from actions.results import applicant_result, draw_proof
from actions.wave_messages import join_message, status_lines, wave_text
from actions.waves import join_obstacle, join_wave
from flows.basic_test_steps import TEST_PREFIX, answer_test, start_test, tell_expired_result
from flows.context import TurnContext
from flows.messages import Button, Reply
from flows.texts import fill

__all__ = ["handle_button", "show_result", "start_join", "start_test", "status_text"]

WAVE_PREFIX = "wave:"
PRESCREEN_KEY = "wave_prescreen"


def start_join(ctx: TurnContext) -> None:
    """Starts the pre-screen before joining the open wave, or says at once why one cannot join."""
    tell_expired_result(ctx)  # a test that ran out decides, first, whether one may join
    outcome = join_obstacle(session=ctx.session, applicant=ctx.applicant, now=ctx.now)
    if outcome.code != "joined":
        ctx.say(join_message(outcome.code, outcome.wave, ctx.applicant))
        return
    ctx.state.data = {**ctx.state.data, PRESCREEN_KEY: 0}
    ctx.say(wave_text("prescreen_intro"))
    _ask_prescreen(ctx, 0)


def _ask_prescreen(ctx: TurnContext, index: int) -> None:
    items = prescreen_questions()
    if index >= len(items):
        confirm_join(ctx)
        return
    item = items[index]
    buttons = (Button(wave_text("prescreen_yes"), f"{WAVE_PREFIX}pre:{item.id}:yes"),
               Button(wave_text("prescreen_no"), f"{WAVE_PREFIX}pre:{item.id}:no"))
    ctx.say(Reply(fill(item.question), buttons=(buttons,)))


def prescreen_answer(ctx: TurnContext, value: str) -> None:
    """Handles "wave:pre:<id>:yes|no": warns with the rule's source on yes, else asks on."""
    _, question_id, choice = value.removeprefix(WAVE_PREFIX).split(":", 2)
    items = prescreen_questions()
    index = next((i for i, q in enumerate(items) if q.id == question_id), None)
    if index is None or ctx.state.data.get(PRESCREEN_KEY) != index:
        ctx.say(wave_text("prescreen_stale"))  # an earlier question's button, or a finished one
        return
    ctx.state.data = {**ctx.state.data, PRESCREEN_KEY: index + 1}
    if choice == "yes" and items[index].refuses:
        _end_prescreen(ctx)
        ctx.say(wave_text("prescreen_refused", warning=items[index].warning,
                          source=items[index].source))
        return
    if choice == "yes":
        item = items[index]
        buttons = (Button(wave_text("prescreen_join_anyway"), f"{WAVE_PREFIX}next"),
                   Button(wave_text("prescreen_stop"), f"{WAVE_PREFIX}stop"))
        ctx.say(Reply(wave_text("prescreen_warned", warning=item.warning, source=item.source),
                      buttons=(buttons,)))
        return
    _ask_prescreen(ctx, index + 1)


def _continue_prescreen(ctx: TurnContext) -> None:
    # A pre-screen ended (refused, stopped or joined) cannot be resumed by an old button.
    if PRESCREEN_KEY not in ctx.state.data:
        ctx.say(wave_text("prescreen_stale"))
        return
    _ask_prescreen(ctx, int(ctx.state.data[PRESCREEN_KEY]))


def confirm_join(ctx: TurnContext) -> None:
    """Joins the open wave now and says the outcome."""
    _end_prescreen(ctx)
    outcome = join_wave(session=ctx.session, applicant=ctx.applicant, now=ctx.now)
    ctx.say(join_message(outcome.code, outcome.wave, ctx.applicant))


def _end_prescreen(ctx: TurnContext) -> None:
    ctx.state.data = {k: v for k, v in ctx.state.data.items() if k != PRESCREEN_KEY}


def show_result(ctx: TurnContext) -> None:
    """Shows the latest result with reasons and next steps (/hasil)."""
    ctx.say(applicant_result(session=ctx.session, chat_id=ctx.chat_id).text)
    if proof := draw_proof(session=ctx.session, chat_id=ctx.chat_id):  # id + digests (#14)
        ctx.say(proof)


def status_text(ctx: TurnContext) -> str:
    """Returns the test and wave lines to append to /status (once the account is complete)."""
    if ctx.applicant.registration_completed_at is None:
        return ""  # the registration checklist above already says what comes next
    tell_expired_result(ctx)
    # The first line repeats the account state that the checklist shows in detail.
    return "\n".join(status_lines(ctx.session, ctx.applicant, ctx.chat_id, ctx.now)[1:])


def handle_button(ctx: TurnContext, value: str) -> bool:
    """Handles "test:…" and "wave:…" buttons; returns False for anything else."""
    if value.startswith(TEST_PREFIX):
        answer_test(ctx, value)
    elif value.startswith(f"{WAVE_PREFIX}pre:"):
        prescreen_answer(ctx, value)
    elif value == f"{WAVE_PREFIX}next":
        _continue_prescreen(ctx)
    elif value == f"{WAVE_PREFIX}stop":
        _end_prescreen(ctx)
        ctx.say(wave_text("join_stopped"))
    elif value == f"{WAVE_PREFIX}join":
        start_join(ctx)
    elif value == f"{WAVE_PREFIX}result":
        show_result(ctx)
    else:
        return False
    return True
