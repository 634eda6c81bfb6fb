"""Who may do what. Every service call carries an ``Actor``; services call these checks first.

A registrar sees only their own school: the check is here, in the services' path, not only in
which pages a role is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.enums import Role
from core.errors import AccessDenied


@dataclass(frozen=True)
class Actor:
    """The person (or the system) on whose behalf a service runs."""

    kind: str  # "staff", "student" or "system"
    id: int | None
    name: str
    role: Role | None = None
    school_id: int | None = None

    @classmethod
    def system(cls, name: str = "system") -> "Actor":
        return cls(kind="system", id=None, name=name)

    @classmethod
    def student(cls, account_id: int, nickname: str) -> "Actor":
        return cls(kind="student", id=account_id, name=nickname)

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def is_system(self) -> bool:
        return self.kind == "system"


REVIEW_ROLES = (Role.REVIEWER, Role.SENIOR_REVIEWER, Role.ADMIN)
SCHOOL_DATA_ROLES = (Role.REGISTRAR, Role.ADMIN)
SUPPORT_ROLES = (Role.SUPPORT, Role.ADMIN)


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.is_system:
        return
    if not actor.is_staff or actor.role not in roles:
        raise AccessDenied(
            "您的账号没有此操作的权限。",
            "Your account is not allowed to do this.",
            role=actor.role.value if actor.role else None,
        )


def require_school(actor: Actor, school_id: int) -> None:
    """Registrars only touch their own school; other staff roles are not school-scoped."""
    if actor.is_staff and actor.role is Role.REGISTRAR and actor.school_id != school_id:
        raise AccessDenied(
            "学籍管理员只能查看和操作本校的数据。",
            "A registrar can only see and change their own school's data.",
            school_id=school_id,
        )


def school_scope(actor: Actor) -> int | None:
    """The one school a query must be limited to, or None for all schools."""
    if actor.is_staff and actor.role is Role.REGISTRAR:
        return actor.school_id
    return None
