"""Finding the e-KTP (a light-blue ID-1 card) in a small copy of the photo."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image
from scipy import ndimage

from actions.ktp.codes import Side
from actions.ktp.geometry import BoolArray, Rect, min_area_rect
from actions.ktp.limits import ID1_ASPECT, KtpLimits

# Pillow's HSV scales hue 0-360 degrees to 0-255; e-KTP blue sits around 190-215 degrees.
_CARD_HUE = (125, 162)
_CARD_SAT = (22, 160)
_NEUTRAL_SAT = 22
_MIN_AREA_FRACTION = 0.004
_MIN_CUT_FILL = 0.72
_GREY_PHOTO = 0.01
_CONTENT_STD = 15.0
_CLOSING = np.ones((3, 3), dtype=bool)

Verdict = Literal["card", "cut_off", "grey_card", "none"]


@dataclass(frozen=True, kw_only=True)
class Finding:
    """Holds what card detection saw: the verdict, the card rectangle and any cut sides."""

    verdict: Verdict
    rect: Rect | None = None
    sides: list[Side] = field(default_factory=list)
    colour_fraction: float = 0.0
    grey_with_content: bool = False


def find_card(small: Image.Image, limits: KtpLimits) -> Finding:
    """Returns the Finding for a small RGB copy of the photo."""
    hsv = np.asarray(small.convert("HSV"))
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    bright = val >= max(12.0, 0.35 * float(np.percentile(val, 99)))
    card_like = (
        bright
        & (hue >= _CARD_HUE[0])
        & (hue <= _CARD_HUE[1])
        & (sat >= _CARD_SAT[0])
        & (sat <= _CARD_SAT[1])
    )
    finding = _classify(card_like, limits)
    colour_fraction = float(np.mean(sat > 40))
    if finding.verdict == "none":
        grey = _classify(bright & (sat < _NEUTRAL_SAT), limits)
        if grey.verdict == "card":
            finding = Finding(verdict="grey_card", rect=grey.rect)
    # A black-and-white photo with something in it (not a bare wall) reads as a copy.
    grey_with_content = colour_fraction < _GREY_PHOTO and float(np.std(val)) > _CONTENT_STD
    return Finding(
        verdict=finding.verdict,
        rect=finding.rect,
        sides=finding.sides,
        colour_fraction=colour_fraction,
        grey_with_content=grey_with_content,
    )


def _classify(mask: BoolArray, limits: KtpLimits) -> Finding:
    """Returns the best Finding among the largest blobs of the mask."""
    blobs = _largest_blobs(mask, count=3)
    findings = [_judge_blob(blob, limits) for blob in blobs]
    for finding in findings:
        if finding.verdict == "card":
            return finding
    return findings[0] if findings else Finding(verdict="none")


def _largest_blobs(mask: BoolArray, *, count: int) -> list[BoolArray]:
    """Returns up to count hole-filled blobs of the mask, largest first."""
    closed = ndimage.binary_closing(mask, structure=_CLOSING, iterations=2, border_value=0)
    closed = _fill_holes(closed | mask)
    labels, total = ndimage.label(closed)
    if total == 0:
        return []
    areas = np.bincount(labels.ravel())[1:]
    order = np.argsort(areas)[::-1][:count]
    min_area = _MIN_AREA_FRACTION * mask.size
    return [np.asarray(labels == index + 1) for index in order if areas[index] >= min_area]


def _fill_holes(mask: BoolArray) -> BoolArray:
    """Returns the mask with enclosed background filled (one labelling pass, no iteration)."""
    background, _ = ndimage.label(~mask)
    border = np.unique(
        np.concatenate([background[0], background[-1], background[:, 0], background[:, -1]])
    )
    return np.asarray(~np.isin(background, border[border > 0]) | mask)


def _judge_blob(blob: BoolArray, limits: KtpLimits) -> Finding:
    """Returns whether one blob is a whole card, a cut-off card or something else."""
    rect = min_area_rect(blob)
    if rect is None:
        return Finding(verdict="none")
    fill = float(blob.sum()) / rect.area
    sides = touched_sides(blob)
    if sides:
        # Blue running from one edge to the opposite one is sky or a wall: a card cut off on
        # both sides would have to be wider than the whole photo.
        spans_frame = {Side.LEFT, Side.RIGHT} <= set(sides) or {Side.TOP, Side.BOTTOM} <= set(sides)
        if not spans_frame and fill >= _MIN_CUT_FILL:
            return Finding(verdict="cut_off", rect=rect, sides=sides)
        return Finding(verdict="none", rect=rect)
    aspect_ok = abs(rect.aspect - ID1_ASPECT) <= limits.aspect_tolerance * ID1_ASPECT
    if aspect_ok and fill >= limits.min_fill:
        return Finding(verdict="card", rect=rect)
    return Finding(verdict="none", rect=rect)


def touched_sides(blob: BoolArray) -> list[Side]:
    """Returns the photo edges the blob runs into (at least a few pixels of contact)."""
    height, width = blob.shape
    contact = max(2, round(0.01 * max(height, width)))
    edges: list[tuple[Side, npt.NDArray[np.bool_]]] = [
        (Side.LEFT, blob[:, 0]),
        (Side.RIGHT, blob[:, -1]),
        (Side.TOP, blob[0, :]),
        (Side.BOTTOM, blob[-1, :]),
    ]
    return [side for side, line in edges if int(line.sum()) >= contact]
