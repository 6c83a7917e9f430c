"""Decoding of untrusted JPEG/PNG bytes at reduced size, with orientation applied."""

from __future__ import annotations

import io
import logging
import math
import warnings
from dataclasses import dataclass

from PIL import Image

from actions.ktp.sniff import ImageFormat

logger = logging.getLogger(__name__)

_EXIF_ORIENTATION = 0x0112
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class DecodeError(Exception):
    """Raised when the bytes cannot be decoded into an image."""


class PixelFloodError(Exception):
    """Raised when Pillow itself refuses the image as a decompression bomb."""


@dataclass(frozen=True, kw_only=True)
class Decoded:
    """Holds an RGB image decoded at `scale` times the oriented original size."""

    image: Image.Image
    width: int
    height: int
    orientation: int
    mode: str

    @property
    def scale(self) -> float:
        """Returns decoded pixels per original pixel."""
        return self.image.width / self.width


def decode(data: bytes, fmt: ImageFormat, *, min_side: int | None) -> Decoded:
    """Returns the decoded, oriented RGB image, reduced while its long side stays >= min_side."""
    with warnings.catch_warnings():
        # Our own pixel cap ran on the header already; Pillow's warning would be noise.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            return _decode(data, fmt, min_side=min_side)
        except Image.DecompressionBombError as exc:
            raise PixelFloodError(str(exc)) from exc
        except Exception as exc:  # untrusted bytes: any decoder failure means "corrupt"
            logger.debug("image decode failed: %s", type(exc).__name__)
            raise DecodeError(type(exc).__name__) from exc


def _decode(data: bytes, fmt: ImageFormat, *, min_side: int | None) -> Decoded:
    """Returns the Decoded image; lets decoder errors propagate."""
    # No context manager: closing would drop the pixels we keep (the buffer is in memory).
    opened = Image.open(io.BytesIO(data), formats=[fmt])
    width, height = opened.size
    orientation = int(opened.getexif().get(_EXIF_ORIENTATION, 1) or 1)
    mode = opened.mode
    if fmt == "JPEG" and min_side is not None:
        opened.draft("RGB", _draft_request(width, height, min_side))
    opened.load()
    image = _to_rgb(opened)
    transpose = _TRANSPOSE.get(orientation)
    if transpose is not None:
        image = image.transpose(transpose)
        if orientation >= 5:
            width, height = height, width
    return Decoded(image=image, width=width, height=height, orientation=orientation, mode=mode)


def _draft_request(width: int, height: int, min_side: int) -> tuple[int, int]:
    """Returns the size to ask draft() for so the long side stays >= min_side."""
    factor = min(1.0, min_side / max(width, height, 1))
    return max(1, math.ceil(width * factor)), max(1, math.ceil(height * factor))


def _to_rgb(image: Image.Image) -> Image.Image:
    """Returns an RGB copy, transparent areas flattened onto white."""
    if image.mode == "RGB":
        return image
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if not has_alpha:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat
