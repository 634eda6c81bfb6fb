"""Face embedding: dlib's 128-d face descriptor (the model behind ``face_recognition``), then a second
network's.

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

An embedding is dlib's 128 values followed by the second descriptor's 1 024 (``core.imaging.faceres``,
one pass over a looser chip cut from the same landmarks): ``core.imaging.compare`` fuses the two
distances. Embeddings stored before the second descriptor existed have the 128 values alone and are
compared by dlib's distance and band, as they were.
"""

from __future__ import annotations

import dlib
import numpy as np
from face_recognition import api as face_api

from core.imaging.descriptor_network import descriptor_network
from core.imaging.faceres import faceres_chip_from_shape, faceres_network
from core.imaging.types import FoundFace

CHIP_SIZE = 150
CHIP_PADDING = 0.25
"""The chip geometry the descriptor network was trained on."""


def landmarks(image_rgb: np.ndarray, face: FoundFace) -> dlib.full_object_detection:
    """dlib's 5 landmarks (eye corners, nose), from which both networks' chips are cut."""
    box = face.box
    rect = dlib.rectangle(int(box.left), int(box.top), int(box.right), int(box.bottom))
    return face_api.pose_predictor_5_point(image_rgb, rect)


def dlib_chip(image_rgb: np.ndarray, shape: dlib.full_object_detection) -> np.ndarray:
    """The face those landmarks align, rotated upright and scaled as dlib's network expects it."""
    return dlib.get_face_chip(image_rgb, shape, CHIP_SIZE, CHIP_PADDING)


def aligned_chip(image_rgb: np.ndarray, face: FoundFace) -> np.ndarray:
    """``dlib_chip`` of a found face."""
    return dlib_chip(image_rgb, landmarks(image_rgb, face))


def chip_descriptor(chip: np.ndarray) -> np.ndarray:
    """One network pass over an aligned chip."""
    return descriptor_network().descriptors(chip[None])[0]


def mirror_average(chip: np.ndarray, descriptor: np.ndarray) -> np.ndarray:
    """The embedding: ``descriptor`` (the chip's own) averaged with the mirrored chip's."""
    return (descriptor + chip_descriptor(chip[:, ::-1])) / 2


def full_embedding(image_rgb: np.ndarray, shape: dlib.full_object_detection) -> np.ndarray:
    """dlib's mirror-averaged descriptor, then the second network's, of the face those landmarks
    align. (dlib's two passes as one batch of two would save 4 ms but hold the network's buffers
    twice: the pipeline's peak is at its 400 MB bound.)"""
    chip = dlib_chip(image_rgb, shape)
    second = faceres_network().descriptor(faceres_chip_from_shape(image_rgb, shape))
    return np.concatenate([mirror_average(chip, chip_descriptor(chip)), second])


def face_embedding(image_rgb: np.ndarray, face: FoundFace) -> np.ndarray:
    """The embedding of ``face``: dlib's descriptor (mean of the aligned chip's and its mirror's),
    then the second network's."""
    return full_embedding(image_rgb, landmarks(image_rgb, face))
