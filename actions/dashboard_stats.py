"""Aggregates for the PMO dashboard, in SQL over the existing tables and the minute rollups.

Only counts leave this module. Counts of people below MIN_GROUP are suppressed (None), and so
is a drop-off computed from them, so no small group can be singled out by subtraction.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlmodel import Session

from actions.analytics import LATENCY_BUCKETS_MS, OVERFLOW_BUCKET
from actions.outbox.kinds import DEAD, DELIVERED, PENDING, REGISTRATION, SENDING
from flows.validators.regions import province_name, regency_name
from storage.models import Applicant, ConversationState, Outbox, utcnow
from storage.models_broadcast import Broadcast, BroadcastRecipient
from storage.models_events import KTP_REFUSAL, LATENCY, NLU_FALLBACK, AnalyticsMinute
from storage.models_outbox import CircuitState
from storage.models_staff import HANDOFF
from storage.models_waves import (
    ApplicantResult,
    BasicTestAttempt,
    LotteryRun,
    Wave,
    WaveApplication,
)

MIN_GROUP = 10
FUNNEL_STEPS = (
    "started", "email_verified", "password", "nik_valid", "ktp_accepted", "phone_verified",
    "confirmed", "delivered", "test_passed", "joined_wave", "selected",
)
NO_WAVE = "none"
UNSENT = ("pending", "sending", "failed")
Row = tuple[Any, ...]


def suppress(count: int | None) -> int | None:
    """Returns the count, or None when it counts 1-9 people (shown as "<10")."""
    if count is None or 0 < count < MIN_GROUP:
        return None
    return count


def _table(model: Any) -> Any:
    return model.__table__


def bucket(session: Session, column: Any, unit: str = "minute") -> ColumnElement[Any]:
    """Returns a SQL expression truncating a timestamp to the minute (or hour) on any dialect."""
    if session.get_bind().dialect.name == "postgresql":
        # In UTC whatever the session's time zone, so buckets line up with stored times.
        return func.date_trunc(unit, func.timezone("UTC", column))
    pattern = "%Y-%m-%d %H:%M:00" if unit == "minute" else "%Y-%m-%d %H:00:00"
    return func.strftime(pattern, column)


def as_datetime(value: Any) -> datetime:
    """Returns a bucket value as a timezone-less datetime (SQLite gives text)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.fromisoformat(str(value)).replace(tzinfo=None)


# --- funnel ---------------------------------------------------------------------------------
@dataclass(slots=True)
class FunnelCohort:
    """Raw step counts of the applicants whose accounts were created in one wave's window."""

    key: str
    counts: list[int] = field(default_factory=lambda: [0] * len(FUNNEL_STEPS))

    def add(self, values: Sequence[int]) -> None:
        """Adds the counts of one minute of sign-ups."""
        self.counts = [a + int(b or 0) for a, b in zip(self.counts, values, strict=True)]

    def rows(self) -> list[Row]:
        """Returns (step, people, drop-off from the step before, % of started), suppressed."""
        rows: list[Row] = []
        for index, step in enumerate(FUNNEL_STEPS):
            count = suppress(self.counts[index])
            drop: int | str | None = "" if index == 0 else None
            if index and count is not None and rows[-1][1] is not None:
                drop = suppress(self.counts[index - 1] - self.counts[index])
            share = _share(count, self.counts[0])
            rows.append((step, count, drop, share))
        return rows


def _share(count: int | None, started: int) -> float | None:
    if count is None or not started:
        return None
    return round(100.0 * count / started, 1)


def funnel_by_minute(session: Session) -> list[Row]:
    """Returns one row per minute of account creation with every funnel step's count."""
    a = _table(Applicant)
    outbox, attempt = _table(Outbox), _table(BasicTestAttempt)
    delivered = (select(outbox.c.chat_id).where(outbox.c.kind == REGISTRATION,
                                                 outbox.c.status == DELIVERED)
                 .distinct().subquery())
    passed = select(attempt.c.chat_id).where(attempt.c.passed.is_(True)).distinct().subquery()
    joined, selected = _wave_members(selected_only=False), _wave_members(selected_only=True)
    minute = bucket(session, a.c.created_at)
    query = (
        select(minute, func.count(), func.count(a.c.email_verified_at),
               func.count(a.c.password_hash), func.count(a.c.nik_index),
               func.sum(case((a.c.ktp_status == "accepted", 1), else_=0)),
               func.count(a.c.phone_verified_via), func.count(a.c.registration_completed_at),
               func.count(delivered.c.chat_id), func.count(passed.c.chat_id),
               func.count(joined.c.chat_id), func.count(selected.c.chat_id))
        .select_from(a.outerjoin(delivered, delivered.c.chat_id == a.c.chat_id)
                     .outerjoin(passed, passed.c.chat_id == a.c.chat_id)
                     .outerjoin(joined, joined.c.chat_id == a.c.chat_id)
                     .outerjoin(selected, selected.c.chat_id == a.c.chat_id))
        .group_by(minute)
    )
    return [tuple(row) for row in session.execute(query)]


