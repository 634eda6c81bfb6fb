"""The face-comparison band on every pair of lfw_east_asian/ and london/: the verdict rates are
printed, and held to the service's bounds (same person judged different ≤ 2 %, different people
judged same ≤ 0.1 %) and to issue 16's share of uncertain verdicts (≤ 6 %). Each photo is embedded
once per session (dlib's descriptor and the second network's), then all pairs are compared: on the
fused distance, and on dlib's alone for embeddings stored before the second descriptor."""

from __future__ import annotations

import numpy as np
import pytest

from bench.calibrate_face_threshold import (
    MAX_DIFFERENT_JUDGED_SAME, MAX_SAME_JUDGED_DIFFERENT, Embedded, choose_band, embed_all, fusion_scaling,
    held_out_line, held_out_rates, lfw_faces, london_faces, rates_line, single_pass_agreement, split_distances,
)
from core.imaging.compare import pairwise_distances, verdict_rates
from core.imaging.thresholds import DEFAULT_THRESHOLDS, ImagingThresholds

# Its session and module fixtures are expensive: with --dist loadgroup one worker computes them, once.
pytestmark = [pytest.mark.xdist_group("face_calibration"), pytest.mark.slow]


def _report_line(request: pytest.FixtureRequest, line: str) -> None:
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(line)


@pytest.fixture(scope="session")
def lfw_embedded() -> tuple[list[str], Embedded, list[str]]:
    labels, found, missed = lfw_faces()
    return labels, embed_all(found), missed


@pytest.fixture(scope="session")
def london_embedded() -> tuple[list[str], Embedded]:
    labels, found = london_faces()
    return labels, embed_all(found)


@pytest.fixture(scope="session")
def lfw(lfw_embedded) -> tuple[list[str], np.ndarray, list[str]]:
    labels, embedded, missed = lfw_embedded
    return labels, embedded.full, missed


@pytest.fixture(scope="session")
def london_set(london_embedded) -> tuple[list[str], np.ndarray]:
    labels, embedded = london_embedded
    return labels, embedded.full


def test_nearly_every_lfw_photo_is_embedded(lfw) -> None:
    labels, embeddings, missed = lfw
    assert len(labels) + len(missed) == 180
    assert len(missed) <= 2
    assert len(set(labels)) == 15 and embeddings.shape == (len(labels), 128 + 1024)
    assert np.allclose(np.linalg.norm(embeddings[:, 128:], axis=1), 1.0)


def test_lfw_east_asian_rates_meet_the_bounds_with_few_uncertain(lfw, request) -> None:
    """Issue 16: at most 6 % of the pairs left to a reviewer, at the same two error bounds
    (dlib's descriptor alone left 10.3 %, tested below)."""
    labels, embeddings, _ = lfw
    rates = verdict_rates(labels, embeddings)
    _report_line(request, f"face verdicts, lfw_east_asian ({rates.same_pairs} same-person, {rates.different_pairs} "
                          f"different-person pairs): {rates_line(rates)}")
    assert rates.same_judged_different <= MAX_SAME_JUDGED_DIFFERENT
    assert rates.different_judged_same <= MAX_DIFFERENT_JUDGED_SAME
    assert rates.uncertain <= 0.06


def test_dlib_alone_keeps_its_own_band_for_old_embeddings(lfw_embedded) -> None:
    """An enrolment embedding stored before the second descriptor is judged by dlib's band, which
    the same rule chooses from dlib's distances alone; its rates stay within the bounds."""
    labels, embedded, _ = lfw_embedded
    same_max, different_min = choose_band(*split_distances(labels, embedded.averaged))
    assert DEFAULT_THRESHOLDS.dlib_same_max_distance == pytest.approx(same_max, abs=1e-3)
    assert DEFAULT_THRESHOLDS.dlib_different_min_distance == pytest.approx(different_min, abs=1e-3)
    rates = verdict_rates(labels, embedded.averaged)
    assert rates.same_judged_different <= MAX_SAME_JUDGED_DIFFERENT
    assert rates.different_judged_same <= MAX_DIFFERENT_JUDGED_SAME
    assert rates.uncertain > 0.09  # what the second descriptor is for


def test_fusion_scaling_is_the_one_measured(lfw) -> None:
    _, embeddings, _ = lfw
    for key, value in fusion_scaling(embeddings).items():
        assert getattr(DEFAULT_THRESHOLDS, key) == pytest.approx(value, abs=1e-3), key


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


def test_band_holds_on_people_it_was_not_chosen_on(lfw, request) -> None:
    """Cross-validation by identity: each pair judged by a band chosen on the other people's pairs.
    Measured 1.57 % / 0.171 % / 5.46 % (dlib alone: 1.96 % / 0.230 % / 11.45 %): a band choice that
    fits the set more tightly (a learned transform, a cohort of the same people) shows here as errors
    above the bounds."""
    labels, embeddings, _ = lfw
    held = held_out_rates(labels, pairwise_distances(embeddings))
    _report_line(request, f"face verdicts, lfw_east_asian held out by identity: {held_out_line(held)}")
    assert held.same_judged_different <= 0.022
    assert held.different_judged_same <= 0.0025
    assert held.uncertain <= 0.06


def test_dlibs_documented_threshold_is_far_too_loose_here(lfw_embedded) -> None:
    labels, embedded, _ = lfw_embedded
    loose = ImagingThresholds(dlib_same_max_distance=0.6, dlib_different_min_distance=0.6)
    assert verdict_rates(labels, embedded.averaged, loose).different_judged_same > 0.2


@pytest.mark.parametrize("which", ["lfw_east_asian", "london"])
def test_one_network_pass_decides_only_where_the_full_embedding_agrees(which, lfw_embedded, london_embedded,
                                                                       request) -> None:
    labels, embedded = (lfw_embedded[0], lfw_embedded[1]) if which == "lfw_east_asian" else london_embedded
    agreement = single_pass_agreement(labels, embedded)
    _report_line(request, f"one pass, {which}: {agreement.decided_in_one_pass:.1%} of {agreement.pairs} pairs decided "
                          f"in one pass, {agreement.disagreements} disagree with the full embedding")
    assert agreement.disagreements == 0
    assert agreement.decided_in_one_pass > 0.5
    assert agreement.max_offset <= DEFAULT_THRESHOLDS.max_single_pass_offset
    t = DEFAULT_THRESHOLDS
    assert agreement.nearest_not_same > t.dlib_same_max_distance - t.single_pass_same_margin
    assert agreement.furthest_not_different <= t.dlib_different_min_distance + t.single_pass_different_margin
