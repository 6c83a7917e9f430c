"""Turns formats the platform refuses (HEIC/HEIF, WEBP, a PDF scan) into a JPEG to check."""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from typing import Literal

from PIL import Image

logger = logging.getLogger(__name__)

ForeignFormat = Literal["HEIC", "WEBP", "PDF"]
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})
_PDF_LONG_SIDE = 2400  # pixels of the rendered first page: enough for a readable card
_JPEG_QUALITY = 92


class ConversionError(Exception):
    """Raised when the file claims a convertible format but cannot be read."""


@dataclass(frozen=True, slots=True)
class Converted:
    """The JPEG made from a foreign file, and what it was."""

    jpeg: bytes
    source: ForeignFormat


def sniff_foreign(data: bytes) -> ForeignFormat | None:
    """Returns HEIC, WEBP or PDF judged by magic bytes, else None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIC"
    if data.startswith(b"%PDF-"):
        return "PDF"
    return None


def convert_foreign(data: bytes, *, max_pixels: int) -> Converted | None:
    """Returns the file as a JPEG when it is HEIC, WEBP or PDF; None for any other format."""
    source = sniff_foreign(data)
    if source is None:
        return None
    try:
        image = _PAGE_READERS[source](data, max_pixels)
    except ConversionError:
        raise
    except Exception as error:  # a broken file of a library format: say corrupt, keep calm
        logger.info("could not convert a %s upload: %s", source, type(error).__name__)
        raise ConversionError(source) from error
    return Converted(jpeg=_as_jpeg(image), source=source)


def _checked(size: tuple[int, int], max_pixels: int) -> None:
    if size[0] <= 0 or size[1] <= 0 or size[0] * size[1] > max_pixels:
        raise ConversionError("pixel count outside the allowed range")


def _read_webp(data: bytes, max_pixels: int) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = Image.open(io.BytesIO(data))
        _checked(image.size, max_pixels)  # from the header, before any pixel is decoded
        image.load()
    return image


def _read_heic(data: bytes, max_pixels: int) -> Image.Image:
    import pillow_heif  # imported on use: the library is only needed for iPhone photos

    heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
    _checked(heif.size, max_pixels)  # the size is known before the frame is decoded
    return heif.to_pillow()


def _read_pdf_first_page(data: bytes, max_pixels: int) -> Image.Image:
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        if len(document) == 0:
            raise ConversionError("a PDF without pages")
        page = document[0]
        width, height = page.get_size()  # in points (1/72 inch)
        scale = min(_PDF_LONG_SIDE / max(width, height, 1.0), 300 / 72)
        _checked((round(width * scale), round(height * scale)), max_pixels)
        image: Image.Image = page.render(scale=scale).to_pil()
        page.close()
        return image
    finally:
        document.close()


_PAGE_READERS = {"WEBP": _read_webp, "HEIC": _read_heic, "PDF": _read_pdf_first_page}


def _as_jpeg(image: Image.Image) -> bytes:
    if image.mode != "RGB":
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    out = io.BytesIO()
    image.save(out, "JPEG", quality=_JPEG_QUALITY)
    return out.getvalue()
