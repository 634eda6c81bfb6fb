"""Step: the capture's face against the stored enrolment embedding.

The enrolment embedding is computed once (dlib's mirror-averaged descriptor and the second
network's). For a full enrolment embedding the capture gets the same: both dlib passes and one pass
of the second network, and the fused distance decides. For an enrolment embedding stored before the
second descriptor (dlib's alone, until its job recomputes it), the capture's chip's own dlib
descriptor comes first; its distance to the enrolment embedding decides alone when it lies well
outside dlib's uncertain band (by the calibrated margins) and too far from the enrolment face for
the derived check to need the precise embedding. Otherwise the mirrored pass follows and the
averaged embedding decides, exactly as without this shortcut: on every calibration pair the
verdicts agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.imaging.compare import compare, dlib_distance, has_second_descriptor
from core.imaging.embedding import chip_descriptor, dlib_chip, full_embedding, landmarks, mirror_average
from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import FaceComparison, FoundFace


@dataclass(frozen=True)
class EnrolmentMatch:
    embedding: np.ndarray
    """The capture's embedding the comparison used (dlib's single pass or mirror-averaged, then the
    second descriptor when the enrolment embedding has one)."""
    comparison: FaceComparison
    passes: int
    """dlib's network passes (1 or 2); the second network runs once more for a full enrolment."""


def single_pass_decides(distance: float, thresholds: ImagingThresholds) -> bool:
    """True when a single-pass dlib distance is far enough from every threshold of dlib's band it
    could cross (an enrolment embedding with dlib's descriptor alone)."""
    t = thresholds
    derived_guard = max(t.max_derived_embedding_distance, t.max_derived_embedding_distance_with_phash) + t.max_single_pass_offset
    clearly_same = derived_guard < distance <= t.dlib_same_max_distance - t.single_pass_same_margin
    clearly_different = distance > t.dlib_different_min_distance + t.single_pass_different_margin
    return clearly_same or clearly_different


def match_enrolment(image_rgb: np.ndarray, face: FoundFace, enrolment_embedding: np.ndarray,
                    thresholds: ImagingThresholds) -> EnrolmentMatch:
    shape = landmarks(image_rgb, face)
    if has_second_descriptor(enrolment_embedding):
        embedding = full_embedding(image_rgb, shape)
        return EnrolmentMatch(embedding, compare(embedding, enrolment_embedding, thresholds), passes=2)
    chip = dlib_chip(image_rgb, shape)
    single = chip_descriptor(chip)
    if single_pass_decides(dlib_distance(single, enrolment_embedding), thresholds):
        return EnrolmentMatch(single, compare(single, enrolment_embedding, thresholds), passes=1)
    averaged = mirror_average(chip, single)
    return EnrolmentMatch(averaged, compare(averaged, enrolment_embedding, thresholds), passes=2)
