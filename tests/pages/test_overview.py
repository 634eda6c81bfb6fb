from __future__ import annotations

from core.domain.enums import Role
from tests import factories as f
from workbench.context import TOKEN_KEY


def test_login_page_refuses_wrong_password_and_admits_right_one(db, app_for):
    with db.session() as session:
        f.make_staff(session, Role.REGISTRAR, "li.registrar", school=f.make_school(session, "10486", "武汉大学"))
    at = app_for().run()
    at.text_input(key="login_username").input("li.registrar")
    at.text_input(key="login_password").input("wrong-password1")
    at.get("form_submit_button")[0].click()
    at.run()
    assert "用户名或密码错误" in at.error[0].value
    at.text_input(key="login_password").input(f.PASSWORD)
    at.get("form_submit_button")[0].click()
    at.run()
    assert at.session_state[TOKEN_KEY] is not None
    assert "正在登录" in at.info[0].value  # the browser is sent through the cookie route
    at.run()
    assert at.title[0].value == "概览"


def test_a_reviewer_lands_on_the_review_queue_and_a_link_asked_for_wins(db, app_for):
    with db.session() as session:
        f.make_staff(session, Role.REVIEWER, "li.reviewer")
    for asked, landing in ((None, "%2Freview_queue"), ("/student_history?student=7", "%2Fstudent_history%3Fstudent%3D7"),
                           ("//evil.example/x", "%2Freview_queue")):
        at = app_for()
        if asked:
            at.query_params["next"] = asked
        at.run()
        at.text_input(key="login_username").input("li.reviewer")
        at.text_input(key="login_password").input(f.PASSWORD)
        at.get("form_submit_button")[0].click()
        at.run()
        assert not at.exception
        [redirect] = [c.value for c in at.caption if "/auth/session?code=" in c.value]
        assert redirect.endswith(f"&next={landing})"), redirect


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
