"""Hostile cell values and the read-back checks every export test shares.

A value is "hostile" when a spreadsheet would run it as a formula (OWASP's CSV-injection list, the
full-width and small forms Chinese input methods produce, and the whitespace tricks), or when it
looks like a value Excel would rewrite (a student number with leading zeros).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from openpyxl import load_workbook

FORMULAS = (
    '=HYPERLINK("http://127.0.0.1:9/x","点我")',
    "=1+1",
    "@SUM(1+1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    "\u3000=1+1",
    "＝1+1",
    "＋1+1",
    "－2+3",
    "＠SUM(1+1)",
    "﹦1+1",
)
PLAIN = ("丁白云", "0012345678", "普通本专科", "a=b", "1-2")
"""Values that must come back exactly as they went in."""
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠", "﹦")


def shown_as(value: str) -> str:
    """What the file must hold for ``value``: a leading apostrophe before a formula-like text."""
    return "'" + value if value.lstrip(" \u3000").startswith(TRIGGERS) else value


def xlsx_cells(data: bytes) -> list[tuple[str, object, str]]:
    """(sheet, value, data_type) of every cell of every sheet, as openpyxl reads the file back."""
    book = load_workbook(io.BytesIO(data))
    return [(sheet.title, cell.value, cell.data_type)
            for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM (Excel and WPS read Chinese then)"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def assert_no_formula(values: Iterable[tuple[object, str]]) -> None:
    """No cell is a formula or could become one: no formula cells, and no text starting with a
    trigger character (after blanks)."""
    for value, data_type in values:
        assert data_type != "f", f"formula cell: {value!r}"
        if isinstance(value, str):
            assert not value.startswith(TRIGGERS), f"formula-leading text: {value!r}"
            assert not value.lstrip(" \u3000").startswith(TRIGGERS), f"formula-leading text: {value!r}"


def assert_safe_xlsx(data: bytes, expected: Iterable[str]) -> list[tuple[str, object, str]]:
    cells = xlsx_cells(data)
    assert_no_formula((v, t) for _, v, t in cells)
    texts = {v for _, v, t in cells if isinstance(v, str)}
    for value in expected:
        shown = shown_as(value).replace("\r", "\n")  # XLSX line ends are LF (XML normalises CR)
        assert shown in texts, f"{value!r} is not in the file as {shown!r}"
    assert all(t == "s" for _, v, t in cells if isinstance(v, str)), "text cells must be explicit strings"
    return cells


def assert_safe_csv(data: bytes, expected: Iterable[str]) -> list[list[str]]:
    rows = csv_rows(data)
    assert_no_formula((field, "s") for row in rows for field in row)
    fields = {field for row in rows for field in row}
    for value in expected:
        shown = shown_as(value)
        assert shown in fields, f"{value!r} is not in the file as {shown!r}"
    return rows
