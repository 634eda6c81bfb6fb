"""Every page file is registered for some role, and every registered page exists."""

from __future__ import annotations

from core.domain.enums import Role
from workbench.navigation import PAGES, PAGES_DIR, pages_for


def test_registered_pages_exist_and_every_page_is_registered():
    registered = {p.file for p in PAGES}
    assert all(p.path.is_file() for p in PAGES)
    assert registered == {p.name for p in PAGES_DIR.glob("*.py")}


def test_admin_pages_only_for_admins():
    admin_only = {p.file for p in PAGES if p.roles == (Role.ADMIN,)}
    assert admin_only >= {"admin_schools.py", "admin_tasks.py", "admin_staff.py", "admin_policy.py", "audit_log.py",
                          "operations.py"}
    for role in Role:
        if role is not Role.ADMIN:
            assert not admin_only & {p.file for p in pages_for(role)}
