"""Re-photograph flag (翻拍): false flags on genuine portraits, detection on simulated re-photographs,
and what it costs per photo.

Run from the project root::

    .venv/bin/python -m bench.bench_recapture [--portraits 51] [--seed 2025]

Genuine portraits: every fixture, decoded and searched for a face as the pipeline does
(``load_image`` at the preview size, ``find_face`` with the pipeline's minimum face width): London
(51 people, neutral and smiling, 960×960 studio portraits), ``faces/`` (everyday photos and edge
cases) and ``lfw_east_asian/`` (250×250 press photos). A fixture the pipeline refuses before any
check (no face, two faces, a face under the minimum width: every LFW photo) can never carry the flag;
it is counted as refused, and the networks' score on it is shown too, measured anyway. Two more
genuine sets: the LFW photos enlarged 2.5× (bicubic; how the other calibrations bring them to a size
the pipeline accepts), and the London portraits as 1280×960 phone captures (``bench_pipeline``'s
``make_capture``: wall extended, JPEG quality 92).

Re-photographs: the first ``--portraits`` London neutral portraits through each kind of
``tests/core/imaging/recapture_sim.py`` (its docstring describes the simulation: halftone print,
screen subpixel grid, tilt, glare, a simulated phone camera and its JPEG), plus ``camera``, the same
simulated phone pointed at the portrait itself, which must not be flagged either.

Cost: CPU time of ``assess_recapture`` (both networks and the moiré measure) per photo on one core
(the process pinned to one CPU, OpenCV on one thread), over the 1280×960 captures and the simulated
ones; the pipeline's other stages are measured by ``bench_pipeline``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from core.config import fixtures_dir

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = fixtures_dir()
TARGET_FALSE_FLAGS = 0.02
TARGET_MS = 15.0
UPSCALED = ("lfw x2.5",)


@dataclass
class Row:
    group: str
    name: str
    refused: str | None = None
    network: float = 0.0
    moire: float = 0.0
    score: float = 0.0
    flagged: bool = False
    cpu_ms: float = 0.0


def _assess(group: str, name: str, data: bytes | None = None, rgb: np.ndarray | None = None) -> Row:
    from core.imaging.antispoof import spoof_probability
    from core.imaging.errors import ImagingError
    from core.imaging.faces import find_face
    from core.imaging.loading import load_image
    from core.imaging.recapture import assess_recapture
    from core.imaging.standardise import PREVIEW_LONG_SIDE
    from core.imaging.thresholds import DEFAULT_THRESHOLDS

    reduction = 1.0
    if data is not None:
        photo = load_image(data, min_long_side=PREVIEW_LONG_SIDE)
        rgb, reduction = photo.rgb, photo.reduction
    assert rgb is not None
    try:
        face = find_face(rgb, pixel_scale=reduction)
    except ImagingError as refusal:
        row = Row(group, name, refused=type(refusal).__name__)
        with contextlib.suppress(ImagingError):  # the networks' view of it all the same, for the report
            row.network = spoof_probability(rgb, find_face(rgb, min_width=40))
        return row
    start = time.process_time()
    assessment = assess_recapture(rgb, face)
    cpu = (time.process_time() - start) * 1000
    return Row(group, name, None, assessment.network, assessment.moire, assessment.score,
               assessment.score >= DEFAULT_THRESHOLDS.recapture_flag_score, cpu)


def genuine_rows() -> list[Row]:
    import cv2

    from bench.bench_pipeline import make_capture
    from core.imaging.loading import load_image

    rows = []
    for path in sorted((FIXTURES / "london").glob("*.jpg")):
        rows.append(_assess("london", path.name, path.read_bytes()))
    for path in sorted(p for p in (FIXTURES / "faces").glob("*/*") if p.suffix != ".md"):
        rows.append(_assess("faces", f"{path.parent.name}/{path.name}", path.read_bytes()))
    lfw = sorted((FIXTURES / "lfw_east_asian").glob("*/*.jpg"))
    for path in lfw:
        rows.append(_assess("lfw_east_asian", path.name, path.read_bytes()))
    for path in lfw:
        rgb = load_image(path.read_bytes()).rgb
        rows.append(_assess("lfw x2.5", path.name, rgb=cv2.resize(rgb, None, fx=2.5, fy=2.5,
                                                                    interpolation=cv2.INTER_CUBIC)))
    for path in sorted((FIXTURES / "london").glob("*_neutral.jpg")):
        rows.append(_assess("london 1280x960", path.name, make_capture(path, (1280, 960))))
    return rows


def simulated_rows(portraits: int, seed: int) -> list[Row]:
    from PIL import Image

    from tests.core.imaging.recapture_sim import KINDS, samples

    paths = sorted((FIXTURES / "london").glob("*_neutral.jpg"))[:portraits]
    sources = [(p.name, np.asarray(Image.open(p).convert("RGB"))) for p in paths]
    return [_assess(s.kind, s.source, s.jpeg) for s in samples(sources, list(KINDS), seed)]


def _q(values: list[float]) -> str:
    if not values:
        return "—"
    v = sorted(values)
    return f"{v[0]:.2f} / {statistics.median(v):.2f} / {v[-1]:.2f}"


def report(rows: list[Row], attacks: set[str]) -> None:
    from core.imaging.recapture import MOIRE_FLOOR, MOIRE_SPAN
    from core.imaging.thresholds import DEFAULT_THRESHOLDS

    threshold = DEFAULT_THRESHOLDS.recapture_flag_score
    moire_flag = MOIRE_FLOOR + threshold * MOIRE_SPAN
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[row.group].append(row)
    print(f"flag: score >= {threshold:g}, score = max(network attack probability, moiré mapped "
          f"{MOIRE_FLOOR:g}→0 … {MOIRE_FLOOR + MOIRE_SPAN:g}→1); i.e. network >= {threshold:g} "
          f"or moiré >= {moire_flag:.2f}")
    print(f"{'set':<18}{'n':>5}{'refused':>9}{'flagged':>9}{'rate':>8}{'by net':>8}{'by moiré':>10}"
          f"   {'network min/median/max':<24}{'moiré min/median/max':<22}")
    genuine_measured = genuine_flagged = 0
    for group, members in groups.items():
        measured = [r for r in members if r.refused is None]
        flagged = sum(r.flagged for r in measured)
        by_net = sum(r.network >= threshold for r in measured)
        by_moire = sum(r.moire >= moire_flag for r in measured)
        rate = flagged / len(measured) if measured else 0.0
        networks = [r.network for r in members if r.refused is None or r.network]
        print(f"{group:<18}{len(members):>5}{len(members) - len(measured):>9}{flagged:>9}{rate:>8.1%}"
              f"{by_net:>8}{by_moire:>10}"
              f"   {_q(networks):<24}{_q([r.moire for r in measured]):<22}")
        if group not in attacks:
            genuine_measured += len(members)
            genuine_flagged += flagged
    print()
    counted = [g for g in groups if g not in attacks and g not in UPSCALED]
    members = [r for g in counted for r in groups[g]]
    flagged = sum(r.flagged for r in members)
    rate = flagged / len(members)
    print(f"false flags on genuine portraits ({', '.join(counted)}): {flagged}/{len(members)} = {rate:.2%}   "
          f"target <= {TARGET_FALSE_FLAGS:.0%}   {'OK' if rate <= TARGET_FALSE_FLAGS else 'MISS'}   "
          "(a photo the pipeline refuses before the check counts as not flagged)")
    for group in counted:
        flagged = sum(r.flagged for r in groups[group])
        print(f"  {group:<18}{flagged}/{len(groups[group])} = {flagged / len(groups[group]):.2%}")
    for group in UPSCALED:
        measured = [r for r in groups[group] if r.refused is None]
        flagged = sum(r.flagged for r in measured)
        print(f"  {group:<18}{flagged}/{len(measured)} = {flagged / max(1, len(measured)):.2%} flagged — not counted: "
              "press thumbnails enlarged 2.5x, which no phone delivers; the networks call nearly all of them "
              "attacks (a known limitation, see the README)")
    attacked = [r for g in attacks for r in groups[g] if r.refused is None]
    print(f"detection, all simulated re-photographs: {sum(r.flagged for r in attacked)}/{len(attacked)} = "
          f"{sum(r.flagged for r in attacked) / max(1, len(attacked)):.1%}   (no target; per kind above)")
    times = sorted(r.cpu_ms for r in rows if r.refused is None and (r.group == "london 1280x960" or r.group in attacks))
    if times:
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        median = statistics.median(times)
        print(f"cost per photo (CPU, one core): median {median:.1f} ms, p95 {p95:.1f} ms   "
              f"target <= {TARGET_MS:g} ms   "
              f"{'OK' if median <= TARGET_MS else 'MISS'}   ({len(times)} photos)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portraits", type=int, default=51, help="London neutral portraits to re-photograph")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import cv2

    cv2.setNumThreads(1)
    from tests.core.imaging.recapture_sim import ATTACKS

    started = time.perf_counter()
    rows = genuine_rows() + simulated_rows(args.portraits, args.seed)
    report(rows, set(ATTACKS))
    print(f"({time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
