"""Producing the accepted JPEG: metadata (EXIF, GPS, XMP, comments) removed, within the size cap."""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Iterator

from PIL import Image

from actions.ktp.limits import KtpLimits

_SOS, _EOI = 0xDA, 0xD9
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})
# Segments a decoder needs; everything else (APP1 EXIF/XMP, APP13 IPTC, COM, MPF, ...) goes.
_KEEP = frozenset({0xDB, 0xC4, 0xDD, 0xCC, *range(0xC0, 0xD0)}) - {0xC8}
# In entropy-coded data a marker is 0xFF followed by anything but 0x00, a restart or a fill byte.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def strip_jpeg(data: bytes) -> bytes | None:
    """Returns the JPEG rebuilt from its decoding segments only, or None if it is odd."""
    parts = [b"\xff\xd8"]
    try:
        for marker, start, end in _segments(data):
            if marker == _EOI:
                parts.append(b"\xff\xd9")
                return b"".join(parts)
            if _keep(marker, data[start + 4 : start + 16]):
                parts.append(data[start:end])
    except (IndexError, struct.error):
        return None
    return None


def _keep(marker: int, head: bytes) -> bool:
    """Returns whether a segment is needed to decode the picture faithfully."""
    if marker in _KEEP or marker == _SOS:
        return True
    if marker == 0xE0:
        return head.startswith(b"JFIF\x00")
    if marker == 0xE2:
        return head.startswith(b"ICC_PROFILE\x00")
    return marker == 0xEE and head.startswith(b"Adobe")


def _segments(data: bytes) -> Iterator[tuple[int, int, int]]:
    """Yields (marker, start, end) of each segment; a scan includes its entropy data."""
    pos = 2
    while pos + 2 <= len(data):
        if data[pos] != 0xFF:
            raise IndexError("marker expected")
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in _STANDALONE or marker == _EOI:
            yield marker, pos, pos + 2
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if marker == _SOS:
            found = _NEXT_MARKER.search(data, end)
            if found is None:
                raise IndexError("scan without end")
            end = found.start()
        yield marker, pos, end
        pos = end


def encode_to_fit(image: Image.Image, limits: KtpLimits, *, min_scale: float) -> bytes | None:
    """Returns the smallest-effort JPEG encoding that fits max_bytes, or None if none does."""
    for step in limits.shrink_steps:
        if step < min_scale:
            break
        sized = image if step == 1.0 else _resized(image, step)
        for quality in limits.jpeg_qualities:
            buffer = io.BytesIO()
            sized.save(buffer, "JPEG", quality=quality)
            if buffer.tell() <= limits.max_bytes:
                return buffer.getvalue()
    return None


def _resized(image: Image.Image, step: float) -> Image.Image:
    """Returns the image scaled by step."""
    size = (max(1, round(image.width * step)), max(1, round(image.height * step)))
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
