"""Print-sheet geometry at 300 dpi: physical sizes, photos per sheet, crop marks inside the sheet
and the student number printed under each photo, drawn from real portraits."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from core.imaging import print_sheet as ps
from core.imaging.print_sheet import PaperSize, PhotoSize, PrintPhoto


def test_physical_sizes_at_300_dpi():
    five = ps.layout(PaperSize.FIVE_INCH, PhotoSize.ONE_INCH)
    assert sorted((five.width, five.height)) == pytest.approx([1050, 1500], abs=1)
    six = ps.layout(PaperSize.SIX_INCH, PhotoSize.ONE_INCH)
    assert sorted((six.width, six.height)) == pytest.approx([1205, 1795], abs=1)
    one = five.slots[0].photo
    assert (one.width, one.height) == (295, 413)
    two = ps.layout(PaperSize.FIVE_INCH, PhotoSize.TWO_INCH).slots[0].photo
    assert (two.width, two.height) == (413, 579)


@pytest.mark.parametrize(("paper", "size", "expected"), [
    (PaperSize.FIVE_INCH, PhotoSize.ONE_INCH, 9),
    (PaperSize.FIVE_INCH, PhotoSize.TWO_INCH, 4),
    (PaperSize.SIX_INCH, PhotoSize.ONE_INCH, 10),
    (PaperSize.SIX_INCH, PhotoSize.TWO_INCH, 4),
])
def test_photos_per_sheet(paper, size, expected):
    layout = ps.layout(paper, size)
    assert layout.per_sheet == expected
    assert ps.sheets_needed(layout, expected + 1) == 2 and ps.sheets_needed(layout, 0) == 0


def _overlap(a: ps.Box, b: ps.Box) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


@pytest.mark.parametrize("paper", list(PaperSize))
@pytest.mark.parametrize("size", list(PhotoSize))
def test_photos_labels_and_marks_stay_inside_the_sheet_and_apart(paper, size):
    layout = ps.layout(paper, size)
    margin = ps.mm_to_px(ps.MARGIN_MM) // 2
    boxes = [s.photo for s in layout.slots] + [s.label for s in layout.slots]
    for box in boxes:
        assert box.x >= margin and box.y >= margin
        assert box.right <= layout.width - margin and box.bottom <= layout.height - margin
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not _overlap(a, b), (a, b)
    for slot in layout.slots:
        assert len(slot.marks) == 8
        for x0, y0, x1, y1 in slot.marks:
            for x, y in ((x0, y0), (x1, y1)):
                assert 0 <= x < layout.width and 0 <= y < layout.height
                assert not (slot.photo.x <= x < slot.photo.right and slot.photo.y <= y < slot.photo.bottom)
                for other in layout.slots:
                    assert not (other.photo.x <= x < other.photo.right and other.photo.y <= y < other.photo.bottom)


def _portrait(fixtures_dir, n: int) -> bytes:
    path = sorted((fixtures_dir / "london").glob("*_neutral.jpg"))[n]
    with Image.open(path) as image:
        frame = image.convert("RGB").resize((480, 640))
    out = io.BytesIO()
    frame.save(out, "JPEG", quality=90)
    return out.getvalue()


def _ink(sheet: Image.Image, box: ps.Box) -> int:
    """Dark pixels inside ``box``, its two edge columns left out (the corner crop marks run there)."""
    pixels = np.asarray(sheet.convert("L").crop((box.x + 2, box.y, box.right - 2, box.bottom)))
    return int((pixels < 128).sum())


def test_a_rendered_sheet_has_each_photo_its_number_under_it_and_crop_marks(fixtures_dir):
    layout = ps.layout(PaperSize.FIVE_INCH, PhotoSize.ONE_INCH)
    photos = [PrintPhoto(_portrait(fixtures_dir, n), f"21100000{n:02d}") for n in range(5)]
    sheet = ps.render_sheet(layout, photos)
    assert sheet.size == (layout.width, layout.height)
    grey = np.asarray(sheet.convert("L"))
    for index, slot in enumerate(layout.slots):
        photo_area = grey[slot.photo.y:slot.photo.bottom, slot.photo.x:slot.photo.right]
        if index < len(photos):
            assert photo_area.std() > 20, "a real portrait, not a blank slot"
            assert _ink(sheet, slot.label) > 30, "the student number is printed under the photo"
            for x0, y0, _, _ in slot.marks:
                assert grey[y0, x0] < 128, "crop mark drawn"
        else:
            assert photo_area.min() == 255 and _ink(sheet, slot.label) == 0
    blank = ps.render_sheet(layout, [PrintPhoto(photos[0].image, "")])
    assert _ink(blank, layout.slots[0].label) == 0
    with pytest.raises(ValueError):
        ps.render_sheet(layout, photos * 2)


def test_pdf_pages_and_jpeg_carry_300_dpi(fixtures_dir):
    layout = ps.layout(PaperSize.SIX_INCH, PhotoSize.TWO_INCH)
    photo = PrintPhoto(_portrait(fixtures_dir, 0), "2110000001")
    sheets = [ps.render_sheet(layout, [photo] * 4), ps.render_sheet(layout, [photo])]
    pdf = ps.sheets_pdf(sheets)
    boxes = re.findall(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert len(boxes) == 2, "one page per sheet"
    # Each page is the paper's physical size in points (1/72 inch): 152×102 mm.
    for width_pt, height_pt in boxes:
        assert sorted(round(float(v) / 72 * 25.4) for v in (width_pt, height_pt)) == [102, 152]
    with Image.open(io.BytesIO(ps.sheet_jpeg(sheets[0]))) as jpeg:
        assert jpeg.format == "JPEG" and jpeg.size == (layout.width, layout.height)
        assert tuple(round(v) for v in jpeg.info["dpi"]) == (300, 300)
