"""Grid mode on both databases: which photos a page holds, a page's decision equals the same
decisions taken one by one, claims are respected, and a page's decisions can be undone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.domain.enums import Decision, Role, SubmissionState
from core.errors import AccessDenied, Conflict, InvalidInput
from core.imaging.types import Verdict
from core.models import AuditEvent, Notification, ReviewDecision, Submission
from core.services import review, review_grid
from core.services.policy import set_policy_value
from core.services.review import QueueFilter
from tests import factories as f
from tests.core.services.test_review import T0, World, queue, world  # noqa: F401  (fixture)

CLEAR = {"quality_flags": "", "quality_ok": True, "face_verdict": Verdict.SAME.value}


def clear(db, w: World, count: int, *, start=T0, **fields) -> list[int]:
    return queue(db, w, count, start=start, **(CLEAR | fields))


@pytest.fixture
def quiet(env, world):  # noqa: F811
    """No random second-review sampling, so decisions compare exactly; the real capture itself is
    kept off the grid (face band 无法确定) so each test's photos are the only clear ones."""
    db, _ = env
    with db.session() as session:
        set_policy_value(session, world.admin, "second_review_rate", 0.0)
        session.get(Submission, world.template_id).face_verdict = Verdict.UNCERTAIN.value
    return world


def test_a_page_holds_only_clear_cases_oldest_first_and_claims_them(env, quiet):
    db, _ = env
    w = quiet
    wanted = clear(db, w, 13)
    clear(db, w, 1, start=T0 + timedelta(hours=1), quality_flags="mouth_open")
    clear(db, w, 1, start=T0 + timedelta(hours=1), face_verdict=Verdict.UNCERTAIN.value)
    clear(db, w, 1, start=T0 + timedelta(hours=1), face_verdict=None)
    clear(db, w, 1, start=T0 + timedelta(hours=1), state=SubmissionState.REJECTED)
    a, b = w.reviewers[:2]
    with db.session() as session:
        review.claim(session, b, wanted[0], now=T0)  # another reviewer holds the oldest clear photo
    with db.session() as session:
        page = review_grid.claim_grid(session, a, size=12, now=T0)
    assert [t.submission_id for t in page.tiles] == wanted[1:13]
    assert page.clear_waiting == 0, "the oldest is held by b, the 12 others by a"
    assert all(t.thumbnail_sha and t.standardised_sha and t.enrolment_sha for t in page.tiles)
    with db.session() as session:
        held = {s.id: s.claimed_by_id for s in session.scalars(select(Submission).where(Submission.id.in_(wanted)))}
        assert all(held[i] == a.id for i in wanted[1:13]) and held[wanted[0]] == b.id
        again = review_grid.claim_grid(session, a, size=12, now=T0 + timedelta(seconds=30))
        assert [t.submission_id for t in again.tiles] == wanted[1:13], "a reload keeps the same page"
        assert review_grid.claim_grid(session, b, size=12, now=T0).tiles[0].submission_id == wanted[0]
        assert len(review_grid.claim_grid(session, b, size=12, now=T0).tiles) == 1, "b never gets a's photos"


def test_page_size_is_bounded_and_only_reviewers_use_it(env, quiet):
    db, _ = env
    with db.session() as session:
        with pytest.raises(InvalidInput):
            review_grid.claim_grid(session, quiet.reviewers[0], size=60)
        registrar = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg", school=session.get(
            Submission, quiet.template_id).task.school))
        with pytest.raises(AccessDenied):
            review_grid.claim_grid(session, registrar)


def _trace(session, ids: list[int]) -> list[tuple]:
    """What a decision leaves behind for each photo, minus ids and times."""
    out = []
    for sid in ids:
        sub = session.get(Submission, sid)
        rows = session.scalars(select(ReviewDecision).where(ReviewDecision.submission_id == sid)).all()
        events = session.scalars(select(AuditEvent.action).where(
            AuditEvent.entity_type == "submission", AuditEvent.entity_id == sid)).all()
        notes = session.scalars(select(Notification.title).where(Notification.roster_record_id == sub.roster_record_id)).all()
        out.append((sub.state, sub.claimed_by_id, sub.needs_second_review,
                    [(r.decision, r.reason_code, r.reviewer_id) for r in rows], sorted(events), notes))
    return out


