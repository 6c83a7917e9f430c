"""Stable problem codes reported by the KTP photo check."""

from __future__ import annotations

from enum import StrEnum


class ProblemCode(StrEnum):
    """Names one reason a KTP photo is refused; values are stable API."""

    NOT_JPEG_OR_PNG = "not_jpeg_or_png"
    CORRUPT = "corrupt"
    TOO_MANY_PIXELS = "too_many_pixels"
    TOO_LARGE = "too_large"
    TOO_SMALL = "too_small"
    NO_CARD_FOUND = "no_card_found"
    CARD_CUT_OFF = "card_cut_off"
    PHOTOCOPY = "photocopy"
    BLURRY = "blurry"
    TOO_DARK = "too_dark"
    GLARE = "glare"


class Side(StrEnum):
    """Names an edge of the photo as the user sees it (after EXIF rotation)."""

    LEFT = "left"
    RIGHT = "right"
    TOP = "top"
    BOTTOM = "bottom"
