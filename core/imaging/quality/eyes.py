"""Eyes open: the landmarks' eye aspect ratio, checked against what the photo shows inside each eye.

Two measures, because each fails where the other holds:

- **openness**, the eye aspect ratio of the 6 landmarks of each eye (lid-to-lid height over
  corner-to-corner width). dlib's 68-point model draws an eye where it expects one: over lids
  painted shut it can still draw an open eye, and a narrow but open eye (common in the East Asian
  students this service serves, and in any smile) can come out below the limit.
- **iris contrast**, read from the image inside the landmark outline: an open eye is a dark iris
  between brighter sclera, so the column-by-column brightness across the eye dips in the middle; a
  closed eye is lid skin with at most a lash line running the whole width, so it does not. The
  eye is resampled so that its corners lie on a horizontal line, each column of the outline is
  averaged, and the value is ``1 − darkest middle column / mean of the brightest column on each
  side``. Ratios of brightness, so it does not depend on exposure or complexion.

An eye passes with a clear iris contrast and either an open outline or, when the outline is
narrow, a strong iris contrast (a narrow open eye shows its iris; a closed one does not).
"""

from __future__ import annotations

import cv2
import numpy as np

from core.imaging.quality.regions import luminance
from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check, FoundFace, Point
from core.imaging.words import Reading, in_words

_MARGIN, _HALF_HEIGHT = 0.1, 0.4
"""The resampled patch: corner to corner plus this much on each side, and this far above and below
the corner line, in eye widths (the outline of a wide-open eye reaches about 0.25)."""
_ENDS = (0.08, 0.92)
"""Columns from this far along the eye to this far (the outline is a point at the corners)."""
_MIDDLE = (0.3, 0.7)
"""Where the iris is looked for; the sides are the columns before 0.4 and after 0.6."""


def _aspect_ratio(points: list[Point]) -> float:
    p = np.array(points)
    height = np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])
    return float(height / (2 * np.linalg.norm(p[0] - p[3])))


def eye_openness(face: FoundFace) -> float:
    """Mean aspect ratio of both eyes (about 0.3 open, under 0.15 closed)."""
    return (_aspect_ratio(face.landmarks["left_eye"]) + _aspect_ratio(face.landmarks["right_eye"])) / 2


def _eye_contrast(grey: np.ndarray, points: list[Point]) -> float:
    p = np.asarray(points, np.float64)
    width = float(np.linalg.norm(p[3] - p[0]))
    if width < 4:
        return 0.0
    along = (p[3] - p[0]) / width
    across = np.array([-along[1], along[0]])
    origin = p[0] - _MARGIN * width * along - _HALF_HEIGHT * width * across
    to_image = np.array([[along[0], across[0], origin[0]], [along[1], across[1], origin[1]]])
    size = (round(width * (1 + 2 * _MARGIN)), round(width * 2 * _HALF_HEIGHT))
    patch = cv2.warpAffine(grey, to_image, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REPLICATE)
    patch = cv2.GaussianBlur(patch, (0, 0), max(0.6, 0.03 * width))
    local = (p - origin) @ np.array([along, across]).T
    inside = np.zeros(patch.shape, np.float32)
    cv2.fillConvexPoly(inside, cv2.convexHull(np.round(local).astype(np.int32)), 1.0)
    count = inside.sum(axis=0)
    profile = (patch * inside).sum(axis=0) / np.maximum(count, 1)
    position = (np.arange(patch.shape[1]) - local[0, 0]) / width
    usable = (count > 0) & (position >= _ENDS[0]) & (position <= _ENDS[1])
    middle = usable & (position >= _MIDDLE[0]) & (position <= _MIDDLE[1])
    before, after = usable & (position < 0.4), usable & (position > 0.6)
    if not (middle.any() and before.any() and after.any()):
        return 0.0
    sides = (profile[before].max() + profile[after].max()) / 2
    return float(1 - profile[middle].min() / max(sides, 1.0))


def iris_contrast(image_rgb: np.ndarray, face: FoundFace) -> float:
    """Mean iris contrast of both eyes (open eyes about 0.3–0.7, painted-shut or closed under 0.25)."""
    grey = luminance(image_rgb)
    return (_eye_contrast(grey, face.landmarks["left_eye"]) + _eye_contrast(grey, face.landmarks["right_eye"])) / 2


def check_eyes_open(image_rgb: np.ndarray, face: FoundFace, thresholds: ImagingThresholds) -> Check:
    openness, contrast = eye_openness(face), iris_contrast(image_rgb, face)
    passed = contrast >= thresholds.min_iris_contrast and (
        openness >= thresholds.min_eye_openness or contrast >= thresholds.narrow_eye_iris_contrast
    )
    return Check(
        code="eyes_open", passed=passed, value=f"openness {openness:.3f}, iris contrast {contrast:.3f}",
        allowed=(f"iris contrast ≥ {thresholds.min_iris_contrast:g}, and openness ≥ {thresholds.min_eye_openness:g}"
                 f" or iris contrast ≥ {thresholds.narrow_eye_iris_contrast:g}"),
        message_zh="双眼睁开。" if passed else "眼睛未睁开或眯眼：请自然睁开双眼，平视镜头。",
        message_en="Both eyes are open." if passed else "The eyes are closed or narrowed; open them naturally and look at the camera.",
        **in_words(
            Reading(contrast, "眼中黑眼珠的对比度", "Iris contrast", "看不到黑眼珠，像闭着眼", "No iris visible, eyes look closed",
                    low=thresholds.min_iris_contrast, ok=contrast >= thresholds.min_iris_contrast),
            Reading(openness, "眼睛睁开程度", "Eye openness", "眼睛眯着，睁开不够", "Eyes narrowed",
                    low=thresholds.min_eye_openness,
                    ok=openness >= thresholds.min_eye_openness or contrast >= thresholds.narrow_eye_iris_contrast),
        ),
    )
