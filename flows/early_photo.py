"""A KTP photo sent before the photo step: checked at once and kept for step 6."""

from __future__ import annotations

from flows.context import TurnContext
from flows.ktp_acceptance import accept_ktp
from flows.messages import Button, Incoming, Reply
from flows.texts import text

EARLY_KTP = "ktp_early"


def keep_early_photo(
    ctx: TurnContext, incoming: Incoming, *, menu: tuple[tuple[Button, ...], ...]
) -> None:
    """Keeps a good photo for the KTP step, or says what to fix; offers to start registering."""
    report = incoming.ktp_report
    done = ctx.applicant.registration_completed_at is not None
    if done or report is None:
        key = "photo_after_registration" if done else "photo_outside_step"
        ctx.say(Reply(text(key), buttons=menu))
        return
    if not report.ok:
        problems = "\n".join(f"• {problem.message}" for problem in report.problems)
        ctx.say(Reply(text("early_photo_refused", problems=problems), buttons=menu))
        return
    accept_ktp(ctx, incoming, report)
    ctx.state.data = {**ctx.state.data, EARLY_KTP: True}
    ctx.say(Reply(text("early_photo_kept"), buttons=menu))


def skip_kept_photo(ctx: TurnContext) -> bool:
    """Tells (once) that the photo sent earlier counts for the KTP step, so it can be skipped."""
    if not ctx.state.data.get(EARLY_KTP) or ctx.applicant.ktp_status != "accepted":
        return False
    ctx.state.data = {k: v for k, v in ctx.state.data.items() if k != EARLY_KTP}
    ctx.say(text("early_photo_used"))
    return True
