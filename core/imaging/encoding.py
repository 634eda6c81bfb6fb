"""Step 6: the CHSI JPEG — 300 dpi, the highest quality (at least 60) whose file is 20–40 KB.

The quality is found by search over real encodes; the size is never reached by padding.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from core.imaging.errors import ImageLoadError
from core.imaging.standard import (
    DPI,
    HEIGHT,
    MAX_FILE_BYTES,
    MIN_FILE_BYTES,
    MIN_JPEG_QUALITY,
    WIDTH,
)
from core.imaging.types import Check
from core.imaging.words import KILOBYTES, Reading, in_words

SUBSAMPLING_444 = 0
SUBSAMPLING_420 = 2
_IJG_LUMINANCE = np.array(
    [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
     14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
     92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99],
    dtype=np.float64,
)
"""The IJG reference luminance table (JPEG Annex K), which libjpeg scales by the quality."""
FIRST_GUESS = 86
"""Where the quality search starts: the London portraits land at 81–91."""
TYPICAL_LOG_SIZE_SLOPE = 0.04
"""Growth of ln(file size) per quality step near 85, for the second guess."""


@dataclass(frozen=True)
class EncodedJpeg:
    data: bytes
    quality: int
    subsampling: int


def encode_jpeg(image_rgb: np.ndarray) -> EncodedJpeg:
    """The highest-quality encode inside the size window.

    Full-resolution colour (4:4:4) is tried first; when even quality 60 is too large (a very
    detailed photo), 4:2:0 chroma, which the standard allows, gives the room.
    """
    image = Image.fromarray(image_rgb)
    best: EncodedJpeg | None = None
    for subsampling in (SUBSAMPLING_444, SUBSAMPLING_420):
        found = _highest_quality_within(image, subsampling, MAX_FILE_BYTES)
        if found is not None and len(found.data) >= MIN_FILE_BYTES:
            return found
        best = best or found
    return best or _encode(image, MIN_JPEG_QUALITY, SUBSAMPLING_420)


def _highest_quality_within(image: Image.Image, subsampling: int, limit: int) -> EncodedJpeg | None:
    """The highest quality whose file fits ``limit``, or None when not even the lowest does.

    File size grows strictly with quality, so the answer is bracketed between a quality that fits
    and one that does not, and found when the two are adjacent. Each next guess is interpolated on
    the logarithm of the size (close to linear in quality), which needs about three encodes where
    halving the bracket needs six.
    """
    fits: EncodedJpeg | None = None
    too_large: EncodedJpeg | None = None
    quality = FIRST_GUESS
    while True:
        encoded = _encode(image, quality, subsampling)
        if len(encoded.data) <= limit:
            fits = encoded
        else:
            too_large = encoded
        low = fits.quality if fits else MIN_JPEG_QUALITY - 1
        high = too_large.quality if too_large else 101
        if high - low <= 1:
            return fits
        quality = int(np.clip(_interpolate(fits, too_large, limit), low + 1, high - 1))


def _interpolate(fits: EncodedJpeg | None, too_large: EncodedJpeg | None, limit: int) -> float:
    """The quality at which the size would reach ``limit``, from the encodes that bracket it."""
    if fits and too_large:
        slope = np.log(len(too_large.data) / len(fits.data)) / (too_large.quality - fits.quality)
    else:
        slope = TYPICAL_LOG_SIZE_SLOPE
    known = fits or too_large
    assert known is not None
    return known.quality + np.floor(np.log(limit / len(known.data)) / slope)


def _encode(image: Image.Image, quality: int, subsampling: int) -> EncodedJpeg:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, subsampling=subsampling, dpi=(DPI, DPI), optimize=True)
    return EncodedJpeg(buffer.getvalue(), quality, subsampling)


def estimate_quality(data: bytes) -> int | None:
    """The libjpeg quality a JPEG was saved with: the one whose luminance table is nearest its own."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            tables = getattr(image, "quantization", None)
    except OSError as exc:
        raise ImageLoadError("无法读取 JPEG 文件。", "The JPEG file cannot be read.") from exc
    if not tables or 0 not in tables:
        return None
    luminance = np.array(tables[0], dtype=np.float64)
    return int(np.argmin(np.abs(_IJG_TABLES - luminance).sum(axis=1))) + 1


