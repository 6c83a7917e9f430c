"""Synthetic e-KTP-like photos for tests and benchmarks (no real KTP ever).

Cards are drawn as light-blue ID-1 rectangles with header text, a face-photo box and
field lines, placed on wood/desk/noise/solid backgrounds with rotation, perspective and
JPEG compression. One generator per problem category builds the labelled test set.
"""

from __future__ import annotations

import colorsys
import io
import math
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

CARD_W, CARD_H = 856, 540  # 10 px per mm, ID-1 85.6 x 53.98 mm
SCENE = (1280, 960)
_FIELDS = (
    "Nama",
    "Tempat/Tgl Lahir",
    "Jenis Kelamin",
    "Alamat",
    "RT/RW",
    "Kel/Desa",
    "Kecamatan",
    "Agama",
    "Status Perkawinan",
    "Pekerjaan",
    "Kewarganegaraan",
    "Berlaku Hingga",
)
_WORDS = (
    "SITI",
    "BUDI",
    "JL MERDEKA",
    "ISLAM",
    "KAWIN",
    "WNI",
    "SEUMUR HIDUP",
    "BANDUNG",
    "KARYAWAN SWASTA",
    "LAKI-LAKI",
    "PEREMPUAN",
    "003/007",
    "CIBEUNYING",
    "SUKAJADI",
)

Rng = np.random.Generator


@dataclass(frozen=True)
class Sample:
    """Holds one labelled synthetic upload."""

    label: str
    data: bytes
    source: Literal["photo", "document"] = "document"


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Returns Pillow's bundled font at the given size."""
    return ImageFont.load_default(size)


@cache
def card_image(variant: int = 0) -> Image.Image:
    """Returns an RGBA e-KTP-like card (856 x 540, rounded corners); variants differ in text."""
    rng = np.random.default_rng(1000 + variant)
    y = np.linspace(0, 1, CARD_H)[:, None, None]
    x = np.linspace(0, 1, CARD_W)[None, :, None]
    top, bottom = np.array([168, 208, 234]), np.array([206, 232, 246])
    rgb = top + (bottom - top) * (0.7 * y + 0.3 * x)
    rgb = rgb + 6 * np.sin(x * 60 + 8 * np.sin(y * 9)) * np.array([0.6, 0.3, 0.1])
    card = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(card)
    _draw_text_blocks(draw, rng)
    _draw_face(draw, rng)
    mask = Image.new("L", card.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, CARD_W - 1, CARD_H - 1), radius=32, fill=255)
    card.putalpha(mask)
    return card


def _draw_text_blocks(draw: ImageDraw.ImageDraw, rng: Rng) -> None:
    """Draws the header, the NIK line and the field lines."""
    for row, text in enumerate(("PROVINSI JAWA BARAT", "KABUPATEN BANDUNG")):
        draw.text((CARD_W / 2, 28 + 34 * row), text, fill=(15, 15, 20), font=_font(30), anchor="mt")
    nik = "".join(str(d) for d in rng.integers(0, 10, 16))
    draw.text((30, 104), f"NIK  :  {nik}", fill=(10, 10, 10), font=_font(36))
    for row, label in enumerate(_FIELDS):
        top = 160 + 29 * row
        value = " ".join(rng.choice(_WORDS, size=int(rng.integers(1, 3))))
        draw.text((30, top), label, fill=(20, 20, 25), font=_font(20))
        draw.text((230, top), f": {value}", fill=(20, 20, 25), font=_font(20))


def _draw_face(draw: ImageDraw.ImageDraw, rng: Rng) -> None:
    """Draws the pass photo (red or blue backdrop), place/date and a signature."""
    backdrop = (200, 35, 40) if rng.random() < 0.5 else (40, 70, 170)
    draw.rectangle((640, 140, 810, 370), fill=backdrop)
    draw.ellipse((680, 170, 770, 280), fill=(214, 170, 140))
    draw.rectangle((665, 285, 785, 370), fill=(35, 35, 45))
    draw.text((725, 385), "BANDUNG", fill=(20, 20, 25), font=_font(18), anchor="mt")
    draw.text((725, 408), "12-08-2015", fill=(20, 20, 25), font=_font(18), anchor="mt")
    points = [(665 + 12 * i, 460 + int(rng.integers(-14, 14))) for i in range(11)]
    draw.line(points, fill=(20, 20, 60), width=3)


