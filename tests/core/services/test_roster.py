"""Roster import on real files: a GBK CSV with Chinese headers, XLSX with text and numeric cells."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from core.domain.enums import EducationCategory, Role
from core.errors import AccessDenied, InvalidInput
from core.models import AuditEvent, RosterRecord
from core.services import roster
from tests import factories as f

ID1, ID2, ID3 = f.id_number(1), f.id_number(2), f.id_number(3)


def bad_check_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


@pytest.fixture
def school_and_registrar(db):
    with db.session() as session:
        school = f.make_school(session)
        other = f.make_school(session, "10487", "华中科技大学")
        registrar = f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school)
        return school.id, other.id, f.actor_of(registrar)


def gbk_csv(tmp_path: Path, rows: list[list[str]], header: list[str] | None = None) -> bytes:
    path = tmp_path / "名单.csv"
    with path.open("w", encoding="gbk", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header or ["姓名", "学号", "身份证号", "学历类别", "届别", "院系", "班级"])
        writer.writerows(rows)
    return path.read_bytes()


def test_gbk_csv_with_chinese_headers_imports_and_trims_full_width(db, tmp_path, school_and_registrar):
    school_id, _, actor = school_and_registrar
    data = gbk_csv(tmp_path, [
        ["丁白云", "００２１１００００１", f" {ID1} ", "普通本专科", "2025届", "计算机学院", "计科2101"],
        ["\u3000欧阳娜娜 ", "0021100002", ID2.lower(), "研究生", "2025届", "", ""],
    ])
    assert data.decode("gbk")  # really GBK, not UTF-8
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    with db.session() as session:
        report = roster.import_roster(session, actor, school_id, data, "名单.csv")
    assert report.imported and report.created == 2 and not report.errors
    with db.session() as session:
        records = {r.student_number: r for r in session.scalars(select(RosterRecord))}
        f.keep(session, *records.values())
    assert set(records) == {"0021100001", "0021100002"}
    first, second = records["0021100001"], records["0021100002"]
    assert (first.name, first.id_number, first.department, first.class_name) == ("丁白云", ID1, "计算机学院", "计科2101")
    assert second.name == "欧阳娜娜" and second.category is EducationCategory.GRADUATE
    assert second.id_number == ID2.upper() and second.id_last4 == ID2[-4:]


def write_xlsx(tmp_path: Path, rows: list[list[object]], formats: dict[str, str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "学号", "证件号码", "学历类别", "届别"])
    for row in rows:
        sheet.append(row)
    for cell, number_format in (formats or {}).items():
        sheet[cell].number_format = number_format
    path = tmp_path / "roster.xlsx"
    book.save(path)
    return path.read_bytes()


def test_xlsx_keeps_leading_zeros_and_18_digit_ids_as_text_and_as_numbers(db, tmp_path, school_and_registrar):
    school_id, _, actor = school_and_registrar
    data = write_xlsx(tmp_path, [
        ["丁白云", "0012345678", ID1, "普通本专科", "2025届"],  # cells stored as text
        ["张三", 12345679, ID2, "本科", 2025],  # student number a number shown as 0000000000
    ], formats={"B3": "0000000000"})
    with db.session() as session:
        report = roster.import_roster(session, actor, school_id, data, "roster.xlsx")
    assert report.imported and not report.errors
    with db.session() as session:
        numbers = dict(session.execute(select(RosterRecord.student_number, RosterRecord.id_number)).all())
    assert numbers == {"0012345678": ID1, "0012345679": ID2}


def test_xlsx_id_number_turned_into_a_number_is_refused_with_the_reason(db, tmp_path, school_and_registrar):
    school_id, _, actor = school_and_registrar
    data = write_xlsx(tmp_path, [["丁白云", "0012345678", int(ID1), "普通本专科", "2025届"]])
    with db.session() as session:
        report = roster.import_roster(session, actor, school_id, data, "roster.xlsx")
        assert not report.imported
        assert session.scalar(select(RosterRecord.id)) is None
    [error] = report.errors
    assert error.row == 2 and error.field == "id_number"
    assert "被 Excel 转成了数字" in error.message_zh


def test_validation_report_lists_every_problem_row_by_row_and_imports_nothing(db, tmp_path, school_and_registrar):
    school_id, _, actor = school_and_registrar
    data = gbk_csv(tmp_path, [
        ["丁白云", "2110000001", ID1, "普通本专科", "2025届", "", ""],
        ["", "2110000002", ID2, "普通本专科", "2025届", "", ""],  # missing name
        ["李四", "2110000001", ID3, "普通本专科", "2025届", "", ""],  # duplicate student number
        ["王五", "2110000004", bad_check_digit(ID3), "普通本专科", "2025届", "", ""],  # check digit
        ["赵六", "2110000005", f.id_number(5), "博士后", "2025届", "", ""],  # unknown category
    ])
    with db.session() as session:
        report = roster.import_roster(session, actor, school_id, data, "名单.csv")
        assert not report.imported
        assert session.scalar(select(RosterRecord.id)) is None
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "name"), (4, "student_number"), (5, "id_number"), (6, "category")]
    assert report.parsed.invalid_rows == 4
    assert "与第 2 行重复" in report.errors[1].message_zh
    assert "校验位" in report.errors[2].message_zh
    assert ID3[:14] not in report.errors[2].message_zh  # only the last 4 of an ID is ever shown
    downloaded = list(csv.reader(io.StringIO(roster.validation_report_csv(report.parsed).decode("utf-8-sig"))))
    assert downloaded[0] == ["行号", "字段", "值", "问题"]
    assert [row[0] for row in downloaded[1:]] == ["3", "4", "5", "6"]
    assert downloaded[4][1] == "学历类别" and downloaded[4][2] == "博士后"

    with db.session() as session:
        partial = roster.import_roster(session, actor, school_id, data, "名单.csv", import_valid_rows=True)
    assert partial.imported and partial.created == 1


def test_column_mapping_when_headers_differ_and_preview_masks_ids(db, tmp_path, school_and_registrar):
    school_id, _, actor = school_and_registrar
    data = gbk_csv(tmp_path, [["丁白云", "2110000001", ID1, "普通本专科", "2025届", "外语学院", "英语1班"]],
                   header=["学生", "学籍号", "公民身份号码", "培养层次", "毕业年份", "所在学院", "行政班"])
    guessed = roster.parse_roster(data, "名单.csv")
    assert guessed.errors and all(e.row == 1 for e in guessed.errors)
    mapping = {"name": "学生", "student_number": "学籍号", "id_number": "公民身份号码", "category": "培养层次",
               "cohort": "毕业年份", "department": "所在学院", "class_name": "行政班"}
    parsed = roster.parse_roster(data, "名单.csv", mapping)
    assert not parsed.errors
    assert parsed.preview.fields[:3] == ["name", "student_number", "id_number"]
    assert parsed.preview.rows[0][2] == "*" * 14 + ID1[-4:]
    with pytest.raises(InvalidInput):
        roster.parse_roster(data, "名单.csv", {**mapping, "salary": "学生"})
    with db.session() as session:
        report = roster.import_roster(session, actor, school_id, data, "名单.csv", mapping=mapping)
    assert report.created == 1


def test_reimport_updates_by_student_number_and_reports_changes(db, tmp_path, school_and_registrar):
    school_id, _, actor = school_and_registrar
    first = gbk_csv(tmp_path, [["丁白云", "2110000001", ID1, "普通本专科", "2025届", "计算机学院", "1班"],
                               ["李四", "2110000002", ID2, "普通本专科", "2025届", "计算机学院", "1班"]])
    with db.session() as session:
        roster.import_roster(session, actor, school_id, first, "名单.csv")
    second = gbk_csv(tmp_path, [["丁白云", "2110000001", ID1, "普通本专科", "2025届", "计算机学院", "2班"],
                                ["李四", "2110000002", ID2, "普通本专科", "2025届", "计算机学院", "1班"],
                                ["王五", "2110000003", ID3, "普通本专科", "2025届", "", ""]])
    with db.session() as session:
        report = roster.import_roster(session, actor, school_id, second, "名单.csv")
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    [change] = report.changes
    assert (change.student_number, change.field, change.old, change.new) == ("2110000001", "class_name", "1班", "2班")
    lines = roster.change_report_csv(report).decode("utf-8-sig").splitlines()
    assert lines == ["学号,字段,原值,新值", "2110000001,班级,1班,2班"]
    with db.session() as session:
        assert session.scalar(select(RosterRecord).where(RosterRecord.student_number == "2110000001")).class_name == "2班"
        assert len(session.scalars(select(RosterRecord)).all()) == 3
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action == "roster.import")).all()
    assert len(actions) == 2


@pytest.mark.parametrize("content,name", [(b"", "a.csv"), (b"PK\x03\x04broken", "a.xlsx"), (b"x", "a.pdf")])
def test_unreadable_files_raise_a_clear_error(content, name):
    with pytest.raises(InvalidInput):
        roster.parse_roster(content, name)


def test_registrar_cannot_import_or_view_another_school(db, tmp_path, school_and_registrar):
    _school_id, other_id, actor = school_and_registrar
    data = gbk_csv(tmp_path, [["丁白云", "2110000001", ID1, "普通本专科", "2025届", "", ""]])
    with db.session() as session:
        with pytest.raises(AccessDenied):
            roster.import_roster(session, actor, other_id, data, "名单.csv")
        with pytest.raises(AccessDenied):
            roster.list_records(session, actor, other_id)
        with pytest.raises(AccessDenied):
            roster.count_without_usable_photo(session, actor, other_id)
    with db.session() as session:
        assert session.scalar(select(RosterRecord.id)) is None


def test_roster_view_lists_who_has_no_usable_enrolment_photo(db, school_and_registrar):
    school_id, _, actor = school_and_registrar
    with db.session() as session:
        from core.models import School
        school = session.get(School, school_id)
        f.make_record(session, school, 1, name="甲")
        f.make_record(session, school, 2, name="乙", enrolment_photo_sha="a" * 64, enrolment_embedding=b"\0" * 1024)
        f.make_record(session, school, 3, name="丙", enrolment_photo_sha="b" * 64, enrolment_error="未检测到人脸")
        f.make_record(session, school, 4, name="丁", enrolment_photo_sha="c" * 64)
    with db.session() as session:
        missing = roster.list_records(session, actor, school_id, without_usable_photo=True)
        assert roster.count_without_usable_photo(session, actor, school_id) == 3
        everyone = roster.list_records(session, actor, school_id)
    assert {e.name: e.enrolment_photo for e in missing} == {
        "甲": roster.EnrolmentPhotoStatus.MISSING,
        "丙": roster.EnrolmentPhotoStatus.UNUSABLE,
        "丁": roster.EnrolmentPhotoStatus.PROCESSING,
    }
    assert len(everyone) == 4 and all(len(e.id_last4) == 4 for e in everyone)
    assert not hasattr(everyone[0], "id_number")


def utf8_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "学号", "身份证号", "学历类别", "届别", "院系", "班级"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def test_odd_fields_are_row_errors_in_the_report_never_database_errors(db, school_and_registrar):
    """A 70-character name, a 40-digit student number, a NUL byte, a control character and a
    bidi override were unhandled database errors on PostgreSQL (issue 13, finding 4)."""
    school_id, _, actor = school_and_registrar
    data = utf8_csv([
        ["丁白云", "2110000001", ID1, "普通本专科", "2025届", "计算机学院", "1班"],
        ["张" * 70, "2110000002", ID2, "普通本专科", "2025届", "", ""],
        ["李四", "1" * 40, ID3, "普通本专科", "2025届", "", ""],
        ["王\x00五", "2110000004", f.id_number(4), "普通本专科", "2025届", "", ""],
        ["赵六", "2110000005", f.id_number(5), "普通本专科", "2025届", "计算机\x07学院", ""],
        ["钱七", "2110000006", f.id_number(6), "普通本专科", "2025届", "", "\u202e班1"],
        ["孙八", "2110000007", f.id_number(7), "普通本专科", "2025届" + "届" * 40, "", ""],
    ])
    with db.session() as session:
        report = roster.import_roster(session, actor, school_id, data, "名单.csv")
        assert not report.imported and session.scalar(select(RosterRecord.id)) is None
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "name"), (4, "student_number"), (5, "name"), (6, "department"), (7, "class_name"), (8, "cohort")]
    assert "最多 64 个字符（现为 70 个）" in report.errors[0].message_zh and report.errors[0].message_zh.startswith("第 3 行")
    assert "最多 32 个字符（现为 40 个）" in report.errors[1].message_zh
    assert "U+0000" in report.errors[2].message_zh and report.errors[2].value == "王<U+0000>五"
    assert "U+202E" in report.errors[4].message_zh
    lines = roster.validation_report_csv(report.parsed).decode("utf-8-sig")
    assert "\x00" not in lines and "王<U+0000>五" in lines

    with db.session() as session:
        partial = roster.import_roster(session, actor, school_id, data, "名单.csv", import_valid_rows=True)
    assert partial.imported and partial.created == 1 and partial.parsed.invalid_rows == 6
    with db.session() as session:
        assert session.scalars(select(RosterRecord.student_number)).all() == ["2110000001"]


def test_imports_in_chunks_binding_a_bounded_number_of_parameters(db, school_and_registrar):
    """Every lookup binds at most ``CHUNK_ROWS`` student numbers, whatever the file's size; the
    progress callback sees the counts grow to the total."""
    from sqlalchemy import event

    school_id, _, actor = school_and_registrar
    rows = [[f"学生{n}", f"{2200000000 + n}", f.id_number(n), "普通本专科", "2025届", "", ""]
            for n in range(2 * roster.CHUNK_ROWS + 300)]
    data = utf8_csv(rows)
    bound: list[tuple[str, int]] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        per_statement = len(parameters[0]) if executemany and parameters else len(parameters or ())
        bound.append((statement.split()[0].upper(), per_statement))

    event.listen(db.engine, "before_cursor_execute", count)
    seen: list[tuple[int, int]] = []
    try:
        with db.session() as session:
            report = roster.import_roster(session, actor, school_id, data, "名单.csv",
                                          progress=lambda done, total: seen.append((done, total)))
        with db.session() as session:
            again = roster.import_roster(session, actor, school_id, data, "名单.csv")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert report.created == len(rows) and again.unchanged == len(rows)
    selects = [n for kind, n in bound if kind == "SELECT"]
    assert len(selects) >= 3 and max(selects) <= roster.CHUNK_ROWS + 5  # the re-import looks up 3 chunks
    assert max(n for _, n in bound) < 32_766  # SQLite's limit; PostgreSQL's is 65 535
    assert [done for done, _ in seen] == sorted(done for done, _ in seen) and seen[-1] == (len(rows), len(rows))


LARGE_ROWS = 66_000
"""Above PostgreSQL's 65 535 bound parameters (and SQLite's 32 766): the old single lookup failed."""


def test_a_roster_larger_than_any_parameter_limit_imports(db, school_and_registrar):
    """Slow on purpose (about 10 s a database): the finding was a file of this size failing with
    "number of parameters must be between 0 and 65535"; smaller files never showed it."""
    from core.domain.identity import id_check_digit

    school_id, _, actor = school_and_registrar
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "学号", "身份证号", "学历类别", "届别"])
    for n in range(LARGE_ROWS):
        first17 = f"42010620{n % 7 + 1:02d}0{n % 9 + 1}{n % 28 + 1:02d}{n % 1000:03d}"
        writer.writerow([f"学生{n}", f"{3100000000 + n}", first17 + id_check_digit(first17), "普通本专科", "2025届"])
    data = out.getvalue().encode("utf-8")
    with db.session() as session:
        report = roster.import_roster(session, actor, school_id, data, "名单.csv")
    assert report.imported and report.created == LARGE_ROWS, report.errors[:3]
    with db.session() as session:
        from sqlalchemy import func

        assert session.scalar(select(func.count(RosterRecord.id)).where(RosterRecord.school_id == school_id)) == LARGE_ROWS


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_import_template_has_every_column_and_an_example_that_imports(db, school_and_registrar, fmt):
    school_id, _, actor = school_and_registrar
    template = roster.import_template(fmt)
    parsed = roster.parse_roster(template, f"模板.{fmt}")
    assert parsed.headers == [roster.FIELD_LABELS_ZH[f] for f in roster.FIELDS]
    assert set(parsed.mapping) == set(roster.FIELDS)  # every header is recognised as it is
    assert (parsed.total_rows, parsed.valid_rows, parsed.errors) == (1, 1, [])
    with db.session() as session:
        report = roster.import_roster(session, actor, school_id, template, f"模板.{fmt}")
    assert report.imported and report.created == 1


def test_a_missing_column_is_reported_once_and_every_row_is_still_checked(tmp_path):
    data = gbk_csv(tmp_path, [["丁白云", "2110000001", "普通本专科", "2025届"],
                              ["", "2110000002", "研究僧", "2025届"]],
                   header=["姓名", "学号", "学历类别", "届别"])
    parsed = roster.parse_roster(data, "名单.csv")
    assert [(e.row, e.field) for e in parsed.errors if e.row == 1] == [(1, "id_number")]
    row_problems = sorted((e.row, e.field) for e in parsed.errors if e.row > 1)
    assert row_problems == [(3, "category"), (3, "name")]
    assert parsed.total_rows == 2 and len(parsed.preview.rows) == 2  # not "共 2 行，以下为前 0 行"
    assert parsed.header_problem and parsed.valid_rows == 0
