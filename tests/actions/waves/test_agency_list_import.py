"""Agency list import: parsing, snapshot replacement and idempotent re-import."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from actions.agency_lists import import_list


def stored(engine: Engine) -> list[tuple[int, int]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(
            text("SELECT nik, source FROM agencylistentry ORDER BY nik, source"))]


def test_import_parses_dedupes_and_replaces(engine: Engine, tmp_path: Path) -> None:
    first = tmp_path / "dapodik.csv"
    first.write_text('nik,nama\n3273014508900001,Siti\n"3273014508900002",Budi\n'
                     "3273014508900001,Siti lagi\n12345,pendek\n0273014508900001,nol\n")
    report = import_list(engine, source="dapodik", path=first)
    assert (report.rows_read, report.rows_stored, report.rows_invalid) == (6, 2, 3)
    assert stored(engine) == [(3273014508900001, 0), (3273014508900002, 0)]
    again = import_list(engine, source="DAPODIK", path=first)
    assert again.skipped and stored(engine) == [(3273014508900001, 0), (3273014508900002, 0)]
    newer = tmp_path / "dapodik2.csv"
    newer.write_text("3273014508900002\n3273014508900009\n")
    import_list(engine, source="DAPODIK", path=newer)
    import_list(engine, source="ASN", path=newer)
    assert stored(engine) == [(3273014508900002, 0), (3273014508900002, 5),
                              (3273014508900009, 0), (3273014508900009, 5)]
