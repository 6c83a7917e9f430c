"""Format and pixel-count sniffing from the first bytes, before any decoding."""

from __future__ import annotations

import struct
from typing import Literal

ImageFormat = Literal["JPEG", "PNG"]

_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Start-of-frame markers carry the frame size; C4, C8 and CC share the range but are not frames.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})


def sniff_format(data: bytes) -> ImageFormat | None:
    """Returns "JPEG" or "PNG" judged by magic bytes only, else None."""
    if data.startswith(_JPEG_MAGIC):
        return "JPEG"
    if data.startswith(_PNG_MAGIC):
        return "PNG"
    return None


def declared_size(data: bytes, fmt: ImageFormat) -> tuple[int, int] | None:
    """Returns the (width, height) the header declares, or None when unreadable."""
    if fmt == "PNG":
        if len(data) < 24 or data[12:16] != b"IHDR":
            return None
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return _jpeg_frame_size(data)


def _jpeg_frame_size(data: bytes) -> tuple[int, int] | None:
    """Returns the size in the first JPEG start-of-frame segment, or None."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        if marker in (0xD9, 0xDA):
            return None
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _SOF_MARKERS and pos + 9 <= len(data):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        pos += 2 + length
    return None
