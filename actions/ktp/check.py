"""The KTP photo check: bytes in, KtpReport out, nothing written anywhere."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Literal

from PIL import Image

from actions.ktp.codes import ProblemCode
from actions.ktp.convert import ConversionError, convert_foreign
from actions.ktp.decode import Decoded, DecodeError, PixelFloodError, decode
from actions.ktp.geometry import straighten
from actions.ktp.limits import DEFAULT_LIMITS, ID1_ASPECT, KtpLimits
from actions.ktp.locate import find_card
from actions.ktp.messages import make_problem, side_names
from actions.ktp.quality import measure
from actions.ktp.report import KtpProblem, KtpReport
from actions.ktp.sanitize import encode_to_fit, strip_jpeg
from actions.ktp.sniff import ImageFormat, declared_size, sniff_format

logger = logging.getLogger(__name__)

Source = Literal["photo", "document"]
_CARD_INSET = 0.08
_SEND_AS_FILE = frozenset({ProblemCode.BLURRY.value, ProblemCode.TOO_SMALL.value})
_MEGA = 1_000_000


def check_ktp(
    data: bytes, *, source: Source = "document", limits: KtpLimits | None = None
) -> KtpReport:
    """Returns the verdict on one KTP photo and, when accepted, its cleaned JPEG."""
    limits = limits or DEFAULT_LIMITS
    try:
        converted = convert_foreign(data, max_pixels=limits.max_pixels_png)
    except ConversionError:
        return _refused(data, [make_problem(ProblemCode.CORRUPT)])
    if converted is not None:  # iPhone HEIC, WEBP or a PDF scan: judged as the JPEG made of it
        report = check_ktp(converted.jpeg, source=source, limits=limits)
        return replace(report, converted_from=converted.source)
    fmt = sniff_format(data)
    if fmt is None:
        return _refused(data, [make_problem(ProblemCode.NOT_JPEG_OR_PNG)])
    refusal = _header_refusal(data, fmt, limits)
    if refusal is not None:
        return _refused(data, [refusal], fmt=fmt)
    oversize = len(data) > limits.max_bytes
    try:
        decoded = decode(data, fmt, min_side=limits.output_side if oversize else limits.check_side)
    except PixelFloodError:
        return _refused(data, [_pixel_problem(data, fmt, limits)], fmt=fmt)
    except DecodeError:
        return _refused(data, [make_problem(ProblemCode.CORRUPT)], fmt=fmt)
    return _judge(data, fmt, decoded, limits, photo=source == "photo")


def _header_refusal(data: bytes, fmt: ImageFormat, limits: KtpLimits) -> KtpProblem | None:
    """Returns corrupt or too_many_pixels when the header alone settles it."""
    size = declared_size(data, fmt)
    if size is None or min(size) <= 0:
        return make_problem(ProblemCode.CORRUPT)
    if size[0] * size[1] > _pixel_cap(fmt, limits):
        return _pixel_problem(data, fmt, limits)
    return None


def _pixel_cap(fmt: ImageFormat, limits: KtpLimits) -> int:
    """Returns the pixel cap for the format (PNG has no reduced-size decoding)."""
    return limits.max_pixels_jpeg if fmt == "JPEG" else limits.max_pixels_png


def _pixel_problem(data: bytes, fmt: ImageFormat, limits: KtpLimits) -> KtpProblem:
    """Returns the too_many_pixels problem with the declared and allowed megapixels."""
    size = declared_size(data, fmt) or (0, 0)
    return make_problem(
        ProblemCode.TOO_MANY_PIXELS,
        pixels=round(size[0] * size[1] / _MEGA),
        max_pixels=_pixel_cap(fmt, limits) // _MEGA,
    )


def _judge(
    data: bytes, fmt: ImageFormat, decoded: Decoded, limits: KtpLimits, *, photo: bool
) -> KtpReport:
    """Returns the report for a decoded image: card checks, then the cleaned output."""
    problems, measures, card_px = _inspect(decoded, limits, photo=photo)
    if problems:
        return _refused(data, problems, fmt=fmt, decoded=decoded, measures=measures, photo=photo)
    image, shrunk = _output(data, fmt, decoded, limits, card_px=card_px)
    if image is None:
        problem = make_problem(ProblemCode.TOO_LARGE, max_mb=limits.max_bytes // (1024 * 1024))
        return _refused(data, [problem], fmt=fmt, decoded=decoded, measures=measures)
    return KtpReport(
        ok=True,
        problems=[],
        shrunk=shrunk,
        size_bytes=len(data),
        image=image,
        width=decoded.width,
        height=decoded.height,
        format=fmt,
        measures=measures,
    )


def _inspect(
    decoded: Decoded, limits: KtpLimits, *, photo: bool
) -> tuple[list[KtpProblem], dict[str, float], float]:
    """Returns the card problems, the measures taken and the card's long side in pixels."""
    long_side = max(decoded.width, decoded.height)
    if long_side < limits.min_card_px:
        return [_too_small(long_side, limits)], {}, float(long_side)
    small = _detection_copy(decoded.image, limits.detect_side)
    finding = find_card(small, limits)
    measures = {"colour_fraction": finding.colour_fraction}
    verdict = finding.verdict
    if verdict == "grey_card" or (verdict == "none" and finding.grey_with_content):
        return [make_problem(ProblemCode.PHOTOCOPY)], measures, 0.0
    if verdict == "none" or finding.rect is None:
        return [make_problem(ProblemCode.NO_CARD_FOUND)], measures, 0.0
    card_px = finding.rect.long * decoded.width / small.width
    measures["card_px"] = card_px
    if verdict == "cut_off":
        sides = side_names(finding.sides)
        return [make_problem(ProblemCode.CARD_CUT_OFF, sides=sides)], measures, card_px
    problems = [_too_small(card_px, limits)] if card_px < limits.min_card_px else []
    card = straighten(
        decoded.image,
        finding.rect,
        scale=decoded.image.width / small.width,
        side=limits.card_side,
        aspect=ID1_ASPECT,
        inset=_CARD_INSET,
    )
    problems += _quality_problems(card, limits, measures, photo=photo)
    return problems, measures, card_px


