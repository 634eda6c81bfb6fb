"""Body to the bottom edge: how every fixture portrait's standardised photo ends at the bottom.

Run from the project root::

    .venv/bin/python -m bench.bench_body_edge [--list]

Every fixture portrait (London neutral and smiling, and the everyday photos of faces/) goes
through the real pipeline. For each standardised photo it reports whether a strip of background
lies under the body (the ``bottom_strip`` check, and independently the share of the bottom rows
under the face's columns that is background-coloured), how many rows of body were completed below
the capture's end, and the time the completion took. Target (issue 16): no photo with a strip.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np

from core.config import fixtures_dir
from core.imaging import standardise as standardisation
from core.imaging.loading import load_image
from core.imaging.pipeline import process_capture
from core.imaging.standard import HEIGHT, Background

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = fixtures_dir()
BACKGROUND_TOLERANCE = 30
BOTTOM_ROWS = 3
MAX_BACKGROUND_UNDER_FACE = 0.02
"""The bottom rows under the face's columns may be background-coloured for at most this share (JPEG
ripples at a fringe), else the photo counts as having a strip."""


@dataclass(frozen=True)
class Portrait:
    name: str
    refused: str | None
    strip_check_passed: bool
    background_under_face: float
    completed_rows: float
    completion_ms: float


def portraits() -> list[Path]:
    london = sorted((FIXTURES / "london").glob("*.jpg"))
    everyday = sorted(p for p in (FIXTURES / "faces").glob("*/*") if p.parent.name != "edge_cases"
                      and p.suffix in {".jpg", ".png"})
    return london + everyday


class CompletionMeter:
    """Wraps the completion step of standardisation to record how many rows it completed and its time."""

    def __init__(self) -> None:
        self.rows, self.seconds = 0.0, 0.0
        self._complete = standardisation.complete_body  # type: ignore[attr-defined]  # patched where standardise looks it up

    def __enter__(self) -> Self:
        def complete(image, person, end_row, face, covered=None):
            started = time.process_time()
            out = self._complete(image, person, end_row, face, covered)
            self.seconds += time.process_time() - started
            self.rows = max(self.rows, HEIGHT - end_row)
            return out

        standardisation.complete_body = complete  # type: ignore[attr-defined]  # patched where standardise looks it up
        return self

    def __exit__(self, *_: object) -> None:
        standardisation.complete_body = self._complete  # type: ignore[attr-defined]  # patched where standardise looks it up


def measure(path: Path) -> Portrait:
    name = f"{path.parent.name}/{path.name}"
    with CompletionMeter() as meter:
        result = process_capture(path.read_bytes())
    if result.standardised_jpeg is None or result.face is None:
        return Portrait(name, result.report.failed[0].code, True, 0.0, 0.0, 0.0)
    photo = load_image(result.standardised_jpeg).rgb
    chin = result.face.landmarks["chin"]
    under_face = photo[-BOTTOM_ROWS:, int(chin[2][0]) : int(chin[14][0])].astype(int)
    background = np.abs(under_face - np.array(Background.BLUE.rgb)).max(axis=2) <= BACKGROUND_TOLERANCE
    check = next(c for c in result.report.checks if c.code == "bottom_strip")
    return Portrait(name, None, check.passed, float(background.mean()), meter.rows, meter.seconds * 1000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--list", action="store_true", help="print every portrait")
    args = parser.parse_args()
    paths = portraits()
    measure(paths[0])  # load the models and OpenCV's colour tables once, as a long-running worker has
    rows = [measure(path) for path in paths]
    made = [r for r in rows if r.refused is None]
    strips = [r.name for r in made if not r.strip_check_passed or r.background_under_face > MAX_BACKGROUND_UNDER_FACE]
    completed = [r for r in made if r.completed_rows >= 1]
    print(f"Body to the bottom edge on {len(rows)} fixture portraits (London neutral and smiling, faces/); "
          f"load average {os.getloadavg()[0]:.1f}.\n")
    print(f"  standardised {len(made)}, refused {len(rows) - len(made)} "
          f"({', '.join(f'{r.name}: {r.refused}' for r in rows if r.refused) or 'none'})")
    mark = "OK" if not strips else "MISS"
    print(f"  photos with a background strip under the body   {len(strips):3d}   target 0   {mark}"
          f"   {strips or ''}")
    print(f"  background-coloured share of the bottom rows under the face: max "
          f"{max(r.background_under_face for r in made):.3f} (a strip counts above {MAX_BACKGROUND_UNDER_FACE})")
    if completed:
        depths = sorted(r.completed_rows for r in completed)
        times = [r.completion_ms for r in completed]
        print(f"  body completed below the capture's end on {len(completed)}: median {statistics.median(depths):.0f} "
              f"rows, max {depths[-1]:.0f} ({max(completed, key=lambda r: r.completed_rows).name}); "
              f"completion {statistics.median(times):.1f} ms median CPU, {max(times):.1f} ms max")
    if args.list:
        print(f"\n{'photo':<32}{'completed rows':>15}{'under face':>12}  check")
        for r in rows:
            state = r.refused or ("passed" if r.strip_check_passed else "FAILED")
            print(f"{r.name:<32}{r.completed_rows:>15.0f}{r.background_under_face:>12.3f}  {state}")


if __name__ == "__main__":
    main()
