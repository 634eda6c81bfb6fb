"""Roster records, student accounts and their links to tasks, payments and notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.domain.enums import ConsentChannel, EducationCategory, NotificationConsent, PaymentPurpose, PaymentStatus
from core.models.base import Base, enum_column, utcnow
from core.models.organisation import CollectionTask, School


class RosterRecord(Base):
    """学籍: one student as the school registered them with CHSI."""

    __tablename__ = "roster_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    name: Mapped[str] = mapped_column(String(64), index=True)
    student_number: Mapped[str] = mapped_column(String(32), index=True)
    id_number: Mapped[str] = mapped_column(String(32))  # full; never displayed beyond last 4
    id_last4: Mapped[str] = mapped_column(String(4), index=True)
    category: Mapped[EducationCategory] = mapped_column(enum_column(EducationCategory))
    cohort: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(64), default="")
    class_name: Mapped[str] = mapped_column(String(64), default="")
    has_chsi_photo: Mapped[bool] = mapped_column(default=False)
    onsite_collected: Mapped[bool] = mapped_column(default=False)
    enrolment_photo_sha: Mapped[str | None] = mapped_column(String(64))
    enrolment_embedding: Mapped[bytes | None] = mapped_column(LargeBinary)  # 128 float64, computed once
    enrolment_phash: Mapped[str | None] = mapped_column(String(32))
    enrolment_error: Mapped[str | None] = mapped_column(Text)  # why the photo has no usable face
    collection_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    on_temporary_code: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    school: Mapped[School] = relationship()

    __table_args__ = (
        UniqueConstraint("school_id", "student_number", name="uq_roster_school_student_number"),
        Index("ix_roster_school_category_cohort", "school_id", "category", "cohort"),
        # Support lookup by name or student-number prefix (LIKE 'x%') on PostgreSQL, whatever the
        # database collation; SQLite needs no extra index for it.
        Index("ix_roster_name_pattern", "name", postgresql_ops={"name": "varchar_pattern_ops"}).ddl_if(
            dialect="postgresql"),
        Index("ix_roster_student_number_pattern", "student_number",
              postgresql_ops={"student_number": "varchar_pattern_ops"}).ddl_if(dialect="postgresql"),
    )

    @property
    def has_usable_enrolment_photo(self) -> bool:
        return self.enrolment_embedding is not None


class StudentAccount(Base):
    """A WeChat identity (openid) as the mini-program knows it."""

    __tablename__ = "student_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    wechat_openid: Mapped[str] = mapped_column(String(64), unique=True)
    nickname: Mapped[str] = mapped_column(String(64), index=True)  # support lookup by nickname
    notice_acknowledged_at: Mapped[datetime | None]
    failed_verifications: Mapped[int] = mapped_column(default=0)
    verification_locked_until: Mapped[datetime | None]
    notification_consent: Mapped[NotificationConsent | None] = mapped_column(enum_column(NotificationConsent))
    """微信通知授权: None until the student answered; WeChat messages leave only when granted."""
    notification_consent_at: Mapped[datetime | None]
    notification_consent_channel: Mapped[ConsentChannel | None] = mapped_column(enum_column(ConsentChannel))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountLink(Base):
    """关联任务: an account linked to one roster record in one task. Unbinding ends it; the row
    stays as history. At most one active link per record (a partial unique index)."""

    __tablename__ = "account_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("student_account.id"), index=True)
    roster_record_id: Mapped[int] = mapped_column(ForeignKey("roster_record.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("collection_task.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    mailing_address: Mapped[str] = mapped_column(String(255), default="")
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    unlinked_at: Mapped[datetime | None]
    unlinked_by: Mapped[str | None] = mapped_column(String(64))
    unlink_reason: Mapped[str | None] = mapped_column(Text)

    account: Mapped[StudentAccount] = relationship()
    roster_record: Mapped[RosterRecord] = relationship()
    task: Mapped[CollectionTask] = relationship()

    __table_args__ = (
        Index(
            "uq_account_link_active_record",
            "roster_record_id",
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active = 1"),
        ),
    )


class Payment(Base):
    """A WeChat Pay order. ``order_no`` makes a retried payment idempotent."""

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_no: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("student_account.id"), index=True)
    roster_record_id: Mapped[int] = mapped_column(ForeignKey("roster_record.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("collection_task.id"), index=True)
    purpose: Mapped[PaymentPurpose] = mapped_column(enum_column(PaymentPurpose))
    amount_fen: Mapped[int]
    status: Mapped[PaymentStatus] = mapped_column(enum_column(PaymentStatus), default=PaymentStatus.PENDING)
    provider_ref: Mapped[str | None] = mapped_column(String(64))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]


class Notification(Base):
    """What the student was told (WeChat subscription message; an in-app inbox in development)."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    roster_record_id: Mapped[int] = mapped_column(ForeignKey("roster_record.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("student_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # review_result, on_chsi, ...
    title: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    """When it left as a WeChat subscription message (None: not yet, or withheld)."""
    withheld: Mapped[str | None] = mapped_column(String(32))
    """Why it stayed in the inbox only (``no_consent``)."""
    read_at: Mapped[datetime | None]
