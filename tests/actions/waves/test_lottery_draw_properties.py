"""Properties of the draw itself (pure numpy), fuzzed with hypothesis."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actions.draw import (
    WeakSeed,
    check_strength,
    derive_draw,
    draw_keys,
    final_seed,
    inputs_digest,
)
from actions.eligibility import Reason

Inputs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]
SEED = hashlib.sha256(b"seed").hexdigest()


@st.composite
def wave_inputs(draw: st.DrawFn) -> Inputs:
    size = draw(st.integers(min_value=0, max_value=300))
    ids = np.array(draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=size,
                                 max_size=size, unique=True)), dtype=np.int64)
    masks = np.array(draw(st.lists(st.sampled_from([0, 0, 0, 1, 32, 1 << 17]),
                                   min_size=size, max_size=size)), dtype=np.int64)
    priority = np.array(draw(st.lists(st.sampled_from([0, 0, 0, 1]), min_size=size,
                                      max_size=size)), dtype=np.int64)
    kk = np.array(draw(st.lists(st.sampled_from([0, 0, 5, 6, 7]), min_size=size,
                                max_size=size)), dtype=np.int64)
    return ids, masks, priority, kk, draw(st.integers(min_value=1, max_value=400))


@settings(max_examples=50, deadline=None)
@given(inputs=wave_inputs(), seed=st.binary(min_size=16, max_size=32))
def test_quota_kept_excluded_never_selected_priority_first_two_per_kk(
    inputs: Inputs, seed: bytes
) -> None:
    ids, masks, priority, kk, quota = inputs
    drawn = derive_draw(seed.hex(), ids, masks, priority, kk, quota)
    selected = drawn.selected
    limited = (drawn.masks & Reason.KK_LIMIT) != 0
    assert selected.sum() == min(quota, int(((masks == 0) & ~limited).sum())) <= quota
    assert not (selected & ((masks != 0) | limited)).any()
    for group in (5, 6, 7):
        assert ((kk == group) & (drawn.positions > 0)).sum() <= 2
        assert limited[kk == group].sum() == max(0, int(((kk == group) & (masks == 0)).sum()) - 2)
    assert not limited[kk == 0].any()
    placed = np.argsort(drawn.positions)[np.sort(drawn.positions) > 0]
    assert (np.diff(priority[placed]) <= 0).all()  # all priority rows come before the others
    assert ((drawn.masks & Reason.OVER_QUOTA) != 0).sum() == max(0, len(placed) - quota)


@settings(max_examples=25, deadline=None)
@given(inputs=wave_inputs())
def test_same_inputs_same_draw_even_when_rows_come_in_another_order(inputs: Inputs) -> None:
    ids, masks, priority, kk, quota = inputs
    first = derive_draw(SEED, ids, masks, priority, kk, quota)
    shuffled = np.random.default_rng(7).permutation(len(ids))
    second = derive_draw(SEED, ids[shuffled], masks[shuffled], priority[shuffled],
                         kk[shuffled], quota)
    assert first.digest == second.digest
    assert (first.positions[shuffled] == second.positions).all()
    digest = {"wave": 1, "quota": quota, "lists": []}
    assert inputs_digest(**digest, ids=ids, masks=masks, priority=priority, kk=kk) == \
        inputs_digest(**digest, ids=ids[shuffled], masks=masks[shuffled],
                      priority=priority[shuffled], kk=kk[shuffled])


def test_keys_are_the_published_hmac_of_the_hex_id() -> None:
    expected = hmac.new(bytes.fromhex(SEED), b"00000000000000ff", hashlib.sha256).digest()[:8]
    key = draw_keys(SEED, np.array([255], dtype=np.int64))[0]
    assert int(key) == int.from_bytes(expected, "big")


def test_the_final_seed_binds_secret_inputs_beacon_and_source() -> None:
    base = {"wave": 1, "inputs_digest": "a" * 64, "beacon": "b" * 64, "source": "drand"}
    seeds = {final_seed(SEED, **base)}
    for key, value in (("wave", 2), ("inputs_digest", "c" * 64), ("beacon", "d" * 64),
                       ("source", "nist")):
        seeds.add(final_seed(SEED, **(base | {key: value})))  # type: ignore[arg-type]
    seeds.add(final_seed(SEED[::-1], **base))  # type: ignore[arg-type]
    assert len(seeds) == 6


@pytest.mark.parametrize("weak", ["1", "rahasia", "0" * 64, "0123456789abcdef"[:7] * 8,
                                  "ABCDEF0123456789" * 2, "g" * 40])
def test_weak_seeds_are_refused(weak: str) -> None:
    with pytest.raises(WeakSeed):
        check_strength(weak, "seed")
    check_strength(SEED, "seed")


@settings(max_examples=25, deadline=None)
@given(inputs=wave_inputs(), seeds=st.lists(st.binary(min_size=16, max_size=16), min_size=2,
                                            max_size=2, unique=True))
def test_another_seed_or_changed_input_changes_the_digests(
    inputs: Inputs, seeds: list[bytes]
) -> None:
    ids, masks, priority, kk, quota = inputs
    if (masks == 0).sum() >= 20:  # 20! orders: the same order by chance is out of the question
        first, second = (derive_draw(s.hex(), ids, masks, priority, kk, quota) for s in seeds)
        assert first.digest != second.digest
    if len(ids):
        digest = {"wave": 1, "quota": quota, "lists": []}
        assert inputs_digest(**digest, ids=ids[1:], masks=masks[1:], priority=priority[1:],
                             kk=kk[1:]) != inputs_digest(**digest, ids=ids, masks=masks,
                                                         priority=priority, kk=kk)
        flipped = kk.copy()
        flipped[0] ^= 1
        assert inputs_digest(**digest, ids=ids, masks=masks, priority=priority,
                             kk=flipped) != inputs_digest(**digest, ids=ids, masks=masks,
                                                          priority=priority, kk=kk)
