"""The on-site shooting fee page and the printed-photos page on the real workbench app."""

from __future__ import annotations

import zipfile
from pathlib import Path

from sqlalchemy import select

from core.domain.enums import PaymentStatus, Role
from core.imaging.print_sheet import PaperSize, PhotoSize
from core.models import AuditEvent, CollectionTask, Payment, PrintRecord
from core.services import offline_shooting, payments, printing
from tests import factories as f
from tests.core.services import registrar_world as w
from tests.pages.rendered import DEPARTMENT, NAME, RAW_PATTERNS, markdown_texts


def submit(at, label: str):
    """Clicks the form's submit button called ``label``."""
    [button] = [b for b in at.get("form_submit_button") if b.label == label]
    return button.click()


def offline_world(db):
    with db.session() as session:
        school = f.make_school(session)
        other = f.make_school(session, code="10487", name="华中科技大学")
        task = f.make_task(session, school)
        f.make_task(session, other, title="华科2025届采集")
        admin = f.make_staff(session, Role.ADMIN, "admin")
        offline_shooting.set_price(session, f.actor_of(admin), task.id, "30")
        paid = f.make_record(session, school, 1, name=NAME, department=DEPARTMENT, class_name="计科2101")
        unpaid = f.make_record(session, school, 2, name="张三", department="外语学院", class_name="英语2101")
        for record in (paid, unpaid):
            student = f.make_linked_student(session, task, record, paid=False)
            if record is paid:
                offline_shooting.buy(session, student.actor, student.link.id, payments.DevelopmentProvider())
        registrar = f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school)
        stranger = f.make_staff(session, Role.REGISTRAR, "reg.hust", school=other)
        support = f.make_staff(session, Role.SUPPORT, "support")
        return task.id, registrar.id, stranger.id, support.id, admin.id


def test_registrar_sees_who_paid_as_plain_text_and_exports(db, app_for):
    _, registrar, _, _, _ = offline_world(db)
    at = app_for(registrar, page="offline_shooting.py").run()
    assert not at.exception
    assert at.title[0].value == "线下拍摄交费"
    assert {m.label: m.value for m in at.metric}["已支付人数"] == "1"
    table = at.dataframe[0].value
    assert list(table.iloc[:, 2]) == [NAME] and list(table.iloc[:, 5]) == ["¥30.00"]
    assert not any(p in t for t in markdown_texts(at) for p in RAW_PATTERNS)
    assert not at.get("form"), "a registrar cannot refund"
    at.button(key="offline_xlsx_prepare").click().run()
    assert [b.proto.label for b in at.get("download_button")] == ["下载 Excel"]


def test_a_registrar_of_another_school_sees_no_task(db, app_for):
    _, _, stranger, _, _ = offline_world(db)
    at = app_for(stranger, page="offline_shooting.py").run()
    assert not at.exception
    assert "还没有开通线下拍摄服务的采集任务。" in [i.value for i in at.info]


def test_support_refunds_with_a_reason(db, app_for):
    task_id, _, _, support, _ = offline_world(db)
    at = app_for(support, page="offline_shooting.py").run()
    submit(at, "确认退款").run()
    assert any("原因" in e.value for e in at.error)
    at.text_area(key="offline_refund_reason").input("学生改为线上采集")
    submit(at, "确认退款").run()
    assert not at.exception
    with db.session() as session:
        assert session.scalars(select(Payment.status).where(Payment.task_id == task_id,
                                                            Payment.amount_fen == 3000)).one() is PaymentStatus.REFUNDED
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "payment.refund"))


def test_admin_sets_the_price_in_yuan(db, app_for):
    _task_id, _, _, _, admin = offline_world(db)
    at = app_for(admin, page="offline_shooting.py").run()
    at.selectbox(key="offline_price_task").select_index(0).run()
    chosen = at.selectbox(key="offline_price_task").value
    at.text_input(key=f"offline_price_{chosen.task_id}").input("45.5")
    submit(at, "保存价格").run()
    assert not at.exception
    with db.session() as session:
        assert session.get(CollectionTask, chosen.task_id).offline_price_fen == 4550


def print_world(db, store, fixtures_dir):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school, default_address="武汉市珞珈山路1号 学籍科")
        admin = f.make_staff(session, Role.ADMIN, "admin")
        printing.set_options(session, f.actor_of(admin), task.id, PhotoSize.ONE_INCH, PaperSize.FIVE_INCH, 2)
        for n, name in enumerate(("丁白云", "张三", "李四")):
            w.approved_photo(session, store, task, f.make_record(session, school, n + 1, name=name), fixtures_dir)
        registrar = f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school)
        return task.id, registrar.id, admin.id


def test_registrar_previews_then_builds_the_print_files_in_the_data_folder(env, app_for, fixtures_dir):
    db, store = env
    task_id, registrar, _ = print_world(db, store, fixtures_dir)
    at = app_for(registrar, page="print_sheets.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["待打印学生"], metrics["印张"], metrics["邮寄目的地"]) == ("3", "1", "1")
    assert len(at.get("image")) == 1
    at.button(key="print_build_pdf").click().run()
    assert not at.exception
    [download] = at.get("download_button")
    assert download.proto.label == "下载打印文件（ZIP）"
    prints = store.root.parent / "data" / "prints"
    [package] = list(prints.glob("*.zip"))
    with zipfile.ZipFile(package) as archive:
        assert sum(n.endswith("照片印张.pdf") for n in archive.namelist()) == 1
    assert {m.label: m.value for m in at.metric}["已打印"] == "3"
    with db.session() as session:
        assert len(session.scalars(select(PrintRecord).where(PrintRecord.task_id == task_id)).all()) == 3

    submit(at, "生成重印文件").run()
    assert "请选择要重印的学生。" in [e.value for e in at.error]
    at.multiselect(key="print_reprint_students").set_value(_printed(db, registrar, task_id)[:1])
    at.text_area(key="print_reprint_reason").input("照片邮寄丢失")
    submit(at, "生成重印文件").run()
    assert not at.exception
    assert len(list(prints.glob("*.zip"))) == 2
    with db.session() as session:
        reasons = session.scalars(select(PrintRecord.reprint_reason).where(PrintRecord.reprint_reason.is_not(None)))
        assert list(reasons) == ["照片邮寄丢失"]


def _printed(db, registrar_id, task_id):
    from core.models import StaffUser
    from core.services import staff

    with db.session() as session:
        actor = staff.actor_for(session.get(StaffUser, registrar_id))
        return list(printing.plan(session, actor, task_id).printed)


def test_admin_turns_printed_photos_off_for_a_task(env, app_for, fixtures_dir):
    db, store = env
    _task_id, _, admin = print_world(db, store, fixtures_dir)
    at = app_for(admin, page="print_sheets.py").run()
    assert not at.exception
    at.selectbox(key="print_option_size").select_index(0)
    submit(at, "保存").run()
    assert not at.exception
    assert "该采集任务的服务不含纸质照片。" in [i.value for i in at.info]
    assert Path(store.root).exists()


def test_both_pages_speak_english_too(env, app_for, fixtures_dir):
    db, store = env
    _, registrar, _ = print_world(db, store, fixtures_dir)
    at = app_for(registrar, page="print_sheets.py", lang="en").run()
    assert not at.exception
    assert at.title[0].value == "Printed photos" and "Students to print" in [m.label for m in at.metric]
    at = app_for(registrar, page="offline_shooting.py", lang="en").run()
    assert not at.exception
    assert at.title[0].value == "On-site shooting fees"
