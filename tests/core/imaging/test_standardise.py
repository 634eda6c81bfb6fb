"""Standardisation steps on real photos: framing, segmentation, background, JPEG encoding."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from core.imaging.background import replace_background
from core.imaging.body import complete_body
from core.imaging.encoding import encode_jpeg, estimate_quality, format_checks
from core.imaging.errors import FaceTooSmall, TooLittleBody
from core.imaging.faces import eye_line, find_face
from core.imaging.thresholds import MAX_UPSCALE
from core.imaging.framing import BODY_MARGIN_PX, Head, bottom_row, cut, plan_frame
from core.imaging.loading import load_image
from core.imaging.standardise import standardise
from core.imaging.segmentation import hair_top, keep_face_region, model_path, person_mask
from core.imaging.standard import (
    EYE_LINE_RANGE, FACE_WIDTH_RANGE, HAIR_TOP_RANGE, HEIGHT, MAX_FILE_BYTES, MIN_FILE_BYTES,
    MIN_JPEG_QUALITY, WIDTH, Background,
)
from core.imaging.types import FaceBox

SAMPLE = ["003_neutral.jpg", "027_neutral.jpg", "070_neutral.jpg", "105_neutral.jpg"]


def _inside(value: float, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= value <= bounds[1]


# --- framing -------------------------------------------------------------------------------


def test_plan_puts_an_ordinary_head_inside_every_range() -> None:
    head = Head(hair_top=100.0, eye_line=400.0, face_width=340.0, centre_x=500.0)
    frame = plan_frame(head)
    hair = frame.to_output(0, head.hair_top)[1]
    eyes = frame.to_output(0, head.eye_line)[1]
    assert _inside(hair, HAIR_TOP_RANGE) and _inside(eyes, EYE_LINE_RANGE)
    assert _inside(frame.scale * head.face_width, FACE_WIDTH_RANGE)
    assert frame.to_output(head.centre_x, 0)[0] == pytest.approx(WIDTH / 2)


def test_plan_for_a_tall_bun_keeps_face_and_eyes_and_lets_the_hair_give() -> None:
    # Eye line to hair top 1.45 face widths: the ranges allow at most 250 / 180 = 1.39.
    head = Head(hair_top=0.0, eye_line=435.0, face_width=300.0, centre_x=480.0)
    frame = plan_frame(head)
    assert _inside(frame.to_output(0, head.eye_line)[1], EYE_LINE_RANGE)
    assert _inside(frame.scale * head.face_width, FACE_WIDTH_RANGE)
    assert frame.to_output(0, head.hair_top)[1] < HAIR_TOP_RANGE[0]


def test_plan_never_enlarges_beyond_the_cap() -> None:
    head = Head(hair_top=20.0, eye_line=140.0, face_width=150.0, centre_x=200.0)
    assert plan_frame(head, max_scale=1.25).scale <= 1.25
    assert plan_frame(head).scale > 1.25


def _room(frame, head: Head) -> float:
    """The least margin (px) the frame leaves to any range edge."""
    hair, eyes = frame.to_output(0, head.hair_top)[1], frame.to_output(0, head.eye_line)[1]
    width = frame.scale * head.face_width
    return min(hair - HAIR_TOP_RANGE[0], HAIR_TOP_RANGE[1] - hair, eyes - EYE_LINE_RANGE[0],
               EYE_LINE_RANGE[1] - eyes, width - FACE_WIDTH_RANGE[0], FACE_WIDTH_RANGE[1] - width)


def _least_completion(head: Head, body_end: float) -> float:
    """Rows left to complete by the best frame keeping BODY_MARGIN_PX to every range: a brute-force search."""
    best = np.inf
    for scale in np.linspace(0.2, 1.0, 801):
        for hair in np.arange(HAIR_TOP_RANGE[0], HAIR_TOP_RANGE[1] + 0.01, 0.25):
            eyes, width = hair + scale * (head.eye_line - head.hair_top), scale * head.face_width
            if min(hair - HAIR_TOP_RANGE[0], HAIR_TOP_RANGE[1] - hair, eyes - EYE_LINE_RANGE[0],
                   EYE_LINE_RANGE[1] - eyes, width - FACE_WIDTH_RANGE[0], FACE_WIDTH_RANGE[1] - width) < BODY_MARGIN_PX:
                continue
            best = min(best, max(0.0, HEIGHT - (hair + scale * (body_end - head.hair_top))))
    return best


def test_plan_keeps_the_centred_frame_when_the_capture_runs_past_the_bottom_edge() -> None:
    head = Head(hair_top=100.0, eye_line=400.0, face_width=340.0, centre_x=500.0)
    assert plan_frame(head, body_end=2000.0) == plan_frame(head)


def test_plan_reaches_the_bottom_edge_inside_the_ranges_when_it_can() -> None:
    """A capture ending at the chest: the centred frame would leave background below it."""
    head = Head(hair_top=100.0, eye_line=420.0, face_width=300.0, centre_x=480.0)
    body_end = 930.0
    assert bottom_row(plan_frame(head), body_end) < HEIGHT - 15
    frame = plan_frame(head, body_end=body_end)
    assert bottom_row(frame, body_end) >= HEIGHT - 0.5
    assert _room(frame, head) >= BODY_MARGIN_PX - 0.5
    assert frame.to_output(head.centre_x, 0)[0] == pytest.approx(WIDTH / 2)


def test_plan_needs_the_least_completion_the_ranges_allow() -> None:
    """When no frame inside the ranges reaches the capture's end, the one that needs fewest rows completed."""
    head = Head(hair_top=100.0, eye_line=420.0, face_width=300.0, centre_x=480.0)
    for body_end in (700.0, 760.0, 820.0):
        frame = plan_frame(head, body_end=body_end)
        missing = HEIGHT - bottom_row(frame, body_end)
        assert missing > 0
        assert missing == pytest.approx(_least_completion(head, body_end), abs=1.0)
        assert _room(frame, head) >= BODY_MARGIN_PX - 0.5


