"""Reviewer statistics per reviewer per day, aggregated in SQL on both databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta, UTC

import pytest

from core.domain.enums import Decision, Role
from core.errors import AccessDenied
from core.models import Submission
from core.services import review, review_second
from core.services.policy import set_policy_value
from core.services.review_stats import reviewer_stats
from tests import factories as f

DAY1 = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 Beijing, 1 June
DAY2 = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def team(env, fixtures_dir):
    db, store = env
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        record = f.make_record(session, school, 1)
        f.set_enrolment_photo(session, store, record, fixtures_dir / "london" / "005_neutral.jpg")
        session.commit()
        student = f.make_linked_student(session, task, record)
        template = f.submit_photo(session, store, student, fixtures_dir / "london" / "005_smiling.jpg")
        ids = [f.share_photos(session, template, f.make_record(session, school, 100 + i), task,
                              DAY1 - timedelta(hours=2, minutes=-i)).id for i in range(7)]
        people = {r: f.actor_of(f.make_staff(session, role, r)) for r, role in (
            ("wang", Role.REVIEWER), ("zhao", Role.REVIEWER), ("senior", Role.SENIOR_REVIEWER), ("admin", Role.ADMIN))}
        set_policy_value(session, people["admin"], "second_review_rate", 0.0)
    return db, ids, people


def decide_after(session, actor, sid, decision, seconds, when, **kw):
    review.claim(session, actor, sid, now=when - timedelta(seconds=seconds))
    return review.decide(session, actor, sid, decision, now=when, **kw)


def test_decisions_approval_rate_median_and_agreement_per_reviewer_per_day(team):
    db, ids, p = team
    wang, zhao = p["wang"], p["zhao"]
    with db.session() as session:
        decide_after(session, wang, ids[0], Decision.APPROVE, 10, DAY1)
        decide_after(session, wang, ids[1], Decision.APPROVE, 40, DAY1 + timedelta(minutes=1))
        decide_after(session, wang, ids[2], Decision.REJECT, 20, DAY1 + timedelta(minutes=2), reason_code="blurred")
        undone = decide_after(session, wang, ids[3], Decision.APPROVE, 99, DAY1 + timedelta(minutes=3))
        review.undo(session, wang, undone.decision_id, now=DAY1 + timedelta(minutes=4))
        decide_after(session, zhao, ids[4], Decision.APPROVE, 5, DAY1)
        decide_after(session, zhao, ids[5], Decision.APPROVE, 7, DAY1 + timedelta(minutes=1))
        decide_after(session, zhao, ids[6], Decision.REJECT, 30, DAY2, reason_code="eyes_closed")
        # The senior second-reviews two of wang's approvals: agrees with one, not the other.
        for sid in ids[:2]:
            session.get(Submission, sid).needs_second_review = True
        review_second.decide_second(session, p["senior"], ids[0], Decision.APPROVE, now=DAY2)
        review_second.decide_second(session, p["senior"], ids[1], Decision.REJECT, reason_code="blurred", now=DAY2)

    with db.session() as session:
        rows = {(r.reviewer_name, r.day): r for r in reviewer_stats(session, p["admin"], date(2026, 6, 1), date(2026, 6, 2))}
    assert set(rows) == {("Wang", date(2026, 6, 1)), ("Zhao", date(2026, 6, 1)), ("Zhao", date(2026, 6, 2))}
    w = rows[("Wang", date(2026, 6, 1))]
    assert (w.decisions, w.approvals, w.median_seconds) == (3, 2, 20.0), "the undone decision does not count"
    assert w.approval_rate == pytest.approx(2 / 3)
    assert (w.second_reviewed, w.agreed, w.agreement_rate) == (2, 1, 0.5)
    z = rows[("Zhao", date(2026, 6, 1))]
    assert (z.decisions, z.median_seconds, z.agreement_rate) == (2, 6.0, None), "even count: mean of the middle two"
    assert rows[("Zhao", date(2026, 6, 2))].approval_rate == 0.0


def test_a_reviewer_sees_only_their_own_statistics(team):
    db, ids, p = team
    with db.session() as session:
        decide_after(session, p["wang"], ids[0], Decision.APPROVE, 10, DAY1)
        decide_after(session, p["zhao"], ids[1], Decision.APPROVE, 10, DAY1)
        mine = reviewer_stats(session, p["wang"], date(2026, 6, 1), date(2026, 6, 1))
        everyone = reviewer_stats(session, p["senior"], date(2026, 6, 1), date(2026, 6, 1))
        assert [r.reviewer_name for r in mine] == ["Wang"]
        assert [r.reviewer_name for r in everyone] == ["Wang", "Zhao"]
        registrar = f.actor_of(f.make_staff(session, Role.SUPPORT, "support"))
        with pytest.raises(AccessDenied):
            reviewer_stats(session, registrar, date(2026, 6, 1), date(2026, 6, 1))
