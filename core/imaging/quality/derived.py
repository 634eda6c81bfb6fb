"""Not the enrolment photo, nor derived from it (cropped, rescaled, recoloured, re-backgrounded).

Two signs: the aligned face's perceptual hash nearly equal to the enrolment photo's, and a face
embedding closer to it than two real photos of one person ever are. Either one is enough when
strong; both together when each is only moderate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.imaging.compare import dlib_distance
from core.imaging.phash import HASH_SIZE, hamming, perceptual_hash
from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check
from core.imaging.words import BITS, Reading, in_words

__all__ = ["EnrolmentReference", "check_derived", "perceptual_hash"]


@dataclass(frozen=True)
class EnrolmentReference:
    """Stored once per roster record, never recomputed per submission."""

    embedding: np.ndarray
    phash: int


def check_derived(phash: int, embedding: np.ndarray, enrolment: EnrolmentReference,
                  thresholds: ImagingThresholds) -> Check:
    bits = hamming(phash, enrolment.phash)
    distance = dlib_distance(embedding, enrolment.embedding)
    t = thresholds
    derived = (
        bits <= t.max_derived_phash_distance
        or distance <= t.max_derived_embedding_distance
        or (bits <= t.max_derived_phash_distance_with_embedding and distance <= t.max_derived_embedding_distance_with_phash)
    )
    return Check(
        code="derived",
        passed=not derived,
        value=f"phash {bits}/{HASH_SIZE**2} bits, distance {distance:.3f}",
        allowed=(f"phash > {t.max_derived_phash_distance} and distance > {t.max_derived_embedding_distance:g}, "
                 f"not both phash ≤ {t.max_derived_phash_distance_with_embedding} "
                 f"and distance ≤ {t.max_derived_embedding_distance_with_phash:g}"),
        message_zh="为新拍摄的照片。" if not derived else "照片与入学照片相同或由其翻拍、裁剪而来：请现场实时拍摄本人照片。",
        message_en="A new photo." if not derived
        else "The photo is the enrolment photo or derived from it; take a new live photo of yourself.",
        **in_words(
            Reading(bits, "与入学照片的图像差异", "Image difference from the enrolment photo",
                    "与入学照片几乎是同一张图", "Nearly the same picture as the enrolment photo",
                    low=t.max_derived_phash_distance, strict=True, unit=BITS, digits=0,
                    ok=bits > t.max_derived_phash_distance and not derived),
            Reading(distance, "与入学照片的人脸差异", "Face difference from the enrolment photo",
                    "人脸与入学照片过于一致，像是同一张照片", "Face too close to the enrolment photo, like the same photo",
                    low=t.max_derived_embedding_distance, strict=True, digits=3,
                    ok=distance > t.max_derived_embedding_distance and not derived),
        ),
    )
