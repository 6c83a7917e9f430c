"""Agency list import: parsing, blind indexes, versions, refusals and idempotent re-import."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine

from actions.agency_lists import ImportRefused, import_list, parse_block
from storage.nik_keys import nik_key

ONE, TWO, NINE = 3273014508900001, 3273014508900002, 3273014508900009


def stored(engine: Engine) -> list[tuple[str, int]]:
    """Returns (source, NIK key) of every entry in force."""
    with engine.connect() as connection:
        return sorted((r[0], r[1]) for r in connection.execute(text(
            "SELECT i.source, e.nik_key FROM agencylistentry e "
            "JOIN agencylistimport i ON i.id = e.import_id")))


def keys(source: str, *niks: int) -> list[tuple[str, int]]:
    return [(source, nik_key(str(n))) for n in niks]


def test_import_parses_dedupes_and_replaces(engine: Engine, tmp_path: Path) -> None:
    first = tmp_path / "dapodik.csv"
    first.write_text(f'nik,nama\n{ONE},Siti\n"{TWO}",Budi\r\n{ONE},Siti lagi\n\n{NINE}\n'
                     f"3273014508900010\n3273014508900011\n3273014508900012\n"
                     f"3273014508900013\n3273014508900014\n12345,pendek\n")
    report = import_list(engine, source="dapodik", path=first)
    assert (report.rows_read, report.rows_stored, report.rows_invalid) == (11, 8, 2)
    assert stored(engine) == sorted(keys("DAPODIK", ONE, TWO, NINE, *range(
        3273014508900010, 3273014508900015)))
    again = import_list(engine, source="DAPODIK", path=first)
    assert again.skipped and len(stored(engine)) == 8
    newer = tmp_path / "dapodik2.csv"
    newer.write_text(f"{TWO}\n{NINE}\n")
    import_list(engine, source="DAPODIK", path=newer, replace=True)
    import_list(engine, source="ASN", path=newer)
    assert stored(engine) == sorted(keys("ASN", TWO, NINE) + keys("DAPODIK", TWO, NINE))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM agencylistentry")).scalar() == 4


def test_a_mostly_invalid_or_much_smaller_file_is_refused(engine: Engine,
                                                          tmp_path: Path) -> None:
    full = tmp_path / "bsu.csv"
    full.write_text("".join(f"{ONE + i}\n" for i in range(100)))
    import_list(engine, source="BSU", path=full)
    bad = tmp_path / "bad.csv"
    bad.write_text("nama;nik\n" + "".join(f"Budi;{ONE + i}\n" for i in range(60)) + f"{ONE}\n")
    with pytest.raises(ImportRefused, match="tidak valid"):
        import_list(engine, source="BSU", path=bad)
    small = tmp_path / "small.csv"
    small.write_text("".join(f"{ONE + i}\n" for i in range(10)))
    with pytest.raises(ImportRefused, match="--replace"):
        import_list(engine, source="BSU", path=small)
    assert len(stored(engine)) == 100  # the list in force is untouched
    empty = tmp_path / "empty.csv"
    empty.write_text("nik\n")
    with pytest.raises(ImportRefused, match="tidak ada satu pun"):
        import_list(engine, source="BSU", path=empty, replace=True)
    assert import_list(engine, source="BSU", path=small, replace=True).rows_stored == 10
    assert len(stored(engine)) == 10


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(
    st.integers(10**15, 10**16 - 1).map(str),
    st.integers(10**15, 10**16 - 1).map(lambda n: f'"{n}",x'),
    st.integers(0, 10**15 - 1).map(lambda n: f"{n:016d}"),
    st.text(alphabet="0123456789abc, \"", max_size=20).filter(lambda t: "\n" not in t),
), max_size=30), st.booleans())
def test_parse_block_equals_a_plain_line_parser(lines: list[str], crlf: bool) -> None:
    block = "".join(line + ("\r\n" if crlf else "\n") for line in lines).encode()
    expected = []
    for line in lines:
        field = line.split(",", 1)[0]
        if len(field) >= 2 and field[0] == field[-1] == '"':
            field = field[1:-1]
        if len(field) == 16 and field.isdigit() and field[0] != "0":
            expected.append(int(field))
    niks, count = parse_block(block)
    assert niks.tolist() == expected and count == sum(1 for line in lines if line)
    assert niks.dtype == np.int64
