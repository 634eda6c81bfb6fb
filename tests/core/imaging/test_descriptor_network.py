"""dlib's descriptor network run on OpenCV and numpy gives dlib's own descriptor, so the calibrated thresholds hold."""

from __future__ import annotations

from pathlib import Path

import face_recognition_models
import numpy as np
import pytest
from face_recognition import api as face_api

from core.imaging.descriptor_network import descriptor_network, read_network
from core.imaging.embedding import aligned_chip
from core.imaging.faces import find_face
from core.imaging.loading import load_image

from .conftest import LONDON

PHOTOS = [LONDON / name for name in ("003_neutral.jpg", "027_smiling.jpg", "044_neutral.jpg", "011_smiling.jpg")]


def _chip(path: Path) -> np.ndarray:
    image = load_image(path.read_bytes()).rgb
    return aligned_chip(image, find_face(image))


@pytest.fixture(scope="module")
def chips() -> list[np.ndarray]:
    return [_chip(path) for path in PHOTOS]


def test_each_descriptor_equals_dlibs(chips) -> None:
    for chip in chips:
        ours = descriptor_network().descriptors(chip[None])[0]
        dlibs = np.array(face_api.face_encoder.compute_face_descriptor(chip))
        assert ours.shape == (128,)
        assert np.abs(ours - dlibs).max() < 1e-5
        assert np.linalg.norm(ours - dlibs) < 1e-5


def test_a_batch_gives_each_chip_its_own_descriptor(chips) -> None:
    batch = np.stack(chips + [np.ascontiguousarray(c[:, ::-1]) for c in chips])
    together = descriptor_network().descriptors(batch)
    alone = np.stack([descriptor_network().descriptors(c[None])[0] for c in batch])
    assert np.abs(together - alone).max() < 1e-6
    mirrored = np.array(face_api.face_encoder.compute_face_descriptor(np.ascontiguousarray(chips[0][:, ::-1])))
    assert np.abs(together[len(chips)] - mirrored).max() < 1e-5


def test_another_model_file_is_refused() -> None:
    other = Path(face_recognition_models.pose_predictor_five_point_model_location())
    with pytest.raises(ValueError, match="not dlib_face_recognition_resnet_model_v1"):
        read_network(other)
