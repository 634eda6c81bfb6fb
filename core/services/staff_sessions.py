"""Staff sessions that live in the database, not in a browser tab's websocket.

Signing in creates a session: a random opaque token (``secrets.token_urlsafe(32)``) that the browser
keeps in an HttpOnly cookie, of which only the SHA-256 is stored. Every page request resolves the
token to its session and its account afresh, so a revoked session, a disabled account or a changed
role applies on the staff member's next click, in every tab.

A session ends at the first of: its absolute lifetime (``WORKBENCH_SESSION_MAX_HOURS`` after
sign-in), the idle timeout (``WORKBENCH_SESSION_MINUTES`` without a request), sign-out (this session,
or every session of the person), and, for every session of the account, a password change or reset,
disabling, or a change of role or school.

Streamlit cannot set a cookie from a script, so the cookie is set by a small HTTP route
(``workbench/server.py``). The sign-in page hands the browser to that route with a one-time code
(stored hashed, valid for a minute); redeeming it replaces the session's token with a new one that
goes only into the cookie, so neither the code nor the first token is worth anything afterwards.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.domain.enums import ActorKind
from core.config import settings
from core.domain.access import ALL_STAFF, Actor, allowed, internal, own_data, public, pure
from core.errors import AccessDenied
from core.models import StaffSession, StaffUser, utcnow
from core.services import audit

HANDOFF_SECONDS = 60
"""How long the one-time code that carries a new session to the cookie route stays valid."""
TOUCH_EVERY = timedelta(seconds=30)
"""Activity is written at most this often, so clicking through pages does not write on every run."""
FORGET_AFTER = timedelta(days=2)
"""Sessions that ended this long ago are deleted (their sign-in and sign-out stay in the audit log)."""


class Ended:
    """Why a token no longer signs anyone in (also the reason shown on the sign-in page)."""

    UNKNOWN = "unknown"
    SIGNED_OUT = "signed_out"
    EXPIRED = "expired"
    IDLE = "timeout"
    DISABLED = "disabled"
    PASSWORD = "password_changed"
    ROLE = "role_changed"


@dataclass(frozen=True)
class StartedSession:
    """What sign-in hands the page: the token (for this tab until the cookie is set) and the code."""

    token: str
    handoff_code: str
    expires_at: datetime


@dataclass(frozen=True)
class CookieToken:
    """The token that the cookie route puts in the browser, and when the cookie should expire."""

    token: str
    expires_at: datetime


@dataclass(frozen=True)
class Resolved:
    """A page request's staff member, or why there is none."""

    actor: Actor | None
    ended: str | None = None


@pure
def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _limits() -> tuple[timedelta, timedelta]:
    config = settings()
    return timedelta(hours=config.session_max_hours), timedelta(minutes=config.session_minutes)


@allowed(*ALL_STAFF)
def start(session: Session, actor: Actor, *, now: datetime | None = None) -> StartedSession:
    """A new session for a staff member who has just proved their password."""
    moment = now or utcnow()
    user = session.get(StaffUser, actor.id)
    if user is None or not user.active:
        raise AccessDenied("账号已停用。", "This account is disabled.")
    lifetime, _ = _limits()
    token, code = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    row = StaffSession(token_hash=token_hash(token), handoff_hash=token_hash(code),
                       handoff_expires_at=moment + timedelta(seconds=HANDOFF_SECONDS), staff_user_id=user.id,
                       created_at=moment, last_seen_at=moment, expires_at=moment + lifetime)
    session.add(row)
    session.execute(delete(StaffSession).where(StaffSession.expires_at < moment - FORGET_AFTER))
    session.flush()
    return StartedSession(token=token, handoff_code=code, expires_at=row.expires_at)


