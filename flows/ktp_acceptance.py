"""Keeping a KTP photo that passed the check: on the applicant, its image sealed."""

from __future__ import annotations

from actions.ktp import KtpReport
from actions.ktp_pending import keep_accepted_ktp
from flows.context import TurnContext
from flows.messages import Incoming


def accept_ktp(ctx: TurnContext, incoming: Incoming, report: KtpReport) -> None:
    """Records the accepted photo (file id, kind, status) and keeps its cleaned image."""
    ctx.applicant.ktp_file_id = incoming.file_id
    ctx.applicant.ktp_file_kind = incoming.kind
    ctx.applicant.ktp_status = "accepted"
    if report.image is not None:
        keep_accepted_ktp(ctx.session, chat_id=ctx.chat_id, image=report.image)
