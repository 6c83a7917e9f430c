#!/usr/bin/env python3
"""Re-derives a Kartu Prakerja wave draw from its public kit, with the Python standard library only.

Usage:  python3 -I verify_draw.py KIT.csv [--id YOUR_ID]
Exits 0 when everything in the kit is re-derived exactly, 1 with the differences otherwise.
With --id it also prints your own row (the id shown to you by /hasil).

What is checked, from the kit alone (rules published with the kit):
1. SHA-256(secret seed) equals the commitment published when the wave opened.
2. The secret and the beacon have at least 128 bits (≥ 32 hex digits).
3. SHA-256 of the frozen inputs (header + one 25-byte record per applicant, sorted by id: id u64,
   base reasons i64, priority u8, KK group u64, big-endian) equals the digest published at close.
4. final seed = HMAC-SHA256(secret, "prakerja-draw-v2\\n{wave}\\n{digest}\\n{beacon}\\n{source}").
5. Order: applicants without base reasons, priority first, then by the first 8 bytes of
   HMAC-SHA256(final seed bytes, id as 16 hex digits), ties by id. In that order the third and
   later applicant of one KK group gets reason bit 2^20 (at most 2 per KK); the others get
   positions 1, 2, …; the first `quota` are selected, the rest get bit 2^16 (over quota).
6. Every row's position, selected and reasons, the counts and the draw digest match.
The kit cannot show that the agency lists themselves were right: their versions (SHA-256 of
each file) are part of the digest published before the draw, so they could not be changed later.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import struct
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

KIT_VERSION = "prakerja-draw-kit-v1"
OVER_QUOTA = 1 << 16
KK_LIMIT = 1 << 20
KK_PER_FAMILY = 2
COLUMNS = "id,base_mask,priority,kk_group,position,selected,reason_mask"
COUNTS = ("applicants", "excluded", "eligible", "selected", "priority_selected", "kk_limited")
RECORD = struct.Struct(">QqBQ")


@dataclass
class Row:
    """One applicant of the kit: inputs, then what they were told."""

    id: str
    base_mask: int
    priority: int
    kk_group: str
    position: int
    selected: int
    reason_mask: int


def read_kit(path: Path) -> tuple[dict[str, str], list[Row]]:
    """Returns the kit's header fields and its rows."""
    header: dict[str, str] = {}
    rows: list[Row] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line.startswith("# "):
                key, _, value = line[2:].partition("=")
                header[key] = value
            elif line and line != COLUMNS:
                f = line.split(",")
                rows.append(Row(f[0], int(f[1]), int(f[2]), f[3], int(f[4]), int(f[5]), int(f[6])))
    return header, rows


def strong(value: str) -> bool:
    """Tells whether a value is ≥ 32 lowercase hex digits with ≥ 8 distinct ones."""
    return (len(value) >= 32 and all(c in "0123456789abcdef" for c in value)
            and len(set(value)) >= 8)


def inputs_digest(header: dict[str, str], rows: list[Row]) -> str:
    """Returns the SHA-256 of the frozen inputs, as published at close."""
    digest = hashlib.sha256(
        f"prakerja-draw-inputs-v1\nwave={header['wave']}\nquota={header['quota']}\n"
        f"lists={header['lists']}\nrows={len(rows)}\n".encode())
    for row in sorted(rows, key=lambda r: r.id):
        kk = 0 if row.kk_group == "-" else int(row.kk_group, 16)
        digest.update(RECORD.pack(int(row.id, 16), row.base_mask, row.priority, kk))
    return digest.hexdigest()


def final_seed(header: dict[str, str], digest: str) -> str:
    """Returns the seed binding the secret, the inputs digest and the beacon."""
    message = (f"prakerja-draw-v2\n{header['wave']}\n{digest}\n{header['beacon']}\n"
               f"{header['beacon_source']}")
    return hmac.new(header["secret_seed"].encode(), message.encode(), hashlib.sha256).hexdigest()


def derive(rows: list[Row], seed_hex: str, quota: int) -> dict[str, tuple[int, int, int]]:
    """Returns (position, selected, reasons) per id, re-derived from the inputs."""
    key = bytes.fromhex(seed_hex)

    def order_key(row: Row) -> tuple[int, bytes, str]:
        mac = hmac.digest(key, row.id.encode(), "sha256")[:8]
        return (1 - row.priority, mac, row.id)

    outcome = {row.id: (0, 0, row.base_mask) for row in rows}
    families: Counter[str] = Counter()
    position = 0
    for row in sorted((r for r in rows if r.base_mask == 0), key=order_key):
        if row.kk_group != "-":
            families[row.kk_group] += 1
            if families[row.kk_group] > KK_PER_FAMILY:
                outcome[row.id] = (0, 0, KK_LIMIT)
                continue
        position += 1
        chosen = position <= quota
        outcome[row.id] = (position, int(chosen), 0 if chosen else OVER_QUOTA)
    return outcome


