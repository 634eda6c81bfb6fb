"""The enrolment comparison: a full enrolment embedding is met with both descriptors and the fused
distance; an old one (dlib's descriptor alone) with dlib's, paying dlib's second pass only where it
can change the outcome."""

from __future__ import annotations

import numpy as np
import pytest

from core.imaging.compare import DLIB_DIMENSIONS, compare, dlib_distance, face_distance
from core.imaging.embedding import face_embedding
from core.imaging.faces import find_face
from core.imaging.loading import load_image
from core.imaging.matching import match_enrolment, single_pass_decides
from core.imaging.thresholds import DEFAULT_THRESHOLDS as T

from .conftest import LONDON


def _face(name: str):
    image = load_image((LONDON / name).read_bytes()).rgb
    return image, find_face(image)


@pytest.fixture(scope="module")
def enrolment_003() -> np.ndarray:
    return face_embedding(*_face("003_neutral.jpg"))


def test_someone_else_is_judged_different_on_both_descriptors(enrolment_003) -> None:
    image, face = _face("027_neutral.jpg")
    match = match_enrolment(image, face, enrolment_003, T)
    full = face_embedding(image, face)
    assert match.embedding.shape == (DLIB_DIMENSIONS + 1024,) and np.allclose(match.embedding, full)
    assert match.comparison == compare(full, enrolment_003)
    assert match.comparison.verdict.value == "different"
    assert match.comparison.distance == pytest.approx(face_distance(full, enrolment_003))
    assert match.comparison.distance != pytest.approx(dlib_distance(full, enrolment_003))  # fused, not dlib's


def test_the_same_person_is_judged_the_same_on_both_descriptors(enrolment_003) -> None:
    image, face = _face("003_smiling.jpg")
    match = match_enrolment(image, face, enrolment_003, T)
    full = face_embedding(image, face)
    assert np.allclose(match.embedding, full)
    assert match.comparison == compare(full, enrolment_003)
    assert match.comparison.verdict.value == "same"


def test_an_old_enrolment_embedding_is_judged_by_dlib_in_one_pass_where_it_decides(enrolment_003) -> None:
    old = enrolment_003[:DLIB_DIMENSIONS]
    image, face = _face("027_neutral.jpg")
    match = match_enrolment(image, face, old, T)
    assert match.passes == 1 and match.embedding.shape == (DLIB_DIMENSIONS,)
    assert match.comparison.verdict == compare(face_embedding(image, face)[:DLIB_DIMENSIONS], old).verdict
    assert match.comparison.verdict.value == "different"
    assert match.comparison.distance > T.dlib_different_min_distance


def test_an_old_enrolment_embedding_near_the_capture_takes_dlibs_precise_embedding(enrolment_003) -> None:
    old = enrolment_003[:DLIB_DIMENSIONS]
    image, face = _face("003_smiling.jpg")
    match = match_enrolment(image, face, old, T)
    full = face_embedding(image, face)[:DLIB_DIMENSIONS]
    assert match.passes == 2
    assert np.allclose(match.embedding, full)
    assert match.comparison == compare(full, old)


def test_one_pass_decides_only_clear_of_the_band_and_of_the_derived_region() -> None:
    derived_reach = T.max_derived_embedding_distance_with_phash + T.max_single_pass_offset
    assert not single_pass_decides(0.05, T)
    assert not single_pass_decides(derived_reach, T)
    assert single_pass_decides(derived_reach + 0.01, T)
    assert single_pass_decides(T.dlib_same_max_distance - T.single_pass_same_margin, T)
    assert not single_pass_decides(T.dlib_same_max_distance, T)
    assert not single_pass_decides(T.dlib_different_min_distance + T.single_pass_different_margin, T)
    assert single_pass_decides(T.dlib_different_min_distance + T.single_pass_different_margin + 0.01, T)
