"""Staff accounts: argon2 password hashes, login with lock-out, and the Actor a login yields.

Accounts are disabled, never deleted (their decisions and audit events keep pointing at them), and
the last active admin can be neither disabled nor demoted, so the system always has someone able to
manage it.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.access import ALL_STAFF, Actor, allowed, own_data, public, pure, require_role
from core.domain.enums import Role
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.models import School, StaffUser, utcnow
from core.services import audit

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()


@pure
def hash_password(password: str) -> str:
    return _hasher.hash(password)


@pure
def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH or password.isdigit() or password.isalpha():
        raise InvalidInput(
            f"密码至少 {MIN_PASSWORD_LENGTH} 位，且须同时包含字母和数字。",
            f"Passwords need at least {MIN_PASSWORD_LENGTH} characters with letters and digits.",
        )


@pure
def actor_for(user: StaffUser) -> Actor:
    return Actor(kind="staff", id=user.id, name=user.display_name, role=user.role, school_id=user.school_id)


@allowed(Role.ADMIN)
def create_staff(
    session: Session,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    school_id: int | None = None,
    must_change_password: bool = True,
) -> StaffUser:
    require_role(actor, Role.ADMIN)
    username, display_name = username.strip(), display_name.strip()
    if not username or not display_name:
        raise InvalidInput("用户名和姓名必填。", "Username and display name are required.")
    check_password_policy(password)
    _check_school(session, role, school_id)
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise Conflict(f"用户名 {username} 已存在。", f"Username {username} is taken.")
    user = StaffUser(
        username=username,
        display_name=display_name,
        role=role,
        school_id=school_id if role is Role.REGISTRAR else None,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "staff.create", "staff_user", user.id, school_id=user.school_id,
                 username=username, role=role)
    return user


def _check_school(session: Session, role: Role, school_id: int | None) -> None:
    if role is not Role.REGISTRAR:
        return
    if school_id is None:
        raise InvalidInput("学籍管理员必须指定学校。", "A registrar must belong to a school.")
    if session.get(School, school_id) is None:
        raise NotFound("学校不存在。", "School not found.")


def _user(session: Session, user_id: int) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None:
        raise NotFound("账号不存在。", "No such staff account.")
    return user


def _keep_an_admin(session: Session, user: StaffUser) -> None:
    """Refuses to take away the last active admin. The active admins are locked first, so two admins
    disabling each other at the same moment cannot both succeed."""
    admins = session.scalars(
        select(StaffUser.id).where(StaffUser.role == Role.ADMIN, StaffUser.active.is_(True)).with_for_update()
    ).all()
    if user.role is Role.ADMIN and user.active and set(admins) <= {user.id}:
        raise Conflict("不能停用或降级最后一个管理员账号。",
                       "The last active admin cannot be disabled or given another role.")


@allowed(Role.ADMIN)
def list_staff(session: Session, actor: Actor) -> list[StaffUser]:
    require_role(actor, Role.ADMIN)
    return list(session.scalars(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.role,
                                                           StaffUser.username)))


@allowed(Role.ADMIN)
def assign_role(session: Session, actor: Actor, user_id: int, *, role: Role, school_id: int | None = None,
                display_name: str | None = None) -> StaffUser:
    """Role and (registrars only) school; applies on the user's next click (``load_actor``)."""
    require_role(actor, Role.ADMIN)
    user = _user(session, user_id)
    _check_school(session, role, school_id)
    if user.role is Role.ADMIN and role is not Role.ADMIN:
        _keep_an_admin(session, user)
    new_school = school_id if role is Role.REGISTRAR else None
    changes: dict[str, list[object]] = {}
    if role is not user.role:
        changes["role"] = [user.role.value, role.value]
    if new_school != user.school_id:
        changes["school_id"] = [user.school_id, new_school]
    if display_name is not None and display_name.strip() and display_name.strip() != user.display_name:
        changes["display_name"] = [user.display_name, display_name.strip()]
        user.display_name = display_name.strip()
    user.role, user.school_id = role, new_school
    if changes:
        audit.record(session, actor, "staff.update", "staff_user", user.id, school_id=new_school,
                     username=user.username, changes=changes)
    session.flush()
    return user


