"""Every check reads in words for staff: plain Chinese with the measured number and the allowed range."""

from __future__ import annotations

import re
from dataclasses import fields, replace
from pathlib import Path

import pytest

from core.imaging.errors import FaceCutOff, FaceTooSmall, ImageLoadError, MultipleFaces, NoFace, TooLittleBody
from core.imaging.faces import find_face
from core.imaging.loading import load_image
from core.imaging.pipeline import check_standardised, process_capture, process_enrolment, refused
from core.imaging.quality.mouth import check_expression
from core.imaging.thresholds import DEFAULT_THRESHOLDS, ImagingThresholds
from core.imaging.types import Check
from tests.core.imaging.conftest import LONDON_NEUTRAL, LONDON_SMILING

LATIN = re.compile(r"[A-Za-z]")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def impossible(thresholds: ImagingThresholds) -> ImagingThresholds:
    """Every calibrated limit pushed so that every measure falls outside it."""
    changes: dict[str, object] = {}
    for f in fields(thresholds):
        value = getattr(thresholds, f.name)
        if isinstance(value, tuple):
            changes[f.name] = (type(value[0])(10_000), type(value[1])(10_001))
        elif f.name.startswith(("max_", "recapture")):
            changes[f.name] = type(value)(-1)
        elif f.name.startswith(("min_", "narrow_")):
            changes[f.name] = type(value)(10_000)
    return replace(thresholds, **changes)


def shows_number(text: str, value: float) -> bool:
    """The text holds ``value`` as printed (rounded to the digits shown)."""
    for number in NUMBER.findall(text):
        decimals = len(number.split(".")[1]) if "." in number else 0
        if abs(float(number) - value) <= 0.5 * 10 ** -decimals + 1e-9:
            return True
    return False


def measured_numbers(check: Check) -> list[float]:
    if isinstance(check.value, (int, float)):
        return [float(check.value)]
    if isinstance(check.value, str):
        return [float(n) for n in NUMBER.findall(check.value) if check.code != "derived" or "/" not in n]
    return []


def assert_in_words(check: Check) -> None:
    assert check.detail_zh, check.code
    assert check.detail_en, check.code
    assert not LATIN.search(check.detail_zh), f"{check.code}: {check.detail_zh}"
    assert "应" in check.detail_zh, f"{check.code}: {check.detail_zh}"
    for number in measured_numbers(check):
        if check.code in {"format", "dimensions", "derived"} and number in {121.0}:
            continue
        assert shows_number(check.detail_zh, number), f"{check.code}: {number} not in {check.detail_zh}"
        assert shows_number(check.detail_en, number), f"{check.code}: {number} not in {check.detail_en}"


@pytest.fixture(scope="module")
def checks_both_ways() -> list[Check]:
    """Every check of a real capture compared with a real enrolment photo, once with the calibrated
    limits and once with limits no photo meets, plus the file checks of the delivered photo."""
    capture, enrolment = LONDON_NEUTRAL[0], LONDON_SMILING[0]
    reference = process_enrolment(enrolment.read_bytes())
    passing = process_capture(capture.read_bytes(), enrolment=reference)
    failing = process_capture(capture.read_bytes(), enrolment=reference, thresholds=impossible(DEFAULT_THRESHOLDS))
    assert passing.standardised_jpeg is not None
    files = check_standardised(passing.standardised_jpeg).checks
    return [*passing.report.checks, *failing.report.checks, *files]


def test_every_check_code_reads_in_plain_chinese_with_its_number(checks_both_ways: list[Check]) -> None:
    codes = {c.code for c in checks_both_ways}
    assert {"face_count", "expression", "mouth_closed", "eyes_open", "derived", "background", "recapture",
            "bottom_strip", "centring", "hair_top", "file_size", "format", "dimensions", "dpi"} <= codes
    assert any(not c.passed for c in checks_both_ways) and any(c.passed for c in checks_both_ways)
    for check in checks_both_ways:
        assert_in_words(check)


def test_a_failed_check_names_the_problem_and_keeps_the_raw_value(checks_both_ways: list[Check]) -> None:
    failed = {c.code: c for c in checks_both_ways if not c.passed}
    assert failed["expression"].detail_zh.startswith("嘴角上扬，像在笑（")
    assert "应 ≤ -1）" in failed["expression"].detail_zh
    assert failed["expression"].value is not None and "corners" in str(failed["expression"].value)
    assert failed["sharpness"].detail_zh.startswith("照片模糊（")
    assert failed["sharpness"].words("zh") == failed["sharpness"].detail_zh
    assert failed["sharpness"].words("en").startswith("Blurred (")


def test_the_briefs_example_a_smile() -> None:
    smiling = load_image(LONDON_SMILING[0].read_bytes())
    face = find_face(smiling.rgb)
    check = check_expression(face, replace(DEFAULT_THRESHOLDS, max_corner_lift=0.0, max_mouth_width=10.0))
    assert not check.passed
    assert re.fullmatch(r"嘴角上扬，像在笑（-?\d\.\d\d，应 ≤ 0）；嘴宽（与两眼间距之比）（\d\.\d\d，应 ≤ 10）", check.detail_zh)


@pytest.mark.parametrize("refusal", [
    NoFace(), MultipleFaces(3), FaceCutOff(), FaceTooSmall(96.4, 180.0), TooLittleBody(140.0, 60.0),
    ImageLoadError("无法识别的文件：只接受 JPEG、PNG、WebP 或 HEIC 照片。", "Not a recognised photo."),
], ids=lambda r: type(r).__name__)
def test_refusals_read_in_plain_chinese(refusal: Exception) -> None:
    check = refused(refusal).report.checks[0]
    assert check.detail_zh and not LATIN.search(check.detail_zh), check.detail_zh
    for number in measured_numbers(check):
        assert shows_number(check.detail_zh, number), check.detail_zh


def test_reports_stored_before_words_still_read(tmp_path: Path) -> None:
    old = {"code": "noise", "passed": False, "value": 4.2, "allowed": "≤ 3.5", "message_zh": "照片噪点过多。",
           "message_en": "The photo is grainy.", "critical": True}
    check = Check.from_dict(old)
    assert check.words("zh") == "照片噪点过多。"
    assert Check.from_dict(check.to_dict()) == check
