"""HEIC, WEBP and PDF scans are converted to a JPEG and judged like any photo."""

from __future__ import annotations

import io

import numpy as np
import pillow_heif
import pytest
from PIL import Image
from support import ktp_synth
from support.applicant_data import good_ktp_jpeg

from actions.ktp import check_ktp
from actions.ktp.convert import sniff_foreign


def _good_image() -> Image.Image:
    return Image.open(io.BytesIO(good_ktp_jpeg())).convert("RGB")


def _heic(image: Image.Image) -> bytes:
    out = io.BytesIO()
    pillow_heif.from_pillow(image).save(out, format="HEIF", quality=90)
    return out.getvalue()


def _webp(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=90)
    return out.getvalue()


def _pdf(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PDF", resolution=150.0)  # a scanner's one-page PDF
    return out.getvalue()


MAKERS = {"HEIC": _heic, "WEBP": _webp, "PDF": _pdf}


@pytest.mark.parametrize("source", sorted(MAKERS))
def test_foreign_good_card_is_converted_and_accepted(source: str) -> None:
    data = MAKERS[source](_good_image())
    assert sniff_foreign(data) == source
    report = check_ktp(data, source="document")
    assert report.ok, report.codes
    assert report.converted_from == source
    assert report.image is not None and report.image.startswith(b"\xff\xd8\xff")  # a JPEG now
    assert len(report.image) <= 2 * 1024 * 1024


@pytest.mark.parametrize("source", sorted(MAKERS))
def test_foreign_photocopy_is_still_refused(source: str) -> None:
    copy = ktp_synth.photocopy_scene(np.random.default_rng(6))
    report = check_ktp(MAKERS[source](copy), source="document")
    assert not report.ok and "photocopy" in report.codes and report.converted_from == source


@pytest.mark.parametrize("source", sorted(MAKERS))
def test_broken_foreign_file_is_corrupt_not_a_crash(source: str) -> None:
    data = MAKERS[source](_good_image())
    report = check_ktp(data[: len(data) // 3], source="document")
    assert not report.ok and report.codes == ["corrupt"]


def test_other_formats_are_still_refused_with_what_is_accepted() -> None:
    report = check_ktp(b"GIF89a" + bytes(100), source="document")
    assert report.codes == ["not_jpeg_or_png"]
    assert "HEIC" in report.problems[0].message