def draw_digest(outcome: dict[str, tuple[int, int, int]]) -> str:
    """Returns the SHA-256 of the ids in position order (8 bytes each, big-endian)."""
    placed = sorted((pos, ident) for ident, (pos, _sel, _mask) in outcome.items() if pos > 0)
    return hashlib.sha256(b"".join(int(i, 16).to_bytes(8, "big") for _p, i in placed)).hexdigest()


def counts(rows: list[Row], outcome: dict[str, tuple[int, int, int]]) -> dict[str, int]:
    """Returns the counts applicants were told, from the re-derived outcome."""
    priority = {row.id: row.priority for row in rows}
    values = list(outcome.items())
    return {
        "applicants": len(values),
        "excluded": sum(1 for _i, (pos, _s, _m) in values if pos == 0),
        "eligible": sum(1 for _i, (pos, _s, _m) in values if pos > 0),
        "selected": sum(sel for _i, (_p, sel, _m) in values),
        "priority_selected": sum(sel for i, (_p, sel, _m) in values if priority[i]),
        "kk_limited": sum(1 for _i, (_p, _s, mask) in values if mask & KK_LIMIT),
    }


def _malformed(rows: list[Row]) -> list[str]:
    """Returns the rows whose id or KK group is not in the published form."""
    hexes = set("0123456789abcdef")
    problems = [f"baris {row.id}: id atau kk_group tidak sah" for row in rows
                if len(row.id) != 16 or not set(row.id) <= hexes or row.kk_group == "0" * 16
                or (row.kk_group != "-" and (len(row.kk_group) != 16
                                             or not set(row.kk_group) <= hexes))]
    if len({row.id for row in rows}) != len(rows):
        problems.append("ada id yang muncul lebih dari sekali")
    return problems


def check(header: dict[str, str], rows: list[Row]) -> list[str]:
    """Returns every problem found in the kit (empty when the draw is confirmed)."""
    if header.get("kit") != KIT_VERSION:
        return [f"bukan kit {KIT_VERSION}"]
    problems = _malformed(rows)
    if hashlib.sha256(header["secret_seed"].encode()).hexdigest() != header["seed_commitment"]:
        problems.append("seed rahasia tidak cocok dengan komitmen")
    if not (strong(header["secret_seed"]) and strong(header["beacon"])):
        problems.append("seed atau beacon kurang dari 128 bit")
    digest = inputs_digest(header, rows)
    if digest != header["inputs_digest"]:
        problems.append(f"sidik data beku {digest} ≠ yang diumumkan {header['inputs_digest']}")
    seed_hex = final_seed(header, digest)
    if seed_hex != header["final_seed"]:
        problems.append("seed akhir tidak sama dengan HMAC(seed, sidik data, beacon)")
    outcome = derive(rows, seed_hex, int(header["quota"]))
    for row in rows:
        want = outcome[row.id]
        for name, got, expected in zip(("position", "selected", "reason_mask"),
                                       (row.position, row.selected, row.reason_mask), want,
                                       strict=True):
            if got != expected:
                problems.append(f"baris {row.id}: {name} {got}, seharusnya {expected}")
    for name, value in counts(rows, outcome).items():
        if int(header[name]) != value:
            problems.append(f"jumlah {name} {header[name]}, seharusnya {value}")
    if draw_digest(outcome) != header["draw_digest"]:
        problems.append("sidik urutan undian berbeda")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Verifies a kit, prints the outcome and returns the exit code."""
    parser = argparse.ArgumentParser(description="Verifikasi undian gelombang Kartu Prakerja.")
    parser.add_argument("kit", type=Path)
    parser.add_argument("--id", help="ID undian Anda (dari /hasil)")
    args = parser.parse_args(argv)
    header, rows = read_kit(args.kit)
    problems = check(header, rows)
    for problem in problems[:50]:
        print(f"❌ {problem}")
    if args.id:
        mine = [row for row in rows if row.id == args.id.lower()]
        print(f"Baris Anda: {mine[0]}" if mine else f"ID {args.id} tidak ada di kit ini")
    if problems:
        print(f"Undian gelombang {header.get('wave')} TIDAK terverifikasi "
              f"({len(problems)} perbedaan).")
        return 1
    print(f"✅ Undian gelombang {header['wave']} terverifikasi: {len(rows)} pendaftar, "
          f"{header['selected']} lolos, seed akhir {header['final_seed']}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
