"""Sharpness: Laplacian energy of the face relative to its contrast.

Dividing by the face's own grey-level variance makes the measure blind to exposure (a darker photo
has proportionally weaker edges) while blur, which removes fine detail but keeps the broad shading,
still lowers it.
"""

from __future__ import annotations

import cv2
import numpy as np

from core.imaging.quality.regions import face_crop, luminance
from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check, FoundFace
from core.imaging.words import Reading, in_words


def sharpness(image_rgb: np.ndarray, face: FoundFace) -> float:
    grey = luminance(face_crop(image_rgb, face))
    laplacian = cv2.Laplacian(grey, cv2.CV_32F, ksize=3)
    return float(laplacian.var() / max(grey.var(), 1.0))


def check_sharpness(image_rgb: np.ndarray, face: FoundFace, thresholds: ImagingThresholds) -> Check:
    value = sharpness(image_rgb, face)
    passed = value >= thresholds.min_sharpness
    return Check(
        code="sharpness", passed=passed, value=round(value, 4), allowed=f"≥ {thresholds.min_sharpness:g}",
        message_zh="照片清晰。" if passed else "照片模糊：请擦净镜头，拍摄时保持手机稳定并对焦在脸部。",
        message_en="The photo is sharp." if passed else "The photo is blurred; clean the lens, hold the phone still and focus on the face.",
        **in_words(Reading(value, "脸部清晰度", "Face sharpness", "照片模糊", "Blurred",
                           low=thresholds.min_sharpness, digits=2)),
    )