def test_cut_fills_what_lies_outside_the_capture() -> None:
    image = np.full((100, 100, 3), 7, np.uint8)
    head = Head(hair_top=10.0, eye_line=40.0, face_width=40.0, centre_x=50.0)
    out = cut(image, plan_frame(head), (1, 2, 3))
    assert out.shape == (HEIGHT, WIDTH, 3)
    assert tuple(out[0, 0]) == (1, 2, 3) and tuple(out[-1, -1]) == (1, 2, 3)
    assert tuple(out[HEIGHT // 3, WIDTH // 2]) == (7, 7, 7)


def test_a_tilted_head_is_not_straightened(london_dir: Path) -> None:
    capture = load_image((london_dir / "003_neutral.jpg").read_bytes()).rgb
    turn = cv2.getRotationMatrix2D((480, 480), 8, 1.0)
    tilted = cv2.warpAffine(capture, turn, (960, 960), borderMode=cv2.BORDER_REPLICATE)
    data = cv2.imencode(".png", cv2.cvtColor(tilted, cv2.COLOR_RGB2BGR))[1].tobytes()
    out = standardise(data).face
    left, right = np.mean(out.landmarks["left_eye"], axis=0), np.mean(out.landmarks["right_eye"], axis=0)
    angle = np.degrees(np.arctan2(right[1] - left[1], right[0] - left[0]))
    assert angle == pytest.approx(-8, abs=2.5)


def test_a_mirrored_capture_stays_mirrored(london_dir: Path) -> None:
    data = (london_dir / "027_neutral.jpg").read_bytes()
    capture = load_image(data).rgb
    mirrored = cv2.imencode(".png", cv2.cvtColor(capture[:, ::-1], cv2.COLOR_RGB2BGR))[1].tobytes()
    straight, flipped = standardise(data).rgb, standardise(mirrored).rgb
    face_only = slice(200, 420), slice(150, 330)
    direct = np.abs(straight[face_only].astype(int) - flipped[face_only].astype(int)).mean()
    as_mirror = np.abs(straight[face_only].astype(int) - flipped[:, ::-1][face_only].astype(int)).mean()
    assert as_mirror < direct


# --- segmentation --------------------------------------------------------------------------


def test_model_ships_inside_the_mediapipe_wheel() -> None:
    path = model_path()
    assert path.name == "selfie_segmentation.tflite" and "site-packages" in str(path)
    assert 200_000 < path.stat().st_size < 300_000


def test_person_mask_separates_face_from_wall(london_dir: Path) -> None:
    image = load_image((london_dir / "003_neutral.jpg").read_bytes()).rgb
    mask = person_mask(image)
    face = find_face(image)
    assert mask.shape == image.shape[:2]
    quarter_w, quarter_h = face.box.width // 4, face.box.height // 4
    centre = mask[face.box.top + quarter_h : face.box.bottom - quarter_h,
                  face.box.left + quarter_w : face.box.right - quarter_w]
    assert centre.min() > 0.9
    assert mask[:60, :60].max() < 0.1 and mask[:60, -60:].max() < 0.1
    top = hair_top(mask, face)
    assert top is not None and top < face.box.top


def test_only_the_region_joined_to_the_face_is_kept() -> None:
    mask = np.zeros((200, 300), np.float32)
    mask[50:200, 20:120] = 1.0  # the student
    mask[60:200, 200:280] = 1.0  # someone else
    kept = keep_face_region(mask, FaceBox(top=70, right=100, bottom=120, left=40))
    assert kept[100, 60] == 1.0
    assert kept[100:, 200:280].max() == 0.0


def test_hair_top_has_no_answer_without_a_mask(london_dir: Path) -> None:
    image = load_image((london_dir / "003_neutral.jpg").read_bytes()).rgb
    assert hair_top(np.zeros(image.shape[:2], np.float32), find_face(image)) is None


# --- background ----------------------------------------------------------------------------


@pytest.mark.parametrize("background", list(Background))
def test_background_is_exactly_the_colour_away_from_the_person(london_dir: Path, background: Background) -> None:
    capture = load_image((london_dir / "027_neutral.jpg").read_bytes()).rgb
    out = standardise((london_dir / "027_neutral.jpg").read_bytes(), background).rgb
    assert out.shape == (HEIGHT, WIDTH, 3)
    for corner in (out[:30, :30], out[:30, -30:], out[150:200, :20], out[150:200, -20:]):
        assert (corner == np.array(background.rgb, np.uint8)).all()
    assert not (capture[:30, :30] == np.array(background.rgb, np.uint8)).all()


def test_replacement_keeps_the_person_and_recolours_the_rest() -> None:
    image = np.full((64, 48, 3), 180, np.uint8)
    image[20:50, 10:40] = (40, 30, 20)
    mask = np.zeros((64, 48), np.float32)
    mask[20:50, 10:40] = 1.0
    out = replace_background(image, mask, (100, 197, 255))
    assert tuple(out[35, 25]) == (40, 30, 20)
    assert tuple(out[5, 5]) == (100, 197, 255)


def test_a_too_wide_mask_does_not_paint_the_old_wall_around_the_head() -> None:
    """The model's mask reaches a few pixels past the hair; those pixels must not keep the wall."""
    rows, columns = np.mgrid[:200, :200]
    radius = np.hypot(rows - 100, columns - 100)
    head = np.clip(60.5 - radius, 0, 1)[:, :, None]
    image = (head * np.array((40, 30, 25)) + (1 - head) * np.array((185, 185, 185))).astype(np.uint8)
    too_wide = cv2.GaussianBlur((radius < 66).astype(np.float32), (0, 0), 3)
    out = replace_background(image, too_wide, Background.BLUE.rgb).astype(int)
    just_outside = (radius > 62) & (radius < 72)
    assert np.abs(out[just_outside] - np.array(Background.BLUE.rgb)).max() <= 3
    assert np.abs(out[radius < 57] - np.array((40, 30, 25))).max() <= 3


def test_no_light_halo_of_the_old_wall_around_the_head(london_dir: Path) -> None:
    """Just outside the head, no pixel keeps the old grey wall's colour."""
    data = (london_dir / "001_neutral.jpg").read_bytes()  # curly hair: the hardest edge of the set
    capture = load_image(data).rgb
    wall = np.median(capture[:60, :60].reshape(-1, 3), axis=0)
    result = standardise(data)
    above_eyes = result.rgb[: int(eye_line(result.face))].astype(int)
    blue = np.abs(above_eyes - np.array(Background.BLUE.rgb)).max(axis=2) <= 12
    ring = cv2.dilate(blue.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool) & ~blue
    wall_like = np.abs(above_eyes - wall).max(axis=2) <= 25
    assert ring.sum() > 500
    assert (ring & wall_like).sum() <= 0.002 * ring.sum()


# --- the whole standardisation on real photos ---------------------------------------------


@pytest.mark.parametrize("name", SAMPLE)
def test_london_portrait_lands_inside_the_geometry(london_dir: Path, name: str, measure) -> None:
    result = standardise((london_dir / name).read_bytes())
    jpeg = encode_jpeg(result.rgb)
    geometry = measure(load_image(jpeg.data).rgb, Background.BLUE.rgb)
    assert _inside(geometry.hair_top, HAIR_TOP_RANGE)
    assert _inside(geometry.eye_line, EYE_LINE_RANGE)
    assert _inside(geometry.face_width, FACE_WIDTH_RANGE)
    assert abs(geometry.centre_offset) <= 5
    assert result.upscale == 1.0


def test_everyday_photo_is_framed_or_refused_as_too_small(everyday_photo: Path, measure) -> None:
    try:
        result = standardise(everyday_photo.read_bytes())
    except FaceTooSmall as error:
        assert error.code == "face_too_small"
        return
    assert result.upscale <= MAX_UPSCALE + 1e-6
    geometry = measure(result.rgb, Background.BLUE.rgb)
    assert _inside(geometry.eye_line, EYE_LINE_RANGE)
    assert _inside(geometry.face_width, FACE_WIDTH_RANGE)
    assert _inside(geometry.hair_top, HAIR_TOP_RANGE)


def test_large_capture_is_decoded_reduced_and_framed_the_same(london_dir: Path, tmp_path: Path) -> None:
    """A 4032×3024 capture decodes at 1/4 size when that is enough, with the same framing."""
    portrait = Image.open(london_dir / "070_neutral.jpg")
    big = Image.new("RGB", (4032, 3024), portrait.getpixel((5, 5)))
    big.paste(portrait.resize((3024, 3024), Image.Resampling.LANCZOS), (504, 0))
    path = tmp_path / "capture_12mp.jpg"
    big.save(path, quality=92)
    small = standardise((london_dir / "070_neutral.jpg").read_bytes())
    large = standardise(path.read_bytes())
    assert large.capture_rgb.shape[1] == 1008
    assert eye_line(large.face) == pytest.approx(eye_line(small.face), abs=4)


# --- the body completed to the bottom edge --------------------------------------------------


@pytest.mark.parametrize("name", ["003_neutral.jpg", "025_neutral.jpg", "070_neutral.jpg", "096_neutral.jpg"])
def test_completed_body_matches_the_body_it_replaces_without_a_seam(london_dir: Path, name: str) -> None:
    """The bottom 70 rows of a photo whose capture reaches the edge, taken away and completed from the
    rows above, against what the capture really showed there (white T-shirts, V-necks, four complexions)."""
    result = standardise((london_dir / name).read_bytes())
    seam = HEIGHT - 70
    truth_body = result.person[seam:] > 0.5
    assert truth_body[-1].mean() > 0.6  # the capture does reach the bottom edge
    blanked, person = result.rgb.copy(), result.person.copy()
    blanked[seam:], person[seam:] = Background.BLUE.rgb, 0.0
    out, mask = complete_body(blanked, person, float(seam), result.face)
    body = mask[seam:] > 0.5
    assert (body & truth_body).sum() / (body | truth_body).sum() >= 0.85  # the outline continues
    completed, truth = out[seam:].astype(float), result.rgb[seam:].astype(float)
    both = body & truth_body
    assert np.abs(completed[both].mean(axis=0) - truth[both].mean(axis=0)).max() <= 12  # its colours
    # No seam: across the first completed row, the body changes no more than from row to row above it.
    columns = body[0] & (result.person[seam - 1] > 0.5)
    step = np.abs(out[seam, columns].astype(float) - out[seam - 1, columns]).mean()
    above = [np.abs(out[row, columns].astype(float) - out[row - 1, columns]).mean() for row in range(seam - 12, seam)]
    assert step <= 2 * np.median(above) + 2


def test_capture_ending_at_the_chest_is_completed_to_the_bottom_edge(london_dir: Path, measure) -> None:
    """The London capture with its bottom sixth cut off: still inside every range, the body reaches the edge."""
    capture = load_image((london_dir / "027_neutral.jpg").read_bytes()).rgb
    short = capture[: int(capture.shape[0] * 5 / 6)]
    data = cv2.imencode(".png", cv2.cvtColor(short, cv2.COLOR_RGB2BGR))[1].tobytes()
    result = standardise(data)
    geometry = measure(encode_and_decode(result.rgb), Background.BLUE.rgb)
    assert _inside(geometry.hair_top, HAIR_TOP_RANGE) and _inside(geometry.eye_line, EYE_LINE_RANGE)
    assert _inside(geometry.face_width, FACE_WIDTH_RANGE)
    bottom = result.rgb[-3:].astype(int)
    assert (np.abs(bottom - np.array(Background.BLUE.rgb)).max(axis=2) > 30).mean() > 0.6
    assert (result.person[-1] > 0.5).mean() > 0.6


def test_capture_ending_under_the_chin_is_refused_with_advice_to_step_back(london_dir: Path) -> None:
    capture = load_image((london_dir / "027_neutral.jpg").read_bytes()).rgb
    face = find_face(capture)
    chin = int(max(y for _, y in face.landmarks["chin"]))
    short = capture[: chin + 25]
    data = cv2.imencode(".png", cv2.cvtColor(short, cv2.COLOR_RGB2BGR))[1].tobytes()
    with pytest.raises(TooLittleBody) as refusal:
        standardise(data)
    assert refusal.value.code == "body_cut"
    assert "后退" in refusal.value.message_zh and "step back" in refusal.value.message_en


def encode_and_decode(rgb: np.ndarray) -> np.ndarray:
    return load_image(encode_jpeg(rgb).data).rgb


# --- encoding ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def encoded_sample(london_dir: Path) -> list[tuple[np.ndarray, bytes, int]]:
    out = []
    for name in SAMPLE:
        rgb = standardise((london_dir / name).read_bytes()).rgb
        jpeg = encode_jpeg(rgb)
        out.append((rgb, jpeg.data, jpeg.quality))
    return out


def test_jpeg_meets_the_file_rules(encoded_sample) -> None:
    for _, data, quality in encoded_sample:
        assert MIN_FILE_BYTES <= len(data) <= MAX_FILE_BYTES
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG" and image.mode == "RGB" and image.size == (WIDTH, HEIGHT)
            assert tuple(round(float(d)) for d in image.info["dpi"]) == (300, 300)
        assert estimate_quality(data) == quality >= MIN_JPEG_QUALITY
        assert all(check.passed for check in format_checks(data))


def test_quality_is_the_highest_that_fits(encoded_sample) -> None:
    for rgb, _data, quality in encoded_sample:
        if quality < 100:
            one_better = io.BytesIO()
            Image.fromarray(rgb).save(one_better, "JPEG", quality=quality + 1, subsampling=0,
                                      dpi=(300, 300), optimize=True)
            assert len(one_better.getvalue()) > MAX_FILE_BYTES


@pytest.mark.parametrize("grain", [3, 10, 30])
def test_search_finds_the_highest_fitting_quality_far_from_its_first_guess(encoded_sample, grain: int) -> None:
    """Grainier photos need lower qualities, down to 4:2:0 chroma and the floor of 60; the answer
    must still be the one an encode at every quality would give."""
    rgb = encoded_sample[0][0]
    grainy = np.clip(rgb + np.random.default_rng(grain).normal(0, grain, rgb.shape), 0, 255).astype(np.uint8)
    found = encode_jpeg(grainy)

    def size(quality: int) -> int:
        buffer = io.BytesIO()
        Image.fromarray(grainy).save(buffer, "JPEG", quality=quality, subsampling=found.subsampling,
                                     dpi=(300, 300), optimize=True)
        return len(buffer.getvalue())

    fitting = [q for q in range(MIN_JPEG_QUALITY, 101) if size(q) <= MAX_FILE_BYTES]
    assert found.quality == (max(fitting) if fitting else MIN_JPEG_QUALITY)
    assert len(found.data) == size(found.quality)


@pytest.mark.parametrize("quality", [60, 75, 90, 100])
def test_quality_is_read_back_from_the_file(quality: int) -> None:
    noise = np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, "JPEG", quality=quality)
    assert estimate_quality(buffer.getvalue()) == quality


def test_format_checks_fail_a_wrong_file() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 400), (100, 197, 255)).save(buffer, "PNG")
    failed = {check.code for check in format_checks(buffer.getvalue()) if not check.passed}
    assert failed == {"format", "dimensions", "dpi", "jpeg_quality", "file_size"}


