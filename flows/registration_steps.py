"""Step handlers of the registration flow, one per step kind, plus prompting and moving on."""

from __future__ import annotations

from pathlib import Path

from actions.analytics import note_ktp_refusal, note_refusal
from actions.ktp import KtpReport
from actions.ktp_pending import take_accepted_ktp
from actions.outbox import enqueue_registration_submission, queued_text
from actions.verification import (
    HOURLY_CODE_LIMIT,
    MAX_ATTEMPTS,
    CodeCheck,
    IssuedCode,
    check_code,
    issue_code,
    latest_code,
)
from flows.account_change import begin_change, finish_change
from flows.choice_matching import Choice, match_choice
from flows.context import TurnContext
from flows.definition import Flow, Step
from flows.early_photo import skip_kept_photo
from flows.field_validators import FIELD_VALIDATORS, email_taken
from flows.ktp_acceptance import accept_ktp
from flows.messages import Button, Incoming, Reply
from flows.summary import summary_text
from flows.texts import buttons, fill, text
from flows.validators import Invalid, mask_phone, validate_otp, validate_phone

BACK = "__back"
RESET_PURPOSE = "password_reset"
RESET_STEP = "reset_code"  # the code step of a forgotten password (flows/registration.yml)
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files
KTP_MAX_TRIES = 5
KTP_EXAMPLE = str(Path(__file__).parent / "assets" / "contoh_foto_ktp.jpg")


def step_button(step: Step, value: str, label: str) -> Button:
    """Returns a button whose value names the step, so stale presses can be recognised."""
    return Button(label=label, value=f"s:{step.id}:{value}")


def _rows(buttons: list[Button], columns: int) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i : i + columns]) for i in range(0, len(buttons), columns))


def prompt(ctx: TurnContext, flow: Flow, step: Step) -> None:
    """Sends the step's question with its buttons or keyboard."""
    values = {
        "email": ctx.applicant.email or "",
        "phone_masked": mask_phone(ctx.applicant.phone) if ctx.applicant.phone else "",
        "summary": "\x00",  # replaced below: the summary is HTML already escaped field by field
    }
    body = fill(step.prompt, **values)
    buttons = [step_button(step, o.value, o.label) for o in step.options]
    buttons += [step_button(step, b["value"], b["label"]) for b in step.setting("buttons", [])]
    if step.kind == "summary":
        body = body.replace("\x00", summary_text(step, ctx.applicant))
        confirm = step.setting("confirm")
        buttons = [step_button(step, confirm["value"], confirm["label"])]
        edits = step.setting("edits")
        buttons += [step_button(step, f"edit:{e['step']}", e["label"]) for e in edits]
    rows = _rows(buttons, 1 if step.kind == "summary" else step.columns)
    if step.kind == "summary":
        rows = (rows[0], *_rows([b for row in rows[1:] for b in row], 2))
    has_own_back = any(b["value"] == "back" for b in step.setting("buttons", []))
    if ctx.state.history and step.kind != "summary" and not has_own_back:
        rows = (*rows, (step_button(step, BACK, "⬅️ Kembali"),))
    contact = step.setting("contact_button") if step.kind == "phone" else None
    ctx.say(Reply(body, buttons=rows, request_contact=contact))


def go_to(ctx: TurnContext, flow: Flow, step_id: str, *, remember: bool = True) -> None:
    """Moves to a step (remembering where we came from for "kembali") and prompts it."""
    if remember and ctx.state.step and ctx.state.step != step_id:
        ctx.state.history = [*ctx.state.history, ctx.state.step][-30:]
    ctx.state.step = step_id
    if step_id == "summary":
        ctx.state.data = {k: v for k, v in ctx.state.data.items() if k != "editing"}
    prompt(ctx, flow, flow.step(step_id))


def advance(ctx: TurnContext, flow: Flow, step: Step, explicit_next: str | None = None) -> None:
    """Goes to the next step; while editing from the summary, returns there instead."""
    target = explicit_next or step.next
    if ctx.editing and not explicit_next and not step.edit_continues:
        target = "summary"
    if target is None:
        return
    if target == "summary" and finish_change(ctx):
        return  # a confirmed account's change goes to the platform, not back to the summary
    if flow.step(target).kind == "photo" and not ctx.editing and skip_kept_photo(ctx):
        ctx.state.history = [*ctx.state.history, target][-30:]
        target = flow.step(target).next or target
    go_to(ctx, flow, target)


