from __future__ import annotations

from core.domain.enums import Role
from tests import factories as f


def test_login_page_refuses_wrong_password_and_admits_right_one(db, app_for):
    with db.session() as session:
        f.make_staff(session, Role.REVIEWER, "li.reviewer")
    at = app_for().run()
    at.text_input(key="login_username").input("li.reviewer")
    at.text_input(key="login_password").input("wrong-password1")
    at.get("form_submit_button")[0].click()
    at.run()
    assert "用户名或密码错误" in at.error[0].value
    at.text_input(key="login_password").input(f.PASSWORD)
    at.get("form_submit_button")[0].click()
    at.run()
    assert at.session_state["staff_user_id"] is not None
    assert at.title[0].value == "审核队列", "a reviewer lands on their queue"


def test_registrar_overview_counts_only_their_school(db, app_for):
    with db.session() as session:
        a = f.make_school(session, "10486", "武汉大学")
        b = f.make_school(session, "10487", "华中科技大学")
        for seed in range(3):
            f.make_record(session, a, seed)
        for seed in range(10, 15):
            f.make_record(session, b, seed)
        registrar = f.make_staff(session, Role.REGISTRAR, "reg.whu", school=a)
    at = app_for(registrar.id).run()
    assert not at.exception
    assert any("学籍记录 3 条" in c.value for c in at.caption)
