"""Unit tests of check_ktp, one per problem code, plus the cleaned output."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from PIL import Image
from support import ktp_synth

from actions.ktp import KtpLimits, ProblemCode, check_ktp


def _codes(data: bytes, **kwargs: object) -> list[str]:
    return check_ktp(data, **kwargs).codes  # type: ignore[arg-type]


def test_good_card_is_accepted_with_clean_jpeg(good_jpeg: bytes) -> None:
    report = check_ktp(good_jpeg)
    assert report.ok, report.codes
    assert report.problems == []
    assert report.image is not None
    assert report.size_bytes == len(good_jpeg)
    assert (report.width, report.height, report.format) == (1280, 960, "JPEG")
    assert not report.shrunk
    with Image.open(io.BytesIO(report.image)) as out:
        assert out.size == (1280, 960)


def test_exif_and_gps_are_stripped_losslessly(good_jpeg: bytes) -> None:
    image = Image.open(io.BytesIO(good_jpeg))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825)[2] = (6.0, 12.0, 30.0)  # GPS latitude
    tagged = ktp_synth.jpeg(image, 90, exif=exif.tobytes(), comment=b"secret")
    report = check_ktp(tagged)
    assert report.ok and report.image is not None
    assert b"Exif" not in report.image and b"PhoneMaker" not in report.image
    assert b"secret" not in report.image
    with Image.open(io.BytesIO(report.image)) as out:
        assert not out.getexif()
        assert np.array_equal(np.asarray(out), np.asarray(Image.open(io.BytesIO(tagged))))


def test_exif_orientation_is_applied_before_judging(good_jpeg: bytes) -> None:
    # Stored rotated, with orientation 6 telling viewers to turn it back upright.
    rotated = Image.open(io.BytesIO(good_jpeg)).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    report = check_ktp(ktp_synth.jpeg(rotated, 90, exif=exif.tobytes()))
    assert report.ok, report.codes
    assert (report.width, report.height) == (1280, 960)
    assert report.image is not None
    with Image.open(io.BytesIO(report.image)) as out:
        assert out.size == (1280, 960)
        assert out.getexif().get(0x0112) is None


def test_png_is_accepted_and_converted_to_jpeg(rng: np.random.Generator) -> None:
    report = check_ktp(ktp_synth.png(ktp_synth.good_scene(rng, width=800)))
    assert report.ok, report.codes
    assert report.format == "PNG"
    assert report.image is not None and report.image.startswith(b"\xff\xd8\xff")


@pytest.mark.parametrize("kind", [0, 1, 3, 4])  # 2 is WEBP, now converted (test_convert.py)
def test_not_jpeg_or_png_by_magic_bytes(rng: np.random.Generator, kind: int) -> None:
    assert _codes(ktp_synth.not_jpeg_or_png(rng, kind)) == [ProblemCode.NOT_JPEG_OR_PNG]


def test_jpeg_bytes_are_judged_by_content_not_name(good_jpeg: bytes) -> None:
    assert _codes(b"GIF89a" + good_jpeg) == ["not_jpeg_or_png"]


def test_empty_bytes_are_not_an_image() -> None:
    report = check_ktp(b"")
    assert report.codes == ["not_jpeg_or_png"] and report.size_bytes == 0


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_truncated_file_is_corrupt(seed: int) -> None:
    report = check_ktp(ktp_synth.corrupt(np.random.default_rng(seed)))
    assert report.codes == ["corrupt"]
    assert "rusak" in report.problems[0].message


def test_png_bomb_is_refused_from_header() -> None:
    report = check_ktp(ktp_synth.bomb_png(30000, 30000, rows=10))
    assert report.codes == ["too_many_pixels"]
    assert "900 megapiksel" in report.problems[0].message


def test_jpeg_bomb_is_refused_from_header(rng: np.random.Generator) -> None:
    assert _codes(ktp_synth.bomb_jpeg(rng)) == ["too_many_pixels"]


def test_pillow_bomb_error_never_escapes() -> None:
    # Our cap raised above Pillow's own: Pillow refuses, and that must still be a report.
    lax = KtpLimits(max_pixels_png=10**12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = check_ktp(ktp_synth.bomb_png(30000, 30000, rows=10), limits=lax)
    assert report.codes == ["too_many_pixels"]


def test_oversize_original_is_shrunk_to_fit() -> None:
    data = ktp_synth.big_original(np.random.default_rng(5), size=(3000, 2250))
    assert len(data) > 2 * 1024 * 1024
    report = check_ktp(data)
    assert report.ok, report.codes
    assert report.shrunk
    assert report.image is not None and len(report.image) <= 2 * 1024 * 1024
    with Image.open(io.BytesIO(report.image)) as out:
        assert max(out.size) <= 2000
        assert not out.getexif()


def test_too_large_when_it_cannot_fit_readably(good_jpeg: bytes) -> None:
    report = check_ktp(good_jpeg, limits=KtpLimits(max_bytes=20_000))
    assert report.codes == ["too_large"]
    assert report.image is None


def test_too_small_names_the_minimum(rng: np.random.Generator) -> None:
    report = check_ktp(ktp_synth.jpeg(ktp_synth.good_scene(rng, width=300)), source="photo")
    assert report.codes == ["too_small"]
    assert "minimal 500 piksel" in report.problems[0].message
    assert report.suggest_send_as_file


def test_tiny_image_is_too_small() -> None:
    tiny = ktp_synth.jpeg(ktp_synth.good_scene(np.random.default_rng(1), size=(320, 240)))
    assert _codes(tiny) == ["too_small"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cut_off_names_the_side(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scene = ktp_synth.good_scene_at(rng, width=800, center=(200, 480))
    report = check_ktp(ktp_synth.jpeg(scene))
    assert report.codes == ["card_cut_off"]
    assert "sisi kiri" in report.problems[0].message


def test_blurry_telegram_photo_suggests_sending_as_file(rng: np.random.Generator) -> None:
    report = check_ktp(ktp_synth.jpeg(ktp_synth.blurry_scene(rng)), source="photo")
    assert report.codes == ["blurry"]
    assert report.suggest_send_as_file
    assert '"File"' in report.problems[0].message


def test_blurry_document_does_not_suggest_file(rng: np.random.Generator) -> None:
    report = check_ktp(ktp_synth.jpeg(ktp_synth.blurry_scene(rng)), source="document")
    assert report.codes == ["blurry"] and not report.suggest_send_as_file


@pytest.mark.parametrize(
    ("scene", "code"),
    [
        (ktp_synth.dark_scene, "too_dark"),
        (ktp_synth.glare_scene, "glare"),
        (ktp_synth.photocopy_scene, "photocopy"),
        (ktp_synth.no_card_scene, "no_card_found"),
    ],
)
def test_each_scene_category_reports_its_code(scene: ktp_synth.SceneMaker, code: str) -> None:
    for seed in (11, 12):
        assert _codes(ktp_synth.jpeg(scene(np.random.default_rng(seed)))) == [code]


def test_report_json_dict_is_serialisable(good_jpeg: bytes) -> None:
    data = check_ktp(good_jpeg).to_json_dict()
    assert data["ok"] is True and data["problems"] == [] and data["size_bytes"] == len(good_jpeg)
    assert "image" not in data


@pytest.mark.parametrize("seed", range(8))
def test_landscape_with_blue_sky_is_no_card_not_cut_off(seed: int) -> None:
    rng = np.random.default_rng(seed)
    report = check_ktp(ktp_synth.jpeg(ktp_synth.blue_sky_scene(rng)), source="photo")
    assert [problem.code for problem in report.problems] == ["no_card_found"]
