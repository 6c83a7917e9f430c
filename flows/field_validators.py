"""Maps a step's `validate:` name to a validator and stores the valid value on the applicant."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from actions.passwords import hash_password
from flows.context import TurnContext
from flows.texts import text
from flows.validators import (
    Invalid,
    Valid,
    validate_birth_date,
    validate_email,
    validate_full_name,
    validate_nik,
    validate_password,
)
from flows.validators.email_typos import suggest_email
from storage.repositories import find_applicant_by_nik

ADDRESS_MIN, ADDRESS_MAX = 10, 300
EMAIL_TYPO_SEEN = "email_typo_seen"
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """Why a typed answer was refused, in words for the user."""

    message: str


def _address(ctx: TurnContext, raw: str, field: str) -> FieldProblem | None:
    value = " ".join(raw.split())
    if len(value) < ADDRESS_MIN:
        return FieldProblem(text("address_too_short"))
    if len(value) > ADDRESS_MAX:
        return FieldProblem(text("address_too_long"))
    if not _LETTER.search(value):
        return FieldProblem(text("address_no_letters"))
    setattr(ctx.applicant, field, value)
    return None


def _full_name(ctx: TurnContext, raw: str, _field: str) -> FieldProblem | None:
    result = validate_full_name(raw)
    if isinstance(result, Invalid):
        return FieldProblem(result.message)
    ctx.applicant.full_name = result.value
    return None


def _email(ctx: TurnContext, raw: str, _field: str) -> FieldProblem | None:
    result = validate_email(raw)
    if isinstance(result, Invalid):
        return FieldProblem(result.message)
    suggestion = suggest_email(result.value)
    if suggestion is not None and ctx.state.data.get(EMAIL_TYPO_SEEN) != result.value:
        # Typing the same address again means it really is intended.
        ctx.state.data = {**ctx.state.data, EMAIL_TYPO_SEEN: result.value}
        return FieldProblem(text("email_typo", typed=result.value, suggestion=suggestion))
    ctx.state.data = {k: v for k, v in ctx.state.data.items() if k != EMAIL_TYPO_SEEN}
    if result.value != ctx.applicant.email:
        ctx.applicant.email_verified_at = None  # a new address must be verified again
    ctx.applicant.email = result.value
    return None


def _password(ctx: TurnContext, raw: str, _field: str) -> FieldProblem | None:
    result = validate_password(raw, email=ctx.applicant.email, nik=ctx.applicant.nik)
    if isinstance(result, Invalid):
        return FieldProblem(result.message)
    ctx.applicant.password_hash = hash_password(result.value)
    ctx.say(text("password_saved"))
    return None


def _nik(ctx: TurnContext, raw: str, _field: str) -> FieldProblem | None:
    result = validate_nik(raw)
    if isinstance(result, Invalid):
        return FieldProblem(result.message)
    owner = find_applicant_by_nik(session=ctx.session, nik=result.value.nik)
    if owner is not None and owner.chat_id != ctx.chat_id:
        return FieldProblem(text("nik_taken"))
    if result.value.nik != ctx.applicant.nik:
        ctx.applicant.birth_date = None  # the birth date is checked against the NIK
    ctx.applicant.nik = result.value.nik
    ctx.applicant.gender = result.value.gender
    return None


def _birth_date(ctx: TurnContext, raw: str, _field: str) -> FieldProblem | None:
    nik = validate_nik(ctx.applicant.nik or "")
    if not isinstance(nik, Valid):
        return FieldProblem(nik.message)
    result = validate_birth_date(raw, nik=nik.value, today=ctx.now.date())
    if isinstance(result, Invalid):
        return FieldProblem(result.message)
    ctx.applicant.birth_date = result.value
    return None


FieldValidator = Callable[[TurnContext, str, str], FieldProblem | None]

FIELD_VALIDATORS: dict[str, FieldValidator] = {
    "full_name": _full_name,
    "email": _email,
    "password": _password,
    "nik": _nik,
    "birth_date": _birth_date,
    "address": _address,
}
