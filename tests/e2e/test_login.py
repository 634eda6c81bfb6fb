from __future__ import annotations

from core.domain.enums import Role
from tests import factories as f
from tests.e2e.conftest import login, screenshot


def test_reviewer_signs_in_and_sees_overview(live_app, page):
    def seed(session, store):
        school = f.make_school(session)
        for seed_no in range(4):
            f.make_record(session, school, seed_no)
        f.make_staff(session, Role.REVIEWER, "li.reviewer")

    app = live_app(seed)
    login(page, app.url, "li.reviewer", f.PASSWORD)
    page.get_by_text("学籍记录 4 条").wait_for()
    screenshot(page, "login_overview")