def _wave_members(*, selected_only: bool) -> Any:
    applications, results = _table(WaveApplication), _table(ApplicantResult)
    query: Select[Any] = select(applications.c.chat_id)
    if selected_only:
        query = query.join(results, results.c.application_id == applications.c.id).where(
            results.c.selected.is_(True))
    return query.distinct().subquery()


def funnel_cohorts(session: Session) -> list[FunnelCohort]:
    """Returns the overall funnel first, then one per wave (accounts created until it closed)."""
    waves = session.execute(select(_table(Wave).c.number, _table(Wave).c.closes_at)
                            .order_by(_table(Wave).c.closes_at)).all()
    overall = FunnelCohort("all")
    cohorts = {str(number): FunnelCohort(str(number)) for number, _ in waves}
    later = FunnelCohort(NO_WAVE)
    for minute, *values in funnel_by_minute(session):
        overall.add(values)
        at = as_datetime(minute)
        wave = next((str(n) for n, closes in waves if at < as_datetime(closes)), None)
        (cohorts[wave] if wave else later).add(values)
    # Without waves the "after the last wave" cohort would only repeat the overall one.
    tail = [later] if waves and later.counts[0] else []
    return [overall, *cohorts.values(), *tail]


def give_ups(session: Session, *, idle: timedelta, now: datetime | None = None) -> list[Row]:
    """Returns (step, last validator message key shown there, people) of idle registrations."""
    s, a = _table(ConversationState), _table(Applicant)
    before = (now or utcnow()) - idle
    query = (
        select(s.c.step, s.c.last_problem, func.count())
        .select_from(s.join(a, a.c.chat_id == s.c.chat_id))
        .where(a.c.registration_completed_at.is_(None), s.c.step.is_not(None),
               s.c.updated_at <= before)
        .group_by(s.c.step, s.c.last_problem)
    )
    counts: Counter[tuple[str, str]] = Counter()
    for step, problem, people in session.execute(query):
        prefix = f"{step}:"
        key = problem.removeprefix(prefix) if problem and problem.startswith(prefix) else ""
        counts[(step, key)] += people
    return [(step, key, suppress(n)) for (step, key), n in counts.most_common()]


# --- regions --------------------------------------------------------------------------------
def regions(session: Session) -> list[Row]:
    """Returns (province code, province, regency code, regency, with valid NIK, confirmed)."""
    a = _table(Applicant)
    query = (select(a.c.region_code, func.count(), func.count(a.c.registration_completed_at))
             .where(a.c.region_code.is_not(None)).group_by(a.c.region_code)
             .order_by(a.c.region_code))
    rows = []
    for code, people, confirmed in session.execute(query):
        rows.append((code[:2], province_name(code[:2]) or code[:2], code,
                     regency_name(code) or code, people, confirmed))
    return rows


def provinces(region_rows: Iterable[Row]) -> list[Row]:
    """Returns (province code, province, with valid NIK, confirmed) summed from regencies."""
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for code, name, _rc, _rn, people, confirmed in region_rows:
        totals[(code, name)][0] += people
        totals[(code, name)][1] += confirmed
    return [(code, name, suppress(p), suppress(c))
            for (code, name), (p, c) in sorted(totals.items())]


def regencies(region_rows: Iterable[Row]) -> list[Row]:
    """Returns the regency rows with their counts suppressed."""
    return [(pn, rc, rn, suppress(p), suppress(c)) for _pc, pn, rc, rn, p, c in region_rows]


