"""Minimum-area rectangles around pixel blobs, and straightening them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, kw_only=True)
class Rect:
    """Holds a rotated rectangle: centre, unit long axis and side lengths in pixels."""

    center: tuple[float, float]
    axis: tuple[float, float]
    long: float
    short: float

    @property
    def aspect(self) -> float:
        """Returns long side over short side."""
        return self.long / max(self.short, 1e-6)

    @property
    def area(self) -> float:
        """Returns the rectangle area in square pixels."""
        return self.long * self.short

    def corners(self, *, scale: float = 1.0, inset: float = 0.0) -> FloatArray:
        """Returns corners (upper-left, lower-left, lower-right, upper-right), shrunk by inset."""
        center = np.array(self.center) * scale
        along = np.array(self.axis) * self.long * scale * (1 - inset) / 2
        across = np.array([-self.axis[1], self.axis[0]]) * self.short * scale * (1 - inset) / 2
        return np.stack(
            [
                center - along - across,
                center - along + across,
                center + along + across,
                center + along - across,
            ]
        )


def min_area_rect(mask: BoolArray) -> Rect | None:
    """Returns the smallest rotated rectangle around the True pixels, or None if degenerate."""
    edge = mask & ~ndimage.binary_erosion(mask)
    ys, xs = np.nonzero(edge)
    if len(xs) < 4:
        return None
    points = np.column_stack([xs, ys]).astype(np.float64)
    try:
        hull = points[ConvexHull(points).vertices]
    except (QhullError, ValueError):
        return None
    return _best_rect(hull)


def _best_rect(hull: FloatArray) -> Rect:
    """Returns the rectangle with the smallest area among those aligned with a hull edge."""
    edges = np.roll(hull, -1, axis=0) - hull
    angles = np.unique(np.mod(np.arctan2(edges[:, 1], edges[:, 0]), np.pi / 2))
    cos, sin = np.cos(angles)[:, None], np.sin(angles)[:, None]
    u = hull[:, 0][None, :] * cos + hull[:, 1][None, :] * sin
    v = -hull[:, 0][None, :] * sin + hull[:, 1][None, :] * cos
    width = u.max(axis=1) - u.min(axis=1) + 1
    height = v.max(axis=1) - v.min(axis=1) + 1
    best = int(np.argmin(width * height))
    c, s = float(cos[best, 0]), float(sin[best, 0])
    mid_u = (u[best].max() + u[best].min()) / 2
    mid_v = (v[best].max() + v[best].min()) / 2
    center = (mid_u * c - mid_v * s, mid_u * s + mid_v * c)
    w, h = float(width[best]), float(height[best])
    axis = (c, s) if w >= h else (-s, c)
    if axis[0] < 0:
        axis = (-axis[0], -axis[1])
    return Rect(
        center=(float(center[0]), float(center[1])), axis=axis, long=max(w, h), short=min(w, h)
    )


def straighten(
    image: Image.Image, rect: Rect, *, scale: float, side: int, aspect: float, inset: float
) -> Image.Image:
    """Returns the rectangle's content warped upright, never upsampled beyond its own size."""
    long_px = max(8, min(side, round(rect.long * scale * (1 - inset))))
    size = (long_px, max(5, round(long_px / aspect)))
    quad = rect.corners(scale=scale, inset=inset).flatten().tolist()
    return image.transform(size, Image.Transform.QUAD, quad, Image.Resampling.BILINEAR)