def _ijg_table(quality: int) -> np.ndarray:
    """libjpeg's luminance table for ``quality`` (jcparam.c: jpeg_quality_scaling)."""
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    return np.clip(np.floor((_IJG_LUMINANCE * scale + 50) / 100), 1, 255)


_IJG_TABLES = np.stack([_ijg_table(q) for q in range(1, 101)])
"""Row q - 1: libjpeg's luminance table for quality q."""


def format_checks(data: bytes) -> list[Check]:
    """The standard's file rules, measured on the bytes as they would be uploaded."""
    with Image.open(io.BytesIO(data)) as image:
        size, kind, mode = image.size, image.format, image.mode
        dpi = image.info.get("dpi", (0, 0))
    quality = estimate_quality(data) if kind == "JPEG" else None
    kb = len(data) / 1024
    colour_jpeg = kind == "JPEG" and mode == "RGB"
    same_size = size == (WIDTH, HEIGHT)
    dpi_ok = round(float(dpi[0])) == DPI and round(float(dpi[1])) == DPI
    low_kb, high_kb = MIN_FILE_BYTES // 1024, MAX_FILE_BYTES // 1024
    return [
        Check("format", colour_jpeg, f"{kind} {mode}", "JPEG, 24-bit RGB",
              "照片须为 24 位彩色 JPEG 文件。", "The photo must be a 24-bit colour JPEG.",
              detail_zh="文件格式（24 位彩色照片，应为 24 位彩色照片）" if colour_jpeg
              else "文件格式不对（不是 24 位彩色照片，应为 24 位彩色照片）",
              detail_en="File format (24-bit colour JPEG, allowed 24-bit colour JPEG)" if colour_jpeg
              else f"Wrong file format ({kind} {mode}, allowed 24-bit colour JPEG)"),
        Check("dimensions", same_size, f"{size[0]}x{size[1]}", f"{WIDTH}x{HEIGHT}",
              f"照片尺寸须为 {WIDTH}×{HEIGHT} 像素。", f"The photo must be {WIDTH}x{HEIGHT} pixels.",
              detail_zh=f"{'照片尺寸' if same_size else '照片尺寸不对'}（{size[0]}×{size[1]} 像素，应 {WIDTH}×{HEIGHT} 像素）",
              detail_en=f"{'Photo size' if same_size else 'Wrong photo size'} ({size[0]}×{size[1]} px, "
                        f"allowed {WIDTH}×{HEIGHT} px)"),
        Check("dpi", dpi_ok, float(round(float(dpi[0]))), f"{DPI}",
              f"照片分辨率须为 {DPI} dpi。", f"The photo must be {DPI} dpi.",
              **in_words(Reading(round(float(dpi[0])), "每英寸像素数", "Pixels per inch", "每英寸像素数不对",
                                 "Wrong pixels per inch", low=DPI, high=DPI, digits=0, ok=dpi_ok))),
        Check("jpeg_quality", quality is not None and quality >= MIN_JPEG_QUALITY,
              None if quality is None else float(quality), f">= {MIN_JPEG_QUALITY}",
              f"JPEG 压缩质量须不低于 {MIN_JPEG_QUALITY}。", f"JPEG quality must be at least {MIN_JPEG_QUALITY}.",
              **in_words(Reading(quality, "压缩质量", "Compression quality", "压缩过度，质量太低", "Compressed too hard",
                                 low=MIN_JPEG_QUALITY, digits=0))),
        Check("file_size", MIN_FILE_BYTES <= len(data) <= MAX_FILE_BYTES, round(kb, 1),
              f"{low_kb}-{high_kb} KB",
              f"文件大小须在 {low_kb}–{high_kb} KB 之间。",
              f"The file must be {low_kb}-{high_kb} KB.",
              **in_words(Reading(kb, "文件大小", "File size", "文件大小不合要求", "File size out of range",
                                 low=low_kb, high=high_kb, unit=KILOBYTES, digits=1))),
    ]
