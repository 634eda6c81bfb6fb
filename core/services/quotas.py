"""The quota ledger: counting usage for the pure rules in ``core.domain.quotas``, and writing
uses, staff grants and purchases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import get_or_raise
from core.domain.access import OVERRIDE_ROLES, Actor, allowed, internal, require_role, require_school
from core.domain.enums import QuotaEntryType, QuotaKind, SubmissionState
from core.domain.quotas import QuotaUsage, check_grant_replacement, local_day
from core.domain.text import REASON, clean_text
from core.errors import InvalidInput
from core.models import QuotaEntry, RosterRecord, Submission, utcnow
from core.services import audit


@dataclass(frozen=True)
class QuotaEntryView:
    id: int
    kind: QuotaKind
    entry_type: QuotaEntryType
    amount: int
    local_day: date
    reason: str
    actor_name: str
    created_at: datetime
    submission_id: int | None
    """The photo a senior reviewer was sent to look at because of this override, if any."""


APPROVED_STATES = (SubmissionState.APPROVED, SubmissionState.IN_BATCH, SubmissionState.ON_CHSI)


@internal
def usage(session: Session, roster_record_id: int, now: datetime | None = None) -> QuotaUsage:
    today = local_day(now or utcnow())
    rows = session.execute(
        select(QuotaEntry.kind, QuotaEntry.entry_type, QuotaEntry.local_day, func.sum(QuotaEntry.amount))
        .where(QuotaEntry.roster_record_id == roster_record_id)
        .group_by(QuotaEntry.kind, QuotaEntry.entry_type, QuotaEntry.local_day)
    ).all()
    totals: dict[tuple[QuotaKind, QuotaEntryType, bool], int] = {}
    for kind, entry_type, day, amount in rows:
        key = (kind, entry_type, day == today)
        totals[key] = totals.get(key, 0) + int(amount or 0)

    def total(kind: QuotaKind, entry_type: QuotaEntryType, today_only: bool = False) -> int:
        if today_only:
            return totals.get((kind, entry_type, True), 0)
        return totals.get((kind, entry_type, True), 0) + totals.get((kind, entry_type, False), 0)

    approved = session.scalar(
        select(func.count(Submission.id)).where(
            Submission.roster_record_id == roster_record_id, Submission.state.in_(APPROVED_STATES)
        )
    )
    return QuotaUsage(
        standardisations_today=total(QuotaKind.STANDARDISATION, QuotaEntryType.USE, True),
        standardisations_granted_today=total(QuotaKind.STANDARDISATION, QuotaEntryType.GRANT, True),
        submissions_used=total(QuotaKind.SUBMISSION, QuotaEntryType.USE),
        submissions_granted=total(QuotaKind.SUBMISSION, QuotaEntryType.GRANT),
        submissions_purchased=total(QuotaKind.SUBMISSION, QuotaEntryType.PURCHASE),
        replacements_used=total(QuotaKind.REPLACEMENT, QuotaEntryType.USE),
        replacements_granted=total(QuotaKind.REPLACEMENT, QuotaEntryType.GRANT),
        replacements_purchased=total(QuotaKind.REPLACEMENT, QuotaEntryType.PURCHASE),
        has_approved_photo=bool(approved),
    )


@internal
def add_entry(
    session: Session,
    roster_record_id: int,
    kind: QuotaKind,
    entry_type: QuotaEntryType,
    *,
    actor: Actor,
    reason: str = "",
    submission_id: int | None = None,
    payment_id: int | None = None,
    amount: int = 1,
    now: datetime | None = None,
) -> QuotaEntry:
    moment = now or utcnow()
    entry = QuotaEntry(
        roster_record_id=roster_record_id,
        kind=kind,
        entry_type=entry_type,
        amount=amount,
        local_day=local_day(moment),
        reason=reason,
        actor_name=actor.name,
        staff_id=actor.id if actor.is_staff else None,
        submission_id=submission_id,
        payment_id=payment_id,
        created_at=moment,
    )
    session.add(entry)
    return entry


@allowed(*OVERRIDE_ROLES)
def grant(
    session: Session,
    actor: Actor,
    roster_record_id: int,
    kind: QuotaKind,
    reason: str,
    *,
    amount: int = 1,
    now: datetime | None = None,
) -> QuotaEntry:
    """A staff override: extra standardisations today, extra free submissions, or a replacement."""
    require_role(actor, *OVERRIDE_ROLES)
    record = get_or_raise(session, RosterRecord, roster_record_id, "学籍记录不存在。", "Roster record not found.")
    require_school(actor, record.school_id)
    reason = clean_text(reason, REASON)
    if not reason:
        raise InvalidInput("请填写调整原因。", "A reason is required for a quota override.")
    if not 1 <= amount <= 10:
        raise InvalidInput("每次可增加 1–10 次。", "A grant adds 1 to 10 attempts.")
    if kind is QuotaKind.REPLACEMENT:
        check_grant_replacement(usage(session, roster_record_id, now))
    entry = add_entry(session, roster_record_id, kind, QuotaEntryType.GRANT, actor=actor, reason=reason, amount=amount, now=now)
    session.flush()
    audit.record(
        session, actor, "quota.grant", "quota_entry", entry.id,
        school_id=record.school_id, roster_record_id=record.id,
        kind=kind, amount=amount, reason=reason,
    )
    return entry
