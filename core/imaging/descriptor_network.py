"""dlib's face descriptor network (``dlib_face_recognition_resnet_model_v1``), run by OpenCV and numpy.

The ``dlib-bin`` wheel is built without a BLAS, so dlib's own forward pass over a 150×150 chip costs
about 73 ms on one core here, the largest single cost of the pipeline. This module reads the very
same weights from the model file that ``face_recognition_models`` ships and runs the same layers:
the convolutions up to 128 filters with OpenCV's convolution kernels, the 256-filter ones as a
matrix product on numpy's bundled OpenBLAS, about 10 ms a pass in all. The descriptor equals
dlib's to within 1e-5 (``tests/core/imaging/test_descriptor_network.py`` holds it to dlib's on real
faces), so every calibrated threshold stays valid.

The layer graph is the one dlib declares for this model (``dnn_face_recognition_ex.cpp``): a 7×7
convolution, max pooling, fourteen residual blocks in five levels, global average pooling and a
128-wide linear projection. Each convolution is followed by an affine layer (frozen batch norm),
folded into the convolution's weights here.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import face_recognition_models
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["DescriptorNetwork", "descriptor_network"]

DOWNSAMPLING = (False, False, False, True, False, False, False, True, False, False, True, False, False, True)
"""Each residual block in order: True where it halves the resolution (stride 2, average-pooled
shortcut), as in dlib's alevel4 … alevel0."""

_LAYER_NAMES = re.compile(rb"\x15input_rgb_image_sized|\x05con_4|\x07affine_|\x04fc_2")


@dataclass(frozen=True)
class OpenCVConvolution:
    """A convolution (the affine layer folded in), optionally followed by ReLU, as an OpenCV network
    of its own: OpenCV's kernels run the layers up to 128 filters 1.5–2.5× faster than a matrix
    product over unfolded windows."""

    net: cv2.dnn.Net

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x: (batch, channels, height, width) float32 → (batch, filters, height', width')."""
        self.net.setInput(x)
        return self.net.forward()


@dataclass(frozen=True)
class MatrixConvolution:
    """A convolution as one matrix product over unfolded windows (im2col), optionally followed by
    ReLU. Used for the 256-filter layers: over their 16 positions the product only has to read the
    weights once, so OpenCV is no faster there, and it would keep a second, repacked copy of those
    weights (62 % of the model, 30 MB with the first copy)."""

    weights: np.ndarray
    """(filters, inputs × kernel × kernel)."""
    bias: np.ndarray
    """(filters, 1)."""
    kernel: int
    stride: int
    padding: int
    relu: bool

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x: (batch, channels, height, width) float32 → (batch, filters, height', width')."""
        p = self.padding
        if p:
            x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        windows = sliding_window_view(x, (self.kernel, self.kernel), axis=(2, 3))  # type: ignore[call-overload]  # numpy stubs reject an unparameterised ndarray
        windows = windows[:, :, :: self.stride, :: self.stride].transpose(0, 1, 4, 5, 2, 3)
        batch, height, width = windows.shape[0], windows.shape[4], windows.shape[5]
        y = self.weights @ windows.reshape(batch, self.weights.shape[1], height * width)
        y += self.bias
        if self.relu:
            np.maximum(y, 0, out=y)
        return y.reshape(batch, -1, height, width)


Convolution = OpenCVConvolution | MatrixConvolution
MATRIX_FROM_FILTERS = 256
"""Layers with this many filters run as a matrix product (see ``MatrixConvolution``)."""


def _convolution(kernel: np.ndarray, bias: np.ndarray, stride: int, padding: int, relu: bool) -> Convolution:
    filters, inputs, size, _ = kernel.shape
    if filters >= MATRIX_FROM_FILTERS:
        weights = np.ascontiguousarray(kernel.reshape(filters, inputs * size * size), np.float32)
        return MatrixConvolution(weights, bias.astype(np.float32).reshape(-1, 1), size, stride, padding, relu)
    layers = (
        'input: "data"\n'
        'layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { '
        f"num_output: {filters} kernel_size: {size} stride: {stride} pad: {padding} }} }}\n"
    )
    if relu:
        layers += 'layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }\n'
    net = cv2.dnn.readNetFromCaffe(np.frombuffer(layers.encode(), np.uint8))
    net.getLayer(net.getLayerId("conv")).blobs = [
        np.ascontiguousarray(kernel, np.float32), np.ascontiguousarray(bias, np.float32).reshape(1, -1)
    ]
    return OpenCVConvolution(net)


@dataclass(frozen=True)
class DescriptorNetwork:
    channel_means: np.ndarray
    """What dlib's input layer subtracts from R, G and B before scaling by 1/256."""
    stem: Convolution
    blocks: list[tuple[Convolution, Convolution, bool]]
    """(first convolution with its ReLU, second convolution, whether the block downsamples)."""
    projection: np.ndarray
    """(256, 128): the final linear layer, without bias."""

    def descriptors(self, chips: np.ndarray) -> np.ndarray:
        """(batch, 150, 150, 3) uint8 RGB chips → (batch, 128) float64 descriptors."""
        x = (chips.astype(np.float32) - self.channel_means) * np.float32(1 / 256)
        with _forward_lock:
            x = _max_pool(self.stem(np.ascontiguousarray(x.transpose(0, 3, 1, 2))))
            for first, second, downsamples in self.blocks:
                y = second(first(x))
                shortcut = _mean_pool(x) if downsamples else x
                x = np.maximum(_add_aligned(y, shortcut), 0)
        return (x.mean(axis=(2, 3)) @ self.projection).astype(np.float64)


