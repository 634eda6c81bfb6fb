"""Eyes open: the eye aspect ratio (lid-to-lid height over corner-to-corner width) of the 6 eye points."""

from __future__ import annotations

import numpy as np

from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check, FoundFace


def _aspect_ratio(points: list[tuple[float, float]]) -> float:
    p = np.array(points)
    height = np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])
    return float(height / (2 * np.linalg.norm(p[0] - p[3])))


def eye_openness(face: FoundFace) -> float:
    """Mean aspect ratio of both eyes (about 0.3 open, under 0.15 closed)."""
    return (_aspect_ratio(face.landmarks["left_eye"]) + _aspect_ratio(face.landmarks["right_eye"])) / 2


def check_eyes_open(face: FoundFace, thresholds: ImagingThresholds) -> Check:
    value = eye_openness(face)
    passed = value >= thresholds.min_eye_openness
    return Check(
        code="eyes_open", passed=passed, value=round(value, 3), allowed=f"≥ {thresholds.min_eye_openness:g}",
        message_zh="双眼睁开。" if passed else "眼睛未睁开或眯眼：请自然睁开双眼，平视镜头。",
        message_en="Both eyes are open." if passed else "The eyes are closed or narrowed; open them naturally and look at the camera.",
    )