@allowed(Role.ADMIN)
def set_active(session: Session, actor: Actor, user_id: int, active: bool) -> StaffUser:
    """Disabling signs the user out on their next click; the account and its history stay."""
    require_role(actor, Role.ADMIN)
    user = _user(session, user_id)
    if user.active == active:
        return user
    if not active:
        _keep_an_admin(session, user)
    user.active = active
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, actor, "staff.enable" if active else "staff.disable", "staff_user", user.id,
                 school_id=user.school_id, username=user.username)
    session.flush()
    return user


@pure
def temporary_password() -> str:
    """Twelve characters with letters and digits, none easily confused (0/O, 1/l/I)."""
    letters = "".join(c for c in string.ascii_letters if c not in "OlI")
    digits = "23456789"
    while True:
        candidate = "".join(secrets.choice(letters + digits) for _ in range(12))
        if any(c in digits for c in candidate) and any(c in letters for c in candidate):
            return candidate


@allowed(Role.ADMIN)
def reset_password(session: Session, actor: Actor, user_id: int) -> str:
    """A new temporary password, shown once to the admin; the user must change it at next login.
    Also lifts a lock-out, which is the usual reason for the call."""
    require_role(actor, Role.ADMIN)
    user = _user(session, user_id)
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, actor, "staff.reset_password", "staff_user", user.id, school_id=user.school_id,
                 username=user.username)
    session.flush()
    return password


@own_data
def must_change_password(session: Session, user_id: int) -> bool:
    user = session.get(StaffUser, user_id)
    return bool(user and user.must_change_password)


@dataclass(frozen=True)
class LoginOutcome:
    """Either the user or the refusal. A refusal is returned, not raised, so the caller commits the
    failure count that the lock-out depends on."""

    user: StaffUser | None
    error: AccessDenied | None


@public
def authenticate(session: Session, username: str, password: str, now: datetime | None = None) -> LoginOutcome:
    """Five failures in a row lock the account for 15 minutes."""
    moment = now or utcnow()
    user = session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))
    refused = AccessDenied("用户名或密码错误。", "Wrong username or password.")
    if user is None or not user.active:
        return LoginOutcome(None, refused)
    if user.locked_until and user.locked_until > moment:
        minutes = max(1, int((user.locked_until - moment).total_seconds() // 60) + 1)
        return LoginOutcome(None, AccessDenied(
            f"连续登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试。",
            f"Too many failed logins; the account is locked for {minutes} more minutes.",
        ))
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        system = Actor.system("login")
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = moment + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            audit.record(session, system, "staff.locked", "staff_user", user.id, username=user.username)
        session.flush()
        return LoginOutcome(None, refused)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = moment
    audit.record(session, actor_for(user), "staff.login", "staff_user", user.id)
    session.flush()
    return LoginOutcome(user, None)


@allowed(*ALL_STAFF)
def change_password(session: Session, actor: Actor, old_password: str, new_password: str) -> None:
    user = session.get(StaffUser, actor.id)
    if user is None:
        raise AccessDenied("账号不存在。", "No such account.")
    try:
        _hasher.verify(user.password_hash, old_password)
    except (VerificationError, InvalidHashError):
        raise AccessDenied("原密码错误。", "The current password is wrong.") from None
    check_password_policy(new_password)
    if new_password == old_password:
        raise InvalidInput("新密码不能与原密码相同。", "The new password must differ from the current one.")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    audit.record(session, actor, "staff.change_password", "staff_user", user.id)
    session.flush()


@own_data
def load_actor(session: Session, user_id: int) -> Actor:
    """Re-reads the account on every page load, so a disabled account or changed role applies at once."""
    user = session.get(StaffUser, user_id)
    if user is None or not user.active:
        raise AccessDenied("账号已停用。", "This account is disabled.")
    return actor_for(user)
