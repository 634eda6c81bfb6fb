"""Step 1: bytes from a phone, a school's roster or a staff upload, to an RGB array.

Only formats a student's phone or a registrar's folder really delivers are accepted, and every
way a file can be unreadable ends in one typed :class:`ImageLoadError`, never a crash.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pillow_heif
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from core.imaging.errors import ImageLoadError

pillow_heif.register_heif_opener()

FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
MAX_BYTES = 40 * 1024 * 1024
MAX_PIXELS = 64_000_000
"""Decompression-bomb limit: above a 48-megapixel phone sensor, below what exhausts memory."""


@dataclass(frozen=True)
class LoadedImage:
    """A decoded photo, possibly decoded at a reduced size (JPEG DCT scaling) to save time."""

    rgb: np.ndarray
    source_size: tuple[int, int]
    """(width, height) of the full-resolution photo, after EXIF orientation."""
    format: str

    @property
    def reduction(self) -> float:
        """Full-resolution pixels per decoded pixel (1.0 when decoded at full size)."""
        return self.source_size[0] / self.rgb.shape[1]


def load_image(data: bytes, *, min_long_side: int | None = None) -> LoadedImage:
    """Decode ``data`` upright as 8-bit RGB.

    With ``min_long_side``, a JPEG is decoded at the smallest DCT scale (1/2, 1/4, 1/8) whose long
    side is still at least that many pixels: a 12-megapixel capture then decodes in a fraction of
    the time. Other formats always decode at full size.
    """
    if not data:
        raise ImageLoadError("文件为空。", "The file is empty.")
    if len(data) > MAX_BYTES:
        raise ImageLoadError(
            f"文件过大（{len(data) // (1024 * 1024)} MB），上限 {MAX_BYTES // (1024 * 1024)} MB。",
            f"The file is too large ({len(data) // (1024 * 1024)} MB, limit {MAX_BYTES // (1024 * 1024)} MB).",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            return _decode(image, min_long_side)
    except ImageLoadError:
        raise
    except UnidentifiedImageError as exc:
        raise ImageLoadError(
            "无法识别的文件：只接受 JPEG、PNG、WebP 或 HEIC 照片。",
            "Not a recognised photo: only JPEG, PNG, WebP and HEIC are accepted.",
        ) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise ImageLoadError(
            f"照片文件已损坏或不完整，无法读取（{exc}）。",
            f"The photo file is corrupt or truncated and cannot be read ({exc}).",
        ) from exc


def _decode(image: Image.Image, min_long_side: int | None) -> LoadedImage:
    width, height = image.size
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        raise _too_many_pixels()
    if min_long_side and image.format == "JPEG" and max(width, height) > min_long_side:
        k = min_long_side / max(width, height)
        image.draft(None, (math.ceil(width * k), math.ceil(height * k)))
    # face_recognition turns this on for the whole process when imported; a truncated upload
    # would then decode with a grey bottom instead of being refused.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    image.load()
    source_size = (height, width) if _swaps_axes(image) else (width, height)
    kind = image.format or ""
    ImageOps.exif_transpose(image, in_place=True)
    return LoadedImage(_to_rgb8(image), source_size, kind)


def _swaps_axes(image: Image.Image) -> bool:
    return image.getexif().get(ImageOps.ExifTags.Base.Orientation, 1) in (5, 6, 7, 8)


def _to_rgb8(image: Image.Image) -> np.ndarray:
    """Greyscale, 16-bit, CMYK, palette and alpha images all become 8-bit RGB."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        grey = np.asarray(image).astype(np.uint32) >> 8
        grey8 = np.clip(grey, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey8[:, :, None], 3, axis=2))
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    ):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))


def _too_many_pixels() -> ImageLoadError:
    return ImageLoadError(
        f"图片像素过多或尺寸无效（上限 {MAX_PIXELS // 1_000_000} 百万像素）。",
        f"The image has too many pixels or an invalid size (limit {MAX_PIXELS // 1_000_000} megapixels).",
    )
