"""CHSI upload batches and their items."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.domain.enums import BatchItemResult, BatchStatus
from core.models.base import Base, enum_column, utcnow
from core.models.submissions import Submission


class UploadBatch(Base):
    """A set of approved photos of one task sent to CHSI together; immutable once exported."""

    __tablename__ = "upload_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("collection_task.id"), index=True)
    status: Mapped[BatchStatus] = mapped_column(enum_column(BatchStatus), default=BatchStatus.DRAFT)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    exported_at: Mapped[datetime | None]
    package_sha256: Mapped[str | None] = mapped_column(String(64))
    result_imported_at: Mapped[datetime | None]

    items: Mapped[list[BatchItem]] = relationship(back_populates="batch", order_by="BatchItem.file_name")


class BatchItem(Base):
    __tablename__ = "batch_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("upload_batch.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    roster_record_id: Mapped[int] = mapped_column(ForeignKey("roster_record.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64), default="")  # as on the roster when the batch was built,
    student_number: Mapped[str] = mapped_column(String(32), default="")  # so a re-export stays byte-identical
    result: Mapped[BatchItemResult] = mapped_column(enum_column(BatchItemResult), default=BatchItemResult.PENDING)
    failure_reason: Mapped[str | None] = mapped_column(Text)

    batch: Mapped[UploadBatch] = relationship(back_populates="items")
    submission: Mapped[Submission] = relationship()

    __table_args__ = (UniqueConstraint("batch_id", "file_name", name="uq_batch_item_file"),)
