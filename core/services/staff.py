"""Staff accounts: argon2 password hashes, throttled sign-in, and the Actor a sign-in yields.

Accounts are disabled, never deleted (their decisions and audit events keep pointing at them), and
the last active admin can be neither disabled nor demoted, so the system always has someone able to
manage it.

Sign-in does the same work whether the name exists or not (an unknown name is checked against a
dummy hash made with the same parameters), so neither its answer nor its timing tells which names
exist. Failures slow the next attempts (``core.domain.sign_in``) instead of locking the account, so
a stranger cannot lock a colleague out; every failure is in the audit log with the name tried and
the client's network, never the password.
"""

from __future__ import annotations

import math
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.db import get_or_raise
from core.domain import passwords
from core.domain.access import ALL_STAFF, Actor, allowed, own_data, public, pure, require_role
from core.domain.enums import ActorKind, Role
from core.domain.sign_in import (
    FORGET_AFTER,
    RULES,
    UNKNOWN_ADDRESS,
    Scope,
    blocked_until,
    mask_address,
    name_hash,
    throttle_key,
)
from core.domain.text import clean_text
from core.errors import AccessDenied, Conflict, DomainError, InvalidInput
from core.models import LoginThrottle, School, StaffUser, field, utcnow
from core.services import audit, staff_sessions
from core.services._views import view_of

USERNAME = field(StaffUser.username, "用户名", "Username")
DISPLAY_NAME = field(StaffUser.display_name, "姓名", "Name")
MAX_SUBMITTED_PASSWORD = 1024
"""A sign-in's password longer than this is checked no further (it cannot be a real one)."""

_hasher = PasswordHasher()


@pure
def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """What an unknown name's password is checked against: same algorithm, same parameters."""
    return hasher.hash(secrets.token_urlsafe(16))


@pure
def check_password_policy(password: str, username: str = "") -> None:
    """The policy in ``core.domain.passwords``: the words on screen are the rule enforced."""
    passwords.check_password(password, username)


