"""Step: the capture's face against the stored enrolment embedding, in one network pass where a
second cannot change the outcome.

The enrolment embedding is mirror-averaged (computed once). For the capture, the chip's own
descriptor comes first; its distance to the enrolment embedding decides alone when it lies well
outside the uncertain band (by the calibrated margins) and too far from the enrolment face for the
derived check to need the precise embedding. Otherwise the mirrored pass follows and the averaged
embedding decides, exactly as without this shortcut: on every calibration pair the verdicts agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.imaging.compare import compare, face_distance
from core.imaging.embedding import aligned_chip, chip_descriptor, mirror_average
from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import FaceComparison, FoundFace


@dataclass(frozen=True)
class EnrolmentMatch:
    embedding: np.ndarray
    """The capture's descriptor the comparison used (single pass or mirror-averaged)."""
    comparison: FaceComparison
    passes: int


def single_pass_decides(distance: float, thresholds: ImagingThresholds) -> bool:
    """True when a single-pass distance is far enough from every threshold it could cross."""
    t = thresholds
    derived_guard = max(t.max_derived_embedding_distance, t.max_derived_embedding_distance_with_phash) + t.max_single_pass_offset
    clearly_same = derived_guard < distance <= t.same_max_distance - t.single_pass_same_margin
    clearly_different = distance > t.different_min_distance + t.single_pass_different_margin
    return clearly_same or clearly_different


def match_enrolment(image_rgb: np.ndarray, face: FoundFace, enrolment_embedding: np.ndarray,
                    thresholds: ImagingThresholds) -> EnrolmentMatch:
    chip = aligned_chip(image_rgb, face)
    single = chip_descriptor(chip)
    if single_pass_decides(face_distance(single, enrolment_embedding), thresholds):
        return EnrolmentMatch(single, compare(single, enrolment_embedding, thresholds), passes=1)
    averaged = mirror_average(chip, single)
    return EnrolmentMatch(averaged, compare(averaged, enrolment_embedding, thresholds), passes=2)
