"""Answers free text with the FAQ, runs the intents that need the applicant's own data,
and asks "Maksud Anda …?" when the classifier is unsure."""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import cache

from actions.tickets import handoff_text
from flows.context import TurnContext
from flows.definition import load_flow
from flows.faq import FaqAnswer, FaqButton, load_faq
from flows.messages import Button, Incoming, Reply
from flows.subscription_steps import subscribe_announcements
from flows.summary import checklist_text
from flows.texts import raw_texts, text
from flows.validators import Invalid, validate_nik
from nlu import ENTITY_NIK, OUT_OF_SCOPE, ParseResult, fallback_choices

# Inside a step a question must be clearly a question before it interrupts the step.
NOT_INTERRUPTING = {OUT_OF_SCOPE, "greet", "thanks", "register_account"}
IntentAction = Callable[[TurnContext, ParseResult], None]


class FaqResponder:
    """Turns a parsed message into FAQ answers, action results, or a clarifying question."""

    def __init__(self, *, threshold: float = 0.45, in_step_threshold: float = 0.75) -> None:
        self.threshold = threshold
        self.in_step_threshold = in_step_threshold
        self.actions: dict[str, IntentAction] = {
            "action_registration_status": _registration_status,
            "action_human_handoff": _human_handoff,
            "action_subscribe_announcements": lambda ctx, _r: subscribe_announcements(ctx),
        }

    def __call__(self, ctx: TurnContext, incoming: Incoming) -> bool:
        """Answers when it can; False tells the conversation to treat the text as an answer."""
        if incoming.kind == "button":
            return self._pressed(ctx, incoming.text)
        result = incoming.nlu
        if result is None:
            return False
        if ctx.state.flow and ctx.state.step:
            return self._in_step(ctx, result)
        if not result.is_confident(self.threshold):
            self._clarify(ctx, result)
            return True
        self.answer(ctx, result.intent, result)
        return True

    def _in_step(self, ctx: TurnContext, result: ParseResult) -> bool:
        if result.intent in NOT_INTERRUPTING or not result.is_confident(self.in_step_threshold):
            return False
        if not looks_like_question(result.text):
            return False  # e.g. a mistyped email is an answer to fix, not a question
        self.answer(ctx, result.intent, result)
        return True

    def _pressed(self, ctx: TurnContext, value: str) -> bool:
        if not value.startswith("faq:"):
            return False
        intent = value.removeprefix("faq:")
        if intent not in load_faq():
            return False
        self.answer(ctx, intent, None)
        return True

    def answer(self, ctx: TurnContext, intent: str, result: ParseResult | None) -> None:
        """Sends the answer of an intent, running its action when it has one."""
        answer = load_faq()[intent]
        action = self.actions.get(answer.action or "")
        if action is not None and result is not None:
            action(ctx, result)
            return
        if action is not None:
            action(ctx, ParseResult(text="", intent=intent, confidence=1.0, ranking=(),
                                    entities=()))
            return
        direct = answer.direct_for(result.text) if result is not None else None
        if direct is not None:
            ctx.say(html.escape(direct.text))
        ctx.say(render(answer))
        if result is not None and intent == "nik_not_registered":
            _check_quoted_nik(ctx, result)

    def _clarify(self, ctx: TurnContext, result: ParseResult) -> None:
        faq = load_faq()
        choices = [c for c in fallback_choices(result, k=3) if c.name in faq]
        rows = tuple((Button(faq[c.name].label, f"faq:{c.name}"),) for c in choices)
        rows += ((Button(text("talk_to_staff"), "handoff:open"),),)
        ctx.say(Reply(text("did_you_mean"), buttons=rows))


def looks_like_question(message: str) -> bool:
    """Tells whether the text reads as a question (a question mark or a question word)."""
    words = message.casefold().replace("?", " ? ").split()
    return "?" in words or any(word in question_words() for word in words[:4])


@cache
def question_words() -> frozenset[str]:
    """Returns the Indonesian question words (formal and chat spellings) from the texts file."""
    return frozenset(str(word) for word in raw_texts()["question_words"])


def render(answer: FaqAnswer) -> Reply:
    """Returns the answer as a reply; its buttons open links or ask about related intents."""
    buttons = tuple((_faq_button(b),) for b in answer.buttons)
    return Reply(html.escape(answer.text), buttons=buttons)


def _faq_button(button: FaqButton) -> Button:
    if button.url:
        return Button(button.label, url=button.url)
    return Button(button.label, button.command or f"faq:{button.intent}")


def _registration_status(ctx: TurnContext, _result: ParseResult) -> None:
    from storage.repositories import get_applicant

    applicant = get_applicant(session=ctx.session, chat_id=ctx.chat_id)
    ctx.say(checklist_text(load_flow("registration"), applicant))


def _human_handoff(ctx: TurnContext, _result: ParseResult) -> None:
    ctx.say(handoff_text(session=ctx.session, chat_id=ctx.chat_id, reason="asked_for_person"))


def _check_quoted_nik(ctx: TurnContext, result: ParseResult) -> None:
    quoted = result.entity_value(ENTITY_NIK)
    if quoted is None:
        return
    verdict = validate_nik(quoted)
    if isinstance(verdict, Invalid):
        ctx.say(text("nik_quoted_invalid", problem=verdict.message))
    else:
        ctx.say(text("nik_quoted_valid"))
