"""The whole pipeline on real photos, as the worker and the command line call it.

The London neutral set goes through once (module-scoped) and many properties are asserted on
the results; the geometry is measured afresh on the delivered JPEG, not taken from the pipeline.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.imaging.encoding import estimate_quality
from core.imaging.errors import FaceTooSmall, ImageLoadError, MultipleFaces, NoFace
from core.imaging.faces import find_face
from core.imaging.loading import load_image
from core.imaging.pipeline import (
    EnrolmentReference, ProcessedCapture, check_standardised, process_capture, process_enrolment,
)
from core.imaging.standard import (
    DPI, EYE_LINE_RANGE, FACE_WIDTH_RANGE, HAIR_TOP_RANGE, HEIGHT, MAX_FILE_BYTES, MIN_FILE_BYTES,
    MIN_JPEG_QUALITY, WIDTH, Background,
)
from core.imaging.types import Verdict

from .conftest import EVERYDAY, LONDON_NEUTRAL, LONDON_SMILING

# Its session and module fixtures are expensive: with --dist loadgroup one worker computes them, once.
pytestmark = pytest.mark.xdist_group("london_processed")

TALL_BUN = "001_neutral.jpg"
"""Her bun puts the hair top 1.43 face widths above the eyes; the standard's ranges allow at most
(300 - 50) / 180 = 1.39, so no framing meets all three. The pipeline keeps eyes and face width in
range and the hair-top check fails: a correct refusal, not a bug."""
GEOMETRY_CODES = {"hair_top", "eye_line", "face_width", "centring"}


@pytest.fixture(scope="module")
def london_results(processed) -> dict[str, ProcessedCapture]:
    return {path.name: processed(path) for path in LONDON_NEUTRAL}


def _inside(value: float, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= value <= bounds[1]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(p.name, marks=pytest.mark.xfail(strict=True, reason="tall bun: see TALL_BUN"))
        if p.name == TALL_BUN else p.name
        for p in LONDON_NEUTRAL
    ],
)
def test_london_portrait_passes_every_check(london_results, measure, name: str) -> None:
    result = london_results[name]
    assert [c.code for c in result.report.failed] == []
    assert result.ok and result.error is None
    geometry = measure(load_image(result.standardised_jpeg).rgb, Background.BLUE.rgb)
    assert _inside(geometry.hair_top, HAIR_TOP_RANGE)
    assert _inside(geometry.eye_line, EYE_LINE_RANGE)
    assert _inside(geometry.face_width, FACE_WIDTH_RANGE)
    assert abs(geometry.centre_offset) <= 5


def test_every_london_portrait_is_a_chsi_jpeg(london_results) -> None:
    for name, result in london_results.items():
        data = result.standardised_jpeg
        assert data is not None, name
        assert MIN_FILE_BYTES <= len(data) <= MAX_FILE_BYTES, name
        with Image.open(io.BytesIO(data)) as photo:
            assert (photo.format, photo.mode, photo.size) == ("JPEG", "RGB", (WIDTH, HEIGHT)), name
            assert tuple(round(float(d)) for d in photo.info["dpi"]) == (DPI, DPI), name
        assert estimate_quality(data) >= MIN_JPEG_QUALITY, name
        codes = {c.code for c in result.report.checks}
        assert {"format", "dimensions", "dpi", "jpeg_quality", "file_size"} <= codes
        assert codes >= GEOMETRY_CODES


def test_the_tall_bun_fails_only_the_hair_top(london_results) -> None:
    result = london_results[TALL_BUN]
    assert [c.code for c in result.report.failed] == ["hair_top"]
    assert result.report.failed[0].value < HAIR_TOP_RANGE[0]
    assert result.standardised_jpeg is not None and not result.ok


def test_no_embedding_without_an_enrolment_photo_and_a_thumbnail(london_results) -> None:
    result = london_results["003_neutral.jpg"]
    assert result.embedding is None and result.comparison is None
    with Image.open(io.BytesIO(result.thumbnail_jpeg)) as thumbnail:
        assert thumbnail.format == "JPEG" and thumbnail.size == (150, 200)


def test_everyday_photo_is_framed_or_refused_with_its_reason(everyday_photo: Path, measure) -> None:
    result = process_capture(everyday_photo.read_bytes())
    failed = {c.code for c in result.report.failed}
    if result.standardised_jpeg is None:
        assert failed == {"face_too_small"}
        assert "too small" in result.error and "太小" in result.error
        return
    assert not failed & GEOMETRY_CODES
    geometry = measure(load_image(result.standardised_jpeg).rgb, Background.BLUE.rgb)
    assert _inside(geometry.eye_line, EYE_LINE_RANGE) and _inside(geometry.face_width, FACE_WIDTH_RANGE)
    assert _inside(geometry.hair_top, HAIR_TOP_RANGE)
    if not result.ok:
        assert all(c.message_zh and c.message_en for c in result.report.failed)


def test_the_body_reaches_the_bottom_edge_of_every_fixture_portrait(processed, request) -> None:
    """No band of background under the clothing: measured afresh on the delivered JPEG under the
    face's columns (where the torso always is), and by the pipeline's own bottom-strip check."""
    standardised, strips = 0, {}
    for path in LONDON_NEUTRAL + LONDON_SMILING + EVERYDAY:
        result = processed(path)
        if result.standardised_jpeg is None:
            continue  # refused (a face too small): no photo, no strip
        standardised += 1
        photo = load_image(result.standardised_jpeg).rgb
        chin = result.face.landmarks["chin"]
        under_face = photo[-3:, int(chin[2][0]) : int(chin[14][0])].astype(int)
        background = (np.abs(under_face - np.array(Background.BLUE.rgb)).max(axis=2) <= 30).mean()
        check = next(c for c in result.report.checks if c.code == "bottom_strip")
        if background > 0.02 or not check.passed:
            strips[f"{path.parent.name}/{path.name}"] = (round(float(background), 3), check.value)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"bottom strip: {len(strips)} of {standardised} standardised fixture portraits")
    assert standardised >= len(LONDON_NEUTRAL + LONDON_SMILING) + 10
    assert strips == {}


def test_capture_ending_under_the_chin_is_refused_with_advice_to_step_back(london_dir: Path) -> None:
    portrait = load_image((london_dir / "070_neutral.jpg").read_bytes()).rgb
    chin = max(y for _, y in find_face(portrait).landmarks["chin"])
    close_up = portrait[: int(chin) + 40]  # the chin and a little neck
    buffer = io.BytesIO()
    Image.fromarray(close_up).save(buffer, "JPEG", quality=92)
    result = process_capture(buffer.getvalue())
    assert result.standardised_jpeg is None and not result.ok
    assert [c.code for c in result.report.failed] == ["body_cut"]
    assert "后退" in result.error and "step back" in result.error


def test_small_face_in_event_photo_is_refused_as_too_small(faces_dir: Path) -> None:
    result = process_capture((faces_dir / "kit_harington" / "1.jpg").read_bytes())
    assert [c.code for c in result.report.failed] == ["face_too_small"]
    check = result.report.failed[0]
    assert check.value < 144 and check.allowed == ">= 144 px"


def test_turned_head_fails_the_pose_check(faces_dir: Path) -> None:
    result = process_capture((faces_dir / "obama" / "4.jpg").read_bytes())
    assert result.standardised_jpeg is not None and not result.ok
    assert "pose_yaw" in {c.code for c in result.report.failed}


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("two_faces.jpg", "face_count"),
        ("two_faces_2.jpg", "face_count"),
        ("two_faces_3.jpg", "face_count"),
        ("partial_face.jpg", "face_cut"),
        ("low_res_240p.jpg", "face_too_small"),
    ],
)
def test_edge_case_is_refused_with_its_own_reason(edge_cases_dir: Path, name: str, code: str) -> None:
    result = process_capture((edge_cases_dir / name).read_bytes())
    assert not result.ok
    assert result.standardised_jpeg is None and result.thumbnail_jpeg is None and result.embedding is None
    assert [(c.code, c.passed) for c in result.report.checks] == [(code, False)]
    assert result.report.checks[0].allowed
    assert result.error == f"{result.report.checks[0].message_zh} / {result.report.checks[0].message_en}"


def test_rgba_png_capture_is_standardised(edge_cases_dir: Path) -> None:
    result = process_capture((edge_cases_dir / "rgba_32bit.png").read_bytes())
    assert result.standardised_jpeg is not None
    assert not {c.code for c in result.report.failed} & GEOMETRY_CODES


@pytest.mark.parametrize("data", [b"", b"GIF89a not really", b"\xff\xd8\xff\xe0" + b"\x00" * 64])
def test_unreadable_bytes_are_a_load_refusal(data: bytes) -> None:
    result = process_capture(data)
    assert not result.ok and result.standardised_jpeg is None
    assert [c.code for c in result.report.checks] == ["load"]
    assert result.error


def test_background_option(london_dir: Path) -> None:
    result = process_capture((london_dir / "027_neutral.jpg").read_bytes(), background=Background.GREY)
    rgb = load_image(result.standardised_jpeg).rgb
    assert np.abs(rgb[:20, :20].astype(int) - Background.GREY.rgb).max() <= 3
    assert result.ok


# --- enrolment and comparison --------------------------------------------------------------


@pytest.fixture(scope="module")
def enrolment_003(london_dir: Path) -> EnrolmentReference:
    return process_enrolment((london_dir / "003_neutral.jpg").read_bytes())


def test_enrolment_reference(enrolment_003: EnrolmentReference, london_dir: Path) -> None:
    assert enrolment_003.embedding.shape == (128 + 1024,)  # dlib's descriptor, then the second network's
    assert enrolment_003.phash >= 0
    again = process_enrolment((london_dir / "003_neutral.jpg").read_bytes())
    assert again.phash == enrolment_003.phash
    assert np.array_equal(again.embedding, enrolment_003.embedding)


def test_same_person_new_photo_is_compared_same_and_not_derived(london_dir: Path, enrolment_003) -> None:
    result = process_capture((london_dir / "003_smiling.jpg").read_bytes(), enrolment=enrolment_003)
    assert result.comparison is not None and result.comparison.verdict is Verdict.SAME
    derived = [c for c in result.report.checks if c.code == "derived"]
    assert len(derived) == 1 and derived[0].passed


def test_other_person_is_compared_different(london_dir: Path, enrolment_003) -> None:
    result = process_capture((london_dir / "027_neutral.jpg").read_bytes(), enrolment=enrolment_003)
    assert result.comparison.verdict is Verdict.DIFFERENT
    assert result.comparison.similarity < 60


def test_the_enrolment_photo_itself_is_flagged_as_derived(london_dir: Path, enrolment_003) -> None:
    result = process_capture((london_dir / "003_neutral.jpg").read_bytes(), enrolment=enrolment_003)
    assert [c.code for c in result.report.failed] == ["derived"]
    assert not result.ok


def test_small_enrolment_photo_is_accepted_and_still_matches(london_dir: Path, enrolment_003) -> None:
    """Old enrolment photos can be small: a 240 px one (face about 80 px) still gives a usable embedding."""
    small = io.BytesIO()
    Image.open(london_dir / "003_neutral.jpg").resize((240, 240), Image.Resampling.LANCZOS).save(small, "JPEG", quality=90)
    reference = process_enrolment(small.getvalue())
    capture = process_capture((london_dir / "003_smiling.jpg").read_bytes(), enrolment=reference)
    assert capture.comparison.verdict is Verdict.SAME
    tiny = io.BytesIO()
    Image.open(london_dir / "003_neutral.jpg").resize((120, 120), Image.Resampling.LANCZOS).save(tiny, "JPEG", quality=90)
    with pytest.raises(FaceTooSmall):
        process_enrolment(tiny.getvalue())


@pytest.mark.parametrize(
    ("name", "error"),
    [("two_faces.jpg", MultipleFaces), ("rgba_32bit.png", None)],
)
def test_enrolment_refusals(edge_cases_dir: Path, name: str, error: type | None) -> None:
    data = (edge_cases_dir / name).read_bytes()
    if error is None:
        assert process_enrolment(data).embedding.shape == (128 + 1024,)
    else:
        with pytest.raises(error):
            process_enrolment(data)


def test_unreadable_or_faceless_enrolment_is_a_typed_error() -> None:
    with pytest.raises(ImageLoadError):
        process_enrolment(b"\x89PNG\r\n\x1a\n broken")
    wall = io.BytesIO()
    Image.new("RGB", (400, 500), (200, 200, 190)).save(wall, "JPEG")
    with pytest.raises(NoFace):
        process_enrolment(wall.getvalue())


# --- check of an already standardised photo ------------------------------------------------


def test_check_standardised_agrees_with_the_pipeline(london_results) -> None:
    result = london_results["005_neutral.jpg"]
    report = check_standardised(result.standardised_jpeg)
    assert report.ok
    assert {c.code for c in report.checks} >= GEOMETRY_CODES | {"file_size", "dpi"}


def test_check_of_a_raw_capture_fails_the_standard(london_dir: Path) -> None:
    report = check_standardised((london_dir / "005_neutral.jpg").read_bytes())
    failed = {c.code for c in report.failed}
    assert {"dimensions", "file_size", "dpi"} <= failed
    assert not report.ok


def test_check_of_unreadable_bytes() -> None:
    report = check_standardised(b"nothing")
    assert [c.code for c in report.checks] == ["load"] and not report.ok


def test_phone_capture_stored_sideways_with_exif_orientation(london_dir: Path, tmp_path: Path, measure) -> None:
    """Phones store the sensor's pixels and an EXIF orientation; the photo must come out upright."""
    upright = Image.open(london_dir / "070_neutral.jpg")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    path = tmp_path / "sideways.jpg"
    upright.transpose(Image.Transpose.ROTATE_90).save(path, quality=95, exif=exif)
    result = process_capture(path.read_bytes())
    assert result.ok, [c.code for c in result.report.failed]
    geometry = measure(load_image(result.standardised_jpeg).rgb, Background.BLUE.rgb)
    assert _inside(geometry.eye_line, EYE_LINE_RANGE) and _inside(geometry.hair_top, HAIR_TOP_RANGE)
