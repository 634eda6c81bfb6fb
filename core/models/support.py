"""Hotline / QQ support tickets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.domain.enums import (
    SchoolAnswer,
    TicketCategory,
    TicketChannel,
    TicketPriority,
    TicketStatus,
)
from core.models.base import Base, enum_column, utcnow
from core.models.students import RosterRecord


class SupportTicket(Base):
    __tablename__ = "support_ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    roster_record_id: Mapped[int | None] = mapped_column(ForeignKey("roster_record.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    channel: Mapped[TicketChannel] = mapped_column(enum_column(TicketChannel))
    caller_phone: Mapped[str] = mapped_column(String(32), default="")
    category: Mapped[TicketCategory] = mapped_column(enum_column(TicketCategory))
    priority: Mapped[TicketPriority] = mapped_column(enum_column(TicketPriority), default=TicketPriority.NORMAL)
    status: Mapped[TicketStatus] = mapped_column(enum_column(TicketStatus), default=TicketStatus.OPEN, index=True)
    subject: Mapped[str] = mapped_column(String(255))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    escalated_to_school: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str] = mapped_column(Text, default="")
    escalated_at: Mapped[datetime | None]
    """When support last escalated it to the school: the school's time to answer runs from here."""
    school_answer: Mapped[SchoolAnswer | None] = mapped_column(enum_column(SchoolAnswer))
    """The school's answer to the latest escalation (None while it waits, or never escalated)."""
    school_answer_text: Mapped[str] = mapped_column(Text, default="")
    school_answered_at: Mapped[datetime | None]
    school_answered_by: Mapped[str] = mapped_column(String(64), default="")

    roster_record: Mapped[RosterRecord | None] = relationship()
    notes: Mapped[list[TicketNote]] = relationship(back_populates="ticket", order_by="TicketNote.created_at")

    __table_args__ = (
        Index("ix_ticket_status_due", "status", "due_at"),  # the queue: open tickets by due time
        Index("ix_ticket_created", "created_at"),  # the dashboard's per-day counts
        Index("ix_ticket_resolved", "resolved_at"),
    )


class TicketNote(Base):
    __tablename__ = "ticket_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_ticket.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    author_name: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[SupportTicket] = relationship(back_populates="notes")