@public
def redeem_handoff(session: Session, code: str, *, now: datetime | None = None) -> CookieToken | None:
    """The cookie route's half of sign-in: a fresh token for the session the code names, once, within
    a minute; None for an unknown, used or late code, or a session that has ended meanwhile."""
    moment = now or utcnow()
    row = session.scalar(select(StaffSession).where(StaffSession.handoff_hash == token_hash(code)).with_for_update())
    if row is None:
        return None
    fresh = row.handoff_expires_at is not None and row.handoff_expires_at >= moment
    row.handoff_hash, row.handoff_expires_at = None, None
    if not fresh or _ended(session, row, moment) is not None:
        session.flush()
        return None
    token = secrets.token_urlsafe(32)
    row.token_hash = token_hash(token)
    row.last_seen_at = moment
    session.flush()
    return CookieToken(token=token, expires_at=row.expires_at)


@public
def resolve(session: Session, token: str | None, *, now: datetime | None = None) -> Resolved:
    """The staff member a request's token signs in, read afresh from the database; counts as activity.
    A session found past its lifetime or idle timeout is closed here, and that is audited once."""
    if not token:
        return Resolved(None, Ended.UNKNOWN)
    moment = now or utcnow()
    found = session.execute(select(StaffSession, StaffUser).join(StaffUser, StaffUser.id == StaffSession.staff_user_id)
                            .where(StaffSession.token_hash == token_hash(token))).first()
    if found is None:
        return Resolved(None, Ended.UNKNOWN)
    row, user = found
    ended = _ended(session, row, moment)  # reads the account loaded with the row, no second query
    if ended is not None:
        return Resolved(None, ended)
    if moment - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = moment
        session.flush()
    return Resolved(Actor(kind=ActorKind.STAFF, id=user.id, name=user.display_name, role=user.role,
                          school_id=user.school_id))


def _ended(session: Session, row: StaffSession, moment: datetime) -> str | None:
    """Why the session is over, or None; closes (and audits) one that just ran out."""
    if row.revoked_at is not None:
        return row.revoked_reason or Ended.SIGNED_OUT
    user = session.get(StaffUser, row.staff_user_id)
    if user is None or not user.active:
        return Ended.DISABLED
    lifetime, idle = _limits()
    if moment >= row.created_at + lifetime or moment >= row.expires_at:
        reason = Ended.EXPIRED
    elif moment - row.last_seen_at > idle:
        reason = Ended.IDLE
    else:
        return None
    closed = session.execute(  # only where still open: two requests finding it ended audit it once
        update(StaffSession).where(StaffSession.id == row.id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=moment, revoked_reason=reason))
    if closed.rowcount == 1:  # type: ignore[attr-defined]  # an UPDATE's Result is a CursorResult
        audit.record(session, Actor.system("session"), "staff.session_ended", "staff_user", user.id,
                     school_id=user.school_id, reason=reason)
        session.flush()
    return reason


@own_data
def end(session: Session, token: str | None, *, everywhere: bool = False, now: datetime | None = None) -> None:
    """Sign-out: this session, or with ``everywhere`` every session of the same person. Every tab
    carrying a revoked session shows the sign-in page on its next click."""
    if not token:
        return
    moment = now or utcnow()
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None:
        return
    user = session.get(StaffUser, row.staff_user_id)
    assert user is not None
    if everywhere:
        revoke_all(session, user.id, Ended.SIGNED_OUT, now=moment)
    else:
        row.revoked_at, row.revoked_reason = moment, Ended.SIGNED_OUT
    actor = Actor(kind=ActorKind.STAFF, id=user.id, name=user.display_name, role=user.role, school_id=user.school_id)
    audit.record(session, actor, "staff.logout", "staff_user", user.id, school_id=user.school_id,
                 everywhere=everywhere)
    session.flush()


@internal
def revoke_all(session: Session, user_id: int, reason: str, *, now: datetime | None = None) -> int:
    """Ends every open session of an account (password change or reset, disabling, new role); the
    caller's own audit event says why. Returns how many were open."""
    moment = now or utcnow()
    rows = session.scalars(select(StaffSession).where(StaffSession.staff_user_id == user_id,
                                                      StaffSession.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at, row.revoked_reason = moment, reason
        row.handoff_hash, row.handoff_expires_at = None, None
    session.flush()
    return len(rows)
