"""The one export writer: formulas neutralised, text kept as text, files Excel users expect."""

from __future__ import annotations

import io
import time
from datetime import datetime

import pytest
from openpyxl import load_workbook

from core import export
from tests.core.hostile import FORMULAS, PLAIN, assert_safe_csv, assert_safe_xlsx

ROWS = [[value, n] for n, value in enumerate(FORMULAS + PLAIN)]


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_leading_text_gets_an_apostrophe_and_keeps_its_characters(value):
    assert export.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", PLAIN + ("", "学号-1", "A-1", "'quoted"))
def test_other_text_is_unchanged(value):
    assert export.neutralise(value) == value


def test_numbers_stay_numbers_and_control_characters_are_made_visible():
    assert export.neutralise(-5) == -5 and export.neutralise(2.5) == 2.5
    assert export.neutralise(None) == ""
    assert export.neutralise("a\x00b\x07c") == "a\ufffdb\ufffdc"
    assert export.neutralise("第一行\n第二行") == "第一行\n第二行"


@pytest.mark.parametrize("holds_id_numbers", [False, True], ids=["streamed", "in-memory"])
def test_xlsx_cells_are_text_never_formulas_and_the_sheet_is_ready_for_excel(holds_id_numbers):
    data = export.xlsx_bytes([export.Sheet("名单", ["姓名", "序号"], ROWS, holds_id_numbers)])
    cells = assert_safe_xlsx(data, FORMULAS + PLAIN)
    assert [v for _, v, t in cells if t == "n"] == list(range(len(ROWS)))  # numbers stay numbers
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "名单"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:B{len(ROWS) + 1}"
    widths = {c: sheet.column_dimensions[c].width for c in "AB"}
    assert widths["A"] > widths["B"] >= export.MIN_WIDTH and widths["A"] <= export.MAX_WIDTH
    assert all(sheet.cell(row, 1).number_format == "@" for row in range(2, len(ROWS) + 2))


def test_the_same_table_gives_the_same_xlsx_bytes_in_another_second():
    """openpyxl stamps the time of saving into the file; one second later it must not show."""
    stamp = datetime(2025, 6, 1, 8, 30)
    make = lambda: export.xlsx_bytes([export.Sheet("清单", ["姓名"], [[v] for v in PLAIN], True)], stamp=stamp)  # noqa: E731
    first = make()
    time.sleep(1.1)
    assert make() == first


def test_csv_is_utf8_with_bom_and_neutralised():
    data = export.csv_bytes(["姓名", "序号"], ROWS)
    rows = assert_safe_csv(data, FORMULAS + PLAIN)
    assert rows[0] == ["姓名", "序号"] and len(rows) == len(ROWS) + 1
    assert data.decode("utf-8-sig").count("\r\n") >= len(ROWS)


def test_csv_writer_streams_row_by_row():
    out = io.BytesIO()
    writer = export.CsvWriter(out, ["值"])
    for value in FORMULAS:
        writer.writerow([value])
    writer.detach()
    assert writer.rows == len(FORMULAS) and not out.closed
    assert_safe_csv(out.getvalue(), FORMULAS)


def test_unknown_format_is_a_programming_error():
    with pytest.raises(ValueError):
        export.table_bytes("pdf", "x", ["a"], [])
