"""Fuzzing: whatever the bytes, check_ktp returns a report and never raises."""

from __future__ import annotations

import io

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from actions.ktp import KtpReport, ProblemCode, check_ktp

KNOWN = {code.value for code in ProblemCode}
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_sane(report: KtpReport, data: bytes) -> None:
    assert isinstance(report, KtpReport)
    assert report.size_bytes == len(data)
    assert set(report.codes) <= KNOWN
    assert report.ok == (not report.problems)
    assert (report.image is not None) == report.ok
    assert all(problem.message for problem in report.problems)


@FAST
@given(st.binary(max_size=2048))
def test_random_bytes(data: bytes) -> None:
    _assert_sane(check_ktp(data), data)


@FAST
@given(st.binary(max_size=512), st.sampled_from([b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"]))
def test_random_bytes_behind_magic(tail: bytes, magic: bytes) -> None:
    data = magic + tail
    report = check_ktp(data)
    _assert_sane(report, data)
    assert not report.ok


@FAST
@given(
    st.integers(1, 64),
    st.integers(1, 64),
    st.sampled_from(["RGB", "L", "RGBA", "P", "1"]),
    st.sampled_from(["JPEG", "PNG"]),
    st.integers(0, 2**32 - 1),
    st.integers(0, 400),
)
def test_random_small_images(
    width: int, height: int, mode: str, fmt: str, seed: int, cut: int
) -> None:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    image = Image.fromarray(pixels, "RGB").convert(mode)
    if fmt == "JPEG" and mode not in ("RGB", "L"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    data = buffer.getvalue()
    data = data[: len(data) - cut] if cut < len(data) else data
    for source in ("photo", "document"):
        _assert_sane(check_ktp(data, source=source), data)  # type: ignore[arg-type]
