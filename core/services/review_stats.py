"""Reviewer statistics per reviewer per China-time day: decisions, approval rate, median seconds per
decision, agreement with second review, and how the disagreements were settled (``review_settle``). Aggregated in SQL (the median with window functions,
which SQLite and PostgreSQL both have), so a month of decisions never travels to the page.

Only first-review decisions that were not undone count. A reviewer sees their own rows; senior
reviewers and admins see everyone's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from core.domain.access import REVIEW_ROLES, Actor, allowed, require_role
from core.domain.enums import Decision, Role, SettlementMode, SettlementOutcome
from core.domain.quotas import CHINA
from core.models import ReviewDecision, ReviewSettlement, StaffUser


@dataclass(frozen=True)
class ReviewerDay:
    reviewer_id: int
    reviewer_name: str
    day: date
    decisions: int
    approvals: int
    median_seconds: float | None
    second_reviewed: int
    agreed: int
    settled: int = 0
    """Disagreements with the second review that have been settled."""
    upheld: int = 0
    """Of those, settled the first reviewer's way."""

    @property
    def disagreed(self) -> int:
        return self.second_reviewed - self.agreed

    @property
    def pending(self) -> int:
        """Disagreements still waiting for adjudication."""
        return self.disagreed - self.settled

    @property
    def approval_rate(self) -> float:
        return self.approvals / self.decisions if self.decisions else 0.0

    @property
    def agreement_rate(self) -> float | None:
        """None until a senior has second-reviewed one of the day's decisions."""
        return self.agreed / self.second_reviewed if self.second_reviewed else None


@allowed(*REVIEW_ROLES)
def reviewer_stats(session: Session, actor: Actor, first_day: date, last_day: date) -> list[ReviewerDay]:
    require_role(actor, *REVIEW_ROLES)
    d = ReviewDecision
    counted = [d.is_second_review.is_(False), d.undone_at.is_(None), d.local_day >= first_day, d.local_day <= last_day]
    if actor.role is Role.REVIEWER:
        counted.append(d.reviewer_id == actor.id)

    totals = session.execute(
        select(d.reviewer_id, d.local_day, func.count(d.id),
               func.sum(case((d.decision == Decision.APPROVE, 1), else_=0)))
        .where(*counted).group_by(d.reviewer_id, d.local_day)
    ).all()

    ranked = select(
        d.reviewer_id, d.local_day, d.seconds_spent,
        func.row_number().over(partition_by=(d.reviewer_id, d.local_day), order_by=d.seconds_spent).label("rn"),
        func.count().over(partition_by=(d.reviewer_id, d.local_day)).label("n"),
    ).where(*counted, d.seconds_spent.is_not(None)).subquery()
    medians = dict(((r, day), float(m)) for r, day, m in session.execute(
        select(ranked.c.reviewer_id, ranked.c.local_day, func.avg(ranked.c.seconds_spent))
        .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
        .group_by(ranked.c.reviewer_id, ranked.c.local_day)
    ))

    second = aliased(ReviewDecision)
    agreement = dict(((r, day), (int(n), int(a or 0))) for r, day, n, a in session.execute(
        select(d.reviewer_id, d.local_day, func.count(second.id),
               func.sum(case((d.decision == second.decision, 1), else_=0)))
        .join(second, (second.submission_id == d.submission_id) & second.is_second_review.is_(True)
              & second.undone_at.is_(None))
        .where(*counted).group_by(d.reviewer_id, d.local_day)
    ))

    settled = dict(((r, day), (int(n), int(u or 0))) for r, day, n, u in session.execute(
        select(d.reviewer_id, d.local_day, func.count(ReviewSettlement.id),
               func.sum(case((ReviewSettlement.decision == d.decision, 1), else_=0)))
        .join(ReviewSettlement, ReviewSettlement.first_decision_id == d.id)
        .where(*counted).group_by(d.reviewer_id, d.local_day)
    ))

    names = dict(session.execute(
        select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_({r for r, *_ in totals}))
    ).tuples().all()) if totals else {}
    rows = [
        ReviewerDay(
            reviewer_id=r, reviewer_name=names.get(r, str(r)), day=day, decisions=int(n), approvals=int(a or 0),
            median_seconds=medians.get((r, day)),
            second_reviewed=agreement.get((r, day), (0, 0))[0], agreed=agreement.get((r, day), (0, 0))[1],
            settled=settled.get((r, day), (0, 0))[0], upheld=settled.get((r, day), (0, 0))[1],
        )
        for r, day, n, a in totals
    ]
    return sorted(rows, key=lambda row: (row.day, row.reviewer_name))


@dataclass(frozen=True)
class SettlementSummary:
    """Disagreements settled in a span of days (by the day they were settled), which way, and
    what happened to the photos."""

    settled: int
    upheld_first: int
    upheld_second: int
    approve_to_reject: int
    """Settled as a rejection where the first review approved."""
    reject_to_approve: int
    automatic: int
    """Settled by the policy "the second review stands"."""
    replace_on_chsi: int
    """Already sent to CHSI: the registrar was told to replace the photo."""


@allowed(*REVIEW_ROLES)
def settlement_summary(session: Session, actor: Actor, first_day: date, last_day: date) -> SettlementSummary:
    """A reviewer sees the settlements of their own first decisions; seniors and admins all."""
    require_role(actor, *REVIEW_ROLES)
    first, s = aliased(ReviewDecision), ReviewSettlement
    start = datetime.combine(first_day, time(), CHINA).astimezone(UTC)
    end = datetime.combine(last_day + timedelta(days=1), time(), CHINA).astimezone(UTC)
    query = (
        select(func.count(s.id),
               func.sum(case((s.decision == first.decision, 1), else_=0)),
               func.sum(case((and_(s.decision == Decision.REJECT, first.decision == Decision.APPROVE), 1), else_=0)),
               func.sum(case((and_(s.decision == Decision.APPROVE, first.decision == Decision.REJECT), 1), else_=0)),
               func.sum(case((s.mode == SettlementMode.SECOND_STANDS, 1), else_=0)),
               func.sum(case((s.outcome == SettlementOutcome.REPLACE_ON_CHSI, 1), else_=0)))
        .join(first, first.id == s.first_decision_id)
        .where(s.settled_at >= start, s.settled_at < end)
    )
    if actor.role is Role.REVIEWER:
        query = query.where(first.reviewer_id == actor.id)
    total, upheld, to_reject, to_approve, automatic, replace = session.execute(query).one()
    total, upheld = int(total or 0), int(upheld or 0)
    return SettlementSummary(total, upheld, total - upheld, int(to_reject or 0), int(to_approve or 0),
                             int(automatic or 0), int(replace or 0))
