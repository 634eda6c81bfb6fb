from __future__ import annotations

from core.domain.enums import Role
from core.models import StaffUser
from core.services import staff
from tests import factories as f


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_admin_creates_a_registrar_with_a_generated_password_shown_once(db, app_for):
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
        school = f.make_school(session)
    at = app_for(admin.id, page="admin_staff.py").run()
    assert not at.exception
    at.text_input(key="new_staff_username").input("reg.whu")
    at.text_input(key="new_staff_name").input("武大学籍科")
    at.selectbox(key="new_staff_role").set_value(Role.REGISTRAR)
    at.selectbox(key="new_staff_school").set_value(school.id)
    _button(at, "创建账号").click()
    at.run()
    assert not at.exception
    assert at.success[0].value == "已创建账号：reg.whu"
    temporary = at.code[0].value
    with db.session() as session:
        user = session.query(StaffUser).filter_by(username="reg.whu").one()
        assert (user.role, user.school_id, user.must_change_password) == (Role.REGISTRAR, school.id, True)
        assert staff.authenticate(session, "reg.whu", temporary).user is not None
    at.run()
    assert not at.code, "the temporary password is shown only once"


def test_a_registrar_without_school_is_refused_on_the_page(db, app_for):
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
    at = app_for(admin.id, page="admin_staff.py").run()
    at.text_input(key="new_staff_username").input("reg")
    at.text_input(key="new_staff_name").input("学籍")
    at.selectbox(key="new_staff_role").set_value(Role.REGISTRAR)
    _button(at, "创建账号").click()
    at.run()
    assert at.error[0].value == "学籍管理员必须指定学校。"
    assert not at.code
    with db.session() as session:
        assert session.query(StaffUser).filter_by(username="reg").one_or_none() is None


def test_reset_password_disable_and_the_last_admin(db, app_for):
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
        reviewer = f.make_staff(session, Role.REVIEWER, "li")
    at = app_for(admin.id, page="admin_staff.py").run()
    at.selectbox(key="manage_staff_id").set_value(admin.id)
    _button(at, "停用账号").click()
    at.run()
    assert at.error[0].value == "不能停用或降级最后一个管理员账号。"
    at.selectbox(key="manage_staff_id").set_value(reviewer.id)
    at.run()
    _button(at, "重置密码").click()
    at.run()
    temporary = at.code[0].value
    _button(at, "停用账号").click()
    at.run()
    assert at.success[0].value == "已停用：li"
    with db.session() as session:
        user = session.get(StaffUser, reviewer.id)
        assert (user.active, user.must_change_password) == (False, True)
        assert staff.authenticate(session, "li", temporary).user is None
        assert session.get(StaffUser, admin.id).active


def test_a_reset_user_must_change_the_password_before_any_page(db, app_for):
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
        user = f.make_staff(session, Role.REVIEWER, "li")
        temporary = staff.reset_password(session, f.actor_of(admin), user.id)
    at = app_for(user.id).run()
    assert at.title[0].value == "请修改密码"
    at.text_input(key="old_password").input(temporary)
    at.text_input(key="new_password").input("Fresh2025pw")
    at.text_input(key="new_password_again").input("Fresh2025px")
    at.get("form_submit_button")[0].click()
    at.run()
    assert at.error[0].value == "两次输入的新密码不一致。"
    at.text_input(key="new_password").input("short")
    at.text_input(key="new_password_again").input("short")
    at.get("form_submit_button")[0].click()
    at.run()
    assert "至少 8 位" in at.error[0].value
    at.text_input(key="old_password").input(temporary)
    at.text_input(key="new_password").input("Fresh2025pw")
    at.text_input(key="new_password_again").input("Fresh2025pw")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception
    assert "正在登录" in at.info[0].value  # a new session (the change ended the old ones) goes to the cookie
    at.run()
    assert at.title[0].value == "概览"  # AppTest does not follow the browser to the landing page
    with db.session() as session:
        assert staff.authenticate(session, "li", "Fresh2025pw").user is not None


def test_the_password_rule_is_on_screen_before_anyone_types_and_enforced_as_written(db, app_for):
    from core.domain.passwords import RULE_ZH

    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
        user = f.make_staff(session, Role.REVIEWER, "li")
        temporary = staff.reset_password(session, f.actor_of(admin), user.id)
    at = app_for(admin.id, page="admin_staff.py").run()
    assert any(RULE_ZH in c.value for c in at.caption), "shown on the new-account form"
    at = app_for(user.id).run()
    assert at.title[0].value == "请修改密码" and any(RULE_ZH in c.value for c in at.caption)
    for weak in ("password1", "!!!!!!!!", "        ", "li123456"[:2] + "li"):
        at.text_input(key="old_password").input(temporary)
        at.text_input(key="new_password").input(weak)
        at.text_input(key="new_password_again").input(weak)
        at.get("form_submit_button")[0].click()
        at.run()
        assert RULE_ZH in at.error[0].value, weak