def open_account_change(ctx: TurnContext, flow: Flow, part: str) -> None:
    """Opens the step that changes one part of a confirmed account ("✏️ Ubah data akun")."""
    if not begin_change(ctx, part):
        return
    ctx.state.flow = flow.id
    if part == "password":  # "lupa password": the account's email proves the person first
        send_reset_code(ctx)
        go_to(ctx, flow, RESET_STEP, remember=False)
        return
    go_to(ctx, flow, part, remember=False)


def go_back(ctx: TurnContext, flow: Flow) -> None:
    """Returns to the previous step without losing anything already given."""
    if not ctx.state.history:
        ctx.say(text("back_at_start"))
        prompt(ctx, flow, flow.step(ctx.state.step or flow.start))
        return
    *rest, previous = ctx.state.history
    ctx.state.history = rest
    ctx.state.step = previous
    prompt(ctx, flow, flow.step(previous))


def handle_text_step(ctx: TurnContext, flow: Flow, step: Step, incoming: Incoming) -> None:
    """Validates a typed answer, stores it and moves on, or says exactly what is wrong."""
    if step.secret and incoming.message_id is not None:
        ctx.delete_message_ids.append(incoming.message_id)
    validator = FIELD_VALIDATORS[step.validate or step.id]
    problem = validator(ctx, incoming.text, step.id)
    if problem is not None:
        note_refusal(ctx.state, step.id, problem.message)
        ctx.say(problem.message)
        return
    if step.after == "send_email_code" and not send_email_code(ctx):
        _code_step_waiting(ctx, flow, step)
        return
    advance(ctx, flow, step)


def _code_step_waiting(ctx: TurnContext, flow: Flow, step: Step) -> None:
    """Opens the code step without claiming a code was sent: the cooldown is not over yet."""
    code_step = flow.step(step.next or "")
    if ctx.state.step != code_step.id:
        ctx.state.history = [*ctx.state.history, step.id][-30:]
    ctx.state.step = code_step.id
    ctx.say(Reply(text("code_not_sent_yet"), buttons=_step_buttons(code_step)))


def send_email_code(ctx: TurnContext) -> bool:
    """Issues an email code and queues the email; False when still cooling down."""
    return _email_a_code(ctx, purpose="email", mail="email")


def send_reset_code(ctx: TurnContext) -> bool:
    """Issues a password-reset code to the account's email; False when still cooling down."""
    return _email_a_code(ctx, purpose=RESET_PURPOSE, mail="reset_email")


def _email_a_code(ctx: TurnContext, *, purpose: str, mail: str) -> bool:
    """Issues a code for `purpose` and queues the `<mail>_subject`/`<mail>_body` email."""
    email = ctx.applicant.email or ""
    issued = issue_code(ctx.session, chat_id=ctx.chat_id, purpose=purpose, target=email,
                        now=ctx.now)
    if issued.code is None:
        ctx.say(_wait_message(issued))
        return False
    ctx.email_sender.send_email(
        ctx.session, chat_id=ctx.chat_id, to=email, subject=text(f"{mail}_subject"),
        body=text(f"{mail}_body", name=ctx.applicant.full_name or "", code=issued.code),
    )
    return True


def send_sms_code(ctx: TurnContext) -> bool:
    """Issues a phone code and queues the SMS; False when still cooling down."""
    phone = ctx.applicant.phone or ""
    issued = issue_code(ctx.session, chat_id=ctx.chat_id, purpose="phone", target=phone,
                        now=ctx.now)
    if issued.code is None:
        ctx.say(_wait_message(issued))
        return False
    ctx.sms_sender.send_sms(ctx.session, chat_id=ctx.chat_id, to=phone,
                            body=text("sms_body", code=issued.code))
    return True


