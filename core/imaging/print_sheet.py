"""Print sheets of printed (adhesive) photos: 1-inch or 2-inch photos laid out on 5-inch or 6-inch
photo paper at 300 dpi, with crop marks around each photo and the student number printed small under
it, so the print shop cuts them apart and the school hands each student theirs.

Pure: sizes in millimetres become pixels at 300 dpi here, and a sheet is drawn from photo bytes; it
reads and writes nothing stored. The layout puts the sheet in whichever orientation holds more photos.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from PIL import Image, ImageDraw, ImageFont, ImageOps

DPI = 300
MM_PER_INCH = 25.4
MARGIN_MM = 3.0
"""Blank border of the sheet: printers do not print to the edge, and crop marks need room."""
GAP_MM = 3.0
"""Between neighbouring photos: room for the crop marks of both."""
LABEL_MM = 2.5
"""Height of the student-number line under each photo."""
MARK_MM = 1.5
"""Length of each crop mark."""
MARK_OFFSET_MM = 0.5
"""Crop marks start this far from the photo, so a cut on the line never shows them."""
JPEG_QUALITY = 95


class PaperSize(str, Enum):
    """Standard photo paper (landscape width × height in mm)."""

    FIVE_INCH = "5inch"  # 5 寸 127 × 89 mm
    SIX_INCH = "6inch"  # 6 寸 152 × 102 mm

    @property
    def mm(self) -> tuple[float, float]:
        return {"5inch": (127.0, 89.0), "6inch": (152.0, 102.0)}[self.value]

    @property
    def label_zh(self) -> str:
        return {"5inch": "5 寸相纸（127×89 mm）", "6inch": "6 寸相纸（152×102 mm）"}[self.value]

    @property
    def label_en(self) -> str:
        return {"5inch": "5-inch paper (127×89 mm)", "6inch": "6-inch paper (152×102 mm)"}[self.value]


class PhotoSize(str, Enum):
    """Printed ID photo sizes (width × height in mm)."""

    ONE_INCH = "1inch"  # 1 寸 25 × 35 mm
    TWO_INCH = "2inch"  # 2 寸 35 × 49 mm

    @property
    def mm(self) -> tuple[float, float]:
        return {"1inch": (25.0, 35.0), "2inch": (35.0, 49.0)}[self.value]

    @property
    def label_zh(self) -> str:
        return {"1inch": "1 寸（25×35 mm）", "2inch": "2 寸（35×49 mm）"}[self.value]

    @property
    def label_en(self) -> str:
        return {"1inch": "1-inch (25×35 mm)", "2inch": "2-inch (35×49 mm)"}[self.value]


def mm_to_px(mm: float, dpi: int = DPI) -> int:
    return round(mm / MM_PER_INCH * dpi)


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height


Line = tuple[int, int, int, int]
"""A crop mark from (x0, y0) to (x1, y1), in sheet pixels."""


@dataclass(frozen=True)
class Slot:
    """Where one photo goes, the line its student number is printed on, and its crop marks."""

    photo: Box
    label: Box
    marks: tuple[Line, ...]


@dataclass(frozen=True)
class Layout:
    paper: PaperSize
    photo_size: PhotoSize
    width: int
    height: int
    slots: tuple[Slot, ...]

    @property
    def per_sheet(self) -> int:
        return len(self.slots)


def _marks(photo: Box, offset: int, length: int) -> tuple[Line, ...]:
    """Two short lines at each corner, in line with the photo's edges and outside it."""
    marks: list[Line] = []
    for x, dx in ((photo.x, -1), (photo.right - 1, 1)):
        for y, dy in ((photo.y, -1), (photo.bottom - 1, 1)):
            start_x, start_y = x + dx * offset, y + dy * offset
            marks.append((start_x, y, start_x + dx * (length - 1), y))
            marks.append((x, start_y, x, start_y + dy * (length - 1)))
    return tuple(marks)


def _grid(width: int, height: int, photo_w: int, photo_h: int) -> tuple[int, int]:
    margin, gap, label = mm_to_px(MARGIN_MM), mm_to_px(GAP_MM), mm_to_px(LABEL_MM)
    columns = (width - 2 * margin + gap) // (photo_w + gap)
    rows = (height - 2 * margin + gap) // (photo_h + label + gap)
    return max(0, columns), max(0, rows)