def background(rng: Rng, size: tuple[int, int] = SCENE, kind: str | None = None) -> Image.Image:
    """Returns a wood, desk, noise or solid background without card-blue areas."""
    kind = kind or str(rng.choice(["wood", "desk", "noise", "solid"]))
    width, height = size
    if kind == "wood":
        y = np.arange(height, dtype=np.float32)[:, None]
        x = np.arange(width, dtype=np.float32)[None, :]
        base = np.array([rng.uniform(110, 170), rng.uniform(70, 105), rng.uniform(35, 65)])
        grain = 0.82 + 0.18 * np.sin(y / rng.uniform(6, 14) + 3 * np.sin(x / rng.uniform(80, 200)))
        rgb = grain[..., None] * base.astype(np.float32)
        image = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    elif kind == "noise":
        grid = np.stack([_non_card_colour(rng) for _ in range(48)]).reshape(6, 8, 3)
        image = Image.fromarray(grid.astype(np.uint8), "RGB").resize(size, Image.Resampling.BICUBIC)
    else:
        grey = rng.uniform(35, 235)
        colour = np.full(3, grey) if kind == "desk" else _non_card_colour(rng)
        image = Image.new("RGB", size, tuple(int(c) for c in colour))
    return image


@cache
def _noise_field(width: int, height: int) -> Image.Image:
    """Returns a fixed Gaussian noise image (sigma 1 around 128), twice as tall as needed."""
    field = np.random.default_rng(0).standard_normal((2 * height, width), dtype=np.float32)
    return Image.fromarray(np.clip(128 + 16 * field, 0, 255).astype(np.uint8), "L")


def _add_noise(
    image: Image.Image, rng: Rng, sigma: float, gain: np.ndarray | float = 1.0
) -> Image.Image:
    """Returns gain * image plus Gaussian noise of about sigma (a random crop of a cached field)."""
    width, height = image.size
    offset = int(rng.integers(0, height))
    grey = _noise_field(width, height).crop((0, offset, width, offset + height))
    noise = grey.point(lambda v: 128 + (v - 128) * sigma / 16)
    if isinstance(gain, np.ndarray):
        light = Image.fromarray(np.clip(gain * 255, 0, 255).astype(np.uint8), "L")
        image = ImageChops.multiply(image, Image.merge("RGB", (light, light, light)))
    elif gain != 1.0:
        image = image.point(lambda v: v * gain)
    return ImageChops.add(image, Image.merge("RGB", (noise, noise, noise)), offset=-128)


def _non_card_colour(rng: Rng) -> np.ndarray:
    """Returns a random RGB colour whose hue is outside the e-KTP blue range."""
    while True:
        hue, sat, val = rng.uniform(0, 1), rng.uniform(0.1, 0.9), rng.uniform(0.2, 0.95)
        if not 0.40 <= hue <= 0.80:
            return np.array(colorsys.hsv_to_rgb(hue, sat, val)) * 255


