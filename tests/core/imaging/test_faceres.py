"""The second face descriptor (``core.imaging.faceres``): the runtime network gives the published
graph's descriptor, executed op by op by ``tools/convert_faceres.py`` (itself checked against
TensorFlow.js), on real faces; and it tells people apart on its own."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.config import fixtures_dir
from core.imaging.embedding import landmarks
from core.imaging.faceres import CHIP_SIZE, faceres_chip_from_shape, faceres_network
from core.imaging.faces import find_face
from core.imaging.loading import load_image

REFERENCE = json.loads((Path(__file__).parent / "data" / "faceres_reference.json").read_text())


def _chip(photo: str) -> np.ndarray:
    path = fixtures_dir() / photo
    if not path.is_file():
        pytest.skip(f"fixture photo not found at {path}")
    image = load_image(path.read_bytes()).rgb
    return faceres_chip_from_shape(image, landmarks(image, find_face(image, min_width=60)))


@pytest.mark.parametrize("row", REFERENCE, ids=[row["photo"] for row in REFERENCE])
def test_runtime_network_gives_the_published_graphs_descriptor(row) -> None:
    chip = _chip(row["photo"])
    assert chip.shape == (CHIP_SIZE, CHIP_SIZE, 3) and chip.dtype == np.uint8
    descriptor = faceres_network().descriptor(chip)
    assert np.linalg.norm(descriptor) == pytest.approx(1.0)
    assert descriptor[:16] * row["norm"] == pytest.approx(np.array(row["first"]), abs=2e-4)


def test_the_second_descriptor_alone_puts_the_same_person_nearer_than_others() -> None:
    network = faceres_network()
    neutral, smiling, other = (network.descriptor(_chip(p)) for p in
                               ("london/003_neutral.jpg", "london/003_smiling.jpg", "london/027_neutral.jpg"))
    same = 1 - float(neutral @ smiling)
    assert same < 1 - float(neutral @ other) and same < 1 - float(smiling @ other)


def test_the_carried_model_keeps_the_published_float16_values() -> None:
    from core.imaging.faceres import MODEL

    with np.load(MODEL) as stored:
        kernels = [stored[name] for name in stored.files if name.startswith("kernel_")]
    assert len(kernels) == 27 and all(k.dtype == np.float16 for k in kernels)
