"""Staff sign-in around the review workbench (AppTest on the real app): failed sign-ins slow the next
attempt, sign-out after inactivity, and a disabled account losing its pages at once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from core.domain.enums import Role
from core.models import AuditEvent, LoginThrottle, StaffSession, StaffUser, utcnow
from core.services import staff
from tests import factories as f
from workbench.context import TOKEN_KEY


def sign_in(at, username: str, password: str):
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.get("form_submit_button")[0].click()
    at.run()
    return at.run() if at.info and "正在登录" in at.info[0].value else at  # the browser's redirect


def test_repeated_failures_slow_the_next_attempt_instead_of_locking_the_account(db, app_for):
    """Wrong passwords get the same message until the delays (1, 2, 4 … s after five failures)
    outgrow the pace of the attempts; once the delay has passed the right password signs in."""
    with db.session() as session:
        f.make_staff(session, Role.REVIEWER, "li.reviewer")
    at = app_for().run()
    messages = []
    for attempt in range(12):
        sign_in(at, "li.reviewer", f"wrong-password{attempt}")
        messages.append(at.error[0].value)
        if "过于频繁" in messages[-1]:
            break
    assert messages[:5] == ["用户名或密码错误。"] * 5
    assert "登录尝试过于频繁" in messages[-1] and "秒后再试" in messages[-1]
    assert TOKEN_KEY not in at.session_state
    with db.session() as session:
        failed = session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.login_failed")).all()
        assert [e.detail["username"] for e in failed] == ["li.reviewer"] * (len(messages) - 1)
        assert all("wrong-password" not in str(e.detail) for e in failed)
        session.execute(update(LoginThrottle).values(blocked_until=None))  # the delay has passed
    sign_in(at, "li.reviewer", f.PASSWORD)
    assert not at.error and at.session_state[TOKEN_KEY]


def test_a_login_name_with_a_nul_byte_gets_a_clear_message(db, app_for):
    at = app_for().run()
    sign_in(at, "li\x00reviewer", f.PASSWORD)
    assert "用户名" in at.error[0].value and "控制字符" in at.error[0].value


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
    at = app_for(reviewer.id, page="review_queue.py").run()
    assert at.title[0].value == "审核队列"
    with db.session() as session:  # the last click was 31 minutes ago
        session.execute(update(StaffSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
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


def test_a_new_role_or_sign_out_everywhere_ends_the_session_on_the_next_click(db, app_for):
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "wang.admin")
        reviewer = f.make_staff(session, Role.REVIEWER, "li.reviewer")
    at = app_for(reviewer.id, page="review_queue.py").run()
    other_tab = app_for(reviewer.id, page="review_queue.py").run()
    assert at.title[0].value == other_tab.title[0].value == "审核队列"
    with db.session() as session:
        staff.assign_role(session, f.actor_of(admin), reviewer.id, role=Role.SENIOR_REVIEWER)
    at.run()
    assert "角色或学校已变更" in at.info[0].value
    assert not [b for b in at.button if b.key == "sign_out"]

    senior_tabs = [app_for(reviewer.id, page="review_queue.py").run() for _ in range(2)]  # signed in again
    assert all(t.title[0].value == "审核队列" for t in senior_tabs)
    senior_tabs[0].button(key="sign_out_everywhere").click().run()
    assert not [b for b in senior_tabs[0].button if b.key == "sign_out"]
    senior_tabs[1].run()
    assert "您已退出登录" in senior_tabs[1].info[0].value
    assert not [b for b in senior_tabs[1].button if b.key == "sign_out"]
