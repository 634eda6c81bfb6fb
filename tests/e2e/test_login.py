from __future__ import annotations

from core.domain.enums import Role
from tests import factories as f
from tests.e2e.conftest import login, screenshot


def test_reviewer_signs_in_to_the_queue_and_sees_overview(live_app, page):
    def seed(session, store):
        school = f.make_school(session)
        for seed_no in range(4):
            f.make_record(session, school, seed_no)
        f.make_staff(session, Role.REVIEWER, "li.reviewer")

    app = live_app(seed, worker=False)
    login(page, app.url, "li.reviewer", f.PASSWORD)
    page.get_by_role("heading", name="审核队列").wait_for()  # a reviewer lands on their queue
    page.get_by_role("link", name="概览").click()
    page.get_by_text("学籍记录 4 条").wait_for()
    screenshot(page, "login_overview")


def test_a_wrong_password_is_refused_and_audited_with_the_browsers_network(live_app, page):
    """In a real server Streamlit gives the connection's address: the failure is audited with its
    network (loopback here), never the password."""
    from sqlalchemy import select

    from core.models import AuditEvent

    def seed(session, store):
        f.make_staff(session, Role.REVIEWER, "li.reviewer")

    app = live_app(seed, worker=False)
    page.goto(app.url)
    page.get_by_label("用户名").fill("li.reviewer")
    page.get_by_label("密码").fill("Wrong-guess-2025")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("用户名或密码错误。").wait_for()
    screenshot(page, "login_refused")
    with app.db.session() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.login_failed")).all()
        assert event.detail["username"] == "li.reviewer"
        assert event.detail["address"] in ("127.0.0.*", "::/48")  # IPv4 or IPv6 loopback
        assert "Wrong-guess" not in str(event.detail)
    login(page, app.url, "li.reviewer", f.PASSWORD)
