"""Geometry of the finished photo against the standard: hair top, eye line, face width, centring."""

from __future__ import annotations

import numpy as np

from core.imaging.faces import eye_line, face_centre_x, face_width
from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check, FoundFace
from core.imaging.words import PIXELS, Reading, in_words

BACKGROUND_TOLERANCE = 30
"""Largest per-channel difference still counted as the replaced background (JPEG ripples stay below)."""
MIN_HAIR_FRACTION = 0.01
"""A row is hair once this share of the face's column band differs from the background (not one stray pixel)."""
SCAN_ROWS = 128
"""The photo is read in strips of this many rows from the top, stopping at the first hair row."""


def background_colour(image_rgb: np.ndarray) -> np.ndarray:
    """The replaced background, read from the two top corners (never reached by the head)."""
    corners = np.concatenate([image_rgb[:8, :8].reshape(-1, 3), image_rgb[:8, -8:].reshape(-1, 3)])
    return np.median(corners, axis=0)


def hair_top_row(image_rgb: np.ndarray, face: FoundFace, background: np.ndarray) -> int | None:
    """First row from the top, within the face's column band, that is not background."""
    chin = face.landmarks["chin"]
    left, right = max(int(round(chin[2][0])), 0), min(int(round(chin[14][0])), image_rgb.shape[1])
    reference = background.astype(np.int16)
    for start in range(0, image_rgb.shape[0], SCAN_ROWS):
        band = image_rgb[start : start + SCAN_ROWS, left:right].astype(np.int16)
        differs = np.abs(band - reference).max(axis=2) > BACKGROUND_TOLERANCE
        rows = np.flatnonzero(differs.mean(axis=1) >= MIN_HAIR_FRACTION)
        if rows.size:
            return start + int(rows[0])
    return None


def _range_check(code: str, value: float | None, allowed: tuple[float, float], what_zh: str, what_en: str,
                 low_zh: str, low_en: str, high_zh: str, high_en: str,
                 words: tuple[str, str, str, str, str, str]) -> Check:
    """``words``: the measure's name, and what a value below and above the range means (zh, en each)."""
    lo, hi = allowed
    passed = value is not None and lo <= value <= hi
    if passed:
        zh, en = f"{what_zh}符合标准。", f"{what_en} is within the standard."
    elif value is not None and value < lo:
        zh, en = low_zh, low_en
    else:
        zh, en = high_zh, high_en
    name_zh, name_en, small_zh, small_en, large_zh, large_en = words
    below = value is not None and value < lo
    reading = Reading(value, name_zh, name_en, small_zh if below else large_zh, small_en if below else large_en,
                      low=lo, high=hi, unit=PIXELS, digits=0)
    return Check(code=code, passed=passed, value=None if value is None else round(float(value), 1),
                 allowed=f"{lo}–{hi} px", message_zh=zh, message_en=en, **in_words(reading))


def check_hair_top(row: int | None, thresholds: ImagingThresholds) -> Check:
    return _range_check(
        "hair_top", row, thresholds.hair_top_range, "头顶位置", "The top of the hair",
        "头顶离照片上边缘太近：请离镜头稍远一些，并保持头部完整入镜。",
        "The top of the hair is too close to the top edge; step back a little and keep the whole head in frame.",
        "头顶离照片上边缘太远（或头发与背景难以区分）：请靠近镜头，穿着与背景颜色不同的衣服。",
        "The top of the hair is too far below the top edge (or cannot be told from the background); move closer.",
        ("头顶距上边缘", "Hair top from the top edge", "头顶离上边缘太近", "Hair top too close to the top edge",
         "头顶离上边缘太远或看不清", "Hair top too far from the top edge, or not found"),
    )


def check_eye_line(face: FoundFace, thresholds: ImagingThresholds) -> Check:
    return _range_check(
        "eye_line", eye_line(face), thresholds.eye_line_range, "眼睛高度", "The eye line",
        "眼睛位置太靠上：请保持头部端正，不要仰头。", "The eyes are too high in the photo; hold your head level.",
        "眼睛位置太靠下：请保持头部端正，不要低头。", "The eyes are too low in the photo; hold your head level.",
        ("眼睛距上边缘", "Eye line from the top edge", "眼睛太靠上", "Eyes too high", "眼睛太靠下", "Eyes too low"),
    )


def check_face_width(face: FoundFace, thresholds: ImagingThresholds) -> Check:
    return _range_check(
        "face_width", face_width(face), thresholds.face_width_range, "脸部宽度", "The face width",
        "脸部太窄：请正对镜头，不要侧脸。", "The face is too narrow; face the camera squarely.",
        "脸部太宽：请离镜头稍远一些重新拍摄。", "The face is too wide; step a little further from the camera.",
        ("脸宽", "Face width", "脸太窄", "Face too narrow", "脸太宽", "Face too wide"),
    )


def check_centring(face: FoundFace, image_width: int, thresholds: ImagingThresholds) -> Check:
    offset = face_centre_x(face) - image_width / 2
    limit = thresholds.max_centre_offset_px
    passed = abs(offset) <= limit
    return Check(
        code="centring",
        passed=passed,
        value=round(offset, 1),
        allowed=f"±{limit:.0f} px",
        message_zh="人像水平居中。" if passed else "人像没有水平居中：请正对镜头，头部位于画面中央。",
        message_en="The head is centred." if passed else "The head is not centred; face the camera with your head in the middle.",
        **in_words(Reading(offset, "脸部中心偏离照片中线", "Face centre off the middle", "人像没有居中，偏离中线",
                           "Head not centred, off the middle by", high=limit, symmetric=True, unit=PIXELS, digits=0)),
    )
