from __future__ import annotations

import pytest

from core.domain.enums import Role
from tests import factories as f
from workbench.navigation import pages_for

ADMIN_PAGES = {"admin_schools.py": "学校", "admin_tasks.py": "采集任务", "admin_staff.py": "员工账号",
               "admin_policy.py": "阈值与规则", "audit_log.py": "审计日志", "operations.py": "运行状态"}
OTHER_ROLES = [Role.REVIEWER, Role.SENIOR_REVIEWER, Role.REGISTRAR, Role.SUPPORT]


def test_the_admin_pages_are_registered_for_admins_only():
    assert set(ADMIN_PAGES) <= {p.file for p in pages_for(Role.ADMIN)}
    for role in OTHER_ROLES:
        assert not set(ADMIN_PAGES) & {p.file for p in pages_for(role)}


@pytest.mark.parametrize("page", sorted(ADMIN_PAGES))
def test_each_admin_page_opens_for_an_admin(db, app_for, page):
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
    at = app_for(admin.id, page=page).run()
    assert not at.exception
    assert at.title[0].value == ADMIN_PAGES[page]


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_no_other_role_can_open_an_admin_page(db, app_for, role):
    with db.session() as session:
        school = f.make_school(session)
        user = f.make_staff(session, role, "someone", school=school if role is Role.REGISTRAR else None)
    for page, title in ADMIN_PAGES.items():
        at = app_for(user.id, page=page).run()
        assert not at.exception
        assert title not in [t.value for t in at.title], page
