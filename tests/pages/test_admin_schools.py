from __future__ import annotations

from core.domain.enums import Role
from core.models import School
from core.services import audit
from tests import factories as f


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_admin_creates_edits_and_deactivates_a_school(db, app_for):
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
    at = app_for(admin.id, page="admin_schools.py").run()
    assert not at.exception
    assert at.title[0].value == "学校"
    at.text_input(key="new_school_code").input("10486")
    at.text_input(key="new_school_name").input("武汉大学")
    at.text_input(key="new_school_contact").input("027-68754321")
    _button(at, "创建学校").click()
    at.run()
    assert not at.exception
    assert at.success[0].value == "已创建学校：武汉大学"
    with db.session() as session:
        school = session.query(School).one()
        f.keep(session, school)
        assert (school.code, school.pinyin_initials, school.registrar_contact) == ("10486", "whdx", "027-68754321")
    at.text_input(key=f"school_short_{school.id}").input("武大")
    _button(at, "保存修改").click()
    at.run()
    assert at.success[0].value == "已保存。"
    _button(at, "停用学校").click()
    at.run()
    assert not at.exception
    with db.session() as session:
        school = session.get(School, school.id)
        assert (school.short_name, school.active) == ("武大", False)
        assert [e.action for e in audit.events_for(session, entity_type="school")] == [
            "school.create", "school.update", "school.deactivate"]
    assert any(b.label == "重新启用" for b in at.button)


def test_deleting_a_school_with_students_shows_the_rule_and_keeps_it(db, app_for):
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
        school = f.make_school(session)
        f.make_record(session, school)
    at = app_for(admin.id, page="admin_schools.py").run()
    _button(at, "删除学校").click()
    at.run()
    assert "不能删除，只能停用" in at.error[0].value
    with db.session() as session:
        assert session.get(School, school.id) is not None


def test_a_duplicate_code_is_refused_on_the_page(db, app_for):
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
        f.make_school(session)
    at = app_for(admin.id, page="admin_schools.py").run()
    at.text_input(key="new_school_code").input("10486")
    at.text_input(key="new_school_name").input("另一所")
    _button(at, "创建学校").click()
    at.run()
    assert at.error[0].value == "院校代码 10486 已存在。"
