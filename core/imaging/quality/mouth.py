"""Mouth closed and neutral expression, from the lip landmarks.

An open mouth shows as a gap between the inner lip lines; a smile, even with closed lips, as a
mouth stretched wider relative to the eyes or as mouth corners raised above the lips' middle.
"""

from __future__ import annotations

import numpy as np

from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check, FoundFace


def mouth_opening(face: FoundFace) -> float:
    """Mean gap between the inner lips (points 61–63 and 65–67) over the mouth's width."""
    top, bottom = np.array(face.landmarks["top_lip"]), np.array(face.landmarks["bottom_lip"])
    upper_inner = top[[10, 9, 8]]
    lower_inner = bottom[[8, 9, 10]]
    gap = np.mean(np.linalg.norm(lower_inner - upper_inner, axis=1))
    return float(gap / np.linalg.norm(top[6] - top[0]))


def mouth_width(face: FoundFace) -> float:
    """Corner-to-corner mouth width over the distance between the eye centres."""
    top = np.array(face.landmarks["top_lip"])
    eyes = np.mean(face.landmarks["left_eye"], axis=0) - np.mean(face.landmarks["right_eye"], axis=0)
    return float(np.linalg.norm(top[6] - top[0]) / np.linalg.norm(eyes))


def corner_lift(face: FoundFace) -> float:
    """How far the mouth corners sit above the middle of the lips, over the mouth's width."""
    top, bottom = np.array(face.landmarks["top_lip"]), np.array(face.landmarks["bottom_lip"])
    middle = (top[9][1] + bottom[9][1]) / 2
    return float((middle - (top[0][1] + top[6][1]) / 2) / np.linalg.norm(top[6] - top[0]))


def check_mouth_closed(face: FoundFace, thresholds: ImagingThresholds) -> Check:
    value = mouth_opening(face)
    passed = value <= thresholds.max_mouth_opening
    return Check(
        code="mouth_closed", passed=passed, value=round(value, 3), allowed=f"≤ {thresholds.max_mouth_opening:g}",
        message_zh="嘴巴闭合。" if passed else "嘴巴张开或露齿：请自然闭合嘴唇。",
        message_en="The mouth is closed." if passed else "The mouth is open or shows teeth; close your lips naturally.",
    )


def check_expression(face: FoundFace, thresholds: ImagingThresholds) -> Check:
    width, lift = mouth_width(face), corner_lift(face)
    passed = width <= thresholds.max_mouth_width and lift <= thresholds.max_corner_lift
    return Check(
        code="expression", passed=passed, value=f"width {width:.3f}, corners {lift:.3f}",
        allowed=f"width ≤ {thresholds.max_mouth_width:g}, corners ≤ {thresholds.max_corner_lift:g}",
        message_zh="表情自然。" if passed else "表情不够自然（在笑）：请保持自然、平静的表情，不要微笑。",
        message_en="The expression is neutral." if passed else "You are smiling; keep a calm, neutral expression.",
    )