# --- over time ------------------------------------------------------------------------------
def signups_per_minute(session: Session, *, since: datetime) -> list[Row]:
    """Returns (minute, accounts created) since `since`, suppressed."""
    a = _table(Applicant)
    minute = bucket(session, a.c.created_at)
    query = (select(minute, func.count()).where(a.c.created_at >= since)
             .group_by(minute).order_by(minute))
    return [(as_datetime(m), suppress(n)) for m, n in session.execute(query)]


def rollup(session: Session, metric: str, *, since: datetime) -> list[Row]:
    """Returns (minute, label, count, total) of one rollup metric since `since`."""
    t = _table(AnalyticsMinute)
    query = (select(t.c.minute, t.c.label, t.c.count, t.c.total)
             .where(t.c.metric == metric, t.c.minute >= since).order_by(t.c.minute))
    return [(as_datetime(m), label, n, total) for m, label, n, total in session.execute(query)]


def rollup_by_label(session: Session, metric: str, *, since: datetime) -> list[Row]:
    """Returns (label, count) of one metric since `since`, most frequent first."""
    t = _table(AnalyticsMinute)
    total = func.sum(t.c.count)
    query = (select(t.c.label, total).where(t.c.metric == metric, t.c.minute >= since)
             .group_by(t.c.label).order_by(total.desc()))
    return [(label, int(n)) for label, n in session.execute(query)]


def percentile(histogram: Counter[str], fraction: float) -> int | None:
    """Returns the bucket upper bound (ms) below which `fraction` of the latencies fall."""
    total = sum(histogram.values())
    if not total:
        return None
    seen = 0
    for bound in (*map(str, LATENCY_BUCKETS_MS), OVERFLOW_BUCKET):
        seen += histogram.get(bound, 0)
        if seen >= fraction * total:
            return int(bound) if bound != OVERFLOW_BUCKET else LATENCY_BUCKETS_MS[-1] * 10
    return None


def latency_per_minute(session: Session, *, since: datetime) -> list[Row]:
    """Returns (minute, replies, p50 ms, p99 ms) from the latency histogram rollup."""
    minutes: dict[datetime, Counter[str]] = defaultdict(Counter)
    for minute, label, count, _total in rollup(session, LATENCY, since=since):
        minutes[minute][label] += count
    return [(m, sum(h.values()), percentile(h, 0.5), percentile(h, 0.99))
            for m, h in sorted(minutes.items())]


def metric_per_minute(session: Session, metric: str, *, since: datetime) -> list[Row]:
    """Returns (minute, events) of one rollup metric summed over its labels."""
    minutes: Counter[datetime] = Counter()
    for minute, _label, count, _total in rollup(session, metric, since=since):
        minutes[minute] += count
    return sorted(minutes.items())


def ktp_refusals(session: Session, *, since: datetime) -> list[Row]:
    """Returns (problem code, refusals) since `since`."""
    return rollup_by_label(session, KTP_REFUSAL, since=since)


def nlu_fallbacks(session: Session, *, since: datetime) -> list[Row]:
    """Returns (intent guessed first, "Maksud Anda …?" questions) since `since`."""
    return rollup_by_label(session, NLU_FALLBACK, since=since)