@dataclass(frozen=True)
class StaffView:
    """A staff account as the admin screens show it (never its password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    school_id: int | None
    must_change_password: bool
    active: bool
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: StaffUser) -> StaffView:
        return view_of(cls, user)


@pure
def actor_for(user: StaffUser | StaffView) -> Actor:
    return Actor(kind=ActorKind.STAFF, id=user.id, name=user.display_name, role=user.role, school_id=user.school_id)


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
) -> StaffView:
    require_role(actor, Role.ADMIN)
    username = clean_text(username, USERNAME, required=True)
    display_name = clean_text(display_name, DISPLAY_NAME, required=True)
    check_password_policy(password, username)
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
    return StaffView.of(user)


def _check_school(session: Session, role: Role, school_id: int | None) -> None:
    if role is not Role.REGISTRAR:
        return
    if school_id is None:
        raise InvalidInput("学籍管理员必须指定学校。", "A registrar must belong to a school.")
    get_or_raise(session, School, school_id, "学校不存在。", "School not found.")


def _user(session: Session, user_id: int) -> StaffUser:
    user = get_or_raise(session, StaffUser, user_id, "账号不存在。", "No such staff account.")
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
def list_staff(session: Session, actor: Actor) -> list[StaffView]:
    require_role(actor, Role.ADMIN)
    return [StaffView.of(user) for user in session.scalars(
        select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.role, StaffUser.username))]


@allowed(Role.ADMIN)
def assign_role(session: Session, actor: Actor, user_id: int, *, role: Role, school_id: int | None = None,
                display_name: str | None = None) -> StaffView:
    """Role and (registrars only) school. A new role or school ends the user's sessions: they sign in
    again and land on the pages of their new role."""
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
    display_name = clean_text(display_name, DISPLAY_NAME)
    if display_name and display_name != user.display_name:
        changes["display_name"] = [user.display_name, display_name]
        user.display_name = display_name
    user.role, user.school_id = role, new_school
    if "role" in changes or "school_id" in changes:
        staff_sessions.revoke_all(session, user.id, staff_sessions.Ended.ROLE)
    if changes:
        audit.record(session, actor, "staff.update", "staff_user", user.id, school_id=new_school,
                     username=user.username, changes=changes)
    session.flush()
    return StaffView.of(user)


@allowed(Role.ADMIN)
def set_active(session: Session, actor: Actor, user_id: int, active: bool) -> StaffView:
    """Disabling ends every session of the user (out on their next click, in every tab); the account
    and its history stay."""
    require_role(actor, Role.ADMIN)
    user = _user(session, user_id)
    if user.active == active:
        return StaffView.of(user)
    if not active:
        _keep_an_admin(session, user)
    user.active = active
    if not active:
        staff_sessions.revoke_all(session, user.id, staff_sessions.Ended.DISABLED)
    audit.record(session, actor, "staff.enable" if active else "staff.disable", "staff_user", user.id,
                 school_id=user.school_id, username=user.username)
    session.flush()
    return StaffView.of(user)


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
    Ends the user's sessions and clears the sign-in delays on their name (from every address)."""
    require_role(actor, Role.ADMIN)
    user = _user(session, user_id)
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    staff_sessions.revoke_all(session, user.id, staff_sessions.Ended.PASSWORD)
    session.execute(delete(LoginThrottle).where(LoginThrottle.name_hash == name_hash(user.username)))
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
    failure counts that the throttling depends on."""

    user: StaffView | None
    error: DomainError | None
    retry_after_seconds: int | None = None


REFUSED = ("用户名或密码错误。", "Wrong username or password.")


@public
def authenticate(session: Session, username: str, password: str, *, address: str | None = None,
                 now: datetime | None = None) -> LoginOutcome:
    """Checks a sign-in from ``address`` (the client's IP address; None when unknown). While a
    counter of the name, the address or both says wait, the attempt is refused before any
    password is checked; otherwise the password is verified (against a dummy hash for an unknown
    or disabled name) and a failure is counted and audited."""
    moment = now or utcnow()
    try:
        name = clean_text(username, USERNAME, required=True)
    except InvalidInput as refusal:
        return LoginOutcome(None, refusal)
    client = address or UNKNOWN_ADDRESS
    counters = _counters(session, name, client, moment)
    waits = [(c.blocked_until - moment).total_seconds() for c in counters
             if c.blocked_until is not None and c.blocked_until > moment]
    if waits:
        seconds = math.ceil(max(waits))
        return LoginOutcome(None, AccessDenied(
            f"登录尝试过于频繁，请 {seconds} 秒后再试。",
            f"Too many failed sign-ins; try again in {seconds} seconds.", retry_after=seconds), seconds)
    user = session.scalar(select(StaffUser).where(StaffUser.username == name))
    usable = user is not None and user.active
    candidate = password if len(password) <= MAX_SUBMITTED_PASSWORD else ""
    verified = _verify(user.password_hash if usable and user is not None else _dummy_hash(_hasher), candidate)
    if not (usable and verified):
        why = "unknown_user" if user is None else "disabled" if not user.active else "wrong_password"
        delay = _count_failure(counters, moment)
        session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < moment - FORGET_AFTER))
        audit.record(session, Actor.system("login"), "staff.login_failed", "staff_user", user.id if user else None,
                     school_id=user.school_id if user else None, username=name, address=mask_address(address),
                     reason=why, delay_seconds=delay)
        session.flush()
        return LoginOutcome(None, AccessDenied(*REFUSED))
    assert user is not None
    for counter in counters:  # the guesses from this address were the user's own typos
        if counter.scope == Scope.NAME_AT_ADDRESS.value or counter.failures == 0:
            session.delete(counter)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = moment
    audit.record(session, actor_for(user), "staff.login", "staff_user", user.id, address=mask_address(address))
    session.flush()
    return LoginOutcome(StaffView.of(user), None)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _counters(session: Session, username: str, address: str, moment: datetime) -> list[LoginThrottle]:
    """The three counters of this attempt, created if new and locked for this transaction (so two
    server processes count one failure each, not one between them); stale ones start from zero."""
    rows = [{"key": throttle_key(scope, username, address), "scope": scope.value,
             "name_hash": None if scope is Scope.ADDRESS else name_hash(username),
             "failures": 0, "last_failure_at": moment, "blocked_until": None} for scope in Scope]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(LoginThrottle).values(rows).on_conflict_do_nothing(index_elements=["key"]))
    counters = list(session.scalars(
        select(LoginThrottle).where(LoginThrottle.key.in_([r["key"] for r in rows]))
        .order_by(LoginThrottle.key).with_for_update().execution_options(populate_existing=True)))
    for counter in counters:
        if counter.last_failure_at < moment - FORGET_AFTER:
            counter.failures, counter.blocked_until = 0, None
    return counters


def _count_failure(counters: list[LoginThrottle], moment: datetime) -> int:
    """Adds the failure to each counter; the longest delay it now imposes, in whole seconds."""
    longest = 0.0
    for counter in counters:
        counter.failures += 1
        counter.last_failure_at = moment
        counter.blocked_until = blocked_until(RULES[Scope(counter.scope)], counter.failures, moment)
        if counter.blocked_until is not None:
            longest = max(longest, (counter.blocked_until - moment).total_seconds())
    return int(longest)


@allowed(*ALL_STAFF)
def change_password(session: Session, actor: Actor, old_password: str, new_password: str) -> None:
    """Ends every session of the account, this one included: the page starts a new one for the tab
    that changed it, so any other device that had the old password is out."""
    user = session.get(StaffUser, actor.id)
    if user is None:
        raise AccessDenied("账号不存在。", "No such account.")
    try:
        _hasher.verify(user.password_hash, old_password)
    except (VerificationError, InvalidHashError):
        raise AccessDenied("原密码错误。", "The current password is wrong.") from None
    check_password_policy(new_password, user.username)
    if new_password == old_password:
        raise InvalidInput("新密码不能与原密码相同。", "The new password must differ from the current one.")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    staff_sessions.revoke_all(session, user.id, staff_sessions.Ended.PASSWORD)
    audit.record(session, actor, "staff.change_password", "staff_user", user.id)
    session.flush()


@own_data
def load_actor(session: Session, user_id: int) -> Actor:
    """Re-reads the account on every page load, so a disabled account or changed role applies at once."""
    user = session.get(StaffUser, user_id)
    if user is None or not user.active:
        raise AccessDenied("账号已停用。", "This account is disabled.")
    return actor_for(user)
