"""Lighting balance: the two halves of the face (split at the nose) should be about as bright."""

from __future__ import annotations

import numpy as np

from core.imaging.quality.regions import face_halves, luminance
from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check, FoundFace
from core.imaging.words import Reading, in_words


def lighting_imbalance(image_rgb: np.ndarray, face: FoundFace) -> float:
    """1 − darker half's median brightness / brighter half's (0 when even)."""
    grey = luminance(image_rgb)
    left, right = face_halves(image_rgb, face)
    a, b = float(np.median(grey[left])), float(np.median(grey[right]))
    return 1.0 - min(a, b) / max(a, b, 1.0)


def check_lighting(image_rgb: np.ndarray, face: FoundFace, thresholds: ImagingThresholds) -> Check:
    value = lighting_imbalance(image_rgb, face)
    passed = value <= thresholds.max_lighting_imbalance
    return Check(
        code="lighting", passed=passed, value=round(value, 3), allowed=f"≤ {thresholds.max_lighting_imbalance:g}",
        message_zh="面部光线均匀。" if passed else "脸部一侧有阴影：请正对光源，让光线均匀照在脸上。",
        message_en="The face is evenly lit." if passed else "One side of the face is in shadow; face the light so it falls evenly.",
        **in_words(Reading(value, "左右脸亮度差", "Left/right brightness difference", "脸一侧有阴影，左右亮度差太大",
                           "One side in shadow", high=thresholds.max_lighting_imbalance, digits=2)),
    )
