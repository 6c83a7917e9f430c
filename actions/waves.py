"""Waves: create, open (with the seed commitment), close, announce, and applicants joining one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Select, delete, func, insert, literal
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select
from sqlmodel.sql.sqltypes import UTCDateTime

from actions.eligibility import DEFAULT_EXCLUDED, age_on, birth_date_from_nik, parse_sources
from actions.wave_freeze import freeze_wave
from storage.models import Applicant, utcnow
from storage.models_waves import (
    ApplicantResult,
    BasicTestAttempt,
    CardRecipient,
    ResultNotification,
    Wave,
    WaveApplication,
)
from storage.nik_keys import kk_key, nik_key

COMMITMENT = re.compile(r"^[0-9a-f]{64}$")
UNDECIDED = ("open", "closed", "selected")
JoinCode = Literal[
    "joined", "already_joined", "pending_other_wave", "no_open_wave", "not_registered",
    "test_not_passed", "prior_recipient", "nik_missing", "underage", "not_open_yet", "closed",
]


class WaveError(ValueError):
    """A wave operation that does not fit the wave's state or arguments."""


def create_wave(
    *, session: Session, number: int, quota: int, opens_at: datetime, closes_at: datetime,
    excluded_sources: str | None = None, max_age: int | None = None,
) -> Wave:
    """Creates a planned wave, raising WaveError on a duplicate number or bad dates."""
    if quota <= 0 or closes_at <= opens_at:
        raise WaveError("kuota harus > 0 dan waktu tutup harus setelah waktu buka")
    if session.exec(select(Wave).where(col(Wave.number) == number)).first() is not None:
        raise WaveError(f"gelombang {number} sudah ada")
    sources = parse_sources(excluded_sources) if excluded_sources else DEFAULT_EXCLUDED
    wave = Wave(number=number, quota=quota, opens_at=opens_at, closes_at=closes_at,
                excluded_sources=",".join(sources), max_age=max_age)
    session.add(wave)
    session.flush()
    return wave


def get_wave(*, session: Session, number: int, lock: bool = False) -> Wave:
    """Returns wave `number` (row-locked on PostgreSQL when asked), raising WaveError if none."""
    query = select(Wave).where(col(Wave.number) == number)
    wave = session.exec(query.with_for_update() if lock else query).first()
    if wave is None:
        raise WaveError(f"gelombang {number} tidak ada")
    return wave


def list_waves(*, session: Session) -> list[tuple[Wave, int]]:
    """Returns every wave with its number of applications, newest first."""
    counts = (sa_select(col(WaveApplication.wave_id), func.count().label("n"))
              .group_by(col(WaveApplication.wave_id)).subquery())
    rows = session.execute(
        sa_select(Wave, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.wave_id == Wave.id)
        .order_by(col(Wave.number).desc())
    ).all()
    return [(row[0], int(row[1])) for row in rows]


def _move(session: Session, number: int, source: str, target: str) -> Wave:
    wave = get_wave(session=session, number=number, lock=True)
    if wave.status != source:
        raise WaveError(f"gelombang {number} berstatus {wave.status}, bukan {source}")
    wave.status, wave.updated_at = target, utcnow()
    session.add(wave)
    return wave


def open_wave(*, session: Session, number: int, seed_commitment: str) -> Wave:
    """Opens a planned wave and stores the published SHA-256 commitment of the draw seed."""
    if not COMMITMENT.match(seed_commitment):
        raise WaveError("komitmen seed harus SHA-256 heksadesimal (64 karakter kecil)")
    already = session.exec(select(Wave).where(col(Wave.status) == "open")).first()
    if already is not None and already.number != number:
        raise WaveError(f"gelombang {already.number} masih dibuka; tutup dulu")
    wave = _move(session, number, "planned", "open")
    wave.seed_commitment = seed_commitment
    return wave


def close_wave(*, session: Session, number: int) -> Wave:
    """Closes an open wave and freezes its inputs (snapshot + digest to publish before the draw)."""
    wave = _move(session, number, "open", "closed")
    session.flush()
    freeze_wave(session, wave)
    return wave


def announce_wave(*, session: Session, number: int, now: datetime | None = None) -> int:
    """Marks a drawn wave announced and queues one result message per application (once)."""
    wave = _move(session, number, "selected", "announced")
    already = select(col(ResultNotification.application_id)).where(
        col(ResultNotification.application_id) == col(ApplicantResult.application_id))
    chosen = (
        sa_select(col(ApplicantResult.application_id), col(ApplicantResult.wave_id),
               col(WaveApplication.chat_id), literal("pending"),
               literal(now or utcnow(), UTCDateTime()))
        .join(WaveApplication, col(WaveApplication.id) == col(ApplicantResult.application_id))
        .where(col(ApplicantResult.wave_id) == wave.id, ~already.exists())
    )
    before = _count_notifications(session, wave)
    session.execute(insert(ResultNotification).from_select(
        ["application_id", "wave_id", "chat_id", "status", "created_at"], chosen))
    return _count_notifications(session, wave) - before


def _count_notifications(session: Session, wave: Wave) -> int:
    return int(session.execute(sa_select(func.count()).where(
        col(ResultNotification.wave_id) == wave.id)).scalar_one())


