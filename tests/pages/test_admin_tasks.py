from __future__ import annotations

from datetime import timedelta

from core.domain.enums import EducationCategory, Role, TaskStatus
from core.models import CollectionTask, utcnow
from core.services import audit
from tests import factories as f


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _paid_task(db, paid=2):
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
        school = f.make_school(session)
        task = f.make_task(session, school)
        for seed in range(paid):
            f.make_linked_student(session, task, f.make_record(session, school, seed), paid=True)
    return admin, task


def test_admin_creates_a_task_for_a_school(db, app_for):
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
        school = f.make_school(session)
    at = app_for(admin.id, page="admin_tasks.py").run()
    assert not at.exception
    today = utcnow().date()
    at.selectbox(key="new_task_category").set_value(EducationCategory.GRADUATE)
    at.text_input(key="new_task_cohort").input("2026届")
    at.text_input(key="new_task_title").input("2026届研究生学历图像采集")
    at.number_input(key="new_task_price").set_value(30.0)
    at.date_input(key="new_task_closes").set_value(today + timedelta(days=60))
    at.checkbox(key="new_task_front").uncheck()
    at.radio(key="new_task_status").set_value(TaskStatus.OPEN)
    _button(at, "创建任务").click()
    at.run()
    assert not at.exception
    assert at.success[0].value == "已创建采集任务：2026届研究生学历图像采集"
    with db.session() as session:
        task = session.query(CollectionTask).one()
        assert (task.school_id, task.category, task.cohort, task.price_fen, task.front_camera_allowed,
                task.status, task.closes_on) == (school.id, EducationCategory.GRADUATE, "2026届", 3000, False,
                                                 TaskStatus.OPEN, today + timedelta(days=60))


def test_shortening_a_window_with_paid_students_asks_for_a_confirmation_naming_them(db, app_for):
    admin, task = _paid_task(db, paid=2)
    at = app_for(admin.id, page="admin_tasks.py").run()
    shorter = task.closes_on - timedelta(days=10)
    at.date_input(key=f"task_{task.id}_closes").set_value(shorter)
    _button(at, "保存修改").click()
    at.run()
    assert "将影响 2 名已付费学生" in at.error[0].value
    with db.session() as session:
        assert session.get(CollectionTask, task.id).closes_on == task.closes_on
    _button(at, "确认修改（影响 2 人）").click()
    at.run()
    assert not at.exception
    assert at.success[0].value == "已保存。"
    with db.session() as session:
        assert session.get(CollectionTask, task.id).closes_on == shorter
        assert audit.events_for(session, action="task.update")[0].detail["paid_students_affected"] == 2


def test_cancelling_the_confirmation_changes_nothing(db, app_for):
    admin, task = _paid_task(db, paid=1)
    at = app_for(admin.id, page="admin_tasks.py").run()
    at.number_input(key=f"task_{task.id}_price").set_value(10.0)
    _button(at, "保存修改").click()
    at.run()
    _button(at, "取消").click()
    at.run()
    assert not [b for b in at.button if b.label.startswith("确认修改")]
    with db.session() as session:
        assert session.get(CollectionTask, task.id).price_fen == 2500
        assert audit.events_for(session, action="task.update") == []


def test_pause_and_reopen_a_task(db, app_for):
    admin, task = _paid_task(db, paid=0)
    at = app_for(admin.id, page="admin_tasks.py").run()
    _button(at, "暂停").click()
    at.run()
    with db.session() as session:
        assert session.get(CollectionTask, task.id).status is TaskStatus.PAUSED
    _button(at, "开放").click()
    at.run()
    with db.session() as session:
        assert session.get(CollectionTask, task.id).status is TaskStatus.OPEN
