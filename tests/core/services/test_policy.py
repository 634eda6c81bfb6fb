from __future__ import annotations

import pytest

from core.domain.enums import Role
from core.domain.policy import RANGES, Policy
from core.errors import AccessDenied, InvalidInput
from core.models import StudentAccount
from core.services import audit, linking, policy
from tests import factories as f


def _admin(session):
    return f.actor_of(f.make_staff(session, Role.ADMIN, "admin"))


def test_settings_list_every_range_with_its_default_and_current_value(db):
    with db.session() as session:
        admin = _admin(session)
        views = {v.key: v for v in policy.list_settings(session, admin)}
        assert set(views) == set(RANGES)
        daily = views["daily_standardisations"]
        assert (daily.default, daily.current, daily.low, daily.high, daily.whole_number) == (5, 5, 1, 20, True)
        assert not daily.changed and daily.updated_by is None
        policy.set_policy_value(session, admin, "daily_standardisations", 8)
        daily = {v.key: v for v in policy.list_settings(session, admin)}["daily_standardisations"]
        assert (daily.default, daily.current, daily.updated_by) == (5, 8, "Admin")
        assert daily.changed and daily.updated_at is not None
        assert views["second_review_rate"].whole_number is False


def test_values_outside_their_range_or_of_the_wrong_kind_are_refused_and_nothing_changes(db):
    with db.session() as session:
        admin = _admin(session)
        for key, value in [("daily_standardisations", 0), ("daily_standardisations", 21),
                           ("daily_standardisations", 2.5), ("second_review_rate", 1.5),
                           ("claim_expiry_seconds", "soon"), ("no_such_setting", 1)]:
            with pytest.raises(InvalidInput):
                policy.set_policy_value(session, admin, key, value)
        assert policy.get_policy(session) == Policy()
        assert policy.history(session, admin) == []


def test_face_bands_stay_consistent_and_can_move_together(db):
    with db.session() as session:
        admin = _admin(session)
        with pytest.raises(InvalidInput, match="same-person distance"):
            policy.set_policy_value(session, admin, "face_same_distance", 0.6)
        with pytest.raises(InvalidInput, match="same-person distance"):
            policy.set_policy_value(session, admin, "face_different_distance", 0.3)
        moved = policy.set_policy_values(session, admin, {"face_same_distance": 0.6,
                                                          "face_different_distance": 0.7})
        assert (moved.face_same_distance, moved.face_different_distance) == (0.6, 0.7)


def test_history_records_who_changed_what_and_skips_unchanged_values(db):
    with db.session() as session:
        admin = _admin(session)
        policy.set_policy_values(session, admin, {"second_review_rate": 0.1, "free_submissions": 2})
        policy.set_policy_value(session, admin, "second_review_rate", 0.2)
        changes = policy.history(session, admin)
        assert [(c.key, c.old_value, c.new_value, c.changed_by) for c in changes] == [
            ("second_review_rate", 0.1, 0.2, "Admin"), ("second_review_rate", 0.05, 0.1, "Admin")]
        assert [c.new_value for c in policy.history(session, admin, key="free_submissions")] == []
        assert len(audit.events_for(session, action="policy.change")) == 2


def test_a_new_limit_applies_to_the_next_request_without_a_restart(db):
    """Each step is its own transaction, as separate requests in separate processes would be."""
    with db.session() as session:
        admin = _admin(session)
        school = f.make_school(session)
        task_id = f.make_task(session, school).id
        account_id = linking.sign_in(session, "openid-x", "同学").id
        policy.set_policy_value(session, admin, "verification_attempts", 1)

    def wrong_check():
        with db.session() as session:
            account = session.get(StudentAccount, account_id)
            return linking.verify_identity(session, account, task_id, name="无此人", student_number="0",
                                           id_last4="0000", code=None).error

    wrong_check()
    assert "Too many failed checks" in wrong_check().message_en
    with db.session() as session:
        policy.set_policy_value(session, admin, "verification_attempts", 3)
        account = session.get(StudentAccount, account_id)
        account.verification_locked_until = None
    assert "No matching roster record" in wrong_check().message_en
    assert "No matching roster record" in wrong_check().message_en


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.SENIOR_REVIEWER, Role.REGISTRAR, Role.SUPPORT])
def test_no_other_role_may_read_or_change_the_settings(db, role):
    with db.session() as session:
        school = f.make_school(session)
        someone = f.actor_of(f.make_staff(session, role, "someone", school=school if role is Role.REGISTRAR else None))
        for call in (lambda: policy.list_settings(session, someone), lambda: policy.history(session, someone),
                     lambda: policy.set_policy_value(session, someone, "daily_standardisations", 20),
                     lambda: policy.set_policy_values(session, someone, {"second_review_rate": 0.0})):
            with pytest.raises(AccessDenied):
                call()
        assert policy.get_policy(session) == Policy()


def test_face_band_defaults_come_from_the_calibration_and_an_admin_change_reaches_the_imaging(db):
    from core.imaging.thresholds import DEFAULT_THRESHOLDS

    with db.session() as session:
        admin = _admin(session)
        views = {v.key: v for v in policy.list_settings(session, admin)}
        assert (views["face_same_distance"].default, views["face_different_distance"].default) == (
            DEFAULT_THRESHOLDS.same_max_distance, DEFAULT_THRESHOLDS.different_min_distance)
        assert policy.face_thresholds(session) == DEFAULT_THRESHOLDS
        policy.set_policy_values(session, admin, {"face_same_distance": 0.35, "face_different_distance": 0.6})
    with db.session() as session:
        used = policy.face_thresholds(session)
        assert (used.same_max_distance, used.different_min_distance) == (0.35, 0.6)
        assert used.max_roll_deg == DEFAULT_THRESHOLDS.max_roll_deg
        changes = {c.key: c.old_value for c in policy.history(session, admin)}
        assert changes == {"face_same_distance": DEFAULT_THRESHOLDS.same_max_distance,
                           "face_different_distance": DEFAULT_THRESHOLDS.different_min_distance}
