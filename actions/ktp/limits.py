"""Thresholds of the KTP photo check, grouped in one keyword-only value object."""

from __future__ import annotations

from dataclasses import dataclass

# ID-1 card format (ISO/IEC 7810): 85.60 mm x 53.98 mm.
ID1_ASPECT = 85.60 / 53.98


@dataclass(frozen=True, kw_only=True)
class KtpLimits:
    """Holds every tunable threshold; the defaults follow the Prakerja upload rules."""

    max_bytes: int = 2 * 1024 * 1024
    # Refused from the header alone, before any decoding (decompression bombs).
    max_pixels_jpeg: int = 64_000_000
    max_pixels_png: int = 24_000_000
    min_card_px: int = 500
    # Long side of the image handed to card detection.
    detect_side: int = 320
    # Decode at least this long side when only checking, and when re-encoding.
    check_side: int = 640
    output_side: int = 2000
    # Straightened card used for the quality measures (never upsampled).
    card_side: int = 400
    aspect_tolerance: float = 0.22
    min_fill: float = 0.80
    min_sharpness: float = 0.28
    min_card_luma: float = 85.0
    min_card_saturation: float = 0.07
    max_glare_fraction: float = 0.012
    jpeg_qualities: tuple[int, ...] = (90, 82, 74, 66)
    shrink_steps: tuple[float, ...] = (1.0, 0.8, 0.64, 0.5)


DEFAULT_LIMITS = KtpLimits()
