from __future__ import annotations

import pytest

from core.domain.enums import Role
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.models import StaffUser, utcnow
from core.services import audit, staff
from tests import factories as f


def _admin(session, username="admin"):
    user = f.make_staff(session, Role.ADMIN, username)
    return user, f.actor_of(user)


def test_create_staff_enforces_the_password_policy_and_unique_usernames(db):
    with db.session() as session:
        _, admin = _admin(session)
        for weak in ("short1a", "onlyletters", "1234567890"):
            with pytest.raises(InvalidInput, match="letters and digits"):
                staff.create_staff(session, admin, username="li", display_name="李", role=Role.REVIEWER,
                                   password=weak)
        user = staff.create_staff(session, admin, username="li", display_name="李", role=Role.REVIEWER,
                                  password="Review2025")
        assert user.must_change_password is True
        with pytest.raises(Conflict, match="taken"):
            staff.create_staff(session, admin, username="li", display_name="李二", role=Role.SUPPORT,
                               password="Review2025")


def test_a_registrar_needs_an_existing_school(db):
    with db.session() as session:
        _, admin = _admin(session)
        with pytest.raises(InvalidInput, match="must belong to a school"):
            staff.create_staff(session, admin, username="reg", display_name="学籍", role=Role.REGISTRAR,
                               password="Regist2025")
        with pytest.raises(NotFound):
            staff.create_staff(session, admin, username="reg", display_name="学籍", role=Role.REGISTRAR,
                               password="Regist2025", school_id=999)


def test_assign_role_and_school_applies_on_the_next_page_load(db):
    with db.session() as session:
        _, admin = _admin(session)
        school = f.make_school(session)
        user = f.make_staff(session, Role.REVIEWER, "wang")
        staff.assign_role(session, admin, user.id, role=Role.REGISTRAR, school_id=school.id)
        user_id = user.id
    with db.session() as session:
        actor = staff.load_actor(session, user_id)
        assert (actor.role, actor.school_id) == (Role.REGISTRAR, school.id)
        event = audit.events_for(session, action="staff.update")[0]
        assert event.detail["changes"] == {"role": ["reviewer", "registrar"], "school_id": [None, school.id]}
        staff.assign_role(session, admin, user_id, role=Role.SUPPORT, school_id=school.id)
        assert session.get(StaffUser, user_id).school_id is None


def test_reset_password_forces_a_change_at_next_login(db):
    with db.session() as session:
        _, admin = _admin(session)
        user = f.make_staff(session, Role.REVIEWER, "li")
        temporary = staff.reset_password(session, admin, user.id)
        staff.check_password_policy(temporary, "li")
    with db.session() as session:
        assert staff.authenticate(session, "li", f.PASSWORD).error is not None
        outcome = staff.authenticate(session, "li", temporary)
        assert outcome.user is not None
        assert staff.must_change_password(session, outcome.user.id)
        me = staff.actor_for(outcome.user)
        with pytest.raises(InvalidInput, match="must differ"):
            staff.change_password(session, me, temporary, temporary)
        with pytest.raises(AccessDenied):
            staff.change_password(session, me, "wrong-old-1", "NewPass2025")
        staff.change_password(session, me, temporary, "NewPass2025")
        assert not staff.must_change_password(session, me.id)
        assert [e.action for e in audit.events_for(session, entity_type="staff_user", entity_id=me.id)][-4:] == [
            "staff.reset_password", "staff.login_failed", "staff.login", "staff.change_password"]


def test_reset_password_lifts_the_sign_in_delays_on_the_name(db):
    with db.session() as session:
        _, admin = _admin(session)
        f.make_staff(session, Role.SUPPORT, "zhao")
    moment = utcnow()  # one instant: the slowest machine cannot outwait the delay between attempts
    with db.session() as session:
        for _ in range(6):
            staff.authenticate(session, "zhao", "bad-password-1", address="198.51.100.7", now=moment)
        slowed = staff.authenticate(session, "zhao", f.PASSWORD, address="198.51.100.7", now=moment)
        assert slowed.user is None and "try again in" in slowed.error.message_en
        temporary = staff.reset_password(session, admin, session.query(StaffUser).filter_by(username="zhao").one().id)
    with db.session() as session:
        assert staff.authenticate(session, "zhao", temporary, address="198.51.100.7", now=moment).user is not None


def test_a_disabled_account_cannot_sign_in_and_is_signed_out(db):
    with db.session() as session:
        _, admin = _admin(session)
        user = f.make_staff(session, Role.REVIEWER, "li")
        staff.set_active(session, admin, user.id, False)
        user_id = user.id
    with db.session() as session:
        assert staff.authenticate(session, "li", f.PASSWORD).user is None
        with pytest.raises(AccessDenied, match="disabled"):
            staff.load_actor(session, user_id)
        staff.set_active(session, admin, user_id, True)
        assert staff.authenticate(session, "li", f.PASSWORD).user is not None
        assert [e.action for e in audit.events_for(session, entity_type="staff_user", entity_id=user_id)][1:5] == [
            "staff.disable", "staff.login_failed", "staff.enable", "staff.login"]


def test_the_last_active_admin_cannot_be_disabled_or_demoted(db):
    with db.session() as session:
        only, admin = _admin(session)
        with pytest.raises(Conflict, match="last active admin"):
            staff.set_active(session, admin, only.id, False)
        with pytest.raises(Conflict, match="last active admin"):
            staff.assign_role(session, admin, only.id, role=Role.REVIEWER)
        second = f.make_staff(session, Role.ADMIN, "admin2")
        staff.set_active(session, admin, second.id, False)
        with pytest.raises(Conflict, match="last active admin"):
            staff.set_active(session, admin, only.id, False)
        staff.set_active(session, admin, second.id, True)
        only = staff.assign_role(session, admin, only.id, role=Role.REVIEWER)
        assert only.role is Role.REVIEWER
        with pytest.raises(Conflict, match="last active admin"):
            staff.set_active(session, f.actor_of(second), second.id, False)
        assert session.get(StaffUser, second.id).active


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.SENIOR_REVIEWER, Role.REGISTRAR, Role.SUPPORT])
def test_no_other_role_may_manage_staff(db, role):
    with db.session() as session:
        school = f.make_school(session)
        target = f.make_staff(session, Role.REVIEWER, "target")
        someone = f.actor_of(f.make_staff(session, role, "someone", school=school if role is Role.REGISTRAR else None))
        calls = [
            lambda: staff.list_staff(session, someone),
            lambda: staff.create_staff(session, someone, username="x", display_name="x", role=Role.ADMIN,
                                       password="Escalate2025"),
            lambda: staff.assign_role(session, someone, someone.id, role=Role.ADMIN),
            lambda: staff.reset_password(session, someone, target.id),
            lambda: staff.set_active(session, someone, target.id, False),
        ]
        for call in calls:
            with pytest.raises(AccessDenied):
                call()
        assert target.active and session.get(StaffUser, someone.id).role is role
