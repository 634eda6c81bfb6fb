"""The re-photograph flag (翻拍): quiet on genuine portraits, raised on simulated prints and screens,
and advisory only.

The two measured sets are computed once per session: every fixture as the pipeline decodes it
(about 300 photos, mostly refused at once or found in 960 px portraits), and a small simulated set
(``recapture_sim.py``: a few London portraits printed and shown on screens, then photographed; each
simulation renders a 1920×2560 sensor, about half a second). ``bench/bench_recapture.py`` measures
the full set; the floors here sit below what it measured, with margin.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pytest
from PIL import Image

from core.domain.reasons import BY_CODE, SUGGESTED_BY_CHECK
from core.imaging.errors import FaceTooSmall, ImagingError
from core.imaging.faces import find_face
from core.imaging.loading import load_image
from core.imaging.moire import periodic_peak
from core.imaging.pipeline import process_capture
from core.imaging.recapture import CODE, MOIRE_FLOOR, MOIRE_SPAN, RecaptureAssessment, assess_recapture, check_recapture
from core.imaging.standardise import PREVIEW_LONG_SIDE
from core.imaging.thresholds import DEFAULT_THRESHOLDS
from core.imaging.types import QualityReport

from .conftest import FACES, FIXTURES, LONDON
from .recapture_sim import ATTACKS, samples

# Its session and module fixtures are expensive: with --dist loadgroup one worker computes them, once.
pytestmark = [pytest.mark.xdist_group("recapture_sets"), pytest.mark.slow]

THRESHOLD = DEFAULT_THRESHOLDS.recapture_flag_score
SIMULATED_PORTRAITS = 5
SEED = 11


@dataclass(frozen=True)
class Assessed:
    name: str
    refusal: ImagingError | None
    assessment: RecaptureAssessment | None

    @property
    def flagged(self) -> bool:
        return self.assessment is not None and self.assessment.score >= THRESHOLD


def _assess(name: str, data: bytes) -> Assessed:
    """What the pipeline does before the check: decode at preview size, find the one face."""
    photo = load_image(data, min_long_side=PREVIEW_LONG_SIDE)
    try:
        face = find_face(photo.rgb, pixel_scale=photo.reduction)
    except ImagingError as refusal:
        return Assessed(name, refusal, None)
    return Assessed(name, None, assess_recapture(photo.rgb, face))


@pytest.fixture(scope="session")
def genuine() -> dict[str, list[Assessed]]:
    paths = {
        "london": sorted(LONDON.glob("*.jpg")),
        "faces": sorted(p for p in FACES.glob("*/*") if p.suffix != ".md"),
        "lfw_east_asian": sorted((FIXTURES / "lfw_east_asian").glob("*/*.jpg")),
    }
    return {group: [_assess(p.name, p.read_bytes()) for p in found] for group, found in paths.items()}


@pytest.fixture(scope="session")
def simulated() -> dict[str, list[Assessed]]:
    portraits = [(p.name, np.asarray(Image.open(p).convert("RGB")))
                 for p in sorted(LONDON.glob("*_neutral.jpg"))[:SIMULATED_PORTRAITS]]
    out: dict[str, list[Assessed]] = {}
    for sample in samples(portraits, ["camera", *ATTACKS], SEED):
        out.setdefault(sample.kind, []).append(_assess(sample.source, sample.jpeg))
    return out


def test_no_more_than_two_percent_of_the_fixture_portraits_are_flagged(genuine) -> None:
    everything = [a for group in genuine.values() for a in group]
    measured = [a for a in everything if a.assessment is not None]
    assert len(genuine["london"]) == 102 and len(everything) > 290
    assert sum(a.flagged for a in everything) <= 0.02 * len(everything)
    assert sum(a.flagged for a in measured) <= 0.02 * len(measured)
    assert not any(a.flagged for a in genuine["london"])  # all 102 measured, none flagged


def test_lfw_press_photos_never_reach_the_check(genuine) -> None:
    """Every 250×250 LFW photo is refused before any check runs (its face is under the minimum
    width, or not found), so it cannot be flagged; measured anyway, the networks call nearly all of
    them attacks (bench_recapture)."""
    refusals = [a.refusal for a in genuine["lfw_east_asian"]]
    assert all(r is not None for r in refusals)
    assert sum(isinstance(r, FaceTooSmall) for r in refusals) >= 0.95 * len(refusals)


def test_simulated_prints_and_screens_are_flagged(simulated) -> None:
    """Measured by bench_recapture on 51 portraits: prints 92 %, glossy prints with glare 86 %,
    screens 100 %, screens with glare 100 %, direct captures 0 %."""
    def rate(kinds: list[str]) -> float:
        found = [a for k in kinds for a in simulated[k] if a.assessment is not None]
        assert len(found) >= 0.8 * SIMULATED_PORTRAITS * len(kinds)  # the face is still found
        return sum(a.flagged for a in found) / len(found)

    assert rate(["print", "print_glare"]) >= 0.7
    assert rate(["screen", "screen_glare"]) >= 0.9
    assert rate(["camera"]) == 0.0


def test_score_is_the_stronger_of_network_and_moire() -> None:
    quiet = RecaptureAssessment(network=0.1, moire=MOIRE_FLOOR - 0.5)
    assert quiet.score == pytest.approx(0.1)
    assert RecaptureAssessment(network=0.1, moire=MOIRE_FLOOR + 5).score == 1.0
    assert RecaptureAssessment(network=0.8, moire=0.0).score == pytest.approx(0.8)


def test_check_is_advisory_and_names_the_finding() -> None:
    flagged = check_recapture(RecaptureAssessment(network=0.95, moire=1.0), DEFAULT_THRESHOLDS)
    assert (flagged.code, flagged.passed, flagged.critical) == (CODE, False, False)
    assert "翻拍" in flagged.message_zh and flagged.value == 0.95
    clean = check_recapture(RecaptureAssessment(network=0.02, moire=1.0), DEFAULT_THRESHOLDS)
    assert clean.passed and not clean.critical
    assert QualityReport([flagged]).ok  # a raised flag alone never fails the photo
    assert BY_CODE[SUGGESTED_BY_CHECK[CODE]].label_zh == "翻拍照片或屏幕"


def _smooth_texture(rng: np.random.Generator, size: int = 192) -> np.ndarray:
    """Skin-like: mid-tone colour with soft blotches and fine grain, no period."""
    base = np.full((size, size, 3), (190, 150, 130), np.float32)
    blotches = cv2.GaussianBlur(rng.normal(0, 25, (size, size, 1)).astype(np.float32), (0, 0), 6)[:, :, None]
    return np.clip(base + blotches + rng.normal(0, 2.0, (size, size, 3)), 0, 255).astype(np.uint8)


def _jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    encoded = cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])[1]
    return np.asarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR))[:, :, ::-1]


MOIRE_FLAG = MOIRE_FLOOR + THRESHOLD * MOIRE_SPAN
"""The moiré peak that raises the flag on its own."""


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_moire_finds_a_faint_period_and_ignores_the_jpeg_grid(seed: int) -> None:
    skin = _smooth_texture(np.random.default_rng(seed))
    assert periodic_peak(skin).peak < MOIRE_FLAG - 0.3
    assert periodic_peak(_jpeg(skin, 50)).peak < MOIRE_FLAG - 0.3  # heavy compression: 8-px blocks
    ys, xs = np.mgrid[:192, :192]
    grating = 3.0 * np.cos(2 * np.pi * (0.23 * xs + 0.11 * ys))  # 3 grey levels, like aliased halftone
    printed = np.clip(skin + grating[:, :, None], 0, 255).astype(np.uint8)
    assert periodic_peak(_jpeg(printed, 85)).peak > MOIRE_FLAG + 1.0


def test_pipeline_reports_the_flag_without_failing_the_photo() -> None:
    portrait = np.asarray(Image.open(LONDON / "005_neutral.jpg").convert("RGB"))
    screen = next(samples([("005_neutral.jpg", portrait)], ["screen"], SEED + 1))
    result = process_capture(screen.jpeg)
    check = next(c for c in result.report.checks if c.code == CODE)
    assert not check.passed and not check.critical
    without = QualityReport([c for c in result.report.checks if c.code != CODE])
    assert result.ok == without.ok
    genuine = process_capture((LONDON / "005_neutral.jpg").read_bytes())
    assert next(c for c in genuine.report.checks if c.code == CODE).passed


def test_a_full_size_decode_is_measured_at_the_jpeg_preview_scale() -> None:
    """A PNG or HEIC capture decodes at full size, a JPEG one at 1/2–1/8: both are measured alike."""
    portrait = np.asarray(Image.open(LONDON / "009_neutral.jpg").convert("RGB"))
    big = cv2.resize(portrait, (2400, 2400), interpolation=cv2.INTER_CUBIC)
    jpeg = cv2.imencode(".jpg", big[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
    png = cv2.imencode(".png", big[:, :, ::-1])[1].tobytes()
    reduced, full = load_image(jpeg, min_long_side=PREVIEW_LONG_SIDE), load_image(png, min_long_side=PREVIEW_LONG_SIDE)
    assert reduced.rgb.shape[0] == 1200 and full.rgb.shape[0] == 2400
    a = assess_recapture(reduced.rgb, find_face(reduced.rgb, pixel_scale=2.0))
    b = assess_recapture(full.rgb, find_face(full.rgb))
    assert b.network == pytest.approx(a.network, abs=0.05)
    assert b.moire == pytest.approx(a.moire, abs=0.3)
