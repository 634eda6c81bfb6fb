"""dlib's face descriptor network (``dlib_face_recognition_resnet_model_v1``), run on numpy's BLAS.

The ``dlib-bin`` wheel is built without a BLAS, so dlib's own forward pass over a 150×150 chip costs
about 73 ms on one core here, the largest single cost of the pipeline. This module reads the very
same weights from the model file that ``face_recognition_models`` ships and runs the same layers as
convolutions by matrix product (im2col), which numpy's bundled OpenBLAS does about seven times
faster. The descriptor equals dlib's to within 1e-6 (``tests/core/imaging/test_descriptor_network.py``
holds it to dlib's on real faces), so every calibrated threshold stays valid.

The layer graph is the one dlib declares for this model (``dnn_face_recognition_ex.cpp``): a 7×7
convolution, max pooling, fourteen residual blocks in five levels, global average pooling and a
128-wide linear projection. Each convolution is followed by an affine layer (frozen batch norm),
folded into the convolution's weights here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import face_recognition_models
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["DescriptorNetwork", "descriptor_network"]

DOWNSAMPLING = (False, False, False, True, False, False, False, True, False, False, True, False, False, True)
"""Each residual block in order: True where it halves the resolution (stride 2, average-pooled
shortcut), as in dlib's alevel4 … alevel0."""

_LAYER_NAMES = re.compile(rb"\x15input_rgb_image_sized|\x05con_4|\x07affine_|\x04fc_2")


@dataclass(frozen=True)
class Convolution:
    weights: np.ndarray
    """(kernel × kernel × inputs, filters), the affine layer folded in, rows in im2col order."""
    bias: np.ndarray
    kernel: int
    stride: int
    padding: int

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x: (batch, height, width, channels) → (batch, height', width', filters)."""
        if self.padding:
            p = self.padding
            x = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        windows = sliding_window_view(x, (self.kernel, self.kernel), axis=(1, 2))
        windows = windows[:, :: self.stride, :: self.stride].transpose(0, 1, 2, 4, 5, 3)
        batch, height, width = windows.shape[:3]
        y = windows.reshape(batch * height * width, -1) @ self.weights
        y += self.bias
        return y.reshape(batch, height, width, -1)


@dataclass(frozen=True)
class DescriptorNetwork:
    channel_means: np.ndarray
    """What dlib's input layer subtracts from R, G and B before scaling by 1/256."""
    stem: Convolution
    blocks: list[tuple[Convolution, Convolution, bool]]
    projection: np.ndarray
    """(256, 128): the final linear layer, without bias."""

    def descriptors(self, chips: np.ndarray) -> np.ndarray:
        """(batch, 150, 150, 3) uint8 RGB chips → (batch, 128) float64 descriptors."""
        x = (chips.astype(np.float32) - self.channel_means) * np.float32(1 / 256)
        x = np.maximum(self.stem(x), 0)
        x = _pool(x, 3, np.max)
        for first, second, downsamples in self.blocks:
            y = second(np.maximum(first(x), 0))
            shortcut = _pool(x, 2, np.mean) if downsamples else x
            x = np.maximum(_add_aligned(y, shortcut), 0)
        return (x.mean(axis=(1, 2)) @ self.projection).astype(np.float64)


def _pool(x: np.ndarray, size: int, reduce) -> np.ndarray:  # type: ignore[no-untyped-def]
    """dlib's unpadded pooling with stride 2."""
    return reduce(sliding_window_view(x, (size, size), axis=(1, 2))[:, ::2, ::2], axis=(-2, -1))


def _add_aligned(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """dlib's add_prev: tensors of different sizes are added over their top-left overlap, the rest
    is zero-padded (a downsampling block's 3×3 output meets a 4×4 pooled shortcut, 32 channels
    meet 64)."""
    if a.shape == b.shape:
        return a + b
    out = np.zeros(tuple(max(i, j) for i, j in zip(a.shape, b.shape)), np.float32)
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
    convolutions: list[Convolution] = []
    pending: tuple[np.ndarray, np.ndarray, int, int, int] | None = None
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
            pending = (kernel, params[-filters:], rows, stride, padding)
        elif name == b"affine_" and pending is not None:
            params, position = _read_tensor(data, position)
            gamma, beta = np.split(params, 2)
            kernel, bias, size, stride, padding = pending
            folded = (kernel * gamma[:, None, None, None]).transpose(2, 3, 1, 0).reshape(-1, kernel.shape[0])
            convolutions.append(Convolution(np.ascontiguousarray(folded), bias * gamma + beta, size, stride, padding))
            pending = None
        elif name == b"fc_2":
            outputs, position = _read_int(data, position)
            inputs, position = _read_int(data, position)
            params, position = _read_tensor(data, position)
            projection = params.reshape(inputs, outputs).copy()  # not a view that keeps the file's bytes alive
    expected = 1 + 2 * len(DOWNSAMPLING)
    strides = [c.stride for c in convolutions[1::2]]
    if means is None or projection is None or len(convolutions) != expected or strides != [2 if d else 1 for d in DOWNSAMPLING]:
        raise ValueError(f"{path} is not dlib_face_recognition_resnet_model_v1 ({len(convolutions)} convolutions)")
    blocks = [(convolutions[1 + 2 * i], convolutions[2 + 2 * i], down) for i, down in enumerate(DOWNSAMPLING)]
    return DescriptorNetwork(means, convolutions[0], blocks, projection)


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