def _perspective_coeffs(
    dst: list[tuple[float, float]], src: list[tuple[float, float]]
) -> list[float]:
    """Returns Pillow PERSPECTIVE data mapping output points dst to input points src."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return [float(c) for c in np.linalg.solve(np.array(rows), np.array(rhs))]


def place_card(
    scene: Image.Image,
    card: Image.Image,
    rng: Rng,
    *,
    width: float,
    center: tuple[float, float],
    angle: float,
    tilt: float = 0.05,
) -> Image.Image:
    """Returns the scene with the card pasted: scaled to width, rotated, perspective-tilted."""
    factor = min(1.0, 1.3 * width / CARD_W)
    card = card.resize((round(CARD_W * factor), round(CARD_H * factor)), Image.Resampling.LANCZOS)
    half_w, half_h = width / 2, width / 2 * CARD_H / CARD_W
    cos, sin = math.cos(angle), math.sin(angle)
    dst = []
    for cx, cy in ((-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h)):
        jx, jy = rng.uniform(-tilt, tilt, 2) * width
        dst.append((center[0] + cx * cos - cy * sin + jx, center[1] + cx * sin + cy * cos + jy))
    src = [(0.0, 0.0), (card.width, 0.0), (card.width, card.height), (0.0, card.height)]
    # Warp only the bounding box of the card: warping the whole scene is the slow part.
    left = max(0, math.floor(min(x for x, _ in dst)))
    top = max(0, math.floor(min(y for _, y in dst)))
    right = min(scene.width, math.ceil(max(x for x, _ in dst)) + 1)
    bottom = min(scene.height, math.ceil(max(y for _, y in dst)) + 1)
    if right <= left or bottom <= top:
        return scene.copy()
    local = [(x - left, y - top) for x, y in dst]
    warped = card.transform(
        (right - left, bottom - top),
        Image.Transform.PERSPECTIVE,
        _perspective_coeffs(local, src),
        Image.Resampling.BILINEAR,
    )
    out = scene.copy()
    out.paste(warped, (left, top), mask=warped.getchannel("A"))
    return out


def camera(image: Image.Image, rng: Rng, *, noise: float = 5.0) -> Image.Image:
    """Returns the image with uneven lighting and sensor noise, as a phone would record it."""
    width, height = image.size
    gx, gy = rng.uniform(-0.08, 0.08, 2)
    light = (
        0.9
        + gx * np.linspace(-1, 1, width, dtype=np.float32)[None, :]
        + gy * np.linspace(-1, 1, height, dtype=np.float32)[:, None]
    )
    return _add_noise(image, rng, noise, light)


def jpeg(image: Image.Image, quality: int = 88, **params: object) -> bytes:
    """Returns the image encoded as JPEG."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, **params)
    return buffer.getvalue()