def test_one_key_on_the_grid_equals_the_same_decisions_one_by_one(env, quiet):
    db, _ = env
    a = quiet.reviewers[0]
    grid_ids = clear(db, quiet, 12)
    single_ids = clear(db, quiet, 12, start=T0 + timedelta(hours=2))
    rejections = {grid_ids[3]: "face_shadow", grid_ids[7]: "glasses_glare"}
    with db.session() as session:
        page = review_grid.claim_grid(session, a, size=12, now=T0)
        assert [t.submission_id for t in page.tiles] == grid_ids
        outcome = review_grid.decide_grid(session, a, grid_ids, rejections, now=T0 + timedelta(seconds=20))
    assert outcome.rejected == (grid_ids[3], grid_ids[7]) and len(outcome.approved) == 10 and not outcome.refused
    assert len(outcome.decision_ids) == 12
    with db.session() as session:
        for sid, code in zip(single_ids, [rejections.get(g) for g in grid_ids], strict=True):
            review.claim(session, a, sid, now=T0)
            review.decide(session, a, sid, Decision.REJECT if code else Decision.APPROVE, reason_code=code,
                          now=T0 + timedelta(seconds=20))
    with db.session() as session:
        by_grid, one_by_one = _trace(session, grid_ids), _trace(session, single_ids)
    assert by_grid == one_by_one
    assert by_grid[3][0] is SubmissionState.REJECTED and by_grid[0][0] is SubmissionState.APPROVED
    assert by_grid[3][3] == [(Decision.REJECT, "face_shadow", a.id)]
    assert by_grid[0][4] == ["review.approve"] and by_grid[0][5] == ["审核通过"]


def test_a_photo_someone_else_took_is_refused_alone(env, quiet):
    db, _ = env
    a, b = quiet.reviewers[:2]
    ids = clear(db, quiet, 12)
    with db.session() as session:
        review_grid.claim_grid(session, a, size=12, now=T0)
    later = T0 + timedelta(seconds=400)  # a's claims lapsed (300 s); b takes one and decides it
    with db.session() as session:
        review.claim(session, b, ids[5], now=later)
        review.decide(session, b, ids[5], Decision.APPROVE, now=later)
    with db.session() as session:
        outcome = review_grid.decide_grid(session, a, ids, {}, now=later)
    assert [r.submission_id for r in outcome.refused] == [ids[5]]
    assert "已被处理" in outcome.refused[0].message_zh
    assert len(outcome.approved) == 11 and ids[5] not in outcome.approved
    with db.session() as session:
        deciders = session.scalars(select(ReviewDecision.reviewer_id).where(ReviewDecision.submission_id == ids[5])).all()
    assert deciders == [b.id]


def test_rejections_must_be_standard_reasons_on_the_page(env, quiet):
    db, _ = env
    a = quiet.reviewers[0]
    ids = clear(db, quiet, 12)
    with db.session() as session:
        review_grid.claim_grid(session, a, size=12, now=T0)
    for bad in ({ids[0]: "other"}, {ids[0]: "no_such_reason"}, {999_999: "face_shadow"}):
        with db.session() as session, pytest.raises(InvalidInput):
            review_grid.decide_grid(session, a, ids, bad, now=T0)
    with db.session() as session:
        assert session.scalar(select(ReviewDecision.id).where(ReviewDecision.submission_id.in_(ids))) is None


def test_undo_brings_the_whole_page_back_to_the_same_reviewer(env, quiet):
    db, _ = env
    a, b = quiet.reviewers[:2]
    ids = clear(db, quiet, 12)
    with db.session() as session:
        review_grid.claim_grid(session, a, size=12, now=T0)
        outcome = review_grid.decide_grid(session, a, ids, {ids[0]: "face_shadow"}, now=T0)
    with db.session() as session, pytest.raises(Conflict):
        review_grid.undo_grid(session, b, list(outcome.decision_ids), now=T0)
    with db.session() as session:
        assert session.get(Submission, ids[1]).state is SubmissionState.APPROVED, "b's failed undo changed nothing"
        back = review_grid.undo_grid(session, a, list(outcome.decision_ids), now=T0 + timedelta(seconds=5))
    assert back == tuple(ids)
    with db.session() as session:
        subs = [session.get(Submission, i) for i in ids]
        assert all(s.state is SubmissionState.AWAITING_REVIEW and s.claimed_by_id == a.id for s in subs)
        rows = session.scalars(select(ReviewDecision).where(ReviewDecision.submission_id.in_(ids))).all()
        assert len(rows) == 12 and all(r.undone_at is not None for r in rows)
        undo_events = session.scalars(select(AuditEvent).where(AuditEvent.action == "review.undo")).all()
        assert sorted(e.entity_id for e in undo_events) == sorted(ids)
        page = review_grid.claim_grid(session, a, QueueFilter(), size=12, now=T0 + timedelta(seconds=6))
    assert [t.submission_id for t in page.tiles] == ids
