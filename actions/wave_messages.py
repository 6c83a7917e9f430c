"""Messages about joining waves and the applicant's status, shared by the bot and the actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from actions.eligibility import waves_text, waves_texts
from actions.results import applicant_result, result_text
from actions.waves import current_wave
from flows.texts import fill
from flows.validators.timezones import time_for_province
from storage.models import Applicant, utcnow
from storage.models_waves import BasicTestAttempt, Wave


def wave_text(key: str, **values: object) -> str:
    """Returns text `key` of flows/texts/waves.yml filled with escaped values."""
    return fill(waves_text(key), **values)


def applicant_time(moment: datetime, applicant: Applicant | None) -> str:
    """Returns the time in the zone of the applicant's NIK province (all three when unknown)."""
    nik = applicant.nik if applicant is not None else None
    return time_for_province(moment, nik[:2] if nik else None)


def join_message(code: str, wave: Wave | None, applicant: Applicant | None = None) -> str:
    """Returns the message for a join outcome code, with times in the applicant's zone."""
    template: Any = waves_texts()["join"][code]
    if wave is None:
        return fill(str(template).strip(), wave="", quota="", closes="", opens="")
    return fill(str(template).strip(), wave=wave.number, quota=f"{wave.quota:,}".replace(",", "."),
                opens=applicant_time(wave.opens_at, applicant),
                closes=applicant_time(wave.closes_at, applicant))


def status_lines(
    session: Session, applicant: Applicant | None, chat_id: int, now: datetime | None = None
) -> list[str]:
    """Returns the account, basic test and wave lines of /status."""
    done = applicant is not None and applicant.registration_completed_at is not None
    lines = [result_text("status_registration_done" if done else "status_registration_pending")]
    passed = session.exec(select(BasicTestAttempt).where(
        col(BasicTestAttempt.chat_id) == chat_id, col(BasicTestAttempt.passed).is_(True))).first()
    lines.append(result_text("status_test_passed", score=passed.score) if passed
                 else result_text("status_test_pending"))
    view = applicant_result(session=session, chat_id=chat_id)
    lines.append(result_text("status_wave_line", text="").rstrip() + " " + view.text)
    wave = current_wave(session=session, now=now or utcnow())
    if wave is not None:
        lines.append(result_text("status_wave_open", wave=wave.number,
                                 closes=applicant_time(wave.closes_at, applicant)))
    return lines
