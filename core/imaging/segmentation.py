"""Step 3: which pixels are the person, and where the top of the hair is.

The model is MediaPipe's selfie segmentation (Apache-2.0, 250 KB), shipped inside the
``mediapipe==0.10.21`` wheel. It is found on disk without importing mediapipe (whose import pulls
dependencies we do not install), so nothing is downloaded, and run by LiteRT, the TensorFlow Lite
runtime this model is made for: its XNNPACK kernels take 4 ms a mask on one core where OpenCV's
TFLite importer took 11–16 ms, for the same mask within 1e-4.
"""

from __future__ import annotations

import importlib.util
import threading
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from ai_edge_litert.interpreter import Interpreter

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
def _interpreter() -> Interpreter:
    interpreter = Interpreter(model_path=str(model_path()), num_threads=1)
    interpreter.allocate_tensors()
    return interpreter


def person_mask(image_rgb: np.ndarray) -> np.ndarray:
    """Soft person mask (float32 0..1) at the size of ``image_rgb``."""
    pixels = cv2.resize(image_rgb, MODEL_INPUT, interpolation=cv2.INTER_LINEAR)
    batch = (pixels.astype(np.float32) * np.float32(1 / 255.0))[None]
    with _net_lock:
        interpreter = _interpreter()
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], batch)
        interpreter.invoke()
        out = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
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
    grown = cv2.dilate(keep, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1,) * 2))
    return mask * grown.astype(np.float32)


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
