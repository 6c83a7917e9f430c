"""The standalone kit verifier: standard library only, and every change of a kit value fails."""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

VERIFIER = Path(__file__).resolve().parents[2] / "tools" / "verify_draw.py"


def load_verifier() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_draw", VERIFIER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["verify_draw"] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


verify_draw = load_verifier()


def test_imports_only_the_standard_library() -> None:
    tree = ast.parse(VERIFIER.read_text())
    names = {alias.name.split(".")[0] for node in ast.walk(tree)
             if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module.split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module}
    assert names and names <= set(sys.stdlib_module_names) | {"__future__"}


def make_kit(size: int, quota: int, kk_every: int) -> tuple[dict[str, str], list[object]]:
    """Returns a kit made by the verifier's own rules from a small population."""
    secret, beacon = hashlib.sha256(b"s").hexdigest(), hashlib.sha256(b"b").hexdigest()
    header = {"kit": verify_draw.KIT_VERSION, "wave": "3", "quota": str(quota),
              "lists": "DAPODIK:" + "a" * 64 + ":10", "secret_seed": secret,
              "seed_commitment": hashlib.sha256(secret.encode()).hexdigest(), "beacon": beacon,
              "beacon_source": "https://api.drand.sh/public/1"}
    rows = [verify_draw.Row(f"{(i * 2654435761) % 2**64:016x}", 1 if i % 7 == 0 else 0,
                            int(i % 5 == 0), f"{i % 3 + 1:016x}" if kk_every and i % kk_every == 0
                            else "-", 0, 0, 0) for i in range(size)]
    header["inputs_digest"] = verify_draw.inputs_digest(header, rows)
    header["final_seed"] = verify_draw.final_seed(header, header["inputs_digest"])
    outcome = verify_draw.derive(rows, header["final_seed"], quota)
    for row in rows:
        row.position, row.selected, row.reason_mask = outcome[row.id]
    header |= {k: str(v) for k, v in verify_draw.counts(rows, outcome).items()}
    header["draw_digest"] = verify_draw.draw_digest(outcome)
    return header, rows


def test_a_consistent_kit_passes_and_a_zero_kk_group_or_twice_used_id_does_not() -> None:
    header, rows = make_kit(60, 10, 2)
    assert verify_draw.check(header, rows) == []
    assert int(header["kk_limited"]) > 0 and int(header["selected"]) == 10
    rows[0].kk_group = "0" * 16  # the digest encodes "no KK" as 0: only "-" may say so
    assert "tidak sah" in verify_draw.check(header, rows)[0]
    rows[0].kk_group, rows[1].id = "-", rows[2].id
    assert "lebih dari sekali" in " ".join(verify_draw.check(header, rows))


ROW_FIELDS = ("base_mask", "priority", "kk_group", "position", "selected", "reason_mask", "id")
HEADER_FIELDS = ("wave", "quota", "lists", "secret_seed", "seed_commitment", "beacon",
                 "beacon_source", "inputs_digest", "final_seed", "draw_digest", "applicants",
                 "excluded", "eligible", "selected", "priority_selected", "kk_limited")


@pytest.mark.parametrize("field", ROW_FIELDS)
@settings(max_examples=10, deadline=None)
@given(index=st.integers(0, 59), size=st.integers(1, 60))
def test_every_change_of_a_row_value_fails(field: str, index: int, size: int) -> None:
    header, rows = make_kit(size, max(1, size // 3), 2)
    row = rows[index % size]
    value = getattr(row, field)
    if field == "kk_group":
        setattr(row, field, "-" if value != "-" else "00000000000000ff")
    elif field == "id":
        row.id = f"{(int(value, 16) + 1) % 2**64:016x}"
    else:
        setattr(row, field, value + 1 if field not in ("priority", "selected") else 1 - value)
    assert verify_draw.check(header, rows) != []


@pytest.mark.parametrize("field", HEADER_FIELDS)
def test_every_change_of_a_header_value_fails(field: str) -> None:
    header, rows = make_kit(40, 12, 3)
    value = header[field]
    header[field] = str(int(value) + 1) if value.isdigit() else value[:-1] + (
        "0" if value[-1] != "0" else "1")
    assert verify_draw.check(header, rows) != []
