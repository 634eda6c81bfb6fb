"""Face comparison of a capture's embedding with the stored enrolment embedding.

An embedding holds two descriptors (``core.imaging.embedding``): dlib's and a second network's. The
face distance compared with the band is their fusion, expressed on dlib's scale so that the band,
the admin's setting and the similarity score keep one meaning: the second network's cosine distance
is mapped onto dlib's Euclidean one by matching the mean and spread of both over every calibration
pair, and the two are averaged. An embedding stored before the second descriptor existed (dlib's 128
values alone) is compared by dlib's distance against dlib's own calibrated band.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from core.imaging.thresholds import DEFAULT_THRESHOLDS, ImagingThresholds
from core.imaging.types import FaceComparison, Verdict

SAME_SCORE = 80.0
DIFFERENT_SCORE = 60.0
"""Similarity shown at the two verdict thresholds, so that the score and the verdict agree:
≥ 80 is judged the same person, < 60 a different one."""
ZERO_SCORE_DISTANCE = 1.0
"""Distance scored 0: dlib descriptors of two different people rarely lie further apart."""
DLIB_DIMENSIONS = 128
"""dlib's part of an embedding; the second descriptor's 1 024 values follow it."""


def dlib_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between the dlib parts of two embeddings (dlib's metric)."""
    first = np.asarray(a, dtype=np.float64)[:DLIB_DIMENSIONS]
    second = np.asarray(b, dtype=np.float64)[:DLIB_DIMENSIONS]
    return float(np.linalg.norm(first - second))


def has_second_descriptor(embedding: np.ndarray) -> bool:
    return len(embedding) > DLIB_DIMENSIONS


def fused_distance(dlib: float | np.ndarray, second: float | np.ndarray, thresholds: ImagingThresholds) -> float | np.ndarray:
    """dlib's distance averaged with the second network's cosine distance mapped onto dlib's scale."""
    t = thresholds
    mapped = t.fusion_dlib_mean + (second - t.fusion_second_mean) * (t.fusion_dlib_spread / t.fusion_second_spread)
    return (dlib + mapped) / 2


def face_distance(a: np.ndarray, b: np.ndarray, thresholds: ImagingThresholds = DEFAULT_THRESHOLDS) -> float:
    """The distance the verdict is read from: fused when both embeddings carry the second
    descriptor, dlib's alone otherwise."""
    dlib = dlib_distance(a, b)
    if not (has_second_descriptor(a) and has_second_descriptor(b)):
        return dlib
    second = 1.0 - float(np.dot(np.asarray(a, dtype=np.float64)[DLIB_DIMENSIONS:], np.asarray(b, dtype=np.float64)[DLIB_DIMENSIONS:]))
    return float(fused_distance(dlib, second, thresholds))


def dlib_band(thresholds: ImagingThresholds) -> ImagingThresholds:
    """The thresholds with dlib's own calibrated band in force (the admin's band is set on the fused
    distance)."""
    return replace(thresholds, same_max_distance=thresholds.dlib_same_max_distance,
                   different_min_distance=thresholds.dlib_different_min_distance)


def band_for(a: np.ndarray, b: np.ndarray, thresholds: ImagingThresholds) -> ImagingThresholds:
    """The thresholds a pair is judged by: as given for two full embeddings; dlib's own band when
    either lacks the second descriptor."""
    return thresholds if has_second_descriptor(a) and has_second_descriptor(b) else dlib_band(thresholds)


def verdict_for(distance: float, thresholds: ImagingThresholds = DEFAULT_THRESHOLDS) -> Verdict:
    if distance <= thresholds.same_max_distance:
        return Verdict.SAME
    if distance > thresholds.different_min_distance:
        return Verdict.DIFFERENT
    return Verdict.UNCERTAIN


def similarity(distance: float, thresholds: ImagingThresholds = DEFAULT_THRESHOLDS) -> float:
    """A 0–100 score, piecewise linear in the distance, anchored on the verdict thresholds."""
    distances = [0.0, thresholds.same_max_distance, thresholds.different_min_distance, ZERO_SCORE_DISTANCE]
    scores = [100.0, SAME_SCORE, DIFFERENT_SCORE, 0.0]
    return round(float(np.interp(distance, distances, scores)), 1)


def compare(a: np.ndarray, b: np.ndarray, thresholds: ImagingThresholds = DEFAULT_THRESHOLDS) -> FaceComparison:
    """Distance, similarity and verdict of two face embeddings."""
    distance = face_distance(a, b, thresholds)
    thresholds = band_for(a, b, thresholds)
    return FaceComparison(
        distance=distance,
        similarity=similarity(distance, thresholds),
        verdict=verdict_for(distance, thresholds),
    )


@dataclass(frozen=True)
class VerdictRates:
    """How the verdicts fall on a labelled set of pairs (for calibration and its report)."""

    same_pairs: int
    different_pairs: int
    same_judged_different: float
    """A wrongly blocked student, as a share of same-person pairs."""
    different_judged_same: float
    """A fraud waved through, as a share of different-person pairs."""
    uncertain: float
    """Share of all pairs left to a human."""
    uncertain_same: float
    uncertain_different: float


def pairwise_dlib_distances(embeddings: np.ndarray) -> np.ndarray:
    """dlib's Euclidean distance matrix of a stack of embeddings (n × 128 or more → n × n)."""
    dlib = embeddings[:, :DLIB_DIMENSIONS]
    squared = np.sum(dlib**2, axis=1)
    gram = squared[:, None] + squared[None, :] - 2 * dlib @ dlib.T
    return np.sqrt(np.maximum(gram, 0.0))


def pairwise_second_distances(embeddings: np.ndarray) -> np.ndarray:
    """The second network's cosine distance matrix (its descriptors are unit length)."""
    second = embeddings[:, DLIB_DIMENSIONS:]
    return 1.0 - second @ second.T


def pairwise_distances(embeddings: np.ndarray, thresholds: ImagingThresholds = DEFAULT_THRESHOLDS) -> np.ndarray:
    """The distance matrix the verdicts read: fused for full embeddings, dlib's for dlib's alone."""
    dlib = pairwise_dlib_distances(embeddings)
    if embeddings.shape[1] <= DLIB_DIMENSIONS:
        return dlib
    return np.asarray(fused_distance(dlib, pairwise_second_distances(embeddings), thresholds))


def verdict_rates(labels: Sequence[str], embeddings: np.ndarray,
                  thresholds: ImagingThresholds = DEFAULT_THRESHOLDS) -> VerdictRates:
    """Verdict rates over every pair of the set (``labels`` name the person of each embedding)."""
    names = np.asarray(labels)
    upper = np.triu_indices(len(names), k=1)
    distances = pairwise_distances(embeddings, thresholds)[upper]
    if embeddings.shape[1] <= DLIB_DIMENSIONS:
        thresholds = dlib_band(thresholds)
    same = (names[:, None] == names[None, :])[upper]
    is_same = distances <= thresholds.same_max_distance
    is_different = distances > thresholds.different_min_distance
    uncertain = ~is_same & ~is_different
    return VerdictRates(
        same_pairs=int(same.sum()),
        different_pairs=int((~same).sum()),
        same_judged_different=float(is_different[same].mean()),
        different_judged_same=float(is_same[~same].mean()),
        uncertain=float(uncertain.mean()),
        uncertain_same=float(uncertain[same].mean()),
        uncertain_different=float(uncertain[~same].mean()),
    )
