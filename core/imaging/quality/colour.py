"""Colour: a colour photo (not greyscale) without a strong cast, judged on the face skin.

Skin of every complexion lies in a narrow band of hues (reddish-yellow) with some saturation; a
greyscale photo has none, and a colour cast turns the hue out of that band. Saturation is chroma
over lightness, so that a merely dark photo does not look grey.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from core.imaging.quality.regions import face_mask
from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check, FoundFace
from core.imaging.words import DEGREES, Reading, in_words


@dataclass(frozen=True)
class SkinColour:
    """The skin's median colour, measured once for both colour checks."""

    saturation: float
    """CIELAB chroma over lightness."""
    hue: float
    """Hue angle in degrees."""


def skin_colour(image_rgb: np.ndarray, face: FoundFace) -> SkinColour:
    """Saturation and hue of the skin's median colour."""
    mask = face_mask(image_rgb, face)
    if not mask.any():
        return SkinColour(0.0, float("nan"))
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    box = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)  # convert only around the skin
    lab = cv2.cvtColor(image_rgb[box].astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    lightness, a, b = np.median(lab[mask[box]], axis=0)
    return SkinColour(float(math.hypot(a, b) / max(lightness, 1.0)), math.degrees(math.atan2(b, a)))


def check_greyscale(skin: SkinColour, thresholds: ImagingThresholds) -> Check:
    saturation = skin.saturation
    passed = saturation >= thresholds.min_skin_saturation
    return Check(
        code="colour", passed=passed, value=round(saturation, 3), allowed=f"≥ {thresholds.min_skin_saturation:g}",
        message_zh="彩色照片。" if passed else "照片为黑白或颜色过淡：请使用彩色拍摄，关闭黑白滤镜。",
        message_en="A colour photo." if passed else "The photo is black-and-white or washed out; shoot in colour without filters.",
        **in_words(Reading(saturation, "肤色饱和度", "Skin saturation", "颜色太淡，像黑白照片", "Too little colour, like black-and-white", low=thresholds.min_skin_saturation, digits=3)),
    )


def check_colour_cast(skin: SkinColour, thresholds: ImagingThresholds) -> Check:
    hue = skin.hue
    lo, hi = thresholds.skin_hue_range_deg
    passed = lo <= hue <= hi
    return Check(
        code="colour_cast", passed=passed, value=round(hue, 1), allowed=f"{lo:g}°–{hi:g}°",
        message_zh="肤色自然。" if passed else "照片偏色：请在自然白光下拍摄，不要使用滤镜或彩色灯光。",
        message_en="Skin colour looks natural." if passed else "The photo has a colour cast; shoot in white daylight without filters or coloured lights.",
        **in_words(Reading(hue, "肤色色相", "Skin hue", "肤色偏色", "Skin hue off (colour cast)", low=lo, high=hi, unit=DEGREES, digits=1)),
    )
