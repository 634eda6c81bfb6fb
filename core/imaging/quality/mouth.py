"""Mouth closed and neutral expression, from the lip landmarks and what the photo shows between them.

CHSI asks for a naturally closed mouth. Two signs of a mouth that is not:

- **teeth**, read from the photo inside the inner lip line: teeth are brighter than the lips and
  nearly colourless, lips are darker and red. The measure is the area of such pixels over the
  squared mouth width, so it does not depend on how large the face is, nor on exposure or
  complexion (each photo's pixels are compared with its own lips).
- **an open mouth**, a gap between the inner lip lines (landmarks). dlib's 68-point model draws
  that gap where it expects one, and on a blurred photo it can draw a gap over closed lips, so
  the gap counts only when the photo shows an opening there too: teeth, or the mouth's dark
  inside.

A smile, even with closed lips, shows as a mouth stretched wider relative to the eyes or as mouth
corners raised above the lips' middle (the expression check).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check, FoundFace
from core.imaging.words import Reading, in_words

INNER_REACH = 0.03
"""The inner lip line is widened by this share of the mouth width each way: the landmarks miss the
edge of the teeth by a pixel or two."""
TEETH_LIGHTER = 8.0
"""A tooth is at least this much lighter (CIELAB L*) than the median of the lips."""
TEETH_WHITER = 25.0
"""...and at least this much whiter (L* - 2·chroma, high for bright colourless pixels) than them,"""
SKIN_WHITER = 5.0
"""...and whiter than the skin around the mouth by this much: where the landmarks stray past the
lips, skin is lighter and paler than red lips too, but not paler than itself."""
TEETH_SPAN = (0.2, 0.8)
"""Teeth are counted between these fractions of the way from one mouth corner to the other: teeth
that show at all show in the middle, and at the corners a landmark that strays finds skin or a
moustache instead."""
SKIN_REACH = 0.35
"""The skin around the mouth is read up to this share of the mouth width beyond the lips."""
DARK_SHARE = 0.5
"""Inside the lips, a pixel darker than this share of the lips' lightness is the mouth's inside."""


@dataclass(frozen=True)
class MouthInterior:
    """What the photo shows between the lips, as areas over the squared mouth width."""

    teeth: float
    dark: float


def mouth_opening(face: FoundFace) -> float:
    """Mean gap between the inner lips (points 61–63 and 65–67) over the mouth's width."""
    top, bottom = np.array(face.landmarks["top_lip"]), np.array(face.landmarks["bottom_lip"])
    upper_inner = top[[10, 9, 8]]
    lower_inner = bottom[[8, 9, 10]]
    gap = np.mean(np.linalg.norm(lower_inner - upper_inner, axis=1))
    return float(gap / np.linalg.norm(top[6] - top[0]))


def mouth_interior(image_rgb: np.ndarray, face: FoundFace) -> MouthInterior:
    """Teeth-like and dark pixels inside the inner lip line (widened by ``INNER_REACH``), compared
    with the lips around them (between the inner and the outer lip line) and the skin around the
    mouth."""
    top, bottom = np.array(face.landmarks["top_lip"]), np.array(face.landmarks["bottom_lip"])
    width = float(np.linalg.norm(top[6] - top[0]))
    outer = np.concatenate([top[:7], bottom[:6]])  # points 49–55, 56–60
    inner = np.concatenate([top[[11, 10, 9, 8, 7]], bottom[[10, 9, 8]]])  # points 61–65, 66–68
    reach = max(1, round(INNER_REACH * width))
    around = round(SKIN_REACH * width)
    height, image_width = image_rgb.shape[:2]
    x0, y0 = (np.floor(outer.min(axis=0)) - around).astype(int)
    x1, y1 = (np.ceil(outer.max(axis=0)) + around + 1).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, image_width), min(y1, height)
    if width < 1 or x1 <= x0 or y1 <= y0:
        return MouthInterior(teeth=0.0, dark=0.0)
    crop = image_rgb[y0:y1, x0:x1]
    shift = np.array([x0, y0])
    lips_area = _polygon(crop.shape[:2], outer - shift)
    between = cv2.dilate(_polygon(crop.shape[:2], inner - shift),
                         cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1,) * 2))
    inside = (between > 0) & (lips_area > 0)
    lips = (lips_area > 0) & (between == 0)
    skin = cv2.dilate(lips_area, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (4 * reach + 1,) * 2)) == 0
    if not inside.any() or not lips.any() or not skin.any():
        return MouthInterior(teeth=0.0, dark=0.0)
    lab = cv2.cvtColor(crop.astype(np.float32) * np.float32(1 / 255), cv2.COLOR_RGB2LAB)
    lightness = lab[:, :, 0]
    whiteness = lightness - 2 * np.hypot(lab[:, :, 1], lab[:, :, 2])
    lips_lightness, lips_whiteness = float(np.median(lightness[lips])), float(np.median(whiteness[lips]))
    paler = max(lips_whiteness + TEETH_WHITER, float(np.median(whiteness[skin])) + SKIN_WHITER)
    teeth = inside & _middle(crop.shape, top[0] - shift, top[6] - shift)
    teeth &= (lightness > lips_lightness + TEETH_LIGHTER) & (whiteness > paler)
    dark = inside & (lightness < DARK_SHARE * lips_lightness)
    area = width * width
    return MouthInterior(teeth=float(teeth.sum() / area), dark=float(dark.sum() / area))


