"""The registrar's roster pages on the real app: import with mapping and validation, enrolment
photos, the roster view, and the school boundary."""

from __future__ import annotations

import csv
import io
import zipfile

from sqlalchemy import select

from core.domain.enums import Role
from core.models import RosterRecord
from tests import factories as f


def gbk(rows: list[list[str]], header: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("gbk")


def setup(db):
    with db.session() as session:
        a = f.make_school(session, "10486", "武汉大学")
        b = f.make_school(session, "10487", "华中科技大学")
        f.make_task(session, a)
        f.make_record(session, b, 77, name="外校学生")
        registrar = f.make_staff(session, Role.REGISTRAR, "reg.whu", school=a)
        return a.id, b.id, registrar.id


def test_import_with_column_mapping_preview_and_validation(db, app_for):
    school_id, _, registrar = setup(db)
    header = ["学生", "学籍号", "公民身份号码", "培养层次", "毕业年份"]
    good = [["丁白云", "0021100001", f.id_number(1), "普通本专科", "2025届"],
            ["张三", "0021100002", f.id_number(2), "普通本专科", "2025届"]]
    at = app_for(registrar, page="roster_import.py").run()
    assert not at.exception
    at.file_uploader(key="roster_file").set_value(("名单.csv", gbk(good, header), "text/csv")).run()
    [problems] = at.dataframe  # no preview while required columns are unmapped: only the report
    assert all("缺少" in message for message in problems.value.iloc[:, 3])
    assert at.button(key="do_import").disabled
    for field, column in (("name", "学生"), ("student_number", "学籍号"), ("id_number", "公民身份号码"),
                          ("category", "培养层次"), ("cohort", "毕业年份")):
        at.selectbox(key=f"map_{field}").set_value(column)
    at.run()
    assert not at.exception
    preview = at.dataframe[0].value
    assert list(preview.iloc[:, 1]) == ["0021100001", "0021100002"]
    assert all(value.startswith("**************") for value in preview.iloc[:, 2])
    assert any("全部 2 行校验通过" in s.value for s in at.success)
    at.button(key="do_import").click().run()
    assert any("新增 2 人" in s.value for s in at.success)
    with db.session() as session:
        numbers = session.scalars(select(RosterRecord.student_number).where(RosterRecord.school_id == school_id)).all()
    assert sorted(numbers) == ["0021100001", "0021100002"]


def test_invalid_rows_are_listed_with_a_downloadable_report_and_block_the_import(db, app_for):
    school_id, _, registrar = setup(db)
    bad_id = f.id_number(2)[:17] + ("0" if f.id_number(2)[17] != "0" else "1")
    rows = [["丁白云", "2110000001", f.id_number(1), "普通本专科", "2025届"],
            ["张三", "2110000002", bad_id, "普通本专科", "2025届"]]
    at = app_for(registrar, page="roster_import.py").run()
    at.file_uploader(key="roster_file").set_value(
        ("名单.csv", gbk(rows, ["姓名", "学号", "身份证号", "学历类别", "届别"]), "text/csv")).run()
    assert not at.exception
    assert any("1 行有问题" in w.value for w in at.warning)
    assert at.get("download_button")  # the validation report
    assert at.button(key="do_import").disabled
    at.checkbox(key="import_valid_rows").check().run()
    at.button(key="do_import").click().run()
    with db.session() as session:
        assert session.scalars(select(RosterRecord.student_number).where(RosterRecord.school_id == school_id)).all() == [
            "2110000001"]


def test_enrolment_zip_with_path_traversal_is_refused_on_the_page(db, app_for, fixtures_dir):
    _, _, registrar = setup(db)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../x.jpg", (fixtures_dir / "london" / "001_neutral.jpg").read_bytes())
    at = app_for(registrar, page="enrolment_photos.py").run()
    assert not at.exception
    at.file_uploader(key="enrolment_zip").set_value(("photos.zip", archive.getvalue(), "application/zip")).run()
    at.button(key="do_enrolment_import").click().run()
    assert any("指向压缩包之外" in e.value for e in at.error)


def test_roster_view_shows_only_own_school_and_who_lacks_an_enrolment_photo(db, app_for):
    school_id, _, registrar = setup(db)
    with db.session() as session:
        from core.models import School
        a = session.get(School, school_id)
        f.make_record(session, a, 1, name="有照片", enrolment_photo_sha="a" * 64, enrolment_embedding=b"\0" * 1024)
        f.make_record(session, a, 2, name="无照片")
    at = app_for(registrar, page="roster.py").run()
    assert not at.exception
    assert not at.selectbox  # a registrar is not offered any other school
    names = list(at.dataframe[0].value.iloc[:, 0])
    assert sorted(names) == ["无照片", "有照片"]
    assert "外校学生" not in names
    at.checkbox(key="roster_missing_photo").check().run()
    assert list(at.dataframe[0].value.iloc[:, 0]) == ["无照片"]
    assert list(at.dataframe[0].value.iloc[:, 7]) == ["未上传"]
