"""The face-comparison band on every pair of lfw_east_asian/ and london/: the verdict rates are
printed, and held to the service's bounds (same person judged different ≤ 2 %, different people
judged same ≤ 0.1 %). Each photo is embedded once per session, then all pairs are compared."""

from __future__ import annotations

import numpy as np
import pytest

from bench.calibrate_face_threshold import (
    MAX_DIFFERENT_JUDGED_SAME, MAX_SAME_JUDGED_DIFFERENT, choose_band, embed_all, lfw_faces, london_faces,
    rates_line, split_distances,
)
from core.imaging.compare import verdict_rates
from core.imaging.thresholds import DEFAULT_THRESHOLDS, ImagingThresholds


def _report_line(request: pytest.FixtureRequest, line: str) -> None:
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(line)


@pytest.fixture(scope="session")
def lfw() -> tuple[list[str], np.ndarray, list[str]]:
    labels, found, missed = lfw_faces()
    return labels, embed_all(found)[0], missed


@pytest.fixture(scope="session")
def london_set() -> tuple[list[str], np.ndarray]:
    labels, found = london_faces()
    return labels, embed_all(found)[0]


def test_nearly_every_lfw_photo_is_embedded(lfw) -> None:
    labels, embeddings, missed = lfw
    assert len(labels) + len(missed) == 180
    assert len(missed) <= 2
    assert len(set(labels)) == 15 and embeddings.shape == (len(labels), 128)


def test_lfw_east_asian_rates_meet_the_bounds(lfw, request) -> None:
    labels, embeddings, _ = lfw
    rates = verdict_rates(labels, embeddings)
    _report_line(request, f"face verdicts, lfw_east_asian ({rates.same_pairs} same-person, {rates.different_pairs} "
                          f"different-person pairs): {rates_line(rates)}")
    assert rates.same_judged_different <= MAX_SAME_JUDGED_DIFFERENT
    assert rates.different_judged_same <= MAX_DIFFERENT_JUDGED_SAME


def test_london_rates_meet_the_bounds(london_set, request) -> None:
    labels, embeddings = london_set
    rates = verdict_rates(labels, embeddings)
    _report_line(request, f"face verdicts, london neutral vs smiling ({rates.same_pairs} same-person, "
                          f"{rates.different_pairs} different-person pairs): {rates_line(rates)}")
    assert rates.same_judged_different <= MAX_SAME_JUDGED_DIFFERENT
    assert rates.different_judged_same <= MAX_DIFFERENT_JUDGED_SAME


def test_configured_band_is_the_narrowest_the_bounds_allow(lfw) -> None:
    """As few uncertain as the bounds allow: the configured band is the one the data choose."""
    labels, embeddings, _ = lfw
    same_max, different_min = choose_band(*split_distances(labels, embeddings))
    assert DEFAULT_THRESHOLDS.same_max_distance == pytest.approx(same_max, abs=1e-3)
    assert DEFAULT_THRESHOLDS.different_min_distance == pytest.approx(different_min, abs=1e-3)


def test_dlibs_documented_threshold_is_far_too_loose_here(lfw) -> None:
    labels, embeddings, _ = lfw
    loose = ImagingThresholds(same_max_distance=0.6, different_min_distance=0.6)
    assert verdict_rates(labels, embeddings, loose).different_judged_same > 0.2