def _wait_message(issued: IssuedCode) -> str:
    if issued.limit in ("address", "global"):
        return text(f"code_{issued.limit}_limit", minutes=max(1, issued.wait_seconds // 60))
    if issued.hourly_limit_hit:
        return text("code_hourly_limit", limit=HOURLY_CODE_LIMIT,
                    minutes=max(1, issued.wait_seconds // 60))
    return text("code_cooldown", seconds=issued.wait_seconds)


def _resend(ctx: TurnContext, step: Step) -> None:
    senders = {"email": send_email_code, RESET_PURPOSE: send_reset_code}
    sent = senders.get(step.purpose or "", send_sms_code)(ctx)
    if sent:
        ctx.say(text("code_resent"))


def handle_code_step(ctx: TurnContext, flow: Flow, step: Step, incoming: Incoming) -> None:
    """Checks a typed code, or resends on request; a good code verifies email or phone."""
    if incoming.kind == "button":
        if incoming.text == "resend":
            _resend(ctx, step)
        return
    typed = validate_otp(incoming.text)
    if isinstance(typed, Invalid):
        _typed_code_button(ctx, flow, step, incoming.text)
        return
    outcome = check_code(ctx.session, chat_id=ctx.chat_id, purpose=step.purpose or "",
                         typed=typed.value, now=ctx.now)
    if outcome is CodeCheck.OK:
        if step.purpose == "email" and email_taken(ctx, ctx.applicant.email or ""):
            ctx.say(text("email_taken"))  # verified elsewhere while this code was on its way
            go_back(ctx, flow)
            return
        _mark_verified(ctx, step.purpose or "")
        advance(ctx, flow, step)
        return
    problem = _code_problem(ctx, step, outcome)
    note_refusal(ctx.state, step.id, problem)
    ctx.say(Reply(problem, buttons=_step_buttons(step)))


def _step_buttons(step: Step) -> tuple[tuple[Button, ...], ...]:
    """Returns the step's own buttons again, so a reply about a mistake can be acted on."""
    return tuple((step_button(step, b["value"], b["label"]),) for b in step.setting("buttons", []))


def _typed_code_button(ctx: TurnContext, flow: Flow, step: Step, typed: str) -> None:
    """Acts on "kirim ulang"/"ganti email" typed instead of pressed, else explains the format."""
    choices = [Choice(str(b["value"]), (b["label"], *b.get("synonyms", ())))
               for b in step.setting("buttons", [])]
    chosen = match_choice(typed, choices)
    if chosen == "resend":
        _resend(ctx, step)
    elif chosen == "back":
        go_back(ctx, flow)
    else:
        key = "sms_code_format" if step.purpose == "phone" else "email_code_format"
        note_refusal(ctx.state, step.id, text(key))
        ctx.say(Reply(text(key), buttons=_step_buttons(step)))


def _mark_verified(ctx: TurnContext, purpose: str) -> None:
    if purpose == RESET_PURPOSE:
        ctx.say(text("code_ok_reset"))
    elif purpose == "email":
        ctx.applicant.email_verified_at = ctx.now
        ctx.say(text("code_ok_email"))
    else:
        ctx.applicant.phone_verified_via = "sms"
        ctx.say(text("code_ok_phone"))


def _code_problem(ctx: TurnContext, step: Step, outcome: CodeCheck) -> str:
    if outcome is CodeCheck.WRONG:
        stored = latest_code(ctx.session, chat_id=ctx.chat_id, purpose=step.purpose or "")
        remaining = MAX_ATTEMPTS - (stored.attempts if stored else MAX_ATTEMPTS)
        where = "SMS" if step.purpose == "phone" else "email Anda"
        return text("code_wrong", remaining=remaining, where=where)
    keys = {CodeCheck.EXPIRED: "code_expired", CodeCheck.TOO_MANY_ATTEMPTS: "code_too_many"}
    return text(keys.get(outcome, "code_missing"))


def handle_choice_step(ctx: TurnContext, flow: Flow, step: Step, incoming: Incoming) -> None:
    """Stores the chosen option (pressed, or typed as its label or number) and moves on."""
    if incoming.kind == "button":
        value: str | None = incoming.text
    else:
        value = match_choice(incoming.text, [
            Choice(o.value, (o.label, o.value, *o.synonyms)) for o in step.options
        ])
    chosen = next((o for o in step.options if o.value == value), None)
    if chosen is None:
        ctx.say(text("choice_not_matched", typed=incoming.text[:40],
                     example=step.options[0].label))
        prompt(ctx, flow, step)
        return
    if step.id == "domicile_same":
        ctx.applicant.domicile_same = chosen.value == "yes"
        if ctx.applicant.domicile_same:
            ctx.applicant.domicile_address = None
    else:
        setattr(ctx.applicant, step.id, chosen.value)
    advance(ctx, flow, step, chosen.next)


def handle_photo_step(ctx: TurnContext, flow: Flow, step: Step, incoming: Incoming) -> None:
    """Accepts a KTP photo that passed the check, or lists what to fix; help after 5 tries."""
    if incoming.kind not in ("photo", "document"):
        ctx.say(text("hint_photo"))
        return
    if incoming.file_size and incoming.file_size > TELEGRAM_DOWNLOAD_LIMIT:
        ctx.say(text("photo_too_big", size_mb=round(incoming.file_size / 1024 / 1024, 1)))
        return
    if incoming.throttled:
        ctx.say(text("photo_throttled"))
        return
    report = incoming.ktp_report
    if report is None:
        ctx.say(text("photo_not_checked"))
        return
    if not report.ok:
        _refuse_photo(ctx, report)
        return
    accept_ktp(ctx, incoming, report)
    ctx.state.data = {k: v for k, v in ctx.state.data.items() if k != "ktp_tries"}
    ctx.say(step.setting("received", "").strip())
    if report.converted_from:
        ctx.say(text("ktp_converted", source=report.converted_from))
    if report.shrunk:
        ctx.say(text("ktp_shrunk"))
    advance(ctx, flow, step)


def _refuse_photo(ctx: TurnContext, report: KtpReport) -> None:
    note_ktp_refusal(ctx.state, (problem.code for problem in report.problems))
    tries = int(ctx.state.data.get("ktp_tries", 0)) + 1
    ctx.state.data = {**ctx.state.data, "ktp_tries": tries}
    problems = "\n".join(f"• {problem.message}" for problem in report.problems)
    if tries <= KTP_MAX_TRIES:
        body = text("ktp_refused", tries=tries, max_tries=KTP_MAX_TRIES, problems=problems)
    else:  # "percobaan 6 dari 5" reads like a mistake; past the count, just say what to fix
        body = text("ktp_refused_again", problems=problems)
    if tries == 1:
        ctx.say(Reply(body, photo=KTP_EXAMPLE))
    else:
        ctx.say(body)
    if tries >= KTP_MAX_TRIES:
        ctx.say(Reply(text("ktp_offer_help"), buttons=(buttons("help_buttons"),)))


def handle_phone_step(ctx: TurnContext, flow: Flow, step: Step, incoming: Incoming) -> None:
    """Takes a shared contact as verified, or a typed number that then gets an SMS code."""
    if incoming.kind == "contact":
        if not incoming.contact_is_own:
            ctx.say(text("contact_not_own"))
            return
        result = validate_phone(incoming.phone or "")
    else:
        result = validate_phone(incoming.text)
    if isinstance(result, Invalid):
        note_refusal(ctx.state, step.id, result.message)
        ctx.say(result.message)
        return
    ctx.applicant.phone = result.value
    if incoming.kind == "contact":
        ctx.applicant.phone_verified_via = "contact"
        ctx.say(Reply(text("phone_verified_contact", phone_masked=mask_phone(result.value)),
                      remove_keyboard=True))
        advance(ctx, flow, step)
        return
    ctx.applicant.phone_verified_via = None
    if send_sms_code(ctx):
        # The contact keyboard must go; an inline keyboard cannot share a message with its removal.
        sent = text("sms_sent", phone_masked=mask_phone(result.value))
        ctx.say(Reply(sent, remove_keyboard=True))
    advance(ctx, flow, step, step.setting("typed_next"))


def handle_summary_step(ctx: TurnContext, flow: Flow, step: Step, incoming: Incoming) -> None:
    """Saves the registration as complete, or opens the chosen field for a change."""
    if incoming.kind != "button":
        typed = match_choice(incoming.text, _summary_choices(step))
        if typed is None:
            ctx.say(text("summary_not_matched"))
            prompt(ctx, flow, step)
            return
        incoming = Incoming(kind="button", text=typed)
    if incoming.text.startswith("edit:"):
        target = incoming.text.removeprefix("edit:")
        if target in flow.steps:
            ctx.state.data = {**ctx.state.data, "editing": True}
            go_to(ctx, flow, target)
        return
    if incoming.text == step.setting("confirm")["value"]:
        ctx.applicant.registration_completed_at = ctx.now
        enqueue_registration_submission(
            ctx.session, applicant=ctx.applicant,
            ktp_image=take_accepted_ktp(ctx.session, chat_id=ctx.chat_id),
        )
        ctx.state.flow = None
        ctx.state.step = None
        ctx.state.history = []
        ctx.say(queued_text())
        ctx.say(Reply(step.setting("done").strip(), buttons=(buttons("next_step_buttons"),)))


def _summary_choices(step: Step) -> list[Choice]:
    """Returns the summary's buttons in the order shown, with the words that name each."""
    confirm = step.setting("confirm")
    choices = [Choice(str(confirm["value"]), (confirm["label"], *confirm.get("synonyms", ())))]
    choices += [Choice(f"edit:{e['step']}", (e["label"], *e.get("synonyms", ())))
                for e in step.setting("edits")]
    return choices


HANDLERS = {
    "text": handle_text_step,
    "code": handle_code_step,
    "choice": handle_choice_step,
    "photo": handle_photo_step,
    "phone": handle_phone_step,
    "summary": handle_summary_step,
}
