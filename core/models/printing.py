"""Printed photos: which student's photo went onto which print run, so each is printed once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, utcnow
from core.models.students import RosterRecord


class PrintRecord(Base):
    """One student's photo printed in one run. A second row for the same student and task is a
    reprint and carries its reason."""

    __tablename__ = "print_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("collection_task.id"), index=True)
    roster_record_id: Mapped[int] = mapped_column(ForeignKey("roster_record.id"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"))
    run_number: Mapped[str] = mapped_column(String(32), index=True)
    destination: Mapped[str] = mapped_column(String(255))
    copies: Mapped[int] = mapped_column(default=1)
    reprint_reason: Mapped[str | None] = mapped_column(Text)
    printed_by: Mapped[str] = mapped_column(String(64))
    printed_at: Mapped[datetime] = mapped_column(default=utcnow)

    roster_record: Mapped[RosterRecord] = relationship()

    __table_args__ = (Index("ix_print_record_task_record", "task_id", "roster_record_id"),)