def test_small_face_in_large_jpeg_is_cut_from_a_full_resolution_decode(london_dir: Path, tmp_path: Path) -> None:
    """When the reduced preview is too coarse for the frame, the capture is decoded again, finer."""
    portrait = Image.open(london_dir / "070_neutral.jpg")
    capture = Image.new("RGB", (2016, 1512), portrait.getpixel((5, 5)))
    capture.paste(portrait.resize((720, 720), Image.Resampling.LANCZOS), (650, 500))
    capture.save(tmp_path / "capture.jpg", quality=95)
    decoded = load_image((tmp_path / "capture.jpg").read_bytes()).rgb
    Image.fromarray(decoded).save(tmp_path / "same_pixels.png")

    from_jpeg = standardise((tmp_path / "capture.jpg").read_bytes())
    from_png = standardise((tmp_path / "same_pixels.png").read_bytes())
    assert from_jpeg.capture_rgb.shape[1] == 1008  # detected on the 1/2-size preview
    assert from_jpeg.upscale == from_png.upscale == 1.0

    def sharpness(image: np.ndarray) -> float:
        face = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[200:420, 150:330]
        return float(cv2.Laplacian(face, cv2.CV_64F).var())

    # Cut from the 1/2-size preview, the face would be enlarged 1.8× and lose two thirds of this.
    assert sharpness(from_jpeg.rgb) > 0.9 * sharpness(from_png.rgb)
