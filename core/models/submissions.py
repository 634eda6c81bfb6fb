"""Submissions (a capture through its whole life), review decisions and the quota ledger."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.domain.enums import (
    Decision,
    QuotaEntryType,
    QuotaKind,
    SecondReviewReason,
    SettlementMode,
    SettlementOutcome,
    SubmissionState,
    Verdict,
)
from core.models.base import Base, enum_column, utcnow
from core.models.organisation import CollectionTask, StaffUser
from core.models.students import RosterRecord


class Submission(Base):
    """One capture of one student, from the raw photo to CHSI. Photos are content hashes into the
    photo store; ``version`` makes concurrent decisions fail loudly instead of overwriting."""

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    roster_record_id: Mapped[int] = mapped_column(ForeignKey("roster_record.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("collection_task.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("student_account.id"), index=True)
    state: Mapped[SubmissionState] = mapped_column(enum_column(SubmissionState), default=SubmissionState.CAPTURED)
    version: Mapped[int] = mapped_column(default=1)
    attempt_number: Mapped[int] = mapped_column(default=0)  # nth submission for review of this record
    on_temporary_code: Mapped[bool] = mapped_column(default=False)

    raw_sha: Mapped[str] = mapped_column(String(64))
    standardised_sha: Mapped[str | None] = mapped_column(String(64))
    thumbnail_sha: Mapped[str | None] = mapped_column(String(64))
    quality_ok: Mapped[bool | None]
    quality_report: Mapped[list[Any]] = mapped_column(default=list)
    quality_flags: Mapped[str] = mapped_column(String(255), default="")  # failed check codes, comma-joined, for filtering
    face_distance: Mapped[float | None] = mapped_column(Float)
    face_similarity: Mapped[float | None] = mapped_column(Float)
    face_verdict: Mapped[Verdict | None] = mapped_column(enum_column(Verdict, length=16))
    processing_error: Mapped[str | None] = mapped_column(Text)

    captured_at: Mapped[datetime] = mapped_column(default=utcnow)
    standardised_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]

    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    claim_expires_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]

    needs_second_review: Mapped[bool] = mapped_column(default=False)
    second_review_reason: Mapped[SecondReviewReason | None] = mapped_column(enum_column(SecondReviewReason))

    roster_record: Mapped[RosterRecord] = relationship()
    task: Mapped[CollectionTask] = relationship()
    decisions: Mapped[list[ReviewDecision]] = relationship(
        back_populates="submission", order_by="ReviewDecision.decided_at"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_submission_queue", "state", "submitted_at"),
        Index("ix_submission_task_state", "task_id", "state"),
        # the dashboard reads these index-only: the furthest stage per student, and counts per day
        Index("ix_submission_progress", "task_id", "roster_record_id", "state", "submitted_at"),
        Index("ix_submission_submitted_day", "submitted_at", "task_id"),
        Index("ix_submission_decided_day", "decided_at", "state", "task_id"),
        Index("ix_submission_claimed_by", "claimed_by_id"),
        Index("ix_submission_second_review", "needs_second_review", "decided_at"),
        # the review queue: only the waiting photos, in queue order, so claim-next reads its first row
        Index("ix_submission_awaiting", "submitted_at", "id",
              postgresql_where=text("state = 'awaiting_review'"), sqlite_where=text("state = 'awaiting_review'")),
    )

    def clear_claim(self) -> None:
        """No reviewer holds the photo any more (decided, second-reviewed, skipped or released)."""
        self.claimed_by_id = None
        self.claim_expires_at = None
        self.claimed_at = None


class ReviewDecision(Base):
    __tablename__ = "review_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    decision: Mapped[Decision] = mapped_column(enum_column(Decision))
    reason_code: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    is_second_review: Mapped[bool] = mapped_column(default=False)
    seconds_spent: Mapped[float | None] = mapped_column(Float)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    local_day: Mapped[date | None]  # Asia/Shanghai day of decided_at: per-reviewer daily counts and statistics
    undone_at: Mapped[datetime | None]

    submission: Mapped[Submission] = relationship(back_populates="decisions")
    reviewer: Mapped[StaffUser] = relationship()

    __table_args__ = (
        # the dashboard's rejection-reason breakdown reads only the rejections, index-only
        Index("ix_review_decision_reason", "decision", "reason_code", "undone_at", "submission_id"),
        Index("ix_review_decision_reviewer_day", "reviewer_id", "local_day"),
    )


class ReviewSettlement(Base):
    """How a disagreement between a first decision and its second review was settled, and what
    that did to the photo. One per second review (unique), so a disagreement is settled once."""

    __tablename__ = "review_settlement"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    first_decision_id: Mapped[int] = mapped_column(ForeignKey("review_decision.id"))
    second_decision_id: Mapped[int] = mapped_column(ForeignKey("review_decision.id"), unique=True)
    mode: Mapped[SettlementMode] = mapped_column(enum_column(SettlementMode))
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    decision: Mapped[Decision] = mapped_column(enum_column(Decision))
    reason_code: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[SettlementOutcome] = mapped_column(enum_column(SettlementOutcome))
    state_before: Mapped[SubmissionState] = mapped_column(enum_column(SubmissionState))
    state_after: Mapped[SubmissionState] = mapped_column(enum_column(SubmissionState))
    settled_at: Mapped[datetime] = mapped_column(default=utcnow)
    replaced_at: Mapped[datetime | None]
    """When the registrar said the photo on CHSI was replaced (``REPLACE_ON_CHSI`` only)."""
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    __table_args__ = (
        # the registrar's desk: photos of the school still to replace on CHSI
        Index("ix_review_settlement_school_outcome", "school_id", "outcome", "replaced_at"),
    )


class QuotaEntry(Base):
    """The quota ledger: every use, staff grant and purchase of a quota, never updated."""

    __tablename__ = "quota_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    roster_record_id: Mapped[int] = mapped_column(ForeignKey("roster_record.id"), index=True)
    kind: Mapped[QuotaKind] = mapped_column(enum_column(QuotaKind))
    entry_type: Mapped[QuotaEntryType] = mapped_column(enum_column(QuotaEntryType, length=16))
    amount: Mapped[int] = mapped_column(default=1)
    local_day: Mapped[date]  # Asia/Shanghai calendar day, for the daily limit
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
