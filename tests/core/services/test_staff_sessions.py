"""Server-side staff sessions (SQLite and PostgreSQL): the token is stored only hashed; a session
ends at its absolute lifetime and after the idle timeout; sign-out ends it (or every session of the
person); a password change or reset, disabling and a new role end every session of the account."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.config import settings
from core.domain.enums import Role
from core.errors import AccessDenied
from core.models import AuditEvent, StaffSession, StaffUser, utcnow
from core.services import staff, staff_sessions
from core.services.staff_sessions import Ended
from tests import factories as f


@pytest.fixture
def people(db):
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "wang.admin")
        reviewer = f.make_staff(session, Role.REVIEWER, "li.reviewer")
        return staff.actor_for(admin), staff.actor_for(reviewer)


def start(db, actor, **kw):
    with db.session() as session:
        return staff_sessions.start(session, actor, **kw)


def resolve(db, token, **kw):
    with db.session() as session:
        return staff_sessions.resolve(session, token, **kw)


def test_the_token_resolves_to_its_staff_member_and_only_its_hash_is_stored(db, people):
    _, reviewer = people
    started = start(db, reviewer)
    resolved = resolve(db, started.token)
    assert resolved.actor is not None and resolved.actor.id == reviewer.id and resolved.actor.role is Role.REVIEWER
    with db.session() as session:
        row = session.scalars(select(StaffSession)).one()
        stored = " ".join(str(v) for v in (row.token_hash, row.handoff_hash))
        f.keep(session, row)
    assert started.token not in stored and started.handoff_code not in stored
    assert row.token_hash == hashlib.sha256(started.token.encode()).hexdigest()
    assert len(started.token) >= 43  # 32 random bytes
    assert resolve(db, started.token[:-1] + ("A" if started.token[-1] != "A" else "B")).actor is None
    assert resolve(db, None).ended == Ended.UNKNOWN


def test_the_handoff_code_gives_a_new_token_once_and_retires_the_first(db, people):
    _, reviewer = people
    started = start(db, reviewer)
    with db.session() as session:
        cookie = staff_sessions.redeem_handoff(session, started.handoff_code)
    assert cookie is not None and cookie.token != started.token
    assert resolve(db, cookie.token).actor.id == reviewer.id
    assert resolve(db, started.token).actor is None
    with db.session() as session:
        assert staff_sessions.redeem_handoff(session, started.handoff_code) is None  # used


def test_a_late_handoff_code_is_refused(db, people):
    _, reviewer = people
    moment = utcnow()
    started = start(db, reviewer, now=moment)
    with db.session() as session:
        late = moment + timedelta(seconds=staff_sessions.HANDOFF_SECONDS + 1)
        assert staff_sessions.redeem_handoff(session, started.handoff_code, now=late) is None


def test_the_idle_timeout_ends_a_session_and_activity_keeps_it(db, people):
    _, reviewer = people
    moment = utcnow()
    idle = timedelta(minutes=settings().session_minutes)
    token = start(db, reviewer, now=moment).token
    for step in range(1, 5):  # a click every 29 minutes keeps the session for two hours
        assert resolve(db, token, now=moment + step * (idle - timedelta(minutes=1))).actor is not None
    last = moment + 4 * (idle - timedelta(minutes=1))
    ended = resolve(db, token, now=last + idle + timedelta(seconds=1))
    assert ended.actor is None and ended.ended == Ended.IDLE
    assert resolve(db, token, now=last + timedelta(seconds=1)).ended == Ended.IDLE  # ended stays ended
    with db.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.session_ended")).all()
        assert [(e.entity_id, e.detail["reason"]) for e in events] == [(reviewer.id, Ended.IDLE)]


def test_the_absolute_lifetime_ends_even_an_active_session(db, people):
    _, reviewer = people
    moment = utcnow()
    token = start(db, reviewer, now=moment).token
    lifetime = timedelta(hours=settings().session_max_hours)
    step = timedelta(minutes=20)
    at = moment
    while at + step < moment + lifetime:
        at += step
        assert resolve(db, token, now=at).actor is not None
    assert resolve(db, token, now=moment + lifetime).ended == Ended.EXPIRED


def test_sign_out_ends_that_session_and_everywhere_ends_them_all(db, people):
    _, reviewer = people
    laptop, phone, desk = (start(db, reviewer).token for _ in range(3))
    with db.session() as session:
        staff_sessions.end(session, laptop)
    assert resolve(db, laptop).ended == Ended.SIGNED_OUT
    assert resolve(db, phone).actor is not None and resolve(db, desk).actor is not None
    with db.session() as session:
        staff_sessions.end(session, phone, everywhere=True)
    assert resolve(db, desk).ended == Ended.SIGNED_OUT
    with db.session() as session:
        logouts = session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.logout")
                                  .order_by(AuditEvent.id)).all()
        assert [(e.actor_id, e.detail["everywhere"]) for e in logouts] == [(reviewer.id, False), (reviewer.id, True)]


def test_a_password_change_ends_every_session_of_the_account(db, people, quick_password_hashes):
    admin, reviewer = people
    token, other = start(db, reviewer).token, start(db, admin).token
    with db.session() as session:
        staff.change_password(session, reviewer, f.PASSWORD, "Another2026pass")
    assert resolve(db, token).ended == Ended.PASSWORD
    assert resolve(db, other).actor is not None  # other people's sessions are untouched


def test_a_password_reset_by_an_admin_ends_every_session_of_the_account(db, people):
    admin, reviewer = people
    token = start(db, reviewer).token
    with db.session() as session:
        staff.reset_password(session, admin, reviewer.id)
    assert resolve(db, token).ended == Ended.PASSWORD


def test_disabling_ends_every_session_and_a_disabled_account_cannot_start_one(db, people):
    admin, reviewer = people
    tokens = [start(db, reviewer).token for _ in range(2)]
    with db.session() as session:
        staff.set_active(session, admin, reviewer.id, False)
    assert [resolve(db, t).ended for t in tokens] == [Ended.DISABLED] * 2
    with db.session() as session:
        staff.set_active(session, admin, reviewer.id, True)
    assert [resolve(db, t).actor for t in tokens] == [None, None]  # enabling again does not revive them
    with db.session() as session:
        session.get(StaffUser, reviewer.id).active = False
    with pytest.raises(AccessDenied):
        start(db, reviewer)


def test_a_disabled_account_is_out_even_before_its_sessions_are_revoked(db, people):
    """Resolution reads the account on every request: a change made outside the staff service still
    applies at once."""
    _, reviewer = people
    token = start(db, reviewer).token
    with db.session() as session:
        session.get(StaffUser, reviewer.id).active = False
    assert resolve(db, token).ended == Ended.DISABLED


def test_a_new_role_ends_every_session_and_a_new_name_does_not(db, people):
    admin, reviewer = people
    token = start(db, reviewer).token
    with db.session() as session:
        staff.assign_role(session, admin, reviewer.id, role=Role.REVIEWER, display_name="李评审")
    assert resolve(db, token).actor.name == "李评审"
    with db.session() as session:
        staff.assign_role(session, admin, reviewer.id, role=Role.SENIOR_REVIEWER)
    assert resolve(db, token).ended == Ended.ROLE
    fresh = start(db, reviewer).token  # signing in again gives the new role
    assert resolve(db, fresh).actor.role is Role.SENIOR_REVIEWER



def test_sessions_long_over_are_deleted_when_someone_signs_in(db, people):
    admin, reviewer = people
    moment = utcnow()
    old = start(db, reviewer, now=moment - timedelta(days=5)).token
    recent = start(db, reviewer, now=moment - timedelta(hours=13)).token  # over, but not long ago
    start(db, admin, now=moment)
    with db.session() as session:
        kept = set(session.scalars(select(StaffSession.token_hash)).all())
    assert staff_sessions.token_hash(old) not in kept and staff_sessions.token_hash(recent) in kept
    assert len(kept) == 2
