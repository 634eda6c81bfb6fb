"""Not the enrolment photo, nor derived from it (cropped, rescaled, recoloured, re-backgrounded).

Two signs, either one enough: the aligned face's perceptual hash nearly equal to the enrolment
photo's, or a face embedding closer to it than two real photos of one person ever are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.imaging.compare import face_distance
from core.imaging.phash import hamming, perceptual_hash
from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check

__all__ = ["EnrolmentReference", "check_derived", "perceptual_hash"]


@dataclass(frozen=True)
class EnrolmentReference:
    """Stored once per roster record, never recomputed per submission."""

    embedding: np.ndarray
    phash: int


def check_derived(phash: int, embedding: np.ndarray, enrolment: EnrolmentReference,
                  thresholds: ImagingThresholds) -> Check:
    bits = hamming(phash, enrolment.phash)
    distance = face_distance(embedding, enrolment.embedding)
    derived = bits <= thresholds.max_derived_phash_distance or distance <= thresholds.max_derived_embedding_distance
    return Check(
        code="derived",
        passed=not derived,
        value=f"phash {bits}/64, distance {distance:.3f}",
        allowed=f"phash > {thresholds.max_derived_phash_distance}, distance > {thresholds.max_derived_embedding_distance:g}",
        message_zh="为新拍摄的照片。" if not derived else "照片与入学照片相同或由其翻拍、裁剪而来：请现场实时拍摄本人照片。",
        message_en="A new photo." if not derived
        else "The photo is the enrolment photo or derived from it; take a new live photo of yourself.",
    )
