"""Face comparison of a capture's embedding with the stored enrolment embedding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.imaging.thresholds import DEFAULT_THRESHOLDS, ImagingThresholds
from core.imaging.types import FaceComparison, Verdict

SAME_SCORE = 80.0
DIFFERENT_SCORE = 60.0
"""Similarity shown at the two verdict thresholds, so that the score and the verdict agree:
≥ 80 is judged the same person, < 60 a different one."""
ZERO_SCORE_DISTANCE = 1.0
"""Distance scored 0: dlib descriptors of two different people rarely lie further apart."""


def face_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two 128-d descriptors (dlib's metric)."""
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)))


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
    distance = face_distance(a, b)
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


def pairwise_distances(embeddings: np.ndarray) -> np.ndarray:
    """Euclidean distance matrix of a stack of embeddings (n × 128 → n × n)."""
    squared = np.sum(embeddings**2, axis=1)
    gram = squared[:, None] + squared[None, :] - 2 * embeddings @ embeddings.T
    return np.sqrt(np.maximum(gram, 0.0))


def verdict_rates(labels: Sequence[str], embeddings: np.ndarray,
                  thresholds: ImagingThresholds = DEFAULT_THRESHOLDS) -> VerdictRates:
    """Verdict rates over every pair of the set (``labels`` name the person of each embedding)."""
    names = np.asarray(labels)
    upper = np.triu_indices(len(names), k=1)
    distances = pairwise_distances(embeddings)[upper]
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
