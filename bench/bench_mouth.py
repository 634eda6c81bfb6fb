"""Mouth closed: the mouth check against portraits labelled by eye, as a confusion table.

Run from the project root::

    .venv/bin/python -m bench.bench_mouth [--list]

Every London portrait (51 neutral, 51 smiling) goes through the real pipeline; the labels (teeth
clearly visible, lips parted; who labelled them and how) are in
``tests/core/imaging/data/mouth_labels.csv``, the file the tests hold the same rates on. Targets
(issue 16): at least 95 % of the smiling portraits with visible teeth flagged by the mouth check,
at most 5 % of the neutral portraits refused by the mouth or expression check. ``--list`` prints
each portrait's measures (lip gap, teeth and dark areas inside the lips) beside its label.
"""

from __future__ import annotations

import argparse
import csv
import os
from dataclasses import dataclass
from pathlib import Path

from core.config import fixtures_dir
from core.imaging.loading import load_image
from core.imaging.pipeline import process_capture
from core.imaging.quality.mouth import mouth_interior, mouth_opening

ROOT = Path(__file__).resolve().parent.parent
LONDON = fixtures_dir("london")
LABELS = ROOT / "tests" / "core" / "imaging" / "data" / "mouth_labels.csv"
TARGET_TEETH_FLAGGED = 0.95
TARGET_NEUTRAL_REFUSED = 0.05


@dataclass(frozen=True)
class Measured:
    name: str
    teeth_visible: bool
    lips_parted: bool
    gap: float
    teeth: float
    dark: float
    mouth_flagged: bool
    expression_flagged: bool
    passes_every_check: bool


def measure(name: str, teeth_visible: bool, lips_parted: bool) -> Measured:
    result = process_capture((LONDON / name).read_bytes())
    assert result.standardised_jpeg is not None and result.face is not None, name
    interior = mouth_interior(load_image(result.standardised_jpeg).rgb, result.face)
    failed = {c.code for c in result.report.failed}
    return Measured(name, teeth_visible, lips_parted, mouth_opening(result.face), interior.teeth, interior.dark,
                    "mouth_closed" in failed, "expression" in failed, result.ok)


def labelled() -> list[tuple[str, bool, bool]]:
    with LABELS.open(newline="", encoding="utf-8") as handle:
        return [(row["file"], row["teeth_visible"] == "1", row["lips_parted"] == "1") for row in csv.DictReader(handle)]


def mark(passed: bool) -> str:
    return "OK" if passed else "MISS"


def report(rows: list[Measured], listing: bool) -> None:
    groups = {
        "smiling, teeth visible": [r for r in rows if "smiling" in r.name and r.teeth_visible],
        "smiling, no teeth": [r for r in rows if "smiling" in r.name and not r.teeth_visible],
        "neutral": [r for r in rows if "neutral" in r.name],
    }
    print(f"Mouth check on {len(rows)} labelled London portraits ({LABELS.relative_to(ROOT)}); "
          f"load average {os.getloadavg()[0]:.1f}.\n")
    print(f"{'label':<24}{'n':>4}{'mouth flagged':>15}{'not flagged':>13}{'mouth/expr flagged':>20}{'pass all':>10}")
    for label, group in groups.items():
        flagged = sum(r.mouth_flagged for r in group)
        either = sum(r.mouth_flagged or r.expression_flagged for r in group)
        print(f"{label:<24}{len(group):>4}{flagged:>15}{len(group) - flagged:>13}{either:>20}"
              f"{sum(r.passes_every_check for r in group):>10}")
    teeth, neutral = groups["smiling, teeth visible"], groups["neutral"]
    caught = sum(r.mouth_flagged for r in teeth) / len(teeth)
    refused = sum(r.mouth_flagged or r.expression_flagged for r in neutral) / len(neutral)
    print(f"\n  smiling with visible teeth flagged by the mouth check  {caught:6.1%}   target >= "
          f"{TARGET_TEETH_FLAGGED:.0%}   {mark(caught >= TARGET_TEETH_FLAGGED)}")
    print(f"  neutral refused by the mouth or expression check      {refused:6.1%}   target <= "
          f"{TARGET_NEUTRAL_REFUSED:.0%}    {mark(refused <= TARGET_NEUTRAL_REFUSED)}")
    missed = [r.name for r in teeth if not r.mouth_flagged]
    wrongly = [r.name for r in neutral if r.mouth_flagged or r.expression_flagged]
    print(f"  visible teeth not flagged: {missed or 'none'}; neutral refused: {wrongly or 'none'}")
    print(f"  teeth area: visible teeth >= {min(r.teeth for r in teeth):.4f}; "
          f"neutral <= {max(r.teeth for r in neutral):.4f} "
          f"(lips parted at rest: {', '.join(f'{r.name} {r.teeth:.4f}' for r in neutral if r.lips_parted)})")
    if listing:
        print(f"\n{'photo':<18}{'teeth':>6}{'parted':>7}{'gap':>7}{'teeth':>8}{'dark':>8}  flagged")
        for r in rows:
            print(f"{r.name:<18}{int(r.teeth_visible):>6}{int(r.lips_parted):>7}{r.gap:>7.3f}{r.teeth:>8.4f}"
                  f"{r.dark:>8.4f}  {'mouth' if r.mouth_flagged else ''} {'expression' if r.expression_flagged else ''}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--list", action="store_true", help="print every portrait's measures")
    args = parser.parse_args()
    report([measure(*row) for row in labelled()], args.list)


if __name__ == "__main__":
    main()
