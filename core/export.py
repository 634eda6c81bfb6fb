"""Every CSV and XLSX file the product writes, written in one place so each one is safe in Excel.

- **Data is never a formula.** A text cell whose first character is one Excel or WPS would start
  a formula with (``= + - @``, their full-width and small forms, tab, carriage return), also after
  leading spaces, gets a leading apostrophe, as OWASP recommends against CSV injection; the
  original characters follow unchanged, so the registrar still sees what the roster said. XLSX
  text cells are also written as explicit string cells in the Text number format, so editing one
  in Excel does not turn it into a formula either. Numbers we computed stay numbers.
- **Files open cleanly.** CSV is UTF-8 with a byte-order mark (Excel and WPS then read Chinese)
  and CRLF line ends. XLSX sheets get column widths fitted to their content (a CJK character
  counts as two), a frozen header row and an autofilter.
- **Same table, same bytes.** XLSX timestamps are fixed (to ``stamp``) and the archive entries
  sorted, so an export of unchanged data is byte-identical (CHSI manifests rely on it).

Large sheets are streamed (openpyxl's write-only mode) unless they hold full ID numbers: the
streaming writer keeps each sheet in a temporary file, and no full ID number may sit in one.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.utils import get_column_letter

FORMULA_TRIGGERS = frozenset("=+-@\t\r")
"""First characters that make Excel, WPS or LibreOffice read a cell as a formula (OWASP)."""
NEUTRALISER = "'"
TEXT_FORMAT = "@"
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
WIDTH_SAMPLE_ROWS = 500
"""Column widths are fitted to the header and this many first rows (a sheet may be streamed)."""
MIN_WIDTH, MAX_WIDTH = 6, 60
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters XLSX cannot hold (and no spreadsheet shows): written as U+FFFD."""
_LEADING_BLANKS = " \u3000\u00a0"


def is_formula_like(text: str) -> bool:
    """Would a spreadsheet read this text as a formula (after any leading blanks)?"""
    if not text:
        return False
    if text[0] in FORMULA_TRIGGERS:
        return True
    first = text.lstrip(_LEADING_BLANKS)[:1]
    return bool(first) and (first in FORMULA_TRIGGERS or unicodedata.normalize("NFKC", first) in FORMULA_TRIGGERS)


def neutralise(value: object) -> object:
    """A cell value safe for any spreadsheet: text that could start a formula gets a leading
    apostrophe; numbers stay numbers; dates become ISO text; ``None`` an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    text = _UNSTORABLE.sub("\ufffd", value if isinstance(value, str) else str(value))
    return NEUTRALISER + text if is_formula_like(text) else text


# --- CSV -------------------------------------------------------------------------------------


class CsvWriter:
    """An incremental CSV file (UTF-8 with BOM) into a binary stream, one row at a time, so a
    report of 200 000 rows never exists as 200 000 Python objects."""

    def __init__(self, out: IO[bytes], header: Sequence[str]) -> None:
        out.write(codecs.BOM_UTF8)
        self._text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        self._writer = csv.writer(self._text, lineterminator="\r\n")
        self.rows = 0
        self._writer.writerow([neutralise(h) for h in header])

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([neutralise(v) for v in row])
        self.rows += 1

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)

    def detach(self) -> None:
        """Leaves the underlying stream open (the wrapper would close it when collected)."""
        self._text.flush()
        self._text.detach()


class CsvBuffer:
    """A CSV file built in memory row by row; ``getvalue()`` gives its bytes."""

    def __init__(self, header: Sequence[str]) -> None:
        self._out = io.BytesIO()
        self._writer = CsvWriter(self._out, header)

    @property
    def rows(self) -> int:
        return self._writer.rows

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow(row)

    def getvalue(self) -> bytes:
        return self._out.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Iterable[object]]) -> bytes:
    buffer = CsvBuffer(header)
    for row in rows:
        buffer.writerow(row)
    return buffer.getvalue()


# --- XLSX ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a header row and the data rows (any iterable; it is consumed once)."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[object]]
    holds_id_numbers: bool = False
    """Full ID numbers: built in memory, never in a temporary file."""


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _widths(header: Sequence[str], sample: list[list[object]]) -> list[float]:
    widths = [display_width(str(h)) for h in header]
    for row in sample:
        for index, value in enumerate(row[: len(widths)]):
            widths[index] = max(widths[index], display_width(str(value)))
    return [min(MAX_WIDTH, max(MIN_WIDTH, w + 2)) for w in widths]


def _cell(sheet: Any, value: object, streamed: bool) -> Cell:
    cell = WriteOnlyCell(sheet) if streamed else Cell(sheet)
    value = neutralise(value)
    cell.value = value
    if isinstance(value, str):
        cell.value = value.replace("\r\n", "\n").replace("\r", "\n")  # XML would turn CR into LF anyway
        cell.data_type = "s"  # explicit: never a formula, whatever openpyxl guesses
        cell.number_format = TEXT_FORMAT
    return cell


def _fill(book: Workbook, spec: Sheet, streamed: bool) -> None:
    sheet = book.create_sheet(spec.title[:31])
    rows = iter(spec.rows)
    sample = [list(row) for row in islice(rows, WIDTH_SAMPLE_ROWS)]
    for index, width in enumerate(_widths(spec.header, sample), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    count = 0

    def body() -> Iterator[list[object]]:
        yield from sample
        for row in rows:
            yield list(row)

    sheet.append([_cell(sheet, h, streamed) for h in spec.header])
    for row in body():
        sheet.append([_cell(sheet, v, streamed) for v in row])
        count += 1
    last_column = get_column_letter(max(1, len(spec.header)))
    sheet.auto_filter.ref = f"A1:{last_column}{count + 1}"


def xlsx_bytes(sheets: Sequence[Sheet], *, stamp: datetime | None = None) -> bytes:
    """The workbook's bytes; ``stamp`` is written as its creation time (the same stamp and the
    same rows give the same bytes)."""
    streamed = not any(s.holds_id_numbers for s in sheets)
    book = Workbook(write_only=streamed)
    if not streamed:
        book.remove(book.active)
    for spec in sheets:
        _fill(book, spec, streamed)
    fixed = (stamp or datetime.now(UTC)).replace(tzinfo=None, microsecond=0)
    book.properties.created = fixed
    raw = io.BytesIO()
    book.save(raw)
    return _fixed_archive(raw.getvalue(), fixed)


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _fixed_archive(data: bytes, stamp: datetime) -> bytes:
    """The same archive with sorted entries, a fixed timestamp on each, and ``stamp`` as the
    document's modification time (openpyxl writes the current time when it saves)."""
    out = io.BytesIO()
    modified = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in sorted(source.infolist(), key=lambda i: i.filename):
            content = source.read(info)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(rb"\g<1>" + modified + rb"\g<2>", content)
            target.writestr(zipfile.ZipInfo(info.filename, date_time=ZIP_TIMESTAMP), content,
                            compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def table_bytes(fmt: str, title: str, header: Sequence[str], rows: Iterable[Sequence[object]], *,
                holds_id_numbers: bool = False, stamp: datetime | None = None) -> bytes:
    """One table as ``csv`` or ``xlsx`` (the formats every export offers)."""
    if fmt == "csv":
        return csv_bytes(header, rows)
    if fmt == "xlsx":
        return xlsx_bytes([Sheet(title, header, rows, holds_id_numbers)], stamp=stamp)
    raise ValueError(fmt)


def mime_type(fmt: str) -> str:
    return XLSX_MIME if fmt == "xlsx" else CSV_MIME
