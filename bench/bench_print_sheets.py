"""Print sheets: time to draw and encode a sheet, its size, and the memory a long run holds.

Run from the project root::

    .venv/bin/python -m bench.bench_print_sheets [--sheets 40]

Draws 5-inch sheets of nine 1-inch photos (real fixture portraits cut to 480×640, as approved
photos are) the way a print run does: one sheet at a time, PDFs of ``PDF_SHEETS_PER_FILE`` sheets,
and also as 300-dpi JPEGs. Targets: ≤ 1 s a sheet drawn and encoded (a 300-student school at 4
copies is 134 sheets: about two minutes), ≤ 3 MB a sheet, and memory growth bounded by one PDF
file's sheets (not by the run's length).
"""

from __future__ import annotations

import argparse
import io
import resource
import time
from itertools import islice

from PIL import Image

from core.config import fixtures_dir
from core.imaging import print_sheet as ps
from core.services.printing import PDF_SHEETS_PER_FILE

FIXTURES = fixtures_dir()
TARGET_SECONDS_PER_SHEET = 1.0
TARGET_BYTES_PER_SHEET = 3_000_000


def photos() -> list[bytes]:
    out = []
    for path in sorted((FIXTURES / "london").glob("*_neutral.jpg"))[:9]:
        with Image.open(path) as image:
            width, height = image.size
            crop = height * 3 // 4
            frame = image.convert("RGB").crop(((width - crop) // 2, 0, (width + crop) // 2, height)).resize((480, 640))
        buffer = io.BytesIO()
        frame.save(buffer, "JPEG", quality=90)
        out.append(buffer.getvalue())
    return out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sheets", type=int, default=40)
    args = parser.parse_args()
    layout = ps.layout(ps.PaperSize.FIVE_INCH, ps.PhotoSize.ONE_INCH)
    pictures = photos()
    page = [ps.PrintPhoto(p, f"21100000{i:02d}") for i, p in enumerate(pictures)]

    def sheets():
        for _ in range(args.sheets):
            yield ps.render_sheet(layout, page)

    base = peak_rss_mb()
    started = time.perf_counter()
    pdf_bytes = 0
    generator = sheets()
    for _ in range(-(-args.sheets // PDF_SHEETS_PER_FILE)):  # as a run does: each file's sheets, then freed
        pdf_bytes += len(ps.sheets_pdf(list(islice(generator, PDF_SHEETS_PER_FILE))))
    pdf_seconds = (time.perf_counter() - started) / args.sheets
    pdf_growth = peak_rss_mb() - base

    started = time.perf_counter()
    jpeg_bytes = sum(len(ps.sheet_jpeg(sheet)) for sheet in sheets())
    jpeg_seconds = (time.perf_counter() - started) / args.sheets

    print(f"layout: {layout.width}×{layout.height} px at {ps.DPI} dpi, {layout.per_sheet} photos a sheet")
    print(f"PDF : {pdf_seconds:.3f} s a sheet (target ≤ {TARGET_SECONDS_PER_SHEET} s), "
          f"{pdf_bytes / args.sheets / 1e6:.2f} MB a sheet (target ≤ {TARGET_BYTES_PER_SHEET / 1e6:.0f} MB)")
    print(f"JPEG: {jpeg_seconds:.3f} s a sheet (target ≤ {TARGET_SECONDS_PER_SHEET} s), "
          f"{jpeg_bytes / args.sheets / 1e6:.2f} MB a sheet (target ≤ {TARGET_BYTES_PER_SHEET / 1e6:.0f} MB)")
    print(f"peak memory growth over {args.sheets} sheets: {pdf_growth:.0f} MB "
          f"(target: one PDF file's {PDF_SHEETS_PER_FILE} sheets ≈ "
          f"{PDF_SHEETS_PER_FILE * layout.width * layout.height * 3 / 1e6:.0f} MB plus the encoder's buffers, "
          "whatever the run's length: compare --sheets 40 and 80)")


if __name__ == "__main__":
    main()
