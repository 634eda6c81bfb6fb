"""Resolution: how far the capture's face had to be enlarged (enlarged pixels print blurred)."""

from __future__ import annotations

from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check
from core.imaging.words import TIMES, Reading, in_words


def check_resolution(upscale: float, thresholds: ImagingThresholds) -> Check:
    passed = upscale <= thresholds.max_upscale
    return Check(
        code="resolution",
        passed=passed,
        value=round(upscale, 2),
        allowed=f"≤ {thresholds.max_upscale:.2f}×",
        message_zh="分辨率正常。" if passed else "人脸像素不足，需要放大后才能达到标准尺寸：请靠近镜头或使用后置摄像头重新拍摄。",
        message_en="Resolution is fine." if passed
        else "The face has too few pixels and had to be enlarged; move closer or use the rear camera and retake.",
        **in_words(Reading(upscale, "人脸放大倍数", "Face enlarged by", "人脸太小，放大太多", "Face too small, enlarged too much",
                           high=thresholds.max_upscale, unit=TIMES, digits=2)),
    )
