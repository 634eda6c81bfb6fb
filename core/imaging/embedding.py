"""Face embedding: dlib's 128-d face descriptor (the model behind ``face_recognition``).

Alignment uses dlib's 5-point landmark model, which is what the descriptor network was trained
on: on every pair of ``lfw_east_asian/`` it leaves far fewer pairs in the uncertain band than an
alignment from the 68 points (see ``bench/calibrate_face_threshold.py``). Instead of dlib's random
jitter, the descriptor of the aligned chip is averaged with that of its mirror image: on the same
pairs that gains nearly as much as 10 random jitters, at 2 network passes instead of 10, and it is
deterministic (dlib's jitter draws from a generator whose state depends on earlier calls, so the
same photo would not always give the same distance). The network runs in
``core.imaging.descriptor_network`` (dlib's weights on OpenCV's and numpy's kernels, about 10 ms a
pass on one core instead of dlib's 73); ``core.imaging.matching`` pays the second pass only where
it can change an outcome.
"""

from __future__ import annotations

import dlib
import numpy as np
from face_recognition import api as face_api

from core.imaging.descriptor_network import descriptor_network
from core.imaging.types import FoundFace

CHIP_SIZE = 150
CHIP_PADDING = 0.25
"""The chip geometry the descriptor network was trained on."""


def aligned_chip(image_rgb: np.ndarray, face: FoundFace, size: int = CHIP_SIZE, padding: float = CHIP_PADDING) -> np.ndarray:
    """The face rotated upright and scaled to ``size`` px, as the descriptor network expects it."""
    box = face.box
    rect = dlib.rectangle(int(box.left), int(box.top), int(box.right), int(box.bottom))
    shape = face_api.pose_predictor_5_point(image_rgb, rect)
    return dlib.get_face_chip(image_rgb, shape, size, padding)


def chip_descriptor(chip: np.ndarray) -> np.ndarray:
    """One network pass over an aligned chip."""
    return descriptor_network().descriptors(chip[None])[0]


def mirror_average(chip: np.ndarray, descriptor: np.ndarray) -> np.ndarray:
    """The embedding: ``descriptor`` (the chip's own) averaged with the mirrored chip's."""
    return (descriptor + chip_descriptor(chip[:, ::-1])) / 2


def face_embedding(image_rgb: np.ndarray, face: FoundFace) -> np.ndarray:
    """The 128-d descriptor of ``face``: mean of the aligned chip's and its mirror's descriptors."""
    chip = aligned_chip(image_rgb, face)
    return mirror_average(chip, chip_descriptor(chip))
