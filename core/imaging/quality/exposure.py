"""Exposure and dynamic range of the face skin.

Exposure is judged on the skin's highlights (98th percentile), not its median: a well-lit dark
complexion has a low median but still bright highlights, so the median would refuse it (on the
London set the median spans 51–164, the highlights 93–203). Dynamic range is a contrast ratio, so
that darkening alone, which scales every level, does not change it: only a flat, washed-out photo does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.imaging.quality.regions import face_mask, luminance
from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check, FoundFace
from core.imaging.words import Reading, in_words


@dataclass(frozen=True)
class SkinLevels:
    """The face skin's grey levels at its 2nd and 98th percentiles, measured once for both checks."""

    low: float
    high: float
    """The highlights exposure is judged on."""

    @property
    def contrast(self) -> float:
        """(p98 − p2) / (p98 + p2)."""
        return (self.high - self.low) / max(self.high + self.low, 1.0)


def skin_levels(image_rgb: np.ndarray, face: FoundFace) -> SkinLevels:
    low, high = np.percentile(luminance(image_rgb)[face_mask(image_rgb, face)], [2, 98])
    return SkinLevels(float(low), float(high))


def check_exposure(levels: SkinLevels, thresholds: ImagingThresholds) -> Check:
    value = levels.high
    lo, hi = thresholds.highlight_range
    passed = lo <= value <= hi
    if passed:
        zh, en = "曝光正常。", "Exposure is fine."
    elif value < lo:
        zh, en = "脸部太暗：请面向光源，在光线充足的地方拍摄。", "The face is too dark; face the light and shoot somewhere bright."
    else:
        zh, en = "脸部过曝：请避免强光直射，不要使用闪光灯。", "The face is overexposed; avoid direct strong light and the flash."
    dark = value < lo
    reading = Reading(value, "脸部高光亮度", "Face highlight brightness", "脸部太暗" if dark else "脸部过亮",
                      "Face too dark" if dark else "Face overexposed", low=lo, high=hi, digits=0)
    return Check(code="exposure", passed=passed, value=round(value, 1), allowed=f"{lo:g}–{hi:g}",
                 message_zh=zh, message_en=en, **in_words(reading))


def check_dynamic_range(levels: SkinLevels, thresholds: ImagingThresholds) -> Check:
    value = levels.contrast
    passed = value >= thresholds.min_contrast
    return Check(
        code="dynamic_range", passed=passed, value=round(value, 3), allowed=f"≥ {thresholds.min_contrast:g}",
        message_zh="明暗层次正常。" if passed else "照片发灰、缺少层次：请在明亮、均匀的光线下拍摄，不要使用滤镜。",
        message_en="Contrast is fine." if passed else "The photo looks flat and washed out; shoot in bright, even light without filters.",
        **in_words(Reading(value, "明暗对比度", "Contrast", "照片发灰，对比度太低", "Flat, too little contrast",
                           low=thresholds.min_contrast, digits=2)),
    )
