"""The registrar's day in a real browser: import a roster, open the dashboard, export the chase
list, build a CHSI batch and download it."""

from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import load_workbook
from sqlalchemy import select

from core import worker
from core.domain.access import Actor
from core.domain.enums import Role
from core.models import AccountLink, RosterRecord, School, StaffUser
from tests import factories as f
from tests.core.services import registrar_world as w
from tests.e2e.conftest import login, screenshot


SLOW = 90_000  # ms: a shared CI machine can be very busy; the journey asserts what appears, not how fast


def open_page(page, link: str, heading: str | None = None) -> None:
    page.get_by_role("link", name=link).click()
    page.get_by_role("heading", name=heading or link).first.wait_for(timeout=SLOW)


def test_registrar_imports_watches_chases_and_ships_a_batch(live_app, page, tmp_path, fixtures_dir):
    def seed(session, store):
        school = f.make_school(session, "10486", "武汉大学")
        other = f.make_school(session, "10487", "华中科技大学")
        task = f.make_task(session, school)
        f.make_record(session, other, 90, name="外校学生")
        for i, name in enumerate(["丁白云", "张三"]):
            w.linked_with_code(session, task, f.make_record(session, school, i, name=name, department="计算机学院",
                                                             class_name="1班"))
        f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school)
        f.make_staff(session, Role.REVIEWER, "li.reviewer")

    app = live_app(seed, worker=False)  # a roster import enqueues no job; the photos are processed below
    worker.configure(app.db, app.store, immediate=True)  # the photos are approved through the real pipeline
    try:
        with app.db.session() as session:
            reviewer = f.actor_of(session.scalar(select(StaffUser).where(StaffUser.username == "li.reviewer")))
            students = [(s.account_id, s.id) for s in session.scalars(select(AccountLink))]
        for (account_id, link_id), photo in zip(students, ("001_neutral.jpg", "003_neutral.jpg"), strict=True):
            w.approved_through_pipeline(app.db, app.store, reviewer, Actor.student(account_id, "同学"), link_id,
                                        fixtures_dir / "london" / photo)
    finally:
        worker.configure(None, None)

    login(page, app.url, "reg.whu", f.PASSWORD)

    roster_file = io.StringIO()
    writer = csv.writer(roster_file)
    writer.writerow(["姓名", "学号", "身份证号", "学历类别", "届别", "院系", "班级"])
    writer.writerows([["李四", "0021100003", f.id_number(3), "普通本专科", "2025届", "外语学院", "英语1班"],
                      ["王五", "0021100004", f.id_number(4), "普通本专科", "2025届", "外语学院", "英语1班"]])
    path = tmp_path / "名单.csv"
    path.write_bytes(roster_file.getvalue().encode("gbk"))
    open_page(page, "导入名单", "导入学籍名单")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_text("全部 2 行校验通过").wait_for(timeout=SLOW)
    page.get_by_role("button", name="导入", exact=True).click()
    page.get_by_text("导入完成：新增 2 人").wait_for(timeout=SLOW)
    screenshot(page, "registrar_roster_import")
    with app.db.session() as session:
        school_id = session.scalar(select(School.id).where(School.code == "10486"))
        numbers = session.scalars(select(RosterRecord.student_number).where(RosterRecord.school_id == school_id)).all()
    assert {"0021100003", "0021100004"} <= set(numbers)

    open_page(page, "采集进度")
    page.locator(".js-plotly-plot").first.wait_for(timeout=SLOW)
    page.get_by_text("驳回原因").wait_for(timeout=SLOW)
    screenshot(page, "registrar_progress")

    open_page(page, "催办名单")
    page.get_by_text("共 2 人需要催办").wait_for(timeout=SLOW)
    page.get_by_role("button", name="导出 Excel").click()  # makes the file (and audits the export)
    with page.expect_download() as download:
        page.get_by_role("button", name="下载 Excel").click()
    saved = tmp_path / "chase.xlsx"
    download.value.save_as(saved)
    rows = list(load_workbook(saved).active.iter_rows(values_only=True))
    assert {r[0] for r in rows[1:]} == {"李四", "王五"} and all(r[6] == "未关联任务" for r in rows[1:])
    screenshot(page, "registrar_chase_list")

    open_page(page, "上网批次", "上网批次")
    page.get_by_text("可打包 2 张").wait_for(timeout=SLOW)
    page.get_by_role("button", name="生成上网批次").click()
    page.get_by_text("批次导出后不可再修改").wait_for(timeout=SLOW)
    page.get_by_role("button", name="导出上传包").click()
    page.get_by_role("button", name="再次导出（与首次完全一致）").wait_for(timeout=SLOW)
    with page.expect_download() as download:
        page.get_by_role("button", name="下载上传包").click()
    package = tmp_path / "batch.zip"
    download.value.save_as(package)
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        assert sorted(n for n in names if n.endswith(".jpg")) == sorted(f"{f.id_number(i)}.jpg" for i in range(2))
        manifests = [n for n in names if not n.endswith(".jpg")]
        assert len(manifests) == 1 and manifests[0].endswith("-清单.csv"), "the manifest travels inside"
    page.get_by_text("压缩包校验值").wait_for(timeout=SLOW)
    screenshot(page, "registrar_batch")
