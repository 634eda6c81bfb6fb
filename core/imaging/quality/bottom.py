"""The body reaches the bottom edge: no strip of background under the clothing.

CHSI's sample photos show the shoulders running to the bottom edge; a capture that stopped at the
chest and was framed with background below it shows a flat cut with a band of background under
it. The standardisation completes the body (``core.imaging.body``); this check measures the result
on the finished photo: of the columns the body occupies below the chin, the share whose bottom
rows are background. A flat cut leaves nearly every such column with background under it; a
shoulder narrowing at the bottom, or hair hanging beside it, only a few.

A pixel is body where its colour differs from the background. A white shirt on a white or light
grey background does not, so where the photo's person mask is known (the pipeline made the photo
from it) a pixel the mask holds is body too.
"""

from __future__ import annotations

import cv2
import numpy as np

from core.imaging.quality.geometry import BACKGROUND_TOLERANCE
from core.imaging.segmentation import PERSON
from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check, FoundFace
from core.imaging.words import Reading, in_words

BOTTOM_ROWS = 3
"""The rows along the bottom edge that must be body under every column the body occupies."""
ROW_STEP = 2
"""Where the body lies above them is read from every second row (a body is more than a row high)."""


def bottom_strip(
    image_rgb: np.ndarray, face: FoundFace, background: np.ndarray, person: np.ndarray | None = None
) -> float:
    """Share of the body's columns (below the chin) whose bottom rows are all background.

    ``person`` is the photo's person mask (0..1, its pixels), when known.
    """
    height = image_rgb.shape[0]
    chin = int(min(max(max(y for _, y in face.landmarks["chin"]), 0), height - BOTTOM_ROWS - 1))
    above = slice(chin, height - BOTTOM_ROWS, ROW_STEP)
    bottom = slice(height - BOTTOM_ROWS, height)
    occupied = _body(image_rgb, background, person, above).any(axis=0)
    if not occupied.any():
        return 1.0
    empty = ~_body(image_rgb, background, person, bottom).any(axis=0)
    return float((occupied & empty).sum() / occupied.sum())


def _body(image_rgb: np.ndarray, background: np.ndarray, person: np.ndarray | None, rows: slice) -> np.ndarray:
    """Pixels of ``rows`` that differ from the replaced background by more than JPEG ripples do, or
    that the person mask holds."""
    lower = np.clip(background - BACKGROUND_TOLERANCE, 0, 255).astype(np.uint8)
    upper = np.clip(background + BACKGROUND_TOLERANCE, 0, 255).astype(np.uint8)
    body = cv2.inRange(np.ascontiguousarray(image_rgb[rows]), lower, upper) == 0
    return body if person is None else body | (person[rows] > PERSON)


def check_bottom_strip(image_rgb: np.ndarray, face: FoundFace, background: np.ndarray,
                       thresholds: ImagingThresholds, person: np.ndarray | None = None) -> Check:
    value = bottom_strip(image_rgb, face, background, person)
    passed = value <= thresholds.max_bottom_strip
    return Check(
        code="bottom_strip", passed=passed, value=round(value, 3), allowed=f"≤ {thresholds.max_bottom_strip:g}",
        message_zh="肩部延伸到照片下边缘。" if passed
        else "照片下边缘有一条背景色：肩部和上身没有延伸到照片底部。请离镜头远一些，让双肩和上胸部完整入镜后重新拍摄。",
        message_en="The shoulders reach the bottom edge." if passed
        else "A strip of background runs under your body at the bottom of the photo; step back a little so "
             "that your shoulders and upper chest fill the bottom of the frame, and take it again.",
        **in_words(Reading(value, "下边缘露出背景的比例", "Share of the body with background under it", "下边缘有一条背景色，肩部没到底", "Strip of background under the body", high=thresholds.max_bottom_strip, digits=3)),
    )