def current_wave(*, session: Session, now: datetime | None = None) -> Wave | None:
    """Returns the wave with status open (and, given `now`, within its opening times), if any."""
    wave = session.exec(select(Wave).where(col(Wave.status) == "open")).first()
    if wave is not None and now is not None and not wave.opens_at <= now < wave.closes_at:
        return None
    return wave


def latest_application(*, session: Session, chat_id: int) -> tuple[WaveApplication, Wave] | None:
    """Returns this chat's most recent application and its wave."""
    row = session.execute(
        sa_select(WaveApplication, Wave).join(Wave, col(Wave.id) == col(WaveApplication.wave_id))
        .where(col(WaveApplication.chat_id) == chat_id).order_by(col(Wave.number).desc())
    ).first()
    return (row[0], row[1]) if row is not None else None


def passed_basic_test(*, session: Session, chat_id: int) -> bool:
    """Tells whether this chat has a passed motivation & basic-skills test."""
    found = session.exec(select(BasicTestAttempt.id).where(
        col(BasicTestAttempt.chat_id) == chat_id, col(BasicTestAttempt.passed).is_(True))).first()
    return found is not None


def selected_before(*, session: Session, nik: str) -> bool:
    """Tells whether this NIK was selected in any earlier wave (recorded through erasure)."""
    return session.get(CardRecipient, nik_key(nik)) is not None


@dataclass(frozen=True, slots=True)
class JoinOutcome:
    """What happened when an applicant asked to join: a code the flow branches on, and the wave."""

    code: JoinCode
    wave: Wave | None = None


def _blocker(session: Session, applicant: Applicant) -> JoinCode | None:
    if applicant.registration_completed_at is None:
        return "not_registered"
    if not applicant.nik:
        return "nik_missing"
    if not passed_basic_test(session=session, chat_id=applicant.chat_id):
        return "test_not_passed"
    if selected_before(session=session, nik=applicant.nik):
        return "prior_recipient"
    return None


def join_obstacle(*, session: Session, applicant: Applicant, now: datetime) -> JoinOutcome:
    """Returns why the applicant cannot join now, or "joined" with the wave they may join."""
    blocker = _blocker(session, applicant)
    if blocker is not None:
        return JoinOutcome(blocker)
    latest = latest_application(session=session, chat_id=applicant.chat_id)
    if latest is not None and latest[1].status in UNDECIDED:
        code: JoinCode = "already_joined" if latest[1].status == "open" else "pending_other_wave"
        return JoinOutcome(code, latest[1])
    wave = current_wave(session=session)
    if wave is None:
        return JoinOutcome("no_open_wave")
    # The status is set by the PMO; the published times bind too, whoever forgot to close.
    if now < wave.opens_at:
        return JoinOutcome("not_open_yet", wave)
    if now >= wave.closes_at:
        return JoinOutcome("closed", wave)
    if age_on(_birth_date(applicant, now), wave.closes_at.date()) < wave.min_age:
        return JoinOutcome("underage", wave)
    return JoinOutcome("joined", wave)


def _birth_date(applicant: Applicant, now: datetime) -> date:
    return applicant.birth_date or birth_date_from_nik(applicant.nik or "", today=now.date())


def join_wave(*, session: Session, applicant: Applicant, now: datetime) -> JoinOutcome:
    """Adds the applicant to the open wave, or says which rule stops them."""
    outcome = join_obstacle(session=session, applicant=applicant, now=now)
    if outcome.code != "joined" or outcome.wave is None:
        return outcome
    wave, birth = outcome.wave, _birth_date(applicant, now)
    # kk_index: the KK number's blind index, collected at registration (absent: no KK rule).
    kk = kk_key(applicant.kk_index)
    session.add(WaveApplication(wave_id=wave.id or 0, chat_id=applicant.chat_id,
                                nik_key=nik_key(applicant.nik or ""), kk_key=kk,
                                birth_date=birth, joined_at=now))
    session.flush()
    return JoinOutcome("joined", wave)


def broadcast_audience(argument: str) -> Select[Any]:
    """Returns a SELECT of the chat ids that joined wave `argument` (for the "wave:N" audience)."""
    return (sa_select(col(WaveApplication.chat_id))
            .join(Wave, col(Wave.id) == col(WaveApplication.wave_id))
            .where(col(Wave.number) == int(argument)))


def delete_wave_data(*, session: Session, chat_id: int) -> None:
    """Removes this chat's applications, results, messages and tests (right to erasure).

    Kept on purpose: CardRecipient (a recipient's NIK blind index, legal duty: once only) and the
    wave snapshots (per-wave keyed ids only, so the published draw stays verifiable).
    """
    applications = select(col(WaveApplication.id)).where(col(WaveApplication.chat_id) == chat_id)
    session.execute(delete(ApplicantResult).where(
        col(ApplicantResult.application_id).in_(applications)))
    session.execute(delete(ResultNotification).where(col(ResultNotification.chat_id) == chat_id))
    session.execute(delete(WaveApplication).where(col(WaveApplication.chat_id) == chat_id))
    session.execute(delete(BasicTestAttempt).where(col(BasicTestAttempt.chat_id) == chat_id))
