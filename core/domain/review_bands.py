"""The face-comparison band in the reviewer's words: 同一人 / 存疑 / 非同一人.

The imaging code decides the verdict against the calibrated thresholds; this module only names it,
so every screen that shows a score says the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.enums import Verdict


@dataclass(frozen=True)
class Band:
    verdict: Verdict | None
    label_zh: str
    label_en: str
    tone: str
    """How a screen should colour it: green, orange, red or gray."""

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


BANDS: dict[Verdict | None, Band] = {
    Verdict.SAME: Band(Verdict.SAME, "同一人", "Same person", "green"),
    Verdict.UNCERTAIN: Band(Verdict.UNCERTAIN, "存疑", "Uncertain", "orange"),
    Verdict.DIFFERENT: Band(Verdict.DIFFERENT, "非同一人", "Different person", "red"),
    None: Band(None, "无比对结果", "Not compared", "gray"),
}
"""``None``: no usable enrolment photo, so nothing was compared."""


def band_of(verdict: str | Verdict | None) -> Band:
    return BANDS[Verdict(verdict) if verdict else None]
