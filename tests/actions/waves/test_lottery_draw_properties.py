"""Properties of the draw itself (pure numpy), fuzzed with hypothesis."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from actions.lottery import derive_draw, draw_keys, inputs_digest

BASE = 3273014508900001


@st.composite
def wave_inputs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    size = draw(st.integers(min_value=0, max_value=300))
    offsets = draw(st.lists(st.integers(0, 10**9), min_size=size, max_size=size, unique=True))
    niks = np.array([BASE + o for o in offsets], dtype=np.int64)
    masks = np.array(draw(st.lists(st.sampled_from([0, 0, 0, 1, 32, 1 << 17]),
                                   min_size=size, max_size=size)), dtype=np.int64)
    priority = np.array(draw(st.lists(st.sampled_from([0, 0, 0, 1]), min_size=size,
                                      max_size=size)), dtype=np.int64)
    return niks, masks, priority, draw(st.integers(min_value=1, max_value=400))


@settings(max_examples=50, deadline=None)
@given(inputs=wave_inputs(), seed=st.text(min_size=1, max_size=20))
def test_quota_kept_excluded_never_selected_priority_first(
    inputs: tuple[np.ndarray, np.ndarray, np.ndarray, int], seed: str
) -> None:
    niks, masks, priority, quota = inputs
    drawn = derive_draw(seed, niks, masks, priority, quota)
    selected = (drawn.positions > 0) & (drawn.positions <= quota)
    assert selected.sum() == drawn.selected <= quota
    assert drawn.selected == min(quota, int((masks == 0).sum()))
    assert not (selected & (masks != 0)).any()
    eligible_priority = (masks == 0) & (priority == 1)
    if eligible_priority.sum() >= quota:
        assert priority[selected].all()
    else:
        assert selected[eligible_priority].all()
    ordered_priority = priority[np.argsort(drawn.positions)][drawn.positions[
        np.argsort(drawn.positions)] > 0]
    assert (np.diff(ordered_priority) <= 0).all()  # all priority rows come before the others


@settings(max_examples=25, deadline=None)
@given(inputs=wave_inputs(), seed=st.text(min_size=1, max_size=20))
def test_same_inputs_same_draw_even_when_rows_come_in_another_order(
    inputs: tuple[np.ndarray, np.ndarray, np.ndarray, int], seed: str
) -> None:
    niks, masks, priority, quota = inputs
    first = derive_draw(seed, niks, masks, priority, quota)
    shuffled = np.random.default_rng(7).permutation(len(niks))
    second = derive_draw(seed, niks[shuffled], masks[shuffled], priority[shuffled], quota)
    assert first.digest == second.digest
    assert (first.positions[shuffled] == second.positions).all()


def test_keys_are_the_published_hmac() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"rahasia", b"3273014508900001", hashlib.sha256).digest()[:8]
    key = draw_keys("rahasia", np.array([BASE], dtype=np.int64))[0]
    assert int(key) == int.from_bytes(expected, "big")


def test_another_seed_gives_another_order() -> None:
    niks = np.arange(BASE, BASE + 200, dtype=np.int64)
    zeros = np.zeros(200, dtype=np.int64)
    assert derive_draw("a", niks, zeros, zeros, 50).digest != derive_draw(
        "b", niks, zeros, zeros, 50).digest


@settings(max_examples=25, deadline=None)
@given(inputs=wave_inputs(), seeds=st.lists(st.text(min_size=1, max_size=12), min_size=2,
                                            max_size=2, unique=True))
def test_verify_detects_another_seed_or_another_applicant_list(
    inputs: tuple[np.ndarray, np.ndarray, np.ndarray, int], seeds: list[str]
) -> None:
    niks, masks, priority, quota = inputs
    if (masks == 0).sum() >= 20:  # 20! orders: the same order by chance is out of the question
        first, second = (derive_draw(s, niks, masks, priority, quota) for s in seeds)
        assert first.digest != second.digest
    if len(niks):
        assert inputs_digest(niks[1:], masks[1:], priority[1:]) != inputs_digest(
            niks, masks, priority)
        flipped = masks.copy()
        flipped[0] ^= 1
        assert inputs_digest(niks, flipped, priority) != inputs_digest(niks, masks, priority)
