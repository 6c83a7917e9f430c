"""Property: verify passes an untouched draw and fails every single change of a stored value."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel
from waves_builders import closed_wave, draw, nik

from actions.lottery import verify_lottery
from storage.db import make_engine
from storage.models_waves import (
    ApplicantResult,
    LotteryRun,
    Wave,
    WaveFreeze,
    WaveSnapshotEntry,
)

SOURCES = ("DAPODIK", "ASN", "KEMNAKER_PRIORITY")
# Every stored value an applicant is told or that the re-derivation depends on.
TARGETS: list[tuple[type[SQLModel], str]] = [
    *((ApplicantResult, c) for c in ("selected", "reason_mask", "priority", "draw_position",
                                     "wave_id", "application_id")),
    *((WaveSnapshotEntry, c) for c in ("public_id", "base_mask", "priority", "kk_group",
                                       "application_id")),
    *((LotteryRun, c) for c in ("seed", "seed_commitment", "inputs_digest", "beacon",
                                "beacon_source", "final_seed", "draw_digest", "applicants",
                                "excluded", "eligible", "selected", "priority_selected",
                                "kk_limited")),
    *((WaveFreeze, c) for c in ("inputs_digest", "applicants", "lists")),
    (Wave, "quota"), (Wave, "seed_commitment"),
]


@st.composite
def populations(draw_: st.DrawFn) -> dict[str, Any]:
    size = draw_(st.integers(min_value=1, max_value=25))
    members = st.lists(st.integers(0, size - 1), max_size=size, unique=True)
    lists = {source: [nik(i) for i in draw_(members)] for source in SOURCES}
    kks = {nik(i): draw_(st.sampled_from([0, 0, 11, 12])) for i in range(size)}
    return {"niks": [nik(i) for i in range(size)], "lists": lists, "kks": kks,
            "quota": draw_(st.integers(min_value=1, max_value=size + 2)),
            "seed": draw_(st.text(min_size=1, max_size=8))}


def fresh_engine(folder: Path) -> Engine:
    engine = make_engine(f"sqlite:///{folder / 'draw.db'}")
    SQLModel.metadata.create_all(engine)
    return engine


def changed(value: Any, delta: int) -> Any:
    """Returns a different value of the same kind."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + delta
    if isinstance(value, list):
        return [*value, {"source": "DIKTI", "import_id": 0, "file_sha256": "0" * 64, "rows": 1}]
    return value[:-1] + ("0" if value[-1:] != "0" else "1") if value else "x"


def tamper(engine: Engine, model: type[SQLModel], column: str, row: int, delta: int) -> None:
    table: Table = model.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        rows = connection.execute(table.select()).mappings().all()
        target = rows[row % len(rows)]
        key = {c.name: target[c.name] for c in table.primary_key.columns}
        where = [table.c[name] == value for name, value in key.items()]
        if column in ("application_id", "public_id"):
            delta *= 1_000_003  # onto an unused id: the database itself refuses duplicates
        connection.execute(table.update().where(*where)
                           .values({column: changed(target[column], delta)}))


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: f"{t[0].__name__}.{t[1]}")
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(population=populations(), row=st.integers(min_value=0, max_value=100),
       delta=st.integers(min_value=1, max_value=3))
def test_verify_passes_untouched_and_fails_every_single_tampering(
    population: dict[str, Any], target: tuple[type[SQLModel], str], row: int, delta: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = fresh_engine(Path(folder))
        closed_wave(engine, quota=population["quota"], seed=population["seed"],
                    niks=population["niks"], lists=population["lists"], kks=population["kks"])
        draw(engine, seed=population["seed"])
        assert verify_lottery(engine, wave_number=1).ok
        tamper(engine, *target, row=row, delta=delta)
        assert not verify_lottery(engine, wave_number=1).ok, target
        engine.dispose()
