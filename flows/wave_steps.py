"""Applicant-side steps of waves: the basic test, the pre-screen, joining and results.

Wiring (commands and buttons): /tes → start_test, /gabung → start_join, /hasil → show_result;
any button whose value starts with "test:" or "wave:" → handle_button (returns True if handled);
/status may append status_text(ctx).
"""

from __future__ import annotations

from actions.basic_test import (
    answer,
    load_test_data,
    needed_score,
    next_question,
    open_attempt,
    passed_attempt,
    questions,
    start_or_resume,
)
from actions.eligibility import prescreen_questions
from actions.results import applicant_result
from actions.wave_messages import join_message, status_lines, wave_text
from actions.waves import join_obstacle, join_wave
from flows.context import TurnContext
from flows.messages import Button, Reply
from flows.texts import fill
from storage.models_waves import BasicTestAttempt

TEST_PREFIX = "test:"
WAVE_PREFIX = "wave:"
PRESCREEN_KEY = "wave_prescreen"


def _test_text(key: str, **values: object) -> str:
    return fill(str(load_test_data()[key]).strip(), **values)


def start_test(ctx: TurnContext) -> None:
    """Starts or resumes the basic test and asks the next question."""
    passed = passed_attempt(session=ctx.session, chat_id=ctx.chat_id)
    if passed is not None:
        ctx.say(_test_text("already_passed", score=passed.score, max=passed.max_score))
        return
    resuming = open_attempt(session=ctx.session, chat_id=ctx.chat_id)
    attempt = start_or_resume(session=ctx.session, chat_id=ctx.chat_id, now=ctx.now)
    if resuming is not None and resuming.id == attempt.id:
        minutes = max(1, int((attempt.deadline_at - ctx.now).total_seconds() // 60))
        ctx.say(_test_text("resumed", minutes=minutes))
    else:
        ctx.say(_test_text("intro", count=len(questions())))
    _ask(ctx, attempt)


def _ask(ctx: TurnContext, attempt: BasicTestAttempt) -> None:
    question = next_question(attempt)
    if question is None:
        return
    number = [q.id for q in questions()].index(question.id) + 1
    rows = tuple((Button(label=label, value=f"{TEST_PREFIX}{question.id}:{value}"),)
                 for value, label in question.options)
    body = _test_text("question", number=number, count=len(questions()), text=question.text)
    ctx.say(Reply(body, buttons=rows))


def answer_test(ctx: TurnContext, value: str) -> None:
    """Records a pressed answer ("test:<question>:<option>") and asks on or reports the score."""
    question_id, _, option = value.removeprefix(TEST_PREFIX).partition(":")
    attempt = open_attempt(session=ctx.session, chat_id=ctx.chat_id)
    if attempt is None:
        ctx.say(fill("Tes belum dimulai. Ketik /tes untuk memulai."))
        return
    code = answer(session=ctx.session, attempt=attempt, question_id=question_id, option=option,
                  now=ctx.now)
    if code == "expired":
        ctx.say(_test_text("expired"))
    if code in ("expired", "finished"):
        _report_score(ctx, attempt)
    else:
        _ask(ctx, attempt)


def _report_score(ctx: TurnContext, attempt: BasicTestAttempt) -> None:
    key = "finished_pass" if attempt.passed else "finished_fail"
    ctx.say(_test_text(key, score=attempt.score, max=attempt.max_score, needed=needed_score()))
    if ctx.applicant.email:
        verdict = "lulus" if attempt.passed else "belum lulus"
        ctx.email_sender.send_email(
            ctx.session, chat_id=ctx.chat_id, to=ctx.applicant.email,
            subject=str(load_test_data()["email_subject"]),
            body=_test_text("email_body", name=ctx.applicant.full_name or "",
                            score=attempt.score, max=attempt.max_score, verdict=verdict))


def start_join(ctx: TurnContext) -> None:
    """Starts the pre-screen before joining the open wave, or says at once why one cannot join."""
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


def status_text(ctx: TurnContext) -> str:
    """Returns the test and wave lines to append to /status (once the account is complete)."""
    if ctx.applicant.registration_completed_at is None:
        return ""  # the registration checklist above already says what comes next
    # The first line repeats the account state that the checklist shows in detail.
    return "\n".join(status_lines(ctx.session, ctx.applicant, ctx.chat_id)[1:])


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
