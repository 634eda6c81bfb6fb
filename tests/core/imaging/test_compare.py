"""Face embedding and comparison: the verdict band, the score, and real photos."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from core.imaging.compare import compare, pairwise_distances, similarity, verdict_rates
from core.imaging.embedding import face_embedding
from core.imaging.faces import find_face
from core.imaging.loading import load_image
from core.imaging.thresholds import DEFAULT_THRESHOLDS, ImagingThresholds
from core.imaging.types import Verdict

from .conftest import LONDON

T = DEFAULT_THRESHOLDS


def _at(distance: float) -> tuple[np.ndarray, np.ndarray]:
    """Two old embeddings (dlib's descriptor alone) ``distance`` apart."""
    a = np.zeros(128)
    b = np.zeros(128)
    b[0] = distance
    return a, b


def _full_at(fused: float) -> tuple[np.ndarray, np.ndarray]:
    """Two full embeddings whose dlib distance and mapped second distance both equal ``fused``."""
    second = T.fusion_second_mean + (fused - T.fusion_dlib_mean) * T.fusion_second_spread / T.fusion_dlib_spread
    angle = np.arccos(1.0 - second)
    a, b = np.zeros(128 + 1024), np.zeros(128 + 1024)
    b[0] = fused
    a[128] = 1.0
    b[128], b[129] = np.cos(angle), np.sin(angle)
    return a, b


@pytest.mark.parametrize(
    "distance, verdict",
    [
        (0.2, Verdict.SAME),
        (T.same_max_distance - 1e-6, Verdict.SAME),
        (T.same_max_distance + 1e-6, Verdict.UNCERTAIN),
        (T.different_min_distance - 1e-6, Verdict.UNCERTAIN),
        (T.different_min_distance + 1e-6, Verdict.DIFFERENT),
        (0.9, Verdict.DIFFERENT),
    ],
)
def test_verdict_follows_the_band_on_the_fused_distance(distance: float, verdict: Verdict) -> None:
    result = compare(*_full_at(distance))
    assert result.verdict is verdict
    assert result.distance == pytest.approx(distance)


@pytest.mark.parametrize(
    "distance, verdict",
    [
        (0.0, Verdict.SAME),
        (T.dlib_same_max_distance, Verdict.SAME),
        (T.dlib_same_max_distance + 1e-6, Verdict.UNCERTAIN),
        (T.dlib_different_min_distance, Verdict.UNCERTAIN),
        (T.dlib_different_min_distance + 1e-6, Verdict.DIFFERENT),
        (0.9, Verdict.DIFFERENT),
    ],
)
def test_an_old_embedding_is_judged_by_dlibs_own_band(distance: float, verdict: Verdict) -> None:
    result = compare(*_at(distance))
    assert result.verdict is verdict
    assert result.distance == pytest.approx(distance)
    full, _ = _full_at(0.0)
    assert compare(full, _at(distance)[1]).verdict is verdict  # one old side is enough


def test_the_fused_distance_averages_dlibs_with_the_second_mapped_onto_dlibs_scale() -> None:
    a, b = _full_at(0.3)
    b[0] = 0.5  # dlib's distance 0.5, the second network's mapped one still 0.3
    assert compare(a, b).distance == pytest.approx(0.4)


def test_similarity_is_anchored_on_the_verdict_thresholds() -> None:
    assert similarity(0.0) == 100.0
    assert similarity(T.same_max_distance) == 80.0
    assert similarity(T.different_min_distance) == 60.0
    assert similarity(1.2) == 0.0
    scores = [similarity(d) for d in np.linspace(0, 1.2, 50)]
    assert all(a >= b for a, b in itertools.pairwise(scores))


def test_configured_thresholds_are_used() -> None:
    """The admin's band (core.services.policy) applies to the fused distance."""
    strict = ImagingThresholds(same_max_distance=0.2, different_min_distance=0.3)
    assert compare(*_full_at(0.25), strict).verdict is Verdict.UNCERTAIN
    assert compare(*_full_at(0.25)).verdict is Verdict.SAME
    assert compare(*_full_at(0.35), strict).verdict is Verdict.DIFFERENT


def test_pairwise_distances_match_the_pair_distance() -> None:
    rng = np.random.default_rng(3)
    stack = rng.normal(size=(6, 128 + 1024)) * 0.1
    stack[:, 128:] /= np.linalg.norm(stack[:, 128:], axis=1, keepdims=True)
    for rows in (stack, stack[:, :128]):
        matrix = pairwise_distances(rows)
        for i in range(6):
            for j in range(6):
                assert matrix[i, j] == pytest.approx(compare(rows[i], rows[j]).distance, abs=1e-6)


def test_verdict_rates_count_every_pair() -> None:
    stack = np.array([[0.0], [0.1], [1.0], [1.05]]) * np.eye(1, 128)
    rates = verdict_rates(["a", "a", "b", "c"], stack)
    assert (rates.same_pairs, rates.different_pairs) == (1, 5)
    assert rates.different_judged_same == pytest.approx(1 / 5)  # b and c are 0.05 apart
    assert rates.same_judged_different == 0.0


@pytest.fixture(scope="module")
def london_embeddings() -> dict[str, np.ndarray]:
    out = {}
    for name in ("003_neutral.jpg", "003_smiling.jpg", "070_neutral.jpg", "096_neutral.jpg"):
        image = load_image((LONDON / name).read_bytes()).rgb
        out[name] = face_embedding(image, find_face(image))
    return out


def test_embedding_is_both_descriptors_and_deterministic(london_embeddings) -> None:
    image = load_image((LONDON / "003_neutral.jpg").read_bytes()).rgb
    again = face_embedding(image, find_face(image))
    assert again.shape == (128 + 1024,) and again.dtype == np.float64
    assert np.linalg.norm(again[128:]) == pytest.approx(1.0)
    assert np.array_equal(again, london_embeddings["003_neutral.jpg"])


def test_same_person_other_expression_is_same(london_embeddings) -> None:
    result = compare(london_embeddings["003_neutral.jpg"], london_embeddings["003_smiling.jpg"])
    assert result.verdict is Verdict.SAME and result.similarity >= 80


def test_other_people_are_different(london_embeddings) -> None:
    for other in ("070_neutral.jpg", "096_neutral.jpg"):
        result = compare(london_embeddings["003_neutral.jpg"], london_embeddings[other])
        assert result.verdict is Verdict.DIFFERENT and result.similarity < 60
