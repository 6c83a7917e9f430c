"""Per-destination circuit breaker kept in the database, so every worker sees the same state."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from storage.models_outbox import CircuitState

logger = logging.getLogger(__name__)

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"


@dataclass(frozen=True, kw_only=True)
class BreakerPolicy:
    """Opens after `threshold` consecutive failures; each reopening doubles the pause."""

    threshold: int = 5
    open_seconds: float = 30.0
    max_open_seconds: float = 900.0

    def open_for(self, open_count: int) -> float:
        """Returns how long the circuit stays open after its `open_count`-th opening in a row."""
        exponent = min(max(open_count - 1, 0), 30)
        return float(min(self.max_open_seconds, self.open_seconds * 2**exponent))


@dataclass(kw_only=True)
class Admission:
    """Which destinations a worker may send to now: `probe` ones get a single trial message."""

    blocked: set[str] = field(default_factory=set)
    probe: set[str] = field(default_factory=set)


def ensure_circuits(session: Session, names: list[str]) -> None:
    """Creates a closed circuit row for each name that has none (safe under concurrency)."""
    if not names:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    rows = [{"name": name, "state": CLOSED, "consecutive_failures": 0, "open_count": 0,
             "updated_at": datetime.now().astimezone()} for name in names]
    session.execute(insert(CircuitState).values(rows).on_conflict_do_nothing())


def admit(session: Session, names: list[str], *, now: datetime, probe_lease: float) -> Admission:
    """Returns which names are blocked and which this worker won the half-open probe for."""
    admission = Admission()
    states = session.exec(select(CircuitState).where(col(CircuitState.name).in_(names))).all()
    for circuit in states:
        if circuit.state == CLOSED:
            continue
        if circuit.opened_until is not None and circuit.opened_until > now:
            admission.blocked.add(circuit.name)
        elif _take_probe(session, circuit, now=now, probe_lease=probe_lease):
            admission.probe.add(circuit.name)
        else:
            admission.blocked.add(circuit.name)
    return admission


def _take_probe(session: Session, circuit: CircuitState, *, now: datetime,
                probe_lease: float) -> bool:
    """Moves the circuit to half-open for this worker only; returns whether it won."""
    result = session.execute(
        update(CircuitState)
        .where(col(CircuitState.name) == circuit.name, col(CircuitState.state) == circuit.state,
               col(CircuitState.opened_until) == circuit.opened_until)
        .values(state=HALF_OPEN, opened_until=now + timedelta(seconds=probe_lease),
                updated_at=now)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def record_success(session: Session, name: str, *, now: datetime) -> None:
    """Closes the circuit and forgets past failures (skips the write when already clean)."""
    result = session.execute(
        update(CircuitState)
        .where(col(CircuitState.name) == name,
               (col(CircuitState.state) != CLOSED) | (col(CircuitState.consecutive_failures) > 0))
        .values(state=CLOSED, consecutive_failures=0, open_count=0, opened_until=None,
                updated_at=now)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        logger.debug("circuit %s closed", name)


def record_failure(session: Session, name: str, *, now: datetime, policy: BreakerPolicy) -> None:
    """Counts a failure; opens the circuit at the threshold or when a half-open probe failed."""
    circuit = session.exec(
        select(CircuitState).where(CircuitState.name == name).with_for_update()
    ).first()
    if circuit is None:
        return
    circuit.consecutive_failures += 1
    trips = circuit.state == HALF_OPEN or (
        circuit.state == CLOSED and circuit.consecutive_failures >= policy.threshold
    )
    if trips:
        circuit.open_count += 1
        pause = policy.open_for(circuit.open_count)
        circuit.state, circuit.opened_until = OPEN, now + timedelta(seconds=pause)
        logger.warning("circuit %s opened for %.1f s after %d consecutive failures",
                       name, pause, circuit.consecutive_failures)
    circuit.updated_at = now
    session.add(circuit)
