"""Quality measures taken on the straightened card, independent of the photo size."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

_GLARE_LUMA = 242
_GLARE_SAT = 40
_TEXT_FRACTION_OF_MAX = 0.45


@dataclass(frozen=True, kw_only=True)
class CardQuality:
    """Holds the measures of one straightened card image."""

    luma: float
    saturation: float
    sharpness: float
    glare: float

    def as_dict(self) -> dict[str, float]:
        """Returns the measures keyed by name, for reports and tuning."""
        return {
            "luma": self.luma,
            "saturation": self.saturation,
            "sharpness": self.sharpness,
            "glare": self.glare,
        }


def measure(card: Image.Image) -> CardQuality:
    """Returns brightness, colourfulness, sharpness and glare of a straightened card."""
    hsv = np.asarray(card.convert("HSV"), dtype=np.float32)
    luma = np.asarray(card.convert("L"), dtype=np.float32)
    return CardQuality(
        luma=_percentiles(luma, (50,))[0],
        saturation=_background_saturation(hsv),
        sharpness=sharpness(luma),
        glare=_largest_glare_blob(luma, hsv[..., 1]),
    )


def sharpness(luma: np.ndarray) -> float:
    """Returns the strongest Laplacian responses relative to the contrast range.

    A step edge gives about 1 whatever the contrast; blur spreads it and lowers it.
    """
    lap = 4 * luma[1:-1, 1:-1] - luma[:-2, 1:-1] - luma[2:, 1:-1] - luma[1:-1, :-2] - luma[1:-1, 2:]
    if lap.size == 0:
        return 0.0
    low, high = _percentiles(luma, (2, 98))
    (peak,) = _percentiles(np.abs(lap), (99.5,))
    return peak / max(high - low, 24.0)


def _percentiles(values: np.ndarray, points: tuple[float, ...]) -> list[float]:
    """Returns percentiles of non-negative values, to whole units, via a histogram (fast)."""
    counts = np.bincount(np.clip(values, 0, 4095).astype(np.int32).ravel(), minlength=1)
    cumulative = np.cumsum(counts)
    targets = [point / 100 * (cumulative[-1] - 1) for point in points]
    return [float(np.searchsorted(cumulative, target, side="right")) for target in targets]


def _background_saturation(hsv: np.ndarray) -> float:
    """Returns the median saturation (0-1) of the card's light background, text excluded."""
    val, sat = hsv[..., 2], hsv[..., 1]
    light = val >= _TEXT_FRACTION_OF_MAX * float(val.max(initial=0.0))
    if not light.any():
        return 0.0
    return float(np.median(sat[light])) / 255


def _largest_glare_blob(luma: np.ndarray, sat: np.ndarray) -> float:
    """Returns the area fraction of the largest blown-out, colourless blob on the card."""
    blown = (luma >= _GLARE_LUMA) & (sat <= _GLARE_SAT)
    if not blown.any():
        return 0.0
    labels, _ = ndimage.label(blown)
    largest = int(np.bincount(labels.ravel())[1:].max())
    return largest / blown.size
