"""Counts for the overview page, aggregated in SQL and limited to the actor's school."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.domain.access import ALL_STAFF, Actor, allowed, school_scope
from core.domain.enums import SubmissionState
from core.models import AccountLink, RosterRecord, Submission


@dataclass(frozen=True)
class StateCounts:
    by_state: dict[SubmissionState, int]
    roster_records: int
    linked: int


@allowed(*ALL_STAFF)
def state_counts(session: Session, actor: Actor) -> StateCounts:
    school = school_scope(actor)
    by_state = select(Submission.state, func.count(Submission.id)).group_by(Submission.state)
    records = select(func.count(RosterRecord.id))
    linked = select(func.count(AccountLink.id)).where(AccountLink.active.is_(True))
    if school is not None:
        by_state = by_state.join(RosterRecord, Submission.roster_record_id == RosterRecord.id).where(
            RosterRecord.school_id == school)
        records = records.where(RosterRecord.school_id == school)
        linked = linked.join(RosterRecord, AccountLink.roster_record_id == RosterRecord.id).where(
            RosterRecord.school_id == school)
    found = dict(session.execute(by_state).tuples().all())
    return StateCounts(
        by_state={state: int(found.get(state, 0)) for state in SubmissionState},
        roster_records=int(session.scalar(records) or 0),
        linked=int(session.scalar(linked) or 0),
    )
