"""Two journeys in real Chromium: a student buys on-site shooting from 其他服务 on the phone and the
registrar finds them on the on-site list; a registrar previews print sheets of approved photos,
builds the print files and downloads them."""

from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook
from sqlalchemy import select

from core.domain.enums import PaymentPurpose, PaymentStatus, Role
from core.imaging.print_sheet import PaperSize, PhotoSize
from core.models import Payment, PrintRecord, utcnow
from core.services import linking, offline_shooting, printing, wechat
from tests import factories as f
from tests.core.services import registrar_world as w
from tests.e2e.conftest import login, screenshot, settled

SLOW = 90_000
PHONE = {"width": 390, "height": 844}


def test_student_buys_on_site_shooting_and_the_registrar_sees_it(live_app, browser, page):
    def seed(session, store):
        school = f.make_school(session, "10486", "武汉大学")
        task = f.make_task(session, school)
        admin = f.actor_of(f.make_staff(session, Role.ADMIN, "admin"))
        offline_shooting.set_price(session, admin, task.id, "30")
        record = f.make_record(session, school, 1, department="计算机学院", class_name="计科2101")
        account = wechat.sign_in(session, "小丁")
        account.notice_acknowledged_at = utcnow()
        linking.link_account(session, account, task.id, record, code=None)
        f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school)

    student_app = live_app(seed, script="student/server.py", worker=False)  # paying enqueues no job
    workbench = live_app(None, script="workbench/server.py", worker=False)

    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    phone = context.new_page()
    phone.set_default_timeout(30_000)
    try:
        phone.goto(student_app.url)
        phone.get_by_label("微信昵称").wait_for(timeout=120_000)
        phone.get_by_label("微信昵称").fill("小丁")
        phone.get_by_role("button", name="微信授权登录").click()
        phone.get_by_role("button", name="其他服务与工具").click()
        phone.get_by_role("button", name="线下拍摄交费 · 仅限线下现场采集").click()
        phone.get_by_text("仅限参加学校线下现场采集的同学使用").wait_for()
        settled(phone)
        screenshot(phone, "offline_01_student_offer")
        phone.get_by_role("button", name="微信支付 ¥30.00").click()
        phone.get_by_text("已支付（订单号").wait_for(timeout=SLOW)
        settled(phone)
        screenshot(phone, "offline_02_student_paid")
    finally:
        context.close()
    with student_app.db.session() as session:
        [order] = session.scalars(select(Payment)).all()
        assert (order.purpose, order.status, order.amount_fen) == (PaymentPurpose.OFFLINE_SHOOTING,
                                                                    PaymentStatus.PAID, 3000)

    login(page, workbench.url, "reg.whu", f.PASSWORD)
    page.get_by_role("link", name="线下拍摄交费").click()
    page.get_by_role("heading", name="线下拍摄交费").first.wait_for(timeout=SLOW)
    page.get_by_text("已支付人数").wait_for(timeout=SLOW)
    page.get_by_role("button", name="导出 Excel").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="下载 Excel").click()
    rows = list(load_workbook(io.BytesIO(download.value.path().read_bytes())).active.iter_rows(values_only=True))
    assert rows[1][:3] == ("计算机学院", "计科2101", "丁白云") and rows[1][8] == "已支付"
    settled(page)
    screenshot(page, "offline_03_registrar_list")


def test_registrar_previews_builds_and_downloads_print_sheets(live_app, page, tmp_path, fixtures_dir):
    def seed(session, store):
        school = f.make_school(session, "10486", "武汉大学")
        task = f.make_task(session, school, default_address="武汉市武昌区八一路299号 武汉大学学籍科")
        admin = f.actor_of(f.make_staff(session, Role.ADMIN, "admin"))
        printing.set_options(session, admin, task.id, PhotoSize.ONE_INCH, PaperSize.FIVE_INCH, 2)
        for n, name in enumerate(("丁白云", "张三", "李四", "王五", "赵六")):
            w.approved_photo(session, store, task, f.make_record(session, school, n + 1, name=name), fixtures_dir)
        f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school)

    app = live_app(seed, worker=False)  # the print files are built by the page itself
    login(page, app.url, "reg.whu", f.PASSWORD)
    page.get_by_role("link", name="纸质照片打印").click()
    page.get_by_role("heading", name="印张预览").wait_for(timeout=SLOW)
    page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=\"stImage\"] img')].filter(i => i.complete && i.naturalWidth > 0)"
        ".length >= 2", timeout=SLOW)
    settled(page)
    screenshot(page, "print_01_preview")
    page.get_by_role("button", name="生成打印文件（PDF）").click()
    page.get_by_role("button", name="下载打印文件（ZIP）").wait_for(timeout=SLOW)
    with page.expect_download() as download:
        page.get_by_role("button", name="下载打印文件（ZIP）").click()
    saved = tmp_path / "print.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        names = archive.namelist()
        assert sorted(n.rsplit("/", 1)[1] for n in names) == ["发货清单.xlsx", "照片印张.pdf", "装箱单.xlsx"]
        pdf = archive.read(next(n for n in names if n.endswith(".pdf")))
        shipping = load_workbook(io.BytesIO(archive.read(next(n for n in names if n.endswith("发货清单.xlsx")))))
    assert pdf.count(b"/MediaBox") == 2  # 5 students × 2 copies on 9-photo sheets
    assert [r[1] for r in list(shipping.active.iter_rows(values_only=True))[1:]] == ["丁白云", "张三", "李四", "王五", "赵六"]
    assert list(app.data_dir.glob("prints/*.zip")), "written into the data folder"
    settled(page)
    page.get_by_text("没有待打印的照片。").wait_for(timeout=SLOW)
    screenshot(page, "print_02_built")
    with app.db.session() as session:
        assert len(session.scalars(select(PrintRecord)).all()) == 5
