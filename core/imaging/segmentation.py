"""Step 3: which pixels are the person, and where the top of the hair is.

The model is MediaPipe's selfie segmentation (Apache-2.0, 250 KB), shipped inside the
``mediapipe==0.10.21`` wheel. It is found on disk without importing mediapipe (whose import pulls
dependencies we do not install) and run with OpenCV's TFLite importer, so nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import threading
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from core.imaging.types import FaceBox, FoundFace

MODEL_INPUT = (256, 256)
PERSON = 0.5
"""Mask value above which a pixel counts as the person."""

_net_lock = threading.Lock()


def model_path() -> Path:
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("mediapipe==0.10.21 (installed --no-deps for its model file) is missing")
    root = Path(next(iter(spec.submodule_search_locations)))
    return root / "modules" / "selfie_segmentation" / "selfie_segmentation.tflite"


@cache
def _net() -> cv2.dnn.Net:
    return cv2.dnn.readNetFromTFLite(str(model_path()))


def person_mask(image_rgb: np.ndarray) -> np.ndarray:
    """Soft person mask (float32 0..1) at the size of ``image_rgb``."""
    blob = cv2.dnn.blobFromImage(image_rgb, 1 / 255.0, MODEL_INPUT)
    with _net_lock:
        net = _net()
        net.setInput(blob)
        out = net.forward()
    mask = out.reshape(MODEL_INPUT[1], MODEL_INPUT[0])
    height, width = image_rgb.shape[:2]
    return cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)


def keep_face_region(mask: np.ndarray, box: FaceBox) -> np.ndarray:
    """The mask with every part not joined to the face removed (a second person, a coat on a chair)."""
    binary = (mask > PERSON).astype(np.uint8)
    count, labels = cv2.connectedComponents(binary, connectivity=8)
    if count <= 1:
        return mask
    core = labels[
        max(box.top, 0) : max(box.bottom, box.top + 1), max(box.left, 0) : max(box.right, box.left + 1)
    ]
    joined = np.unique(core[core > 0])
    if joined.size == 0:
        return mask
    keep = np.isin(labels, joined).astype(np.uint8)
    # The soft edge lies just outside the binary region: keep a few pixels of it.
    reach = max(3, round(0.02 * max(mask.shape)))
    keep = cv2.dilate(keep, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1,) * 2))
    return mask * keep.astype(np.float32)


def hair_top(mask: np.ndarray, face: FoundFace) -> float | None:
    """Top of the person mask above the face, within the face's column band.

    None when the mask gives no answer (no person pixels above the brows). The topmost few
    columns are ignored so that a single stray hair does not decide.
    """
    chin = face.landmarks["chin"]
    left, right = int(round(chin[2][0])), int(round(chin[14][0]))
    brows = min(y for _, y in face.landmarks["left_eyebrow"] + face.landmarks["right_eyebrow"])
    left, right = max(left, 0), min(right, mask.shape[1])
    bottom = int(min(max(brows, 1), mask.shape[0]))
    if right <= left:
        return None
    band = mask[:bottom, left:right] > PERSON
    has = band.any(axis=0)
    if not has.any():
        return None
    tops = band.argmax(axis=0)[has]
    return float(np.percentile(tops, 3))
