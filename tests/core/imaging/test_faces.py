"""Face finding on real photos: one face with 68 landmarks, or the right refusal."""

from __future__ import annotations

from pathlib import Path

import face_recognition
import numpy as np
import pytest

from core.imaging.errors import FaceCutOff, FaceTooSmall, MultipleFaces, NoFace
from core.imaging.faces import MIN_FACE_WIDTH, eye_line, face_width, find_face
from core.imaging.loading import load_image


def _rgb(path: Path) -> np.ndarray:
    return load_image(path.read_bytes()).rgb


def test_london_portrait_has_one_face_with_68_landmarks(london_dir: Path) -> None:
    image = _rgb(london_dir / "003_neutral.jpg")
    face = find_face(image)
    # face_recognition's named groups of the 68 points (the two lip groups share 4 corner points)
    sizes = {name: len(points) for name, points in face.landmarks.items()}
    assert sizes == {"chin": 17, "left_eyebrow": 5, "right_eyebrow": 5, "nose_bridge": 4, "nose_tip": 5,
                     "left_eye": 6, "right_eye": 6, "top_lip": 12, "bottom_lip": 12}
    height, width = image.shape[:2]
    assert 0 <= face.box.left < face.box.right <= width and 0 <= face.box.top < face.box.bottom <= height
    brows = np.mean([y for _, y in face.landmarks["left_eyebrow"] + face.landmarks["right_eyebrow"]])
    nose_tip = np.mean([y for _, y in face.landmarks["nose_tip"]])
    assert brows < eye_line(face) < nose_tip
    assert face.box.width * 0.6 < face_width(face) < face.box.width * 1.3


def test_downscaled_detection_matches_full_resolution(london_dir: Path) -> None:
    """Detection on the small copy, mapped back, lands the landmarks where full-size detection does."""
    image = _rgb(london_dir / "005_neutral.jpg")
    face = find_face(image)
    naive = face_recognition.face_landmarks(image, face_recognition.face_locations(image))
    assert len(naive) == 1
    ours = np.array([p for name in sorted(face.landmarks) for p in face.landmarks[name]])
    theirs = np.array([p for name in sorted(naive[0]) for p in naive[0][name]], dtype=float)
    assert np.median(np.hypot(*(ours - theirs).T)) < 0.02 * face.box.width


def test_face_in_reduced_decode_is_judged_at_full_resolution(edge_cases_dir: Path) -> None:
    image = _rgb(edge_cases_dir / "low_res_240p.jpg")
    with pytest.raises(FaceTooSmall):
        find_face(image)
    # The same pixels standing for a photo four times larger: the face is big enough there.
    face = find_face(image, pixel_scale=4.0)
    assert face_width(face) * 4.0 >= MIN_FACE_WIDTH


def test_everyday_photo_is_found_or_refused_with_a_reason(everyday_photo: Path) -> None:
    try:
        face = find_face(_rgb(everyday_photo))
    except FaceTooSmall as error:
        assert error.face_width_px < MIN_FACE_WIDTH <= error.needed_px
        return
    assert face_width(face) >= MIN_FACE_WIDTH


def test_two_faces_are_refused(two_faces_photo: Path) -> None:
    """Both photos show two people side by side; two_faces_2 also shows a girl looking down at its
    lower right edge, a real third face the detector finds right at its threshold, so the count
    is at least two and the message gives the count found."""
    with pytest.raises(MultipleFaces) as error:
        find_face(_rgb(two_faces_photo))
    assert error.value.code == "face_count"
    assert error.value.count >= 2
    assert str(error.value.count) in error.value.message_zh


def test_partial_face_is_refused(edge_cases_dir: Path) -> None:
    with pytest.raises(FaceCutOff) as error:
        find_face(_rgb(edge_cases_dir / "partial_face.jpg"))
    assert error.value.code == "face_cut"
    assert "边缘" in error.value.message_zh


def test_low_resolution_is_refused_as_too_small(edge_cases_dir: Path) -> None:
    with pytest.raises(FaceTooSmall) as error:
        find_face(_rgb(edge_cases_dir / "low_res_240p.jpg"))
    assert error.value.code == "face_too_small"
    assert error.value.face_width_px < MIN_FACE_WIDTH


def test_face_cut_by_the_bottom_edge(london_dir: Path) -> None:
    image = _rgb(london_dir / "003_neutral.jpg")
    chin = max(y for _, y in find_face(image).landmarks["chin"])
    with pytest.raises(FaceCutOff):
        find_face(np.ascontiguousarray(image[: int(chin) - 40]))


def test_no_face(tmp_path: Path) -> None:
    wall = np.full((600, 800, 3), (180, 190, 200), np.uint8)
    with pytest.raises(NoFace) as error:
        find_face(wall)
    assert error.value.code == "face_count"
    assert error.value.message_zh and error.value.message_en


def test_a_photo_only_compared_may_have_a_smaller_face(edge_cases_dir: Path) -> None:
    face = find_face(_rgb(edge_cases_dir / "low_res_240p.jpg"), min_width=40)
    assert 40 <= face_width(face) < MIN_FACE_WIDTH