_forward_lock = threading.Lock()
"""An OpenCV network holds its buffers: one pass at a time per process."""


def _max_pool(x: np.ndarray) -> np.ndarray:
    """dlib's unpadded 3×3 max pooling with stride 2."""
    height, width = (x.shape[2] - 3) // 2 + 1, (x.shape[3] - 3) // 2 + 1
    out = x[:, :, : 2 * height : 2, : 2 * width : 2].copy()
    for i in range(3):
        for j in range(3):
            np.maximum(out, x[:, :, i : i + 2 * height : 2, j : j + 2 * width : 2], out=out)
    return out


def _mean_pool(x: np.ndarray) -> np.ndarray:
    """dlib's unpadded 2×2 average pooling with stride 2."""
    height, width = (x.shape[2] - 2) // 2 + 1, (x.shape[3] - 2) // 2 + 1
    rows, cols = slice(0, 2 * height, 2), slice(0, 2 * width, 2)
    next_rows, next_cols = slice(1, 2 * height, 2), slice(1, 2 * width, 2)
    total = x[:, :, rows, cols] + x[:, :, rows, next_cols] + x[:, :, next_rows, cols] + x[:, :, next_rows, next_cols]
    return np.ascontiguousarray(total * np.float32(0.25))


def _add_aligned(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """dlib's add_prev: tensors of different sizes are added over their top-left overlap, the rest
    is zero-padded (a downsampling block's 3×3 output meets a 4×4 pooled shortcut, 32 channels
    meet 64)."""
    if a.shape == b.shape:
        return a + b
    out = np.zeros(tuple(max(i, j) for i, j in zip(a.shape, b.shape, strict=False)), np.float32)
    out[:, : a.shape[1], : a.shape[2], : a.shape[3]] += a
    out[:, : b.shape[1], : b.shape[2], : b.shape[3]] += b
    return out


@cache
def descriptor_network() -> DescriptorNetwork:
    """The network, read once per process from the model file face_recognition ships."""
    return read_network(Path(face_recognition_models.face_recognition_model_location()))


def read_network(path: Path) -> DescriptorNetwork:
    """Parses dlib's serialised network: its layers appear input first, each named by a string and
    followed by its parameter tensor (little-endian float32) and its settings (dlib's packed ints)."""
    data = path.read_bytes()
    means: np.ndarray | None = None
    convolutions: list[tuple[np.ndarray, np.ndarray, int, int]] = []
    pending: tuple[np.ndarray, np.ndarray, int, int] | None = None
    projection: np.ndarray | None = None
    position = 0
    while match := _LAYER_NAMES.search(data, position):
        name, position = match.group(0)[1:], match.end()
        if name == b"input_rgb_image_sized":
            values = []
            for _ in range(3):
                value, position = _read_float(data, position)
                values.append(value)
            means = np.array(values, np.float32)
        elif name == b"con_4":
            params, position = _read_tensor(data, position)
            settings = []
            for _ in range(7):
                value, position = _read_int(data, position)
                settings.append(value)
            filters, rows, cols, stride, _, padding, _ = settings
            inputs = (params.size - filters) // (filters * rows * cols)
            kernel = params[: filters * inputs * rows * cols].reshape(filters, inputs, rows, cols)
            pending = (kernel, params[-filters:], stride, padding)
        elif name == b"affine_" and pending is not None:
            params, position = _read_tensor(data, position)
            gamma, beta = np.split(params, 2)
            kernel, bias, stride, padding = pending
            convolutions.append((kernel * gamma[:, None, None, None], bias * gamma + beta, stride, padding))
            pending = None
        elif name == b"fc_2":
            outputs, position = _read_int(data, position)
            inputs, position = _read_int(data, position)
            params, position = _read_tensor(data, position)
            projection = params.reshape(inputs, outputs).copy()  # not a view that keeps the file's bytes alive
    expected = 1 + 2 * len(DOWNSAMPLING)
    strides = [stride for _, _, stride, _ in convolutions[1::2]]
    if means is None or projection is None or len(convolutions) != expected or strides != [2 if d else 1 for d in DOWNSAMPLING]:
        raise ValueError(f"{path} is not dlib_face_recognition_resnet_model_v1 ({len(convolutions)} convolutions)")
    stem = _convolution(*convolutions[0], relu=True)
    blocks = [
        (_convolution(*convolutions[1 + 2 * i], relu=True), _convolution(*convolutions[2 + 2 * i], relu=False), down)
        for i, down in enumerate(DOWNSAMPLING)
    ]
    return DescriptorNetwork(means, stem, blocks, projection)


def _read_int(data: bytes, position: int) -> tuple[int, int]:
    """dlib's packed integer: a byte holding the length (and 0x80 for negative), then little-endian bytes."""
    head = data[position]
    length = head & 0x0F
    value = int.from_bytes(data[position + 1 : position + 1 + length], "little")
    return (-value if head & 0x80 else value), position + 1 + length


def _read_float(data: bytes, position: int) -> tuple[float, int]:
    """dlib's portable float: packed mantissa and exponent."""
    mantissa, position = _read_int(data, position)
    exponent, position = _read_int(data, position)
    return mantissa * 2.0**exponent, position


def _read_tensor(data: bytes, position: int) -> tuple[np.ndarray, int]:
    version, position = _read_int(data, position)
    if version != 2:
        raise ValueError(f"unknown dlib tensor version {version}")
    size = 1
    for _ in range(4):
        dimension, position = _read_int(data, position)
        size *= dimension
    return np.frombuffer(data, "<f4", size, position), position + 4 * size