def _middle(shape: tuple[int, ...], corner: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Pixels lying within ``TEETH_SPAN`` of the way from ``corner`` to ``other``."""
    axis = other - corner
    rows, columns = np.mgrid[: shape[0], : shape[1]]
    along = ((columns - corner[0]) * axis[0] + (rows - corner[1]) * axis[1]) / float(axis @ axis)
    return (along >= TEETH_SPAN[0]) & (along <= TEETH_SPAN[1])


def _polygon(shape: tuple[int, ...], points: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    return mask


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


def shows_teeth(interior: MouthInterior, thresholds: ImagingThresholds) -> bool:
    """Teeth show plainly, or less of them with the dark of parted lips beside them (a glossy lower
    lip has highlights as light as teeth, but nothing dark beside them)."""
    if interior.teeth > thresholds.max_teeth_area:
        return True
    return interior.teeth > thresholds.max_teeth_area_parted and interior.dark > thresholds.min_parted_dark_area


def mouth_closed(gap: float, interior: MouthInterior, thresholds: ImagingThresholds) -> bool:
    """Closed unless teeth show, or the lips gap and the photo shows an opening between them."""
    if shows_teeth(interior, thresholds):
        return False
    return gap <= thresholds.max_mouth_opening or interior.teeth + interior.dark <= thresholds.min_parted_dark_area


def check_mouth_closed(image_rgb: np.ndarray, face: FoundFace, thresholds: ImagingThresholds) -> Check:
    gap, interior = mouth_opening(face), mouth_interior(image_rgb, face)
    passed = mouth_closed(gap, interior, thresholds)
    return Check(
        code="mouth_closed", passed=passed,
        value=f"gap {gap:.3f}, teeth {interior.teeth:.4f}, dark {interior.dark:.4f}",
        allowed=f"teeth ≤ {thresholds.max_teeth_area:g} (≤ {thresholds.max_teeth_area_parted:g} when dark > "
                f"{thresholds.min_parted_dark_area:g}); gap ≤ {thresholds.max_mouth_opening:g} unless teeth + dark ≤ "
                f"{thresholds.min_parted_dark_area:g}",
        message_zh="嘴巴闭合。" if passed else "嘴巴张开或露齿：请自然闭合嘴唇，不要露出牙齿。",
        message_en="The mouth is closed." if passed
        else "The mouth is open or shows teeth; close your lips naturally, without showing your teeth.",
        **in_words(
            Reading(interior.teeth, "露出牙齿的面积", "Teeth showing", "露出了牙齿", "Teeth showing",
                    high=thresholds.max_teeth_area, digits=4, ok=not shows_teeth(interior, thresholds)),
            Reading(gap, "上下唇间距", "Gap between the lips", "嘴巴张开", "Mouth open",
                    high=thresholds.max_mouth_opening, digits=3,
                    ok=shows_teeth(interior, thresholds) or mouth_closed(gap, interior, thresholds)),
            Reading(interior.dark, "双唇之间的暗色面积", "Dark between the lips", "双唇分开，露出口腔",
                    "Lips parted, the mouth's inside shows", high=thresholds.min_parted_dark_area, digits=4,
                    ok=mouth_closed(gap, interior, thresholds)),
        ),
    )


def check_expression(face: FoundFace, thresholds: ImagingThresholds) -> Check:
    width, lift = mouth_width(face), corner_lift(face)
    passed = width <= thresholds.max_mouth_width and lift <= thresholds.max_corner_lift
    return Check(
        code="expression", passed=passed, value=f"width {width:.3f}, corners {lift:.3f}",
        allowed=f"width ≤ {thresholds.max_mouth_width:g}, corners ≤ {thresholds.max_corner_lift:g}",
        message_zh="表情自然。" if passed else "表情不够自然（在笑）：请保持自然、平静的表情，不要微笑。",
        message_en="The expression is neutral." if passed else "You are smiling; keep a calm, neutral expression.",
        **in_words(
            Reading(lift, "嘴角上扬程度", "Mouth corners raised", "嘴角上扬，像在笑", "Mouth corners raised, smiling",
                    high=thresholds.max_corner_lift, digits=2),
            Reading(width, "嘴宽（与两眼间距之比）", "Mouth width (over eye distance)", "嘴咧得太宽，像在笑",
                    "Mouth stretched wide, smiling", high=thresholds.max_mouth_width, digits=2),
        ),
    )