def png(image: Image.Image) -> bytes:
    """Returns the image encoded as PNG (fast compression)."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


# --- scenes per category ---------------------------------------------------------------------


def _random_card(rng: Rng) -> Image.Image:
    """Returns one of a few card variants."""
    return card_image(int(rng.integers(0, 4)))


def _angle(rng: Rng) -> float:
    """Returns a hand-held angle, now and then a card held upright."""
    angle = rng.uniform(-0.45, 0.45)
    return angle + math.pi / 2 if rng.random() < 0.1 else angle


def good_scene(rng: Rng, size: tuple[int, int] = SCENE, width: float | None = None) -> Image.Image:
    """Returns a whole card, well lit and sharp, somewhere inside the frame."""
    angle = _angle(rng)
    upright = abs(math.sin(angle)) > 0.7
    limit = size[1] / 1.2 if upright else min(size[0] / 1.15, size[1] / 0.8)
    width = width or rng.uniform(0.5, 0.8) * limit
    extent = _extent(width, angle)
    cx, cy = _centre(rng, extent[0], size[0]), _centre(rng, extent[1], size[1])
    scene = place_card(
        background(rng, size), _random_card(rng), rng, width=width, center=(cx, cy), angle=angle
    )
    return camera(scene, rng)


def _centre(rng: Rng, half: float, length: int, margin: float = 30) -> float:
    """Returns a centre coordinate keeping half the extent plus a margin inside the frame."""
    if 2 * (half + margin) >= length:
        return length / 2
    return rng.uniform(half + margin, length - half - margin)


def _extent(width: float, angle: float) -> tuple[float, float]:
    """Returns the half extents of a rotated card of the given width, with tilt margin."""
    half_w, half_h = width * 0.55, width * (CARD_H / CARD_W / 2 + 0.05)
    cos, sin = abs(math.cos(angle)), abs(math.sin(angle))
    return half_w * cos + half_h * sin, half_w * sin + half_h * cos


def photocopy_scene(rng: Rng) -> Image.Image:
    """Returns a greyscale copy: either the whole photo grey or a grey card on a desk."""
    if rng.random() < 0.5:
        return good_scene(rng).convert("L").convert("RGB")
    grey_card = _random_card(rng).convert("LA").convert("RGBA")
    width = rng.uniform(650, 900)
    scene = place_card(
        background(rng, SCENE, "wood"),
        grey_card,
        rng,
        width=width,
        center=(SCENE[0] / 2 + rng.uniform(-80, 80), SCENE[1] / 2 + rng.uniform(-60, 60)),
        angle=rng.uniform(-0.3, 0.3),
    )
    return camera(scene, rng)


def blurry_scene(rng: Rng) -> Image.Image:
    """Returns a good scene out of focus."""
    return good_scene(rng).filter(ImageFilter.GaussianBlur(rng.uniform(2.5, 5.0)))


def dark_scene(rng: Rng) -> Image.Image:
    """Returns a good scene shot in dim light (low gain, more noise)."""
    return _add_noise(good_scene(rng), rng, 2.0, rng.uniform(0.12, 0.32))


def glare_scene(rng: Rng) -> Image.Image:
    """Returns a good scene with a flash reflection (white blob) on the card."""
    width = rng.uniform(650, 950)
    cx, cy = SCENE[0] / 2 + rng.uniform(-60, 60), SCENE[1] / 2 + rng.uniform(-50, 50)
    scene = good_scene_at(rng, width=width, center=(cx, cy))
    radius = width * rng.uniform(0.10, 0.2)
    gx, gy = cx + rng.uniform(-0.25, 0.25) * width, cy + rng.uniform(-0.15, 0.15) * width
    y = np.arange(SCENE[1], dtype=np.float32)[:, None]
    x = np.arange(SCENE[0], dtype=np.float32)[None, :]
    dist = np.hypot(x - gx, y - gy) / radius
    alpha = np.clip((1 - dist) * 2.5, 0, 1)
    white = Image.new("RGB", SCENE, (255, 255, 255))
    mask = Image.fromarray((alpha * 255).astype(np.uint8), "L")
    return Image.composite(white, scene, mask)


def good_scene_at(rng: Rng, *, width: float, center: tuple[float, float]) -> Image.Image:
    """Returns a good scene with the card at a given width and centre."""
    scene = place_card(
        background(rng),
        _random_card(rng),
        rng,
        width=width,
        center=center,
        angle=rng.uniform(-0.2, 0.2),
    )
    return camera(scene, rng)


def cut_off_scene(rng: Rng) -> Image.Image:
    """Returns a card pushed 15-45 % over one or two frame edges."""
    width = rng.uniform(600, 900)
    height = width * CARD_H / CARD_W
    cx, cy = SCENE[0] / 2, SCENE[1] / 2
    out = rng.uniform(0.15, 0.45)
    side = int(rng.integers(0, 4))
    if side == 0:
        cx = width * (0.5 - out)
    elif side == 1:
        cx = SCENE[0] - width * (0.5 - out)
    elif side == 2:
        cy = height * (0.5 - out)
    else:
        cy = SCENE[1] - height * (0.5 - out)
    return good_scene_at(rng, width=width, center=(cx, cy))


def too_small_scene(rng: Rng) -> Image.Image:
    """Returns a whole card only 150-430 px wide."""
    return good_scene(rng, width=rng.uniform(150, 430))


def no_card_scene(rng: Rng) -> Image.Image:
    """Returns a background alone, or with a non-card object (blue square/disc, red card)."""
    scene = background(rng)
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return camera(scene, rng)
    draw = ImageDraw.Draw(scene)
    cx, cy, r = SCENE[0] / 2 + rng.uniform(-100, 100), SCENE[1] / 2, rng.uniform(150, 300)
    if kind == 1:
        draw.rectangle((cx - r, cy - r, cx + r, cy + r), fill=(175, 212, 236))
    elif kind == 2:
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(175, 212, 236))
    else:
        colour = tuple(int(c) for c in _non_card_colour(rng))
        draw.rounded_rectangle(
            (cx - 1.586 * r, cy - r, cx + 1.586 * r, cy + r), radius=20, fill=colour
        )
    return camera(scene, rng)


def blue_sky_scene(rng: Rng) -> Image.Image:
    """Returns a landscape photo with no card: card-blue sky over the upper part, ground below."""
    scene = background(rng, kind="wood")
    horizon = int(SCENE[1] * rng.uniform(0.4, 0.7))
    sky = Image.new("RGB", (SCENE[0], horizon), (172, 208, 234))
    scene.paste(sky, (0, 0))
    return camera(scene, rng)


SceneMaker = Callable[[Rng], Image.Image]
SCENES: dict[str, SceneMaker] = {
    "good": good_scene,
    "photocopy": photocopy_scene,
    "blurry": blurry_scene,
    "too_dark": dark_scene,
    "glare": glare_scene,
    "card_cut_off": cut_off_scene,
    "too_small": too_small_scene,
    "no_card_found": no_card_scene,
}


# --- file-level cases ------------------------------------------------------------------------


def big_original(rng: Rng, size: tuple[int, int] = (4000, 3000)) -> bytes:
    """Returns a camera-like original (good card, heavy sensor noise) of well over 2 MB."""
    scene = good_scene(rng, size=(size[0] // 2, size[1] // 2))
    scene = scene.resize(size, Image.Resampling.BILINEAR)
    return jpeg(camera(scene, rng, noise=7.0), quality=92)


def not_jpeg_or_png(rng: Rng, kind: int) -> bytes:
    """Returns a GIF, BMP, WebP, TIFF or random bytes (kind 0-4)."""
    if kind == 4:
        return rng.bytes(int(rng.integers(10, 4000)))
    image = good_scene(rng, size=(640, 480))
    buffer = io.BytesIO()
    image.save(buffer, ("GIF", "BMP", "WEBP", "TIFF")[kind])
    return buffer.getvalue()


@cache
def bomb_png(width: int = 30000, height: int = 30000, *, rows: int | None = None) -> bytes:
    """Returns a small PNG declaring width x height black pixels (a decompression bomb).

    rows limits how many rows the compressed data really holds (None: all, slow to build).
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    rows = height if rows is None else min(rows, height)
    block = bytes((width + 1) * 1000)  # 1000 all-black greyscale rows, filter byte 0
    compressor = zlib.compressobj(1)
    parts = [compressor.compress(block) for _ in range(rows // 1000)]
    idat = b"".join(parts) + compressor.compress(bytes((width + 1) * (rows % 1000)))
    idat += compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def bomb_jpeg(rng: Rng) -> bytes:
    """Returns a small JPEG whose frame header claims 65000 x 65000 pixels."""
    data = bytearray(jpeg(good_scene(rng, size=(320, 240))))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 65000, 65000)
    return bytes(data)


def corrupt(rng: Rng) -> bytes:
    """Returns a good JPEG or PNG truncated in the middle of its image data."""
    image = good_scene(rng, size=(800, 600))
    data = jpeg(image) if rng.random() < 0.5 else png(image)
    return data[: int(len(data) * rng.uniform(0.2, 0.7))]


def labelled_set(seed: int = 7, per_category: int = 12) -> list[Sample]:
    """Returns a fixed-seed labelled set: every scene category as JPEG (some PNG)."""
    rng = np.random.default_rng(seed)
    samples = []
    for label, scene in SCENES.items():
        for index in range(per_category):
            image = scene(rng)
            if index % 4 == 3:
                samples.append(Sample(label, png(image)))
            else:
                source: Literal["photo", "document"] = "photo" if index % 2 else "document"
                samples.append(Sample(label, jpeg(image, int(rng.integers(72, 95))), source))
    return samples
