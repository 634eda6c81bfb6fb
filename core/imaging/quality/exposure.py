"""Exposure and dynamic range of the face skin.

Exposure is judged on the skin's highlights (98th percentile), not its median: a well-lit dark
complexion has a low median but still bright highlights, so the median would refuse it (on the
London set the median spans 51–164, the highlights 93–203). Dynamic range is a contrast ratio, so
that darkening alone, which scales every level, does not change it: only a flat, washed-out photo does.
"""

from __future__ import annotations

import numpy as np

from core.imaging.quality.regions import face_mask, luminance
from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check, FoundFace


def _skin_percentiles(image_rgb: np.ndarray, face: FoundFace, q: list[float]) -> np.ndarray:
    return np.percentile(luminance(image_rgb)[face_mask(image_rgb, face)], q)


def highlights(image_rgb: np.ndarray, face: FoundFace) -> float:
    """98th percentile of the face skin's grey levels."""
    return float(_skin_percentiles(image_rgb, face, [98])[0])


def contrast(image_rgb: np.ndarray, face: FoundFace) -> float:
    """(p98 − p2) / (p98 + p2) of the face skin's grey levels."""
    low, high = _skin_percentiles(image_rgb, face, [2, 98])
    return float((high - low) / max(high + low, 1.0))


def check_exposure(image_rgb: np.ndarray, face: FoundFace, thresholds: ImagingThresholds) -> Check:
    value = highlights(image_rgb, face)
    lo, hi = thresholds.highlight_range
    passed = lo <= value <= hi
    if passed:
        zh, en = "曝光正常。", "Exposure is fine."
    elif value < lo:
        zh, en = "脸部太暗：请面向光源，在光线充足的地方拍摄。", "The face is too dark; face the light and shoot somewhere bright."
    else:
        zh, en = "脸部过曝：请避免强光直射，不要使用闪光灯。", "The face is overexposed; avoid direct strong light and the flash."
    return Check(code="exposure", passed=passed, value=round(value, 1), allowed=f"{lo:g}–{hi:g}",
                 message_zh=zh, message_en=en)


def check_dynamic_range(image_rgb: np.ndarray, face: FoundFace, thresholds: ImagingThresholds) -> Check:
    value = contrast(image_rgb, face)
    passed = value >= thresholds.min_contrast
    return Check(
        code="dynamic_range", passed=passed, value=round(value, 3), allowed=f"≥ {thresholds.min_contrast:g}",
        message_zh="明暗层次正常。" if passed else "照片发灰、缺少层次：请在明亮、均匀的光线下拍摄，不要使用滤镜。",
        message_en="Contrast is fine." if passed else "The photo looks flat and washed out; shoot in bright, even light without filters.",
    )