def _detection_copy(image: Image.Image, side: int) -> Image.Image:
    """Returns a copy reduced by a whole factor so its long side is side to 2 x side."""
    factor = max(1, max(image.size) // side)
    return image.reduce(factor) if factor > 1 else image


def _too_small(card_px: float, limits: KtpLimits) -> KtpProblem:
    """Returns the too_small problem naming the measured and the minimum card width."""
    return make_problem(ProblemCode.TOO_SMALL, card_px=round(card_px), min_px=limits.min_card_px)


def _quality_problems(
    card: Image.Image, limits: KtpLimits, measures: dict[str, float], *, photo: bool
) -> list[KtpProblem]:
    """Returns photocopy, too_dark, glare and blurry problems measured on the card."""
    quality = measure(card)
    measures.update(quality.as_dict())
    failed = [
        (quality.saturation < limits.min_card_saturation, ProblemCode.PHOTOCOPY),
        (quality.luma < limits.min_card_luma, ProblemCode.TOO_DARK),
        (quality.glare > limits.max_glare_fraction, ProblemCode.GLARE),
        (quality.sharpness < limits.min_sharpness, ProblemCode.BLURRY),
    ]
    return [make_problem(code, photo=photo) for bad, code in failed if bad]


def _output(
    data: bytes, fmt: ImageFormat, decoded: Decoded, limits: KtpLimits, *, card_px: float
) -> tuple[bytes | None, bool]:
    """Returns the cleaned JPEG (or None when it cannot fit) and whether it was shrunk."""
    oversize = len(data) > limits.max_bytes
    if fmt == "JPEG" and not oversize and decoded.orientation == 1 and decoded.mode in ("RGB", "L"):
        stripped = strip_jpeg(data)
        if stripped is not None and len(stripped) <= limits.max_bytes:
            return stripped, False
    base = decoded.image
    if oversize:
        factor = limits.output_side / max(base.size)
        if factor < 1:
            base = base.resize(
                (round(base.width * factor), round(base.height * factor)),
                Image.Resampling.BILINEAR,
                reducing_gap=2.0,
            )
    elif decoded.scale < 1:
        base = decode(data, fmt, min_side=None).image
    card_in_base = card_px * base.width / decoded.width
    min_scale = limits.min_card_px / card_in_base if card_in_base > 0 else 1.0
    return encode_to_fit(base, limits, min_scale=min_scale), oversize


def _refused(
    data: bytes,
    problems: list[KtpProblem],
    *,
    fmt: ImageFormat | None = None,
    decoded: Decoded | None = None,
    measures: dict[str, float] | None = None,
    photo: bool = False,
) -> KtpReport:
    """Returns a not-ok report carrying the problems."""
    codes = {problem.code for problem in problems}
    return KtpReport(
        ok=False,
        problems=problems,
        shrunk=False,
        size_bytes=len(data),
        image=None,
        width=decoded.width if decoded else None,
        height=decoded.height if decoded else None,
        format=fmt,
        suggest_send_as_file=photo and bool(codes & _SEND_AS_FILE),
        measures=measures or {},
    )
