"""Results for applicants: selected or not, each reason explained in Indonesian with a next step."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlmodel import Session, col, select

from actions.eligibility import EXCLUSION_SOURCES, reason_codes
from actions.waves import latest_application
from flows.texts import TextBook
from storage.models_waves import ApplicantResult, LotteryRun, WaveFreeze, WaveSnapshotEntry
from storage.nik_keys import id_hex

RESULTS_FILE = Path(__file__).resolve().parents[1] / "flows" / "texts" / "results.yml"
ResultState = Literal["none", "pending", "selected", "not_selected"]


_BOOK = TextBook(RESULTS_FILE)


def _texts() -> dict[str, Any]:
    return _BOOK.entries


def result_text(key: str, **values: object) -> str:
    """Returns the results text `key`, stripped and filled with escaped values."""
    return _BOOK.text(key, **values)


def explain_reason(code: str) -> tuple[str, str]:
    """Returns (why, what to do next) for one reason code."""
    entry = _texts()["reasons"][code]
    return str(entry["why"]).strip(), str(entry["next"]).strip()


def explain(codes: list[str]) -> str:
    """Returns the reasons and next steps as one HTML block."""
    lines = [result_text("reasons_title")]
    lines += [f"• {explain_reason(code)[0]}" for code in codes]
    lines += ["", result_text("next_title")]
    lines += [f"• {explain_reason(code)[1]}" for code in codes]
    if any(code in EXCLUSION_SOURCES for code in codes):
        lines += ["", result_text("agency_note")]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class ResultView:
    """What an applicant may know about their latest wave, ready to show."""

    state: ResultState
    wave: int | None
    reasons: tuple[str, ...]
    text: str

    @property
    def label(self) -> str:
        """Returns LOLOS / TIDAK LOLOS (the {result} of the hasil_seleksi template)."""
        return result_text("label_selected" if self.state == "selected" else "label_not_selected")


def view_for(result: ApplicantResult, wave_number: int) -> ResultView:
    """Returns the result of one application as the applicant sees it."""
    if result.selected:
        return ResultView("selected", wave_number, (), result_text("selected", wave=wave_number))
    codes = tuple(reason_codes(result.reason_mask))
    body = result_text("not_selected", wave=wave_number) + "\n\n" + explain(list(codes))
    return ResultView("not_selected", wave_number, codes, body)


def applicant_result(*, session: Session, chat_id: int) -> ResultView:
    """Returns the latest announced result of this chat, or that it is pending or absent."""
    latest = latest_application(session=session, chat_id=chat_id)
    if latest is None:
        return ResultView("none", None, (), result_text("none"))
    application, wave = latest
    result = session.get(ApplicantResult, application.id)
    if wave.status != "announced" or result is None:
        # One text per stage: the internal status word itself is never shown.
        text = result_text(f"pending_{wave.status}", wave=wave.number)
        return ResultView("pending", wave.number, (), text)
    return view_for(result, wave.number)


def notification_params(view: ResultView) -> dict[str, str]:
    """Returns the {wave}, {result}, {reason} values of the hasil_seleksi announcement."""
    reason = "" if view.state == "selected" else explain(list(view.reasons))
    return {"wave": str(view.wave), "result": view.label, "reason": reason}


def draw_proof(*, session: Session, chat_id: int) -> str:
    """Returns the applicant's draw id and the published digests of their latest wave, or ""."""
    latest = latest_application(session=session, chat_id=chat_id)
    if latest is None:
        return ""
    application, wave = latest
    freeze = session.get(WaveFreeze, wave.id)
    entry = session.exec(select(WaveSnapshotEntry).where(
        col(WaveSnapshotEntry.wave_id) == wave.id,
        col(WaveSnapshotEntry.application_id) == application.id)).first()
    if freeze is None or entry is None:
        return ""
    run = session.exec(select(LotteryRun).where(col(LotteryRun.wave_id) == wave.id)).first()
    if wave.status != "announced" or run is None:
        return result_text("proof_frozen", wave=wave.number, digest=freeze.inputs_digest,
                           id=id_hex(entry.public_id))
    result = session.get(ApplicantResult, application.id)
    position = result.draw_position if result is not None else 0
    return result_text("proof_drawn", wave=wave.number, digest=freeze.inputs_digest,
                       seed=run.final_seed, id=id_hex(entry.public_id),
                       position=position or result_text("proof_no_position"))