def handoffs(session: Session, *, now: datetime | None = None) -> list[Row]:
    """Returns (status, tickets, median and longest wait s) of open and taken tickets."""
    now = (now or utcnow()).replace(tzinfo=None)
    query = select(HANDOFF.c.status, HANDOFF.c.created_at, HANDOFF.c.taken_at).where(
        HANDOFF.c.status.in_(("open", "taken")))
    waits: dict[str, list[float]] = defaultdict(list)
    for status, created, taken in session.execute(query):
        end = as_datetime(taken) if taken is not None else now
        waits[status].append((end - as_datetime(created)).total_seconds())
    rows = []
    for status in ("open", "taken"):
        values = sorted(waits.get(status, []))
        middle = values[len(values) // 2] if values else None
        rows.append((status, suppress(len(values)), _round(middle),
                     _round(values[-1] if values else None)))
    return rows


def handoffs_per_minute(session: Session, *, since: datetime) -> list[Row]:
    """Returns (minute, tickets opened) since `since`, suppressed."""
    minute = bucket(session, HANDOFF.c.created_at)
    query = (select(minute, func.count()).where(HANDOFF.c.created_at >= since)
             .group_by(minute).order_by(minute))
    return [(as_datetime(m), suppress(n)) for m, n in session.execute(query)]


def _round(value: float | None) -> int | None:
    return None if value is None else round(value)


# --- operations -----------------------------------------------------------------------------
def outbox_depth(session: Session, *, now: datetime | None = None) -> list[Row]:
    """Returns (kind, pending, sending, dead, oldest pending age s) per outbox destination."""
    o = _table(Outbox)
    now = (now or utcnow()).replace(tzinfo=None)
    query = (select(o.c.kind, o.c.status, func.count(), func.min(o.c.created_at))
             .where(o.c.status.in_((PENDING, SENDING, DEAD))).group_by(o.c.kind, o.c.status))
    kinds: dict[str, dict[str, Any]] = defaultdict(dict)
    for kind, status, count, oldest in session.execute(query):
        kinds[kind][status] = count
        if status == PENDING and oldest is not None:
            kinds[kind]["age"] = round((now - as_datetime(oldest)).total_seconds())
    return [(kind, v.get(PENDING, 0), v.get(SENDING, 0), v.get(DEAD, 0), v.get("age"))
            for kind, v in sorted(kinds.items())]


def breakers(session: Session) -> list[Row]:
    """Returns (destination, state, consecutive failures, times opened, open until)."""
    c = _table(CircuitState)
    query = select(c.c.name, c.c.state, c.c.consecutive_failures, c.c.open_count,
                   c.c.opened_until).order_by(c.c.name)
    return [tuple(row) for row in session.execute(query)]


def broadcasts(session: Session, *, limit: int = 10, now: datetime | None = None) -> list[Row]:
    """Returns progress, average sent/s since the start and ETA of the newest broadcasts."""
    b, r = _table(Broadcast), _table(BroadcastRecipient)
    now = (now or utcnow()).replace(tzinfo=None)
    newest = session.execute(select(b).order_by(b.c.id.desc()).limit(limit)).all()
    rows = []
    for item in newest:
        counts = _recipient_counts(session, r, item.id, item.total)
        sent, waiting = counts["sent"], counts["pending"] + counts["sending"]
        end = as_datetime(item.finished_at) if item.finished_at else now
        seconds = (end - as_datetime(item.started_at)).total_seconds() if item.started_at else 0
        rate = round(sent / seconds, 1) if seconds > 0 else None
        eta = round(waiting / rate) if rate and waiting else None
        rows.append((item.id, item.template, item.status, item.total, sent, counts["failed"],
                     waiting, counts["held_429"], rate, eta))
    return rows


def _recipient_counts(session: Session, r: Any, broadcast_id: int, total: int) -> Counter[str]:
    # Only the unsent statuses are counted (index range scans on (broadcast_id, status, id));
    # sent is the rest of the total, so a million sent rows are never read per request.
    query = (select(r.c.status, func.count())
             .where(r.c.broadcast_id == broadcast_id, r.c.status.in_(UNSENT))
             .group_by(r.c.status))
    counts: Counter[str] = Counter({str(st): int(n) for st, n in session.execute(query)})
    counts["sent"] = max(0, total - sum(counts.values()))
    held = select(func.count()).where(r.c.broadcast_id == broadcast_id,
                                      r.c.status == PENDING, r.c.error == "429")
    counts["held_429"] = int(session.execute(held).scalar_one())
    return counts


def lotteries(session: Session) -> list[Row]:
    """Returns status, counts and the published digests of each wave's lottery."""
    w, run = _table(Wave), _table(LotteryRun)
    query = (
        select(w.c.id, w.c.number, w.c.status, w.c.quota, run.c.applicants, run.c.selected,
               func.coalesce(run.c.seed_commitment, w.c.seed_commitment),
               run.c.draw_digest, run.c.inputs_digest, run.c.final_seed)
        .select_from(w.outerjoin(run, run.c.wave_id == w.c.id)).order_by(w.c.number)
    )
    rows = []
    for wave_id, n, st, q, drawn, s, sc, dd, idg, final in session.execute(query):
        # A drawn wave's run recorded its applicants; only undrawn waves are counted live.
        applicants = drawn if drawn is not None else _applications(session, wave_id)
        # A wave not drawn yet has no selected count: "" rather than a suppressed None.
        rows.append((n, st, q, suppress(applicants), "" if s is None else suppress(s),
                     sc or "", dd or "", idg or "", final or ""))
    return rows


def _applications(session: Session, wave_id: int) -> int:
    apps = _table(WaveApplication)
    query = select(func.count()).where(apps.c.wave_id == wave_id)
    return int(session.execute(query).scalar_one())
