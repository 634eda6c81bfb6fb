"""Noise: the wavelet estimate of the face's noise level (grainy low-light shots).

Measured on the capture's face brought to the output's scale when the capture is at hand: the
delivered JPEG is squeezed under 40 KB, and the compression that takes smooths the grain away.
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage.restoration import estimate_sigma

from core.imaging.faces import face_width
from core.imaging.quality.regions import face_crop, luminance
from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check, FoundFace
from core.imaging.words import Reading, in_words


def noise_level(image_rgb: np.ndarray, face: FoundFace, scale: float = 1.0) -> float:
    """Standard deviation of the noise on the face, in 0–255 grey levels, after scaling by ``scale``."""
    crop = face_crop(image_rgb, face)
    if scale != 1.0:
        size = (max(8, round(crop.shape[1] * scale)), max(8, round(crop.shape[0] * scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    return float(estimate_sigma(luminance(crop)))  # type: ignore[no-untyped-call]  # scikit-image ships no annotations


def check_noise(image_rgb: np.ndarray, face: FoundFace, thresholds: ImagingThresholds,
                capture_rgb: np.ndarray | None = None, capture_face: FoundFace | None = None) -> Check:
    if capture_rgb is not None and capture_face is not None:
        value = noise_level(capture_rgb, capture_face, face_width(face) / face_width(capture_face))
    else:
        value = noise_level(image_rgb, face)
    passed = value <= thresholds.max_noise
    return Check(
        code="noise", passed=passed, value=round(value, 2), allowed=f"≤ {thresholds.max_noise:g}",
        message_zh="噪点正常。" if passed else "照片噪点过多：请在光线充足的地方拍摄。",
        message_en="Noise is low." if passed else "The photo is grainy; shoot in good light.",
        **in_words(Reading(value, "脸部噪点", "Noise on the face", "噪点太多，画面粗糙", "Too grainy",
                           high=thresholds.max_noise, digits=1)),
    )
