"""Reviewer statistics per reviewer per China-time day: decisions, approval rate, median seconds per
decision, and agreement with second review. Aggregated in SQL (the median with window functions,
which SQLite and PostgreSQL both have), so a month of decisions never travels to the page.

Only first-review decisions that were not undone count. A reviewer sees their own rows; senior
reviewers and admins see everyone's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from core.domain.access import REVIEW_ROLES, Actor, allowed, require_role
from core.domain.enums import Decision, Role
from core.models import ReviewDecision, StaffUser


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

    names = dict(session.execute(
        select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_({r for r, *_ in totals}))
    ).tuples().all()) if totals else {}
    rows = [
        ReviewerDay(
            reviewer_id=r, reviewer_name=names.get(r, str(r)), day=day, decisions=int(n), approvals=int(a or 0),
            median_seconds=medians.get((r, day)),
            second_reviewed=agreement.get((r, day), (0, 0))[0], agreed=agreement.get((r, day), (0, 0))[1],
        )
        for r, day, n, a in totals
    ]
    return sorted(rows, key=lambda row: (row.day, row.reviewer_name))
