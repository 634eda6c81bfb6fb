"""The converted MiniFASNet networks against the published PyTorch weights, and the crops they see.

PyTorch is not a project dependency: ``tools/convert_antispoof.py`` recorded PyTorch's logits once,
on patches cut by this module's own code from real photos (``data/antispoof_reference.json``).
Here the same rectangles are cut again from the same photos and run through the ONNX files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.imaging.antispoof import MODELS, REAL, Box, crop_patch, logits, model_box, patch_rect, spoof_probability
from core.imaging.faces import find_face
from core.imaging.loading import load_image

from .conftest import FACES, FIXTURES, LONDON

SHARED = FIXTURES.parent
REFERENCE = json.loads((Path(__file__).parent / "data" / "antispoof_reference.json").read_text())
BY_NAME = {m.name: m for m in MODELS}


@pytest.mark.parametrize("entry", REFERENCE["patches"], ids=lambda e: f"{Path(e['photo']).name}-{e['model']}")
def test_converted_network_gives_pytorchs_outputs_on_real_crops(entry: dict) -> None:
    photo = load_image((SHARED / entry["photo"]).read_bytes(), min_long_side=entry["min_long_side"])
    patch = crop_patch(photo.rgb, tuple(entry["rect"]))
    got = logits(BY_NAME[entry["model"]], patch[None])[0]
    np.testing.assert_allclose(got, entry["logits"], atol=1e-3)


def test_reference_covers_both_networks_on_live_print_and_screen_samples() -> None:
    """The reference set means something: both networks, and the published live/print/screen samples,
    on which the converted networks agree with the samples' labels (summed, as their test does)."""
    assert {e["model"] for e in REFERENCE["patches"]} == set(BY_NAME)
    summed: dict[str, np.ndarray] = {}
    for entry in REFERENCE["patches"]:
        row = np.array(entry["logits"])
        p = np.exp(row - row.max())
        summed[entry["photo"]] = summed.get(entry["photo"], 0) + p / p.sum()
    labels = {Path(photo).stem: int(np.argmax(p)) for photo, p in summed.items()}
    assert labels["image_T1"] == REAL
    assert labels["image_F1"] != REAL and labels["image_F2"] != REAL


def test_patch_is_shrunk_and_shifted_to_stay_inside_the_photo() -> None:
    size = (480, 640)
    near_corner = Box(x=10, y=20, width=150, height=200)
    x0, y0, x1, y1 = patch_rect(near_corner, 2.7, size)
    assert (x0, y0) == (0, 0) and x1 <= 479 and y1 <= 639
    assert x1 - x0 == pytest.approx(150 * 2.7, abs=1) and y1 - y0 == pytest.approx(200 * 2.7, abs=1)
    huge = Box(x=100, y=100, width=300, height=400)
    x0, y0, x1, y1 = patch_rect(huge, 4.0, size)
    assert x0 >= 0 and y0 >= 0 and x1 <= 479 and y1 <= 639
    assert y1 - y0 == pytest.approx(639, abs=1)  # the scale was lowered to what fits


def test_model_box_frames_forehead_to_chin_around_the_face() -> None:
    photo = load_image((LONDON / "001_neutral.jpg").read_bytes())
    face = find_face(photo.rgb)
    box = model_box(face)
    brows = min(y for _, y in face.landmarks["left_eyebrow"] + face.landmarks["right_eyebrow"])
    assert box.y < brows < box.y + box.height
    assert box.y + box.height == pytest.approx(max(y for _, y in face.landmarks["chin"]))
    assert 1.1 < box.height / box.width < 1.6


def test_genuine_portrait_scores_low() -> None:
    photo = load_image((FACES / "obama" / "1.jpg").read_bytes())
    assert spoof_probability(photo.rgb, find_face(photo.rgb)) < 0.1
