"""Noise: the wavelet estimate of the face's noise level (grainy low-light or heavily compressed shots)."""

from __future__ import annotations

import numpy as np
from skimage.restoration import estimate_sigma

from core.imaging.quality.regions import face_crop, luminance
from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check, FoundFace


def noise_level(image_rgb: np.ndarray, face: FoundFace) -> float:
    """Standard deviation of the noise on the face, in 0–255 grey levels."""
    return float(estimate_sigma(luminance(face_crop(image_rgb, face))))


def check_noise(image_rgb: np.ndarray, face: FoundFace, thresholds: ImagingThresholds) -> Check:
    value = noise_level(image_rgb, face)
    passed = value <= thresholds.max_noise
    return Check(
        code="noise", passed=passed, value=round(value, 2), allowed=f"≤ {thresholds.max_noise:g}",
        message_zh="噪点正常。" if passed else "照片噪点过多：请在光线充足的地方拍摄。",
        message_en="Noise is low." if passed else "The photo is grainy; shoot in good light.",
    )
