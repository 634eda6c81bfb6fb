"""Perceptual hash of the aligned face, for telling a photo derived from the enrolment photo.

The hash is taken on the face aligned by all 68 landmarks (steadier than the 5-point alignment of
the embedding: on the London set it keeps a standardised photo within a few bits of its source),
face only, so that cropping, rescaling and background replacement, exactly what standardisation
does to a re-submitted enrolment photo, leave it nearly unchanged.
"""

from __future__ import annotations

import dlib
import imagehash
import numpy as np
from PIL import Image

from core.imaging.types import FoundFace, Point

HASH_SIZE = 11
"""121 bits: the largest DCT hash that fits the 128-bit (32 hex digits) column it is stored in. At 8
(64 bits) two photos of one session, smiling and neutral, hashed as close as a photo and its
standardised copy; at 11 they are at least 8 bits apart on the London set."""
HASH_CHIP_SIZE = 128
HASH_CHIP_PADDING = 0.0
"""Face only, no background: the background is what standardisation replaces."""


def _points68(face: FoundFace) -> list[Point]:
    """The 68 points in dlib's order, rebuilt from face_recognition's named groups."""
    lm = face.landmarks
    top, bottom = lm["top_lip"], lm["bottom_lip"]
    outer_lips = top[0:7] + bottom[1:6]
    inner_lips = [top[11], top[10], top[9], top[8], top[7], bottom[10], bottom[9], bottom[8]]
    return (lm["chin"] + lm["left_eyebrow"] + lm["right_eyebrow"] + lm["nose_bridge"] + lm["nose_tip"]
            + lm["left_eye"] + lm["right_eye"] + outer_lips + inner_lips)


def aligned_face(image_rgb: np.ndarray, face: FoundFace) -> np.ndarray:
    box = face.box
    shape = dlib.full_object_detection(
        dlib.rectangle(int(box.left), int(box.top), int(box.right), int(box.bottom)),
        [dlib.point(int(round(x)), int(round(y))) for x, y in _points68(face)],
    )
    return dlib.get_face_chip(image_rgb, shape, HASH_CHIP_SIZE, HASH_CHIP_PADDING)


def perceptual_hash(image_rgb: np.ndarray, face: FoundFace) -> int:
    """DCT hash (imagehash.phash) of the aligned face, as an int of HASH_SIZE² bits."""
    bits = imagehash.phash(Image.fromarray(aligned_face(image_rgb, face)), HASH_SIZE).hash.flatten()
    return int("".join("1" if bit else "0" for bit in bits), 2)


def hamming(a: int, b: int) -> int:
    """How many bits differ."""
    return (a ^ b).bit_count()
