"""How ``core/imaging/models/minifasnet/*.onnx`` were made from the published PyTorch weights, and the
reference outputs the converted networks are tested against.

The weights are Minivision's Silent-Face-Anti-Spoofing MiniFASNet pair (Apache-2.0), as laid in
``../shared/models/silent-face-anti-spoofing/`` (the legacy-format ``.pth`` pickles of the public
repository at commit b6d5f04). PyTorch is not a project dependency, so this runs in two interpreters:

1. In the project's venv, cut the networks' input patches from a few real photos with the
   pipeline's own code (``core.imaging.antispoof``) into a scratch file outside the repository::

       .venv/bin/python tools/convert_antispoof.py crops /tmp/antispoof_crops.npz

2. In a throw-away venv with PyTorch (``python3 -m venv /tmp/convert && /tmp/convert/bin/pip install
   torch==2.13.0 onnx numpy``), rebuild each network from its state dict, export it to ONNX (opset 13,
   batch dimension dynamic, batch norms folded into the convolutions by the exporter) and record
   PyTorch's own outputs on those patches::

       /tmp/convert/bin/python tools/convert_antispoof.py convert /tmp/antispoof_crops.npz

   It writes the two ``.onnx`` files and ``tests/core/imaging/data/antispoof_reference.json`` (per
   patch: the photo, how it was decoded, the rectangle cut, and PyTorch's logits). The photos
   themselves are never copied into the repository: the test cuts the same rectangles again.

The network is rebuilt here from the shapes in the state dict (MiniFASNet: a 3×3 stem, a depth-wise
3×3, then inverted-bottleneck blocks — 1×1 expand with PReLU, depth-wise 3×3 with PReLU, 1×1 linear
projection — at strides 2, 1×4, 2, 1×6, 2, 1×2, the last block of each stride-1 group of the SE
variant with squeeze-and-excitation; a 1×1 to 512 with PReLU, a 5×5 depth-wise linear layer, a
512→128 linear layer, batch norm, and a 128→3 linear layer), and loaded with ``strict=True``, so a
layer read wrongly fails the load rather than the outputs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
WEIGHTS = SHARED / "models" / "silent-face-anti-spoofing"
OUT_DIR = ROOT / "core" / "imaging" / "models" / "minifasnet"
REFERENCE = ROOT / "tests" / "core" / "imaging" / "data" / "antispoof_reference.json"
PHOTOS = [
    "models/silent-face-anti-spoofing/samples/image_F1.jpg",
    "models/silent-face-anti-spoofing/samples/image_F2.jpg",
    "models/silent-face-anti-spoofing/samples/image_T1.jpg",
    "fixtures/london/001_neutral.jpg",
    "fixtures/london/011_smiling.jpg",
    "fixtures/faces/obama/1.jpg",
    "fixtures/faces/rose_leslie/2.jpg",
]
"""Paths under ``../shared``: the published repository's own print, screen and live samples, and
fixture portraits."""


def cut_crops(out: Path) -> None:
    """Step 1 (project venv): the patches the pipeline would feed each network."""
    sys.path.insert(0, str(ROOT))
    from core.imaging.antispoof import MODELS, crop_patch, model_box, patch_rect
    from core.imaging.faces import find_face
    from core.imaging.loading import load_image
    from core.imaging.standardise import PREVIEW_LONG_SIDE

    patches, meta = [], []
    for name in PHOTOS:
        photo = load_image((SHARED / name).read_bytes(), min_long_side=PREVIEW_LONG_SIDE)
        face = find_face(photo.rgb, pixel_scale=photo.reduction, min_width=60)
        size = (photo.rgb.shape[1], photo.rgb.shape[0])
        for model in MODELS:
            rect = patch_rect(model_box(face), model.scale, size)
            patches.append(crop_patch(photo.rgb, rect))
            meta.append({"photo": name, "min_long_side": PREVIEW_LONG_SIDE, "model": model.name,
                         "file": model.file, "rect": list(rect)})
    np.savez(out, patches=np.stack(patches), meta=json.dumps(meta))
    print(f"{len(patches)} patches → {out}")


def build(state: dict[str, Any]) -> Any:
    """The network of ``state`` (keys without the ``module.`` prefix), weights loaded strictly."""
    import torch  # the throw-away venv only
    from torch import nn

    def conv_unit(prefix: str, stride: int, prelu: bool) -> nn.Module:
        weight = state[f"{prefix}.conv.weight"]
        out_c, per_group, k, _ = weight.shape
        groups = out_c if per_group == 1 else 1
        in_c = out_c if groups > 1 else per_group
        layers = [("conv", nn.Conv2d(in_c, out_c, k, stride, k // 2 if k == 3 else 0, groups=groups,
                                     bias=False)), ("bn", nn.BatchNorm2d(out_c))]
        if prelu:
            layers.append(("prelu", nn.PReLU(out_c)))
        return nn.Sequential(OrderedDict(layers))

    class Block(nn.Module):
        def __init__(self, prefix: str, stride: int, residual: bool) -> None:
            super().__init__()
            self.conv = conv_unit(f"{prefix}.conv", 1, True)
            self.conv_dw = conv_unit(f"{prefix}.conv_dw", stride, True)
            self.project = conv_unit(f"{prefix}.project", 1, False)
            self.residual = residual
            if f"{prefix}.se_module.fc1.weight" in state:
                channels, hidden = state[f"{prefix}.se_module.fc1.weight"].shape[1::-1]
                self.se_module = nn.Sequential(OrderedDict(
                    pool=nn.AdaptiveAvgPool2d(1), fc1=nn.Conv2d(channels, hidden, 1, bias=False),
                    bn1=nn.BatchNorm2d(hidden), relu=nn.ReLU(),
                    fc2=nn.Conv2d(hidden, channels, 1, bias=False), bn2=nn.BatchNorm2d(channels),
                    sigmoid=nn.Sigmoid()))

        def forward(self, x: Any) -> Any:
            y = self.project(self.conv_dw(self.conv(x)))
            if hasattr(self, "se_module"):
                y = y * self.se_module(y)
            return x + y if self.residual else y

    class Group(nn.Module):
        def __init__(self, prefix: str) -> None:
            super().__init__()
            count = len({k.split(".")[2] for k in state if k.startswith(f"{prefix}.model.")})
            self.model = nn.Sequential(*[Block(f"{prefix}.model.{i}", 1, True) for i in range(count)])

        def forward(self, x: Any) -> Any:
            return self.model(x)

    class MiniFASNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = conv_unit("conv1", 2, True)
            self.conv2_dw = conv_unit("conv2_dw", 1, True)
            self.conv_23 = Block("conv_23", 2, False)
            self.conv_3 = Group("conv_3")
            self.conv_34 = Block("conv_34", 2, False)
            self.conv_4 = Group("conv_4")
            self.conv_45 = Block("conv_45", 2, False)
            self.conv_5 = Group("conv_5")
            self.conv_6_sep = conv_unit("conv_6_sep", 1, True)
            self.conv_6_dw = conv_unit("conv_6_dw", 1, False)
            self.linear = nn.Linear(*state["linear.weight"].shape[::-1], bias=False)
            self.bn = nn.BatchNorm1d(state["bn.weight"].shape[0])
            self.prob = nn.Linear(*state["prob.weight"].shape[::-1], bias=False)

        def forward(self, x: Any) -> Any:
            for stage in (self.conv1, self.conv2_dw, self.conv_23, self.conv_3, self.conv_34, self.conv_4,
                          self.conv_45, self.conv_5, self.conv_6_sep, self.conv_6_dw):
                x = stage(x)
            return self.prob(self.bn(self.linear(torch.flatten(x, 1))))

    net = MiniFASNet()
    net.load_state_dict(state, strict=True)
    return net.eval()


def convert(crops: Path) -> None:
    """Step 2 (throw-away venv with PyTorch): ONNX files and PyTorch's reference outputs."""
    import torch  # the throw-away venv only

    data = np.load(crops)
    patches, meta = data["patches"], json.loads(str(data["meta"]))
    x_all = torch.from_numpy(patches.transpose(0, 3, 1, 2).astype(np.float32))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    logits: list[list[float] | None] = [None] * len(meta)
    for file in sorted({m["file"] for m in meta}):
        pth = WEIGHTS / file.replace(".onnx", ".pth")
        raw = torch.load(pth, map_location="cpu", weights_only=True)
        state = {k.removeprefix("module."): v for k, v in raw.items()}
        net = build(state)
        torch.onnx.export(net, (torch.zeros(1, 3, 80, 80),), str(OUT_DIR / file), input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                          opset_version=13, do_constant_folding=True, dynamo=False)
        rows = [i for i, m in enumerate(meta) if m["file"] == file]
        with torch.no_grad():
            out = net(x_all[rows]).numpy()
        for i, row in zip(rows, out, strict=False):
            logits[i] = [round(float(v), 6) for v in row]
        print(f"{pth.name} → {file}")
    REFERENCE.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "about": "PyTorch logits of the published MiniFASNet weights on patches cut by core.imaging.antispoof; "
                 "made by tools/convert_antispoof.py",
        "torch": torch.__version__,
        "patches": [m | {"logits": lg} for m, lg in zip(meta, logits, strict=False)],
    }
    REFERENCE.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(meta)} reference outputs → {REFERENCE.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["crops", "convert"])
    parser.add_argument("crops", type=Path, help="scratch file of patches (outside the repository)")
    args = parser.parse_args()
    if args.step == "crops":
        cut_crops(args.crops)
    else:
        convert(args.crops)


if __name__ == "__main__":
    main()
