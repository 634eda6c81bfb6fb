"""Collection-code decoding on degraded uploads: decode rate per kind and time per image.

Run from the project root::

    .venv/bin/python -m bench.bench_qr [--count 40] [--seed 2025] [--token-bytes 0]

The set is generated in memory by ``tests/core/imaging/degrade.py`` (the one the tests use), each
image with its own random demo code, or with ``--token-bytes N`` random N-byte payloads like CHSI's
encrypted token. A read counts only when it gives back the exact payload bytes; ``wrong`` counts
reads of anything else and must stay 0. It ends with images holding no code, which must give none.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from core.config import fixtures_dir
from core.imaging.qr import read_qr, to_gray, zbar_reader
from tests.core.imaging.degrade import DEGRADATIONS, samples

REFERENCE = "issue #2 reference (410 degraded images): pyzbar 81 %, zxing 92 %, zxing+ladder 98 %"
FACES = fixtures_dir("faces")


def _zbar_only(image: np.ndarray) -> tuple[bytes, ...]:
    read = zbar_reader()
    return read(to_gray(image)) if read else ()


def _payloads(**options: bool) -> Callable[[np.ndarray], tuple[bytes, ...]]:
    def read(image: np.ndarray) -> tuple[bytes, ...]:
        found = read_qr(image, **options)
        return found.payloads if found else ()

    return read


METHODS: dict[str, Callable[[np.ndarray], tuple[bytes, ...]]] = {
    "zbar": _zbar_only,
    "zxing": _payloads(ladder=False, zbar=False),
    "zxing+zbar": _payloads(ladder=False),
    "zxing+ladder": _payloads(zbar=False),
    "full": _payloads(),
}
"""``full`` is what ``decode_collection_code`` runs: zxing, zbar, then the ladder with both."""


@dataclass
class Tally:
    read: int = 0
    wrong: int = 0
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    """CPU seconds per image: the figure to read on a loaded machine (wall time only adds waiting)."""


def _measure(kind: str, count: int, seed: int, token_bytes: int) -> dict[str, Tally]:
    tallies = {name: Tally() for name in METHODS}
    for sample in samples(kind, count, seed, token_bytes):
        for name, method in METHODS.items():
            start, cpu = time.perf_counter(), time.process_time()
            payloads = method(sample.image)
            tallies[name].seconds.append(time.perf_counter() - start)
            tallies[name].cpu.append(time.process_time() - cpu)
            tallies[name].read += sample.payload in payloads
            tallies[name].wrong += bool(payloads) and sample.payload not in payloads
    return tallies


def _steps(kind: str, count: int, seed: int, token_bytes: int) -> Counter[str]:
    steps: Counter[str] = Counter()
    for sample in samples(kind, count, seed, token_bytes):
        found = read_qr(sample.image)
        steps[f"{found.step}/{found.reader}" if found else "none"] += 1
    return steps


def _no_code_images(seed: int) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    images = [
        (str(path.relative_to(FACES)), np.asarray(Image.open(path).convert("RGB")))
        for path in sorted(FACES.glob("*/*"))
        if path.suffix.lower() in {".jpg", ".png"}
    ]
    for i in range(20):
        side = int(rng.integers(100, 1500))
        images.append((f"noise_{i}", rng.integers(0, 256, (side, side, 3), dtype=np.uint8)))
    return images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40, help="images per kind")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--token-bytes", type=int, default=0, help="random payloads of N bytes")
    args = parser.parse_args()
    if zbar_reader() is None:
        print("NOTE: libzbar0 is missing, zbar columns read nothing (apt-get install libzbar0)")
    payload = f"random {args.token_bytes}-byte tokens" if args.token_bytes else "demo codes"
    print(f"Collection-code decode rate, {args.count} images per kind, {payload}, seed {args.seed}")
    print(f"times are ms per image (wall clock, and CPU for the full ladder); load average at start {os.getloadavg()[0]:.1f}")
    header = f"{'kind':<15}" + "".join(f"{name:>13}" for name in METHODS)
    print(header + f"{'wrong':>7}{'zxing ms':>10}{'full ms':>9}{'full p95':>10}{'full max':>10}{'full cpu':>10}")
    totals = {name: Tally() for name in METHODS}
    for kind in DEGRADATIONS:
        tallies = _measure(kind, args.count, args.seed, args.token_bytes)
        rates = "".join(f"{t.read / args.count:>13.0%}" for t in tallies.values())
        full_ms = np.array(tallies["full"].seconds) * 1000
        print(
            f"{kind:<15}{rates}{sum(t.wrong for t in tallies.values()):>7}"
            f"{np.mean(tallies['zxing'].seconds) * 1000:>10.1f}{full_ms.mean():>9.1f}"
            f"{np.percentile(full_ms, 95):>10.1f}{full_ms.max():>10.1f}{np.mean(tallies['full'].cpu) * 1000:>10.1f}"
        )
        for name, tally in tallies.items():
            totals[name].read += tally.read
            totals[name].wrong += tally.wrong
            totals[name].seconds += tally.seconds
            totals[name].cpu += tally.cpu
    n = args.count * len(DEGRADATIONS)
    full_ms = np.array(totals["full"].seconds) * 1000
    print(
        f"{'ALL':<15}" + "".join(f"{t.read / n:>13.1%}" for t in totals.values())
        + f"{sum(t.wrong for t in totals.values()):>7}"
        + f"{np.mean(totals['zxing'].seconds) * 1000:>10.1f}{full_ms.mean():>9.1f}"
        + f"{np.percentile(full_ms, 95):>10.1f}{full_ms.max():>10.1f}{np.mean(totals['full'].cpu) * 1000:>10.1f}"
    )
    print(f"target: beat the {REFERENCE}; load average now {os.getloadavg()[0]:.1f}")
    print("\nWhich step decoded (full):")
    for kind in DEGRADATIONS:
        steps = _steps(kind, args.count, args.seed, args.token_bytes)
        print(f"  {kind:<15}" + ", ".join(f"{s} {c}" for s, c in steps.most_common()))
    images = _no_code_images(args.seed)
    start = time.process_time()
    false_reads = [name for name, image in images if read_qr(image) is not None]
    ms = (time.process_time() - start) / len(images) * 1000
    print(
        f"\nImages without a code: {len(images)} (face photos + noise), "
        f"{len(false_reads)} gave a payload (target 0), {ms:.0f} ms CPU per image {false_reads or ''}"
    )


if __name__ == "__main__":
    main()
