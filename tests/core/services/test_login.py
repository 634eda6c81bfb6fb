"""Staff sign-in: it tells nobody which names exist, slows guessers without letting a stranger lock a
colleague out, keeps its counts in the database, and audits every failure (never the password)."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.db import Database
from core.domain.enums import Role
from core.domain.sign_in import RULES, Scope
from core.errors import InvalidInput
from core.models import AuditEvent, LoginThrottle, utcnow
from core.services import staff
from tests import factories as f

HOME = "198.51.100.10"
"""The real user's own address; the strangers come from elsewhere."""


PRODUCTION_HASHER = staff._hasher
pytestmark = pytest.mark.usefixtures("quick_password_hashes")


def _user(db: Database, username: str = "li.reviewer") -> None:
    with db.session() as session:
        f.make_staff(session, Role.REVIEWER, username)


def _attempt(db: Database, username: str, password: str, address: str | None = HOME, now=None):
    with db.session() as session:
        outcome = staff.authenticate(session, username, password, address=address, now=now)
        return outcome.user is not None, outcome.error.message_en if outcome.error else "", outcome.retry_after_seconds


def test_an_unknown_name_and_a_wrong_password_get_the_same_answer(db):
    _user(db)
    assert _attempt(db, "nobody.here", "Whatever2025") == (False, "Wrong username or password.", None)
    assert _attempt(db, "li.reviewer", "Whatever2025") == (False, "Wrong username or password.", None)
    assert _attempt(db, "li.reviewer", f.PASSWORD)[0]


def _timed(db: Database, username: str, password: str, address: str) -> float:
    """The attempt's CPU time in this process: the work it does, which is what must not differ.
    (Sign-in never sleeps: a delay is returned, not waited. Wall time on a loaded machine measured
    the neighbours as well: one run at load 4 put the unknown name at 2.0 times the wrong password.)"""
    start = time.process_time()
    _attempt(db, username, password, address)
    return time.process_time() - start


def test_an_unknown_name_costs_the_same_password_check_as_a_known_one(db, monkeypatch):
    """Timed in CPU time (the machine is shared): each kind of attempt is repeated, interleaved, and
    compared by its median. An unknown name must cost at least about one argon2 verification and
    about as much as a known name with a wrong password; without the dummy hash it cost ~2 ms
    against ~430 ms."""
    monkeypatch.setattr(staff, "_hasher", PRODUCTION_HASHER)
    _user(db)
    verify = []
    for _ in range(3):
        start = time.process_time()
        staff.hash_password("Sample2025")  # hashing and verifying cost the same argon2 work
        verify.append(time.process_time() - start)
    unknown, wrong, right = [], [], []
    for i in range(3):
        unknown.append(_timed(db, f"nobody{i}", "Whatever2025", f"203.0.113.{i}"))
        wrong.append(_timed(db, "li.reviewer", "Whatever2025", f"203.0.113.{10 + i}"))
        right.append(_timed(db, "li.reviewer", f.PASSWORD, f"203.0.113.{20 + i}"))
    argon2, u, w, r = (statistics.median(x) for x in (verify, unknown, wrong, right))
    print(f"\nargon2 {argon2 * 1000:.0f} ms · unknown name {u * 1000:.0f} ms · known name, wrong password "
          f"{w * 1000:.0f} ms · right password {r * 1000:.0f} ms")
    assert u >= 0.6 * argon2
    assert 0.5 * w <= u <= 2 * w


def test_a_stranger_guessing_from_elsewhere_never_locks_the_real_user_out(db):
    """200 guesses from 200 addresses, each made as soon as the name's delay allows: the real user,
    from their own address, then waits at most half a minute, and signs in."""
    _user(db)
    moment = utcnow()
    checked = 0
    for i in range(200):
        _, _, wait = _attempt(db, "li.reviewer", f"Guess{i}xyz", address=f"203.0.{i // 250}.{i % 250}", now=moment)
        if wait:  # refused unchecked: the stranger comes back when allowed
            moment += timedelta(seconds=wait)
            _attempt(db, "li.reviewer", f"Guess{i}xyz", address=f"203.0.{i // 250}.{i % 250}", now=moment)
        checked += 1
    with db.session() as session:
        name_failures = session.scalars(select(LoginThrottle.failures).where(LoginThrottle.scope == "name")).one()
    assert name_failures == checked == 200
    signed_in, message, wait = _attempt(db, "li.reviewer", f.PASSWORD, now=moment)
    assert not signed_in and "try again in" in message and wait == RULES[Scope.NAME].cap_seconds == 30
    assert _attempt(db, "li.reviewer", f.PASSWORD, now=moment + timedelta(seconds=wait))[0]


