"""The published print/screen presentation-attack networks (MiniFASNet), run by OpenCV.

Minivision's Silent-Face-Anti-Spoofing (Apache-2.0; ``core/imaging/models/minifasnet/``, with its
LICENSE and NOTICE) gives two small classifiers trained on phone captures of real faces, printed
photos and screens. Each looks at the face box enlarged by its own scale (2.7 and 4.0: the face with
some of its surroundings, where a print's edge or a screen's bezel shows), cut from the photo and
resized to 80×80 exactly as their ``CropImage`` does: the enlarged box is shrunk to fit the photo and
shifted inside it, then resized with OpenCV's default bilinear interpolation (their training patches
were made that way, so the aliasing of a screen's pixel grid looks to the network as it did then).
Input is BGR, 0–255, unnormalised; the three softmax outputs are (attack, real, attack); the two
models' outputs are summed, as their ``test.py`` does.

The networks were converted from the published PyTorch weights to ONNX by
``tools/convert_antispoof.py``; ``tests/core/imaging/test_antispoof.py`` holds the converted
networks to PyTorch's outputs on real crops.

Their face box comes from a RetinaFace detector trained on WIDER FACE, which frames the face from
about the hairline to the chin and cheek to cheek. We have dlib's 68 landmarks instead; ``model_box``
draws that box from them (see its docstring).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from core.imaging.types import FoundFace

__all__ = ["MODELS", "AntispoofModel", "Box", "crop_patch", "model_box", "patch_rect", "spoof_probability"]

MODEL_DIR = Path(__file__).resolve().parent / "models" / "minifasnet"
PATCH = 80
REAL = 1
"""Index of the "real face" output; 0 and 2 are the two attack classes."""


@dataclass(frozen=True)
class AntispoofModel:
    name: str
    scale: float
    """How much the face box is enlarged before it is cut (the first token of the published file name)."""
    file: str


MODELS = (
    AntispoofModel("MiniFASNetV2", 2.7, "2.7_80x80_MiniFASNetV2.onnx"),
    AntispoofModel("MiniFASNetV1SE", 4.0, "4_0_0_80x80_MiniFASNetV1SE.onnx"),
)


@dataclass(frozen=True)
class Box:
    """A face box as their detector gives it: left, top, width, height in pixels."""

    x: float
    y: float
    width: float
    height: float


def model_box(face: FoundFace) -> Box:
    """The face box the networks were trained with, drawn from the 68 landmarks.

    Their detector (RetinaFace on WIDER FACE) frames the face cheek to cheek and from the chin up to
    about the hairline. The jaw-line points level with the ears give the sides, the chin's lowest
    point the bottom; the top is the brows raised by 0.3 of the brow-to-chin height, which puts it
    about where the forehead meets the hair on a frontal face.
    """
    lm = face.landmarks
    chin = np.array(lm["chin"])
    brows = np.array(lm["left_eyebrow"] + lm["right_eyebrow"])
    left, right = float(chin[:, 0].min()), float(chin[:, 0].max())
    bottom = float(chin[:, 1].max())
    brow_top = float(brows[:, 1].min())
    top = brow_top - 0.3 * (bottom - brow_top)
    return Box(left, top, right - left, bottom - top)


def patch_rect(box: Box, scale: float, image_size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), inclusive, of the region cut for ``scale``: the box enlarged about its
    centre, the scale first lowered so it fits the picture, then shifted inside it."""
    width, height = image_size
    scale = min((height - 1) / box.height, (width - 1) / box.width, scale)
    new_w, new_h = box.width * scale, box.height * scale
    cx, cy = box.x + box.width / 2, box.y + box.height / 2
    x0, y0, x1, y1 = cx - new_w / 2, cy - new_h / 2, cx + new_w / 2, cy + new_h / 2
    if x0 < 0:
        x1 -= x0
        x0 = 0
    if y0 < 0:
        y1 -= y0
        y0 = 0
    if x1 > width - 1:
        x0 -= x1 - width + 1
        x1 = width - 1
    if y1 > height - 1:
        y0 -= y1 - height + 1
        y1 = height - 1
    return int(x0), int(y0), int(x1), int(y1)


def crop_patch(image_rgb: np.ndarray, rect: tuple[int, int, int, int]) -> np.ndarray:
    """The 80×80 network input cut from ``rect`` (inclusive corners), BGR uint8 (the channels are
    swapped after the resize, which treats each channel alike, so only 80×80 pixels are copied)."""
    x0, y0, x1, y1 = rect
    return cv2.resize(image_rgb[y0 : y1 + 1, x0 : x1 + 1], (PATCH, PATCH))[:, :, ::-1]


_net_lock = threading.Lock()


@cache
def _network(file: str) -> cv2.dnn.Net:
    net = cv2.dnn.readNetFromONNX(str(MODEL_DIR / file))
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    return net


def logits(model: AntispoofModel, patches_bgr: np.ndarray) -> np.ndarray:
    """The network's three raw outputs for each patch, (n, 80, 80, 3) BGR uint8 → (n, 3)."""
    blob = np.ascontiguousarray(patches_bgr.transpose(0, 3, 1, 2), dtype=np.float32)
    with _net_lock:
        net = _network(model.file)
        net.setInput(blob)
        return np.array(net.forward(), dtype=np.float64).reshape(len(patches_bgr), 3)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def spoof_probability(image_rgb: np.ndarray, face: FoundFace) -> float:
    """1 − the "real" probability averaged over both networks, each on its own crop of the face."""
    box = model_box(face)
    size = (image_rgb.shape[1], image_rgb.shape[0])
    real = 0.0
    for model in MODELS:
        patch = crop_patch(image_rgb, patch_rect(box, model.scale, size))
        real += float(_softmax(logits(model, patch[None]))[0, REAL])
    return 1.0 - real / len(MODELS)
