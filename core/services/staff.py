"""Staff accounts: argon2 password hashes, login with lock-out, and the Actor a login yields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.access import Actor, require_role
from core.domain.enums import Role
from core.errors import AccessDenied, Conflict, InvalidInput
from core.models import StaffUser, utcnow
from core.services import audit

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH or password.isdigit() or password.isalpha():
        raise InvalidInput(
            f"密码至少 {MIN_PASSWORD_LENGTH} 位，且须同时包含字母和数字。",
            f"Passwords need at least {MIN_PASSWORD_LENGTH} characters with letters and digits.",
        )


def actor_for(user: StaffUser) -> Actor:
    return Actor(kind="staff", id=user.id, name=user.display_name, role=user.role, school_id=user.school_id)


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
    check_password_policy(password)
    if role is Role.REGISTRAR and school_id is None:
        raise InvalidInput("学籍管理员必须指定学校。", "A registrar must belong to a school.")
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


@dataclass(frozen=True)
class LoginOutcome:
    """Either the user or the refusal. A refusal is returned, not raised, so the caller commits the
    failure count that the lock-out depends on."""

    user: StaffUser | None
    error: AccessDenied | None


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


def change_password(session: Session, actor: Actor, old_password: str, new_password: str) -> None:
    user = session.get(StaffUser, actor.id)
    if user is None:
        raise AccessDenied("账号不存在。", "No such account.")
    try:
        _hasher.verify(user.password_hash, old_password)
    except (VerificationError, InvalidHashError):
        raise AccessDenied("原密码错误。", "The current password is wrong.") from None
    check_password_policy(new_password)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    audit.record(session, actor, "staff.change_password", "staff_user", user.id)


def load_actor(session: Session, user_id: int) -> Actor:
    """Re-reads the account on every page load, so a disabled account or changed role applies at once."""
    user = session.get(StaffUser, user_id)
    if user is None or not user.active:
        raise AccessDenied("账号已停用。", "This account is disabled.")
    return actor_for(user)


def require_admin(actor: Actor) -> None:
    require_role(actor, Role.ADMIN)