def test_a_guesser_from_one_address_waits_longer_and_longer(db):
    _user(db)
    moment = utcnow()
    for i in range(5):
        assert _attempt(db, "li.reviewer", f"Guess{i}xyz", address="203.0.113.66", now=moment)[2] is None
    _attempt(db, "li.reviewer", "Guess5xyz", address="203.0.113.66", now=moment)
    waits = []
    for step in range(4):
        signed_in, _, wait = _attempt(db, "li.reviewer", f.PASSWORD, address="203.0.113.66", now=moment)
        assert not signed_in, "the right password is not even checked while the address must wait"
        waits.append(wait)
        moment += timedelta(seconds=wait)
        _attempt(db, "li.reviewer", f"Again{step}xyz", address="203.0.113.66", now=moment)
    assert waits == [1, 2, 4, 8]
    assert _attempt(db, "li.reviewer", f.PASSWORD, address=HOME, now=moment)[0], "the user's own address is not slowed"


def test_one_address_spraying_names_is_slowed_for_every_name(db):
    _user(db)
    moment = utcnow()
    for i in range(RULES[Scope.ADDRESS].free_failures + 1):
        _attempt(db, f"user{i}", "Whatever2025", address="203.0.113.99", now=moment)
    signed_in, _, wait = _attempt(db, "li.reviewer", f.PASSWORD, address="203.0.113.99", now=moment)
    assert not signed_in and wait == 1


def test_the_counts_live_in_the_database_so_every_server_process_sees_them(db):
    _user(db)
    second_process = Database(db.url)  # its own engine and connections, as another server would have
    try:
        moment = utcnow()
        for i in range(6):
            _attempt(db, "li.reviewer", f"Guess{i}xyz", address="203.0.113.5", now=moment)
        assert _attempt(second_process, "li.reviewer", f.PASSWORD, address="203.0.113.5", now=moment)[2] == 1
    finally:
        second_process.dispose()


def test_a_success_forgets_the_users_own_typos_and_counts_expire(db):
    _user(db)
    moment = utcnow()
    for i in range(4):
        _attempt(db, "li.reviewer", f"Typo{i}xyz", now=moment)
    assert _attempt(db, "li.reviewer", f.PASSWORD, now=moment)[0]
    for i in range(5):  # a fresh allowance after the success
        assert _attempt(db, "li.reviewer", f"Typo{i}abc", now=moment)[2] is None
    assert _attempt(db, "li.reviewer", f.PASSWORD, now=moment)[0]
    with db.session() as session:
        stale = moment - timedelta(hours=2)
        session.add(LoginThrottle(key="x" * 64, scope="address", failures=99, last_failure_at=stale))
    _attempt(db, "nobody", "Whatever2025", now=moment)
    with db.session() as session:
        assert session.get(LoginThrottle, "x" * 64) is None, "counters idle for an hour are dropped"


def test_every_failure_is_audited_with_the_name_tried_and_the_network_never_the_password(db):
    _user(db)
    _attempt(db, "nobody.here", "Secret-Guess-1", address="203.0.113.77")
    _attempt(db, "li.reviewer", "Secret-Guess-2", address="2001:db8:abcd:12::1")
    _attempt(db, "li.reviewer", f.PASSWORD, address="203.0.113.77")
    with db.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("staff.login%"))
                                 .order_by(AuditEvent.id)).all()
        failed = [e for e in events if e.action == "staff.login_failed"]
        assert [(e.detail["username"], e.detail["address"], e.detail["reason"]) for e in failed] == [
            ("nobody.here", "203.0.113.*", "unknown_user"), ("li.reviewer", "2001:db8:abcd::/48", "wrong_password")]
        assert failed[0].entity_id is None and failed[1].entity_id is not None
        assert events[-1].action == "staff.login" and events[-1].detail["address"] == "203.0.113.*"
        everything = " ".join(str(e.detail) for e in session.scalars(select(AuditEvent)))
        assert "Secret-Guess" not in everything and f.PASSWORD not in everything
        assert session.scalar(select(func.count()).select_from(LoginThrottle).where(
            LoginThrottle.key.contains("reviewer"))) == 0


@pytest.mark.parametrize("name", ["li\x00reviewer", "\x00", "li\u202ereviewer", "a" * 70, "   "])
def test_a_hostile_login_name_gets_a_clear_refusal_not_a_database_error(db, name):
    _user(db)
    with db.session() as session:
        outcome = staff.authenticate(session, name, f.PASSWORD, address=HOME)
    assert outcome.user is None and isinstance(outcome.error, InvalidInput)
    assert "用户名" in outcome.error.message_zh


def test_a_disabled_account_with_the_right_password_is_refused_like_a_wrong_one(db):
    with db.session() as session:
        admin = f.actor_of(f.make_staff(session, Role.ADMIN, "boss"))
        user = f.make_staff(session, Role.REVIEWER, "li.reviewer")
        staff.set_active(session, admin, user.id, False)
    assert _attempt(db, "li.reviewer", f.PASSWORD) == (False, "Wrong username or password.", None)
    with db.session() as session:
        assert session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "staff.login_failed")).one()["reason"] == "disabled"
