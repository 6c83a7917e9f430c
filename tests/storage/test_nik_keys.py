"""The 64-bit blind index of the wave tables: SipHash-2-4 against a scalar reference."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.nik_keys import id_hex, keyed, kk_key, nik_key, nik_keys, siphash24_words

MASK = (1 << 64) - 1
KEY = bytes(range(16))


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & MASK


def reference_siphash24(key: bytes, message: bytes) -> int:
    """Returns SipHash-2-4 of any message, written straight from the paper, one word at a time."""
    k0, k1 = int.from_bytes(key[:8], "little"), int.from_bytes(key[8:], "little")
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261,
         k1 ^ 0x7465646279746573]

    def rounds(count: int) -> None:
        for _ in range(count):
            v[0] = (v[0] + v[1]) & MASK
            v[1] = _rotl(v[1], 13) ^ v[0]
            v[0] = _rotl(v[0], 32)
            v[2] = (v[2] + v[3]) & MASK
            v[3] = _rotl(v[3], 16) ^ v[2]
            v[0] = (v[0] + v[3]) & MASK
            v[3] = _rotl(v[3], 21) ^ v[0]
            v[2] = (v[2] + v[1]) & MASK
            v[1] = _rotl(v[1], 17) ^ v[2]
            v[2] = _rotl(v[2], 32)

    tail = len(message) % 8
    words = [int.from_bytes(message[i : i + 8], "little") for i in range(0, len(message) - tail, 8)]
    words.append(int.from_bytes(message[len(message) - tail :], "little") | (len(message) << 56)
                 & MASK)
    for word in words:
        v[3] ^= word
        rounds(2)
        v[0] ^= word
    v[2] ^= 0xFF
    rounds(4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def test_reference_matches_the_paper_vector() -> None:
    assert reference_siphash24(KEY, bytes(range(15))) == 0xA129CA6149BE45E5


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=MASK), min_size=1, max_size=50))
def test_vectorised_siphash_equals_the_reference(words: list[int]) -> None:
    got = siphash24_words(KEY, np.array(words, dtype=np.uint64))
    assert got.tolist() == [reference_siphash24(KEY, w.to_bytes(8, "little")) for w in words]


def test_nik_keys_are_keyed_deterministic_and_distinct() -> None:
    niks = np.arange(3273014508900001, 3273014508900001 + 10_000, dtype=np.int64)
    keys = nik_keys(niks)
    assert len(np.unique(keys)) == len(niks)
    assert nik_key("3273014508900001") == int(keys[0])
    assert not np.array_equal(keyed(bytes(16), niks), keys)  # the key matters


def test_kk_key_is_zero_only_without_a_kk_and_hex_ids_are_unsigned() -> None:
    assert kk_key(None) == 0 and kk_key("") == 0 and kk_key("ab" * 32) != 0
    assert id_hex(-1) == "f" * 16 and id_hex(255) == "00000000000000ff"
