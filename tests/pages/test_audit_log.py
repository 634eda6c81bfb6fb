from __future__ import annotations

from core.domain.enums import Role
from core.services import audit
from tests import factories as f


def _seeded(db, events=3):
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
        a = f.make_school(session, "10486", "武汉大学")
        b = f.make_school(session, "10487", "华中科技大学")
        record = f.make_record(session, a, 1, name="丁白云")
        support = f.actor_of(f.make_staff(session, Role.SUPPORT, "zhao"))
        for n in range(events):
            audit.record(session, support, "ticket.note", "support_ticket", n, school_id=a.id,
                         roster_record_id=record.id)
        audit.record(session, f.SYSTEM, "batch.export", "upload_batch", 1, school_id=b.id)
        f.keep(session, record)
    return admin, a, b, record


def test_admin_filters_the_log_by_student_school_and_action(db, app_for):
    admin, _a, b, record = _seeded(db)
    at = app_for(admin.id, page="audit_log.py").run()
    assert not at.exception
    total = at.dataframe[0].value.shape[0]
    assert total >= 6
    at.text_input(key="audit_student").input(record.student_number)
    at.run()
    frame = at.dataframe[0].value
    assert list(frame["操作"]) == ["工单备注"] * 3 and set(frame["学校"]) == {"武汉大学"}
    assert set(frame["事件"]) == {f"客服 Zhao 在 丁白云（学号 {record.student_number}）的工单 中添加了备注"}
    at.text_input(key="audit_student").input("")
    at.selectbox(key="audit_school").set_value(b.id)
    at.run()
    assert set(at.dataframe[0].value["操作"]) == {"新建学校", "导出批次"}
    assert "系统 导出了 上报批次（编号 1）" in set(at.dataframe[0].value["事件"])
    at.selectbox(key="audit_school").set_value(None)
    at.selectbox(key="audit_action").set_value("school.")
    at.text_input(key="audit_actor").input("tests")
    at.run()
    assert list(at.dataframe[0].value["操作"]) == ["新建学校", "新建学校"]


def test_the_log_pages_fifty_at_a_time(db, app_for):
    admin, *_ = _seeded(db, events=120)
    at = app_for(admin.id, page="audit_log.py").run()
    assert at.dataframe[0].value.shape[0] == 50
    assert any("第 1/3 页" in c.value for c in at.caption)
    at.number_input(key="audit_page").set_value(3)
    at.run()
    with db.session() as session:
        total = len(audit.events_for(session))
    assert total > 100
    assert at.dataframe[0].value.shape[0] == total - 100


def test_export_is_prepared_on_request_and_audited(db, app_for):
    admin, a, *_ = _seeded(db)
    at = app_for(admin.id, page="audit_log.py").run()
    assert not at.get("download_button")
    at.selectbox(key="audit_school").set_value(a.id)
    next(b for b in at.button if b.label == "生成 CSV").click()
    at.run()
    assert not at.exception
    assert at.get("download_button")
    with db.session() as session:
        exported = audit.events_for(session, action="audit.export")
        assert [(e.detail["format"], e.detail["rows"], e.detail["filters"]["school_id"]) for e in exported] == [
            ("csv", 4, a.id)]


def test_hostile_filter_text_gets_a_clear_message_and_wildcards_match_themselves(db, app_for):
    admin, *_ = _seeded(db)
    at = app_for(admin.id, page="audit_log.py").run()
    at.text_input(key="audit_actor").input("zh%").run()
    assert not at.exception and at.dataframe[0].value.shape[0] == 0
    at.text_input(key="audit_actor").input("zh\x00ao").run()
    assert not at.exception and "操作人" in at.error[0].value


def test_failed_identity_checks_read_as_the_student_s_act_and_filter_by_student(db, app_for):
    from core.domain.access import Actor
    from core.services import student_app

    admin, a, _b, record = _seeded(db, events=1)
    with db.session() as session:
        task = f.make_task(session, a)
        account = student_app.sign_in_app(session, "小丁")
        student = Actor.student(account.id, account.nickname)
        for _ in range(5):
            student_app.check_identity(session, student, task.id, "丁白去", record.student_number, record.id_last4,
                                       temporary=True)
    at = app_for(admin.id, page="audit_log.py").run()
    at.text_input(key="audit_student").input(record.student_number)
    at.selectbox(key="audit_action").set_value("identity.")
    at.run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert list(frame["操作"]) == ["身份核验锁定"] + ["身份核验失败"] * 4 and set(frame["学校"]) == {"武汉大学"}
    assert frame["事件"].iloc[1] == f"学生 小丁 核验 丁白云（学号 {record.student_number}）的身份未通过"
    raw = " ".join(at.dataframe[1].value["原始记录"])
    assert '"mismatch_zh": "姓名不符"' in raw and '"locked": true' in raw and record.id_number not in raw
