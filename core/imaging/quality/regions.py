"""Regions of a face that several checks measure: the skin inside the landmarks, and its halves."""

from __future__ import annotations

import cv2
import numpy as np

from core.imaging.types import FoundFace


def luminance(image_rgb: np.ndarray) -> np.ndarray:
    """Rec. 601 luma, 0–255 float32."""
    return cv2.cvtColor(image_rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)


def face_mask(image_rgb: np.ndarray, face: FoundFace) -> np.ndarray:
    """Boolean mask of the face below the brows: the hull of jaw line and brows, without eyes and mouth,
    so that hair, background and the dark of eyes and lips do not count as skin."""
    landmarks = face.landmarks
    outline = np.array(landmarks["chin"] + landmarks["left_eyebrow"] + landmarks["right_eyebrow"], np.float32)
    mask = np.zeros(image_rgb.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(outline).astype(np.int32), 1)
    for part in ("left_eye", "right_eye", "top_lip", "bottom_lip"):
        hull = cv2.convexHull(np.array(landmarks[part], np.float32)).astype(np.int32)
        cv2.fillConvexPoly(mask, hull, 0)
    return mask.astype(bool)


def face_halves(image_rgb: np.ndarray, face: FoundFace) -> tuple[np.ndarray, np.ndarray]:
    """The face mask split at the nose line (image left, image right)."""
    mask = face_mask(image_rgb, face)
    nose_x = float(np.mean([x for x, _ in face.landmarks["nose_bridge"] + face.landmarks["nose_tip"]]))
    columns = np.arange(mask.shape[1])[None, :]
    return mask & (columns < nose_x), mask & (columns >= nose_x)


def face_crop(image_rgb: np.ndarray, face: FoundFace) -> np.ndarray:
    """The face box clipped to the image."""
    box = face.box
    height, width = image_rgb.shape[:2]
    return image_rgb[max(box.top, 0) : min(box.bottom, height), max(box.left, 0) : min(box.right, width)]


def eye_centres(face: FoundFace) -> tuple[np.ndarray, np.ndarray]:
    return np.mean(face.landmarks["left_eye"], axis=0), np.mean(face.landmarks["right_eye"], axis=0)
