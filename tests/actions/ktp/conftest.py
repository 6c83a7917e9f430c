"""Fixtures for the KTP photo check tests: a fixed-seed synthetic labelled set."""

from __future__ import annotations

import numpy as np
import pytest
from support import ktp_synth


@pytest.fixture(scope="session")
def labelled() -> list[ktp_synth.Sample]:
    """Returns the fixed-seed labelled set shared by the accuracy tests."""
    return ktp_synth.labelled_set(seed=7, per_category=10)


@pytest.fixture
def rng() -> np.random.Generator:
    """Returns a fixed-seed random generator."""
    return np.random.default_rng(42)


@pytest.fixture(scope="session")
def good_jpeg() -> bytes:
    """Returns one good Telegram-sized card photo as JPEG."""
    return ktp_synth.jpeg(ktp_synth.good_scene(np.random.default_rng(3), width=800))
