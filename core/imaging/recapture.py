"""Re-photographed prints and screens (翻拍): an advisory flag and a score for the reviewer.

Two kinds of evidence, each looked at on the capture itself (the standardised photo has had its
background replaced and been recompressed):

- the published presentation-attack networks (``core.imaging.antispoof``), which learned what
  phone captures of prints and screens look like as a whole: paper and screen tones, the frame's
  edge, the loss of fine detail;
- the periodic-peak measure (``core.imaging.moire``), which finds the physical trace itself: a
  printer's dot screens or a screen's pixel grid, aliased by the phone into moiré.

Either alone is enough to raise the flag: the score is the larger of the networks' attack
probability and the moiré measure mapped onto 0–1 (``MOIRE_FLOOR`` → 0, ``MOIRE_FLOOR`` +
``MOIRE_SPAN`` → 1). The flag never blocks: it is a failed non-critical check, shown to the student
as advice and to the reviewer with the suggested rejection reason (``core.domain.reasons``).
``bench/bench_recapture.py`` measures it on the fixtures and on simulated re-photographs
(``tests/core/imaging/recapture_sim.py``) and gives the figures the threshold is chosen from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.imaging.antispoof import spoof_probability
from core.imaging.moire import measure_moire
from core.imaging.resample import shrink
from core.imaging.standardise import PREVIEW_LONG_SIDE
from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check, FaceBox, FoundFace
from core.imaging.words import Reading, in_words

__all__ = ["CODE", "RecaptureAssessment", "assess_recapture", "check_recapture"]

CODE = "recapture"
MOIRE_FLOOR = 1.5
"""Moiré peak (natural log of a bin's power over its neighbourhood's median) that counts as no
evidence: live faces measure 1.0–1.8 (the fixtures and simulated direct captures in
``bench_recapture``, median 1.2)."""
MOIRE_SPAN = 1.0
"""Moiré peak above the floor that counts as certain (2.5: simulated prints have a median of 3.1,
simulated screens 4.2)."""


@dataclass(frozen=True)
class RecaptureAssessment:
    network: float
    """Attack probability of the two MiniFASNet networks, averaged (0–1)."""
    moire: float
    """Periodic-peak measure of the face's skin (0 when the face is too small to measure)."""

    @property
    def moire_evidence(self) -> float:
        return float(np.clip((self.moire - MOIRE_FLOOR) / MOIRE_SPAN, 0.0, 1.0))

    @property
    def score(self) -> float:
        """0–1: the stronger of the two kinds of evidence."""
        return max(self.network, self.moire_evidence)


def assess_recapture(capture_rgb: np.ndarray, face: FoundFace) -> RecaptureAssessment:
    """Both measures on the capture as decoded, around the face found in it."""
    capture_rgb, face = _at_preview_scale(capture_rgb, face)
    return RecaptureAssessment(
        network=spoof_probability(capture_rgb, face), moire=measure_moire(capture_rgb, face).peak
    )


def _at_preview_scale(image_rgb: np.ndarray, face: FoundFace) -> tuple[np.ndarray, FoundFace]:
    """A JPEG capture arrives decoded at 1/2, 1/4 or 1/8 of its size (long side 1000–2000 px); a
    HEIC or PNG one at full size. Both measures depend on the scale (the networks' bilinear resize,
    the moiré's frequencies), so a full-size decode is brought down by the same power of two."""
    factor = 1
    while max(image_rgb.shape[:2]) / (2 * factor) >= PREVIEW_LONG_SIDE and factor < 8:
        factor *= 2
    if factor == 1:
        return image_rgb, face
    height, width = image_rgb.shape[:2]
    small = shrink(image_rgb, (width // factor, height // factor))
    box = face.box
    scaled = FoundFace(
        box=FaceBox(top=box.top // factor, right=box.right // factor, bottom=box.bottom // factor,
                    left=box.left // factor),
        landmarks={k: [(x / factor, y / factor) for x, y in points] for k, points in face.landmarks.items()},
    )
    return small, scaled


def check_recapture(assessment: RecaptureAssessment, thresholds: ImagingThresholds) -> Check:
    """An advisory check (never critical): failed when the score reaches the threshold."""
    score = assessment.score
    passed = score < thresholds.recapture_flag_score
    return Check(
        code=CODE, passed=passed, value=round(score, 2),
        allowed=f"< {thresholds.recapture_flag_score:g}",
        message_zh="未发现翻拍迹象。" if passed else
        "疑似翻拍照片或屏幕：请用手机摄像头直接拍摄本人，不要拍摄打印的照片或屏幕上的照片。",
        message_en="No sign of a re-photographed print or screen." if passed else
        "This looks like a photo of a print or a screen: photograph yourself directly with the phone's camera.",
        critical=False,
        **in_words(Reading(score, "翻拍可能性", "Re-photograph likelihood", "疑似翻拍照片或屏幕",
                           "Looks re-photographed from a print or screen",
                           high=thresholds.recapture_flag_score, strict=True, digits=2)),
    )
