"""64-bit blind indexes for the millions-of-rows wave tables: keyed SipHash-2-4, in numpy.

Applicant rows use storage.crypto's blind index (HMAC-SHA256, one Python call per value). The
wave tables hold up to 50 M agency list rows, where a Python call per row costs a minute, so
they use SipHash-2-4 — a keyed pseudo-random function made for short inputs — computed for a
whole array at once. Its 128-bit key is itself a blind index (of a fixed label), so the key
source stays the one of storage.crypto: rotate that key and every key here follows.
The message is the NIK as an unsigned 64-bit little-endian word; the output is stored as a
signed BIGINT. A 64-bit index can collide: about 1 in 70 000 waves of 5 M applicants against
50 M list rows would see one false match, which the applicant can contest at the source agency.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

from storage.crypto import personal_data_cipher

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
NIK_LABEL = "prakerja-wave-nik-key-v1"
PUBLIC_ID_LABEL = "prakerja-wave-public-id-v1"
KK_GROUP_LABEL = "prakerja-wave-kk-group-v1"
_INIT = (0x736F6D6570736575, 0x646F72616E646F6D, 0x6C7967656E657261, 0x7465646279746573)


def subkey(label: str) -> bytes:
    """Returns a 16-byte key derived from storage.crypto's blind index of `label`."""
    return bytes.fromhex(personal_data_cipher().blind_index(label))[:16]


def _rotl(value: U64, bits: int) -> U64:
    return (value << np.uint64(bits)) | (value >> np.uint64(64 - bits))


def _round(v: list[U64]) -> None:
    v[0] += v[1]
    v[1] = _rotl(v[1], 13) ^ v[0]
    v[0] = _rotl(v[0], 32)
    v[2] += v[3]
    v[3] = _rotl(v[3], 16) ^ v[2]
    v[0] += v[3]
    v[3] = _rotl(v[3], 21) ^ v[0]
    v[2] += v[1]
    v[1] = _rotl(v[1], 17) ^ v[2]
    v[2] = _rotl(v[2], 32)


def siphash24_words(key: bytes, words: U64) -> U64:
    """Returns SipHash-2-4 of each 8-byte little-endian message word, for a whole array."""
    k0, k1 = (np.uint64(int.from_bytes(key[i : i + 8], "little")) for i in (0, 8))
    length = len(words)
    v = [np.full(length, np.uint64(init), dtype=np.uint64) ^ k
         for init, k in zip(_INIT, (k0, k1, k0, k1), strict=True)]
    final = np.uint64(8 << 56)  # the message length in the top byte, no bytes left over
    for block in (words, np.full(length, final, dtype=np.uint64)):
        v[3] ^= block
        _round(v)
        _round(v)
        v[0] ^= block
    v[2] ^= np.uint64(0xFF)
    for _ in range(4):
        _round(v)
    result: U64 = v[0] ^ v[1] ^ v[2] ^ v[3]
    return result


def keyed(key: bytes, values: I64) -> I64:
    """Returns the keyed 64-bit hash of each value (as signed int64, the BIGINT column type)."""
    words = np.ascontiguousarray(values, dtype=np.int64).view(np.uint64)
    return siphash24_words(key, words).view(np.int64)


def nik_keys(niks: I64) -> I64:
    """Returns the blind index of each NIK (given as int64), as stored in the wave tables."""
    return keyed(subkey(NIK_LABEL), niks)


def nik_key(nik: str) -> int:
    """Returns the blind index of one NIK (16 digits)."""
    return int(nik_keys(np.array([int(nik)], dtype=np.int64))[0])


def kk_key(kk_index: str | None) -> int:
    """Returns a non-zero 64-bit key of an applicant's KK blind index, or 0 when there is none."""
    if not kk_index:
        return 0
    value = int.from_bytes(hashlib.sha256(kk_index.encode()).digest()[:8], "big", signed=True)
    return value or 1


def wave_ids(label: str, wave_number: int, values: I64) -> I64:
    """Returns per-wave keyed ids of `values` (public ids, KK groups): unlinkable across waves."""
    return keyed(subkey(f"{label}:{wave_number}"), values)


def id_hex(value: int) -> str:
    """Returns a stored signed 64-bit id as the 16 hex digits applicants see."""
    return f"{value & 0xFFFFFFFFFFFFFFFF:016x}"