def layout(paper: PaperSize, photo_size: PhotoSize) -> Layout:
    """The photos' grid, centred on the sheet, in the orientation that holds more of them."""
    photo_w, photo_h = (mm_to_px(v) for v in photo_size.mm)
    long_side, short_side = (mm_to_px(v) for v in paper.mm)
    landscape = _grid(long_side, short_side, photo_w, photo_h)
    portrait = _grid(short_side, long_side, photo_w, photo_h)
    if portrait[0] * portrait[1] > landscape[0] * landscape[1]:
        width, height, (columns, rows) = short_side, long_side, portrait
    else:
        width, height, (columns, rows) = long_side, short_side, landscape
    gap, label = mm_to_px(GAP_MM), mm_to_px(LABEL_MM)
    cell_h = photo_h + label
    used_w = columns * photo_w + (columns - 1) * gap
    used_h = rows * cell_h + (rows - 1) * gap
    left, top = (width - used_w) // 2, (height - used_h) // 2
    offset, length = mm_to_px(MARK_OFFSET_MM), mm_to_px(MARK_MM)
    slots = []
    for row in range(rows):
        for column in range(columns):
            photo = Box(left + column * (photo_w + gap), top + row * (cell_h + gap), photo_w, photo_h)
            slots.append(Slot(photo, Box(photo.x, photo.bottom, photo_w, label), _marks(photo, offset, length)))
    return Layout(paper, photo_size, width, height, tuple(slots))


def sheets_needed(layout_: Layout, photos: int) -> int:
    return -(-photos // layout_.per_sheet) if photos else 0


@dataclass(frozen=True)
class PrintPhoto:
    """One student's photo (the approved standardised JPEG) and the number printed under it."""

    image: bytes
    student_number: str


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def render_sheet(layout_: Layout, photos: Sequence[PrintPhoto]) -> Image.Image:
    """One sheet: each photo scaled to fill its slot (cropped centrally, never stretched), its
    student number centred under it, and crop marks at its corners. Empty slots stay blank."""
    if len(photos) > layout_.per_sheet:
        raise ValueError(f"{len(photos)} photos do not fit a sheet of {layout_.per_sheet}")
    sheet = Image.new("RGB", (layout_.width, layout_.height), "white")
    draw = ImageDraw.Draw(sheet)
    font = _font(max(10, round(layout_.slots[0].label.height * 0.7))) if layout_.slots else None
    for slot, photo in zip(layout_.slots, photos, strict=False):
        with Image.open(io.BytesIO(photo.image)) as source:
            fitted = ImageOps.fit(source.convert("RGB"), (slot.photo.width, slot.photo.height),
                                  Image.Resampling.LANCZOS)
        sheet.paste(fitted, (slot.photo.x, slot.photo.y))
        for mark in slot.marks:
            draw.line(mark, fill="black", width=1)
        if photo.student_number and font is not None:
            centre = (slot.label.x + slot.label.width / 2, slot.label.y + slot.label.height / 2)
            draw.text(centre, photo.student_number, fill="black", font=font, anchor="mm")
    return sheet


def sheet_jpeg(sheet: Image.Image) -> bytes:
    """High-quality JPEG with its 300 dpi written in, so the print shop prints it at its true size."""
    out = io.BytesIO()
    sheet.save(out, "JPEG", quality=JPEG_QUALITY, subsampling=0, dpi=(DPI, DPI))
    return out.getvalue()


def sheets_pdf(sheets: Sequence[Image.Image]) -> bytes:
    """One PDF page per sheet at 300 dpi: each page is the paper's physical size."""
    if not sheets:
        raise ValueError("no sheets")
    out = io.BytesIO()
    try:
        sheets[0].save(out, "PDF", resolution=float(DPI), save_all=True, append_images=list(sheets[1:]),
                       quality=JPEG_QUALITY)
    finally:
        # Pillow leaves each page's encoder settings pointing at the list of all pages: a cycle that
        # would keep every sheet of a long run in memory until the garbage collector happens by.
        for sheet in sheets:
            sheet.encoderinfo = {}
    return out.getvalue()


def preview_png(sheet: Image.Image, width: int = 900) -> bytes:
    """A smaller picture of the sheet for the screen, outlined so the paper's edge shows on a white page."""
    scaled = sheet.copy()
    scaled.thumbnail((width, width * 2), Image.Resampling.LANCZOS)
    ImageDraw.Draw(scaled).rectangle((0, 0, scaled.width - 1, scaled.height - 1), outline=(160, 160, 160), width=2)
    out = io.BytesIO()
    scaled.save(out, "PNG")
    return out.getvalue()
