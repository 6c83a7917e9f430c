"""The draw as pure functions of the frozen inputs: seed material, input digest, order, outcome.

The published rules (tools/verify_draw.py re-derives them with the standard library only):
- commitment = SHA-256(secret) (hex), published when the wave opens; the secret has ≥ 128 bits.
- inputs digest = SHA-256 over a header (wave, quota, list versions, row count) and one 25-byte
  record per applicant sorted by public id: id u64, base reasons i64, priority u8, KK group u64,
  all big-endian. Published at close, before the draw.
- final seed = HMAC-SHA256(key=secret, "prakerja-draw-v2\\n{wave}\\n{inputs digest}\\n{beacon}\\n
  {beacon source}") — the beacon is a public random value that nobody knew at close.
- order: applicants without base reasons, priority first, then by the first 8 bytes of
  HMAC-SHA256(key=final seed bytes, msg=public id as 16 hex digits), ties by id.
- 2 per KK: walking that order, the third and later applicant of one KK group gets KK_LIMIT.
- positions 1…n go to the rest in order; the first `quota` are selected, the others OVER_QUOTA.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from actions.eligibility import Reason

I64 = npt.NDArray[np.int64]
CHUNK = 500_000
INPUTS_HEADER = "prakerja-draw-inputs-v1"
SEED_CONTEXT = "prakerja-draw-v2"
RECORD = np.dtype([("id", ">u8"), ("mask", ">i8"), ("priority", "u1"), ("kk", ">u8")])
STRONG = re.compile(r"^[0-9a-f]{32,}$")
MIN_DISTINCT_DIGITS = 8  # a random 32-hex string has ~14 distinct digits; "00…0" has 1
KK_PER_FAMILY = 2


class WeakSeed(ValueError):
    """A secret or beacon value with less than 128 bits of randomness."""


def commitment(seed: str) -> str:
    """Returns the published commitment of a seed: SHA-256 of its UTF-8 bytes, hex."""
    return hashlib.sha256(seed.encode()).hexdigest()


def check_strength(value: str, what: str) -> None:
    """Raises WeakSeed unless `value` is ≥ 32 lowercase hex digits (128 bits) that look random."""
    if not STRONG.match(value) or len(set(value)) < MIN_DISTINCT_DIGITS:
        raise WeakSeed(f"{what} lemah: harus ≥ 32 digit heksadesimal kecil (≥ 128 bit) acak, "
                       "mis. dari `python -c 'import secrets; print(secrets.token_hex(32))'`")


def final_seed(secret: str, *, wave: int, inputs_digest: str, beacon: str, source: str) -> str:
    """Returns the draw seed binding the committed secret, the frozen inputs and the beacon."""
    message = f"{SEED_CONTEXT}\n{wave}\n{inputs_digest}\n{beacon}\n{source}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def lists_line(lists: Sequence[dict[str, Any]]) -> str:
    """Returns the list versions as one canonical line: SOURCE:sha256:rows;… sorted by source."""
    entries = sorted(lists, key=lambda item: str(item["source"]))
    return ";".join(f"{e['source']}:{e['file_sha256']}:{e['rows']}" for e in entries)


def inputs_digest(*, wave: int, quota: int, lists: Sequence[dict[str, Any]], ids: I64,
                  masks: I64, priority: I64, kk: I64) -> str:
    """Returns the SHA-256 of the frozen inputs (header, then records sorted by public id)."""
    order = np.argsort(ids.view(np.uint64), kind="stable")
    records = np.empty(len(ids), dtype=RECORD)
    records["id"], records["mask"] = ids[order].view(np.uint64), masks[order]
    records["priority"], records["kk"] = priority[order], kk[order].view(np.uint64)
    header = (f"{INPUTS_HEADER}\nwave={wave}\nquota={quota}\nlists={lists_line(lists)}\n"
              f"rows={len(ids)}\n")
    digest = hashlib.sha256(header.encode())
    digest.update(records.tobytes())
    return digest.hexdigest()


def hex_ids(ids: I64) -> list[bytes]:
    """Returns each id as its 16 lowercase hex digits (ASCII), the form applicants see."""
    text = ids.astype(">i8").tobytes().hex().encode()
    return [text[i : i + 16] for i in range(0, len(text), 16)]


def draw_keys(seed_hex: str, ids: I64) -> npt.NDArray[np.uint64]:
    """Returns each id's sort key: HMAC-SHA256(final seed, id hex), first 8 bytes big-endian."""
    mac = partial(hmac.digest, bytes.fromhex(seed_hex), digest="sha256")
    keys = np.empty(len(ids), dtype=np.uint64)
    for start in range(0, len(ids), CHUNK):  # a loop over chunks, each one C-level map
        joined = b"".join(map(mac, hex_ids(ids[start : start + CHUNK])))
        keys[start : start + CHUNK] = np.frombuffer(joined, dtype=">u8").reshape(-1, 4)[:, 0]
    return keys


@dataclass(frozen=True, slots=True)
class Draw:
    """The derived outcome per input row, and the counts applicants are told."""

    positions: I64
    selected: npt.NDArray[np.bool_]
    masks: I64
    digest: str

    def counts(self, priority: I64) -> dict[str, int]:
        """Returns applicants, excluded, eligible, selected, priority_selected and kk_limited."""
        return {
            "applicants": len(self.positions),
            "excluded": int((self.positions == 0).sum()),
            "eligible": int((self.positions > 0).sum()),
            "selected": int(self.selected.sum()),
            "priority_selected": int((self.selected & (priority == 1)).sum()),
            "kk_limited": int(((self.masks & int(Reason.KK_LIMIT)) != 0).sum()),
        }


def _beyond_family_limit(kk: I64) -> npt.NDArray[np.bool_]:
    """Tells, for KK groups listed in draw order, which entries come after the first two."""
    by_group = np.argsort(kk, kind="stable")  # stable: draw order kept inside each group
    grouped = kk[by_group]
    starts = np.r_[True, grouped[1:] != grouped[:-1]] if len(kk) else np.zeros(0, bool)
    first = np.maximum.accumulate(np.where(starts, np.arange(len(kk)), 0))
    rank = np.empty(len(kk), dtype=np.int64)
    rank[by_group] = np.arange(len(kk)) - first
    beyond: npt.NDArray[np.bool_] = (rank >= KK_PER_FAMILY) & (kk != 0)
    return beyond


def derive_draw(seed_hex: str, ids: I64, masks: I64, priority: I64, kk: I64,
                quota: int) -> Draw:
    """Returns each row's position (0 = excluded), selection and final reason bits."""
    eligible = np.flatnonzero(masks == 0)
    keys = draw_keys(seed_hex, ids[eligible])
    order = eligible[np.lexsort((ids[eligible].view(np.uint64), keys, 1 - priority[eligible]))]
    limited = _beyond_family_limit(kk[order])
    kept = order[~limited]
    positions = np.zeros(len(ids), dtype=np.int64)
    positions[kept] = np.arange(1, len(kept) + 1, dtype=np.int64)
    final = masks.copy()
    final[order[limited]] |= int(Reason.KK_LIMIT)
    final[positions > quota] |= int(Reason.OVER_QUOTA)
    selected = (positions > 0) & (positions <= quota)
    digest = hashlib.sha256(ids[kept].astype(">i8").tobytes()).hexdigest()
    return Draw(positions=positions, selected=selected, masks=final, digest=digest)
