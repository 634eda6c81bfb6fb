"""Background of the capture outside the person: uniform, no other person or object.

Measured on the capture, before replacement, because a second person or an object next to the
student is what segmentation may keep. The measure is the share of background pixels whose colour
is far from the background's own median: a plain wall (even with a gentle gradient) stays low,
furniture, a doorway or a second person raise it.
"""

from __future__ import annotations

import cv2
import numpy as np

from core.imaging.segmentation import PERSON, keep_face_region, person_mask
from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check, FoundFace
from core.imaging.words import Reading, in_words

WORK_WIDTH = 320
"""The capture is measured at this width: the measure is a share of pixels, so resolution only costs time."""
FAR_COLOUR = 20.0
"""CIELAB distance from the background median beyond which a pixel is 'something else'."""
EDGE_PX = 0.02
"""The person mask's soft edge (hair, shoulders) is widened by this share of the width before the
background is measured, so that the person's own outline does not count as clutter."""


def main_person(capture_rgb: np.ndarray, face: FoundFace) -> np.ndarray:
    """The person joined to the face, from the segmentation model (other people stay background)."""
    return keep_face_region(person_mask(capture_rgb), face.box) > PERSON


def background_clutter(capture_rgb: np.ndarray, face: FoundFace, person_mask: np.ndarray | None = None) -> float:
    """Share of the capture's background pixels far in colour from the background's median.

    ``person_mask`` covers the whole capture at any resolution (the pipeline gives it at
    ``WORK_WIDTH``); without it the person is segmented here.
    """
    person = main_person(capture_rgb, face) if person_mask is None else person_mask > PERSON
    factor = WORK_WIDTH / capture_rgb.shape[1]
    size = (WORK_WIDTH, max(1, round(capture_rgb.shape[0] * factor)))
    small = cv2.resize(capture_rgb, size, interpolation=cv2.INTER_AREA)
    person = cv2.resize(person.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    reach = max(1, round(EDGE_PX * WORK_WIDTH))
    keep = cv2.dilate(person, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1,) * 2)) == 0
    if keep.sum() < 0.05 * keep.size:
        return 0.0
    pixels = small[keep].reshape(1, -1, 3).astype(np.float32) / 255.0  # one row: converted at once
    lightness, a, b = cv2.cvtColor(pixels, cv2.COLOR_RGB2LAB).reshape(-1, 3).T
    squared = (
        (lightness - np.median(lightness)) ** 2 + (a - np.median(a)) ** 2 + (b - np.median(b)) ** 2
    )
    return float(np.mean(squared > FAR_COLOUR**2))


def check_background(capture_rgb: np.ndarray, face: FoundFace, thresholds: ImagingThresholds,
                     person_mask: np.ndarray | None = None) -> Check:
    value = background_clutter(capture_rgb, face, person_mask)
    passed = value <= thresholds.max_background_clutter
    return Check(
        code="background", passed=passed, value=round(value, 3), allowed=f"≤ {thresholds.max_background_clutter:g}",
        message_zh="背景单一。" if passed else "背景不单一（有其他人或物体）：请站在纯色墙面前拍摄，身边不要有人或杂物。",
        message_en="The background is plain." if passed
        else "The background is not plain (another person or object); stand in front of a plain wall with nothing beside you.",
        **in_words(Reading(value, "背景中杂色所占比例", "Share of cluttered background", "背景有人或杂物，杂色比例过高", "Background cluttered", high=thresholds.max_background_clutter, digits=3)),
    )
