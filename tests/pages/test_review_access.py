"""Staff sign-in around the review workbench (AppTest on the real app): lock-out after five failed
logins, sign-out after inactivity, and a disabled account losing its pages at once."""

from __future__ import annotations

import time

from sqlalchemy import select

from core.domain.enums import Role
from core.models import AuditEvent, StaffUser
from tests import factories as f


def sign_in(at, username: str, password: str):
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.get("form_submit_button")[0].click()
    return at.run()


def test_five_failed_logins_lock_the_account_even_against_the_right_password(db, app_for):
    with db.session() as session:
        f.make_staff(session, Role.REVIEWER, "li.reviewer")
    at = app_for().run()
    for attempt in range(5):
        sign_in(at, "li.reviewer", f"wrong-password{attempt}")
        assert at.error[0].value == "用户名或密码错误。"
    sign_in(at, "li.reviewer", f.PASSWORD)
    assert "账号已锁定" in at.error[0].value
    assert "staff_user_id" not in at.session_state
    with db.session() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == "li.reviewer"))
        assert user.locked_until is not None
        assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "staff.locked")) == "staff.locked"


def test_four_failures_then_the_right_password_signs_in_to_the_queue(db, app_for):
    with db.session() as session:
        f.make_staff(session, Role.REVIEWER, "li.reviewer")
    at = app_for().run()
    for attempt in range(4):
        sign_in(at, "li.reviewer", f"wrong-password{attempt}")
    sign_in(at, "li.reviewer", f.PASSWORD)
    assert not at.error
    at.switch_page("../pages/review_queue.py").run()
    assert at.title[0].value == "审核队列"


def test_an_idle_session_is_signed_out(db, app_for):
    with db.session() as session:
        reviewer = f.make_staff(session, Role.REVIEWER, "li.reviewer")
    at = app_for(reviewer.id, page="review_queue.py")
    at.session_state["staff_last_activity"] = time.time() - 31 * 60
    at.run()
    assert at.title[0].value == "学历图像采集 · 审核工作台"
    assert "长时间未操作" in at.info[0].value


def test_a_disabled_reviewer_loses_the_queue_on_the_next_click(db, app_for):
    with db.session() as session:
        reviewer = f.make_staff(session, Role.REVIEWER, "li.reviewer")
    at = app_for(reviewer.id, page="review_queue.py").run()
    assert at.title[0].value == "审核队列"
    with db.session() as session:
        session.get(StaffUser, reviewer.id).active = False
    at.run()
    assert "账号已停用" in at.info[0].value
