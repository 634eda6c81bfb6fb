"""A small JPEG of a standardised photo for queue and list pages, so they never load 40 KB each."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

THUMBNAIL_SIZE = (150, 200)
THUMBNAIL_QUALITY = 80


def thumbnail_jpeg(image_rgb: np.ndarray) -> bytes:
    small = cv2.resize(image_rgb, THUMBNAIL_SIZE, interpolation=cv2.INTER_AREA)
    buffer = io.BytesIO()
    Image.fromarray(small).save(buffer, "JPEG", quality=THUMBNAIL_QUALITY)
    return buffer.getvalue()
