"""Loading: every photo format we accept decodes upright to 8-bit RGB; every bad file is a typed error."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from core.imaging.errors import ImageLoadError
from core.imaging.loading import MAX_PIXELS, load_image


def _saved(tmp_path: Path, image: Image.Image, name: str, **options) -> bytes:
    path = tmp_path / name
    image.save(path, **options)
    return path.read_bytes()


def test_real_jpeg_loads_as_rgb(london_dir: Path) -> None:
    loaded = load_image((london_dir / "001_neutral.jpg").read_bytes())
    assert loaded.rgb.shape == (960, 960, 3)
    assert loaded.rgb.dtype == np.uint8
    assert loaded.format == "JPEG"
    assert loaded.reduction == 1.0


def test_jpeg_decodes_reduced_when_asked_but_keeps_its_full_size(tmp_path: Path) -> None:
    data = _saved(tmp_path, Image.new("RGB", (4032, 3024), (10, 120, 200)), "big.jpg", quality=90)
    loaded = load_image(data, min_long_side=1000)
    assert loaded.source_size == (4032, 3024)
    assert loaded.rgb.shape == (756, 1008, 3)
    assert loaded.reduction == pytest.approx(4.0)
    assert np.abs(loaded.rgb[300, 500].astype(int) - (10, 120, 200)).max() <= 3


def test_png_is_never_reduced(tmp_path: Path) -> None:
    data = _saved(tmp_path, Image.new("RGB", (2000, 1500), (1, 2, 3)), "big.png")
    loaded = load_image(data, min_long_side=500)
    assert loaded.rgb.shape == (1500, 2000, 3)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    # Stored landscape with a red top-left corner; orientation 6 means "rotate 90° clockwise to view".
    image = Image.new("RGB", (300, 200), (255, 255, 255))
    image.paste((255, 0, 0), (0, 0, 60, 40))
    exif = Image.Exif()
    exif[0x0112] = 6
    data = _saved(tmp_path, image, "rotated.jpg", exif=exif, quality=95)
    loaded = load_image(data)
    assert loaded.rgb.shape == (300, 200, 3)
    assert loaded.source_size == (200, 300)
    assert loaded.rgb[10, 190, 0] > 200 and loaded.rgb[10, 190, 1] < 60  # red now top-right
    assert loaded.rgb[10, 10].min() > 200  # top-left is white
    reduced = load_image(data, min_long_side=150)
    assert reduced.source_size == (200, 300)
    assert reduced.rgb.shape[0] > reduced.rgb.shape[1]


def test_rgba_is_flattened_onto_white(tmp_path: Path) -> None:
    image = Image.new("RGBA", (80, 60), (0, 0, 0, 0))
    image.paste((0, 200, 0, 255), (0, 0, 40, 60))
    loaded = load_image(_saved(tmp_path, image, "alpha.png"))
    assert loaded.rgb.shape == (60, 80, 3)
    assert tuple(loaded.rgb[30, 10]) == (0, 200, 0)
    assert tuple(loaded.rgb[30, 70]) == (255, 255, 255)


def test_real_32bit_png_with_alpha(edge_cases_dir: Path) -> None:
    loaded = load_image((edge_cases_dir / "rgba_32bit.png").read_bytes())
    assert loaded.rgb.shape == (1200, 626, 3)
    assert loaded.format == "PNG"


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    data = _saved(tmp_path, Image.new("CMYK", (50, 40), (0, 255, 255, 0)), "cmyk.jpg", quality=95)
    loaded = load_image(data)
    red = loaded.rgb[20, 25].astype(int)
    assert red[0] > 240 and red[1] < 15 and red[2] < 15


def test_greyscale_becomes_three_equal_channels(tmp_path: Path) -> None:
    loaded = load_image(_saved(tmp_path, Image.new("L", (40, 30), 77), "grey.jpg", quality=95))
    assert loaded.rgb.shape == (30, 40, 3)
    assert abs(int(loaded.rgb[15, 20, 0]) - 77) <= 2
    assert loaded.rgb[15, 20, 0] == loaded.rgb[15, 20, 1] == loaded.rgb[15, 20, 2]


def test_16bit_greyscale_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    grey = np.zeros((20, 30), np.uint16)
    grey[:, :10], grey[:, 10:20], grey[:, 20:] = 65535, 32768, 4000
    path = tmp_path / "grey16.png"
    cv2.imwrite(str(path), grey)
    assert Image.open(path).mode == "I;16"
    loaded = load_image(path.read_bytes())
    assert loaded.rgb.dtype == np.uint8
    assert list(loaded.rgb[5, [0, 15, 25], 0]) == [255, 128, 15]


def test_16bit_colour_png_is_scaled(tmp_path: Path) -> None:
    bgr = np.zeros((20, 30, 3), np.uint16)
    bgr[..., 0], bgr[..., 1], bgr[..., 2] = 65535, 32768, 0
    path = tmp_path / "colour16.png"
    cv2.imwrite(str(path), bgr)
    loaded = load_image(path.read_bytes())
    assert tuple(loaded.rgb[10, 10]) == (0, 128, 255)


@pytest.mark.parametrize("kind", ["WEBP", "HEIF"])
def test_webp_and_heic(tmp_path: Path, kind: str) -> None:
    data = _saved(tmp_path, Image.new("RGB", (64, 48), (200, 30, 40)), f"photo.{kind.lower()}", format=kind)
    loaded = load_image(data)
    assert loaded.format == kind
    assert np.abs(loaded.rgb[24, 32].astype(int) - (200, 30, 40)).max() <= 6


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(ImageLoadError) as error:
        load_image((tmp_path / "empty.jpg").read_bytes())
    assert error.value.code == "load"
    assert "空" in error.value.message_zh and "empty" in error.value.message_en


@pytest.mark.parametrize(
    "content",
    [b"just some text, not a photo\n", b"%PDF-1.4\n1 0 obj\n", bytes(range(256)) * 10],
    ids=["text", "pdf", "random-bytes"],
)
def test_non_image(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "not_a_photo.jpg"
    path.write_bytes(content)
    with pytest.raises(ImageLoadError) as error:
        load_image(path.read_bytes())
    assert "JPEG" in error.value.message_en and "JPEG" in error.value.message_zh


def test_truncated_jpeg(tmp_path: Path, london_dir: Path) -> None:
    import face_recognition  # noqa: F401  (its import lets PIL load truncated files, process-wide)

    whole = (london_dir / "003_neutral.jpg").read_bytes()
    path = tmp_path / "truncated.jpg"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ImageLoadError) as error:
        load_image(path.read_bytes())
    assert "truncated" in error.value.message_en


def test_corrupt_jpeg(tmp_path: Path, london_dir: Path) -> None:
    data = bytearray((london_dir / "003_neutral.jpg").read_bytes())
    data[200:4000] = b"\x00" * 3800  # overwrite the tables and the start of the scan
    path = tmp_path / "corrupt.jpg"
    path.write_bytes(bytes(data))
    with pytest.raises(ImageLoadError) as error:
        load_image(path.read_bytes())
    assert error.value.code == "load"


def test_decompression_bomb(tmp_path: Path) -> None:
    side = int(MAX_PIXELS**0.5) + 100
    data = _saved(tmp_path, Image.new("1", (side, side)), "bomb.png")
    assert len(data) < 100_000  # tiny file, huge image
    with pytest.raises(ImageLoadError) as error:
        load_image(data)
    assert "megapixels" in error.value.message_en
