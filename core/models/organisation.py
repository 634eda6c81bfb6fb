"""Schools, their collection tasks, and staff accounts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.domain.enums import EducationCategory, MailingMode, Role, TaskStatus
from core.imaging.print_sheet import PaperSize, PhotoSize
from core.domain.enums import Background
from core.models.base import Base, enum_column, utcnow


class School(Base):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # CHSI 院校代码
    name: Mapped[str] = mapped_column(String(128))
    short_name: Mapped[str] = mapped_column(String(64), default="")
    pinyin: Mapped[str] = mapped_column(String(255), default="")
    pinyin_initials: Mapped[str] = mapped_column(String(64), default="")
    registrar_contact: Mapped[str] = mapped_column(String(255), default="")
    makeup_points: Mapped[list[Any]] = mapped_column(default=list)  # 补拍点: [{name, address, hours}]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tasks: Mapped[list[CollectionTask]] = relationship(back_populates="school")


class CollectionTask(Base):
    """采集任务: one school × category × cohort, with its window, price and capture rules."""

    __tablename__ = "collection_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    category: Mapped[EducationCategory] = mapped_column(enum_column(EducationCategory))
    cohort: Mapped[str] = mapped_column(String(32))  # e.g. "2025届"
    title: Mapped[str] = mapped_column(String(128))
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    price_fen: Mapped[int]
    mailing_mode: Mapped[MailingMode] = mapped_column(enum_column(MailingMode), default=MailingMode.TO_SCHOOL)
    default_address: Mapped[str] = mapped_column(String(255), default="")
    background: Mapped[Background] = mapped_column(enum_column(Background), default=Background.BLUE)
    offline_price_fen: Mapped[int | None]  # 线下拍摄交费; None: the task offers no on-site shooting
    print_photo_size: Mapped[PhotoSize | None] = mapped_column(enum_column(PhotoSize))  # None: no printed photos
    print_paper: Mapped[PaperSize] = mapped_column(enum_column(PaperSize), default=PaperSize.FIVE_INCH)
    print_copies: Mapped[int] = mapped_column(default=1)  # printed photos per student
    front_camera_allowed: Mapped[bool] = mapped_column(default=True)
    album_allowed: Mapped[bool] = mapped_column(default=False)
    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus), default=TaskStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school: Mapped[School] = relationship(back_populates="tasks")

    __table_args__ = (Index("ix_task_school_category_cohort", "school_id", "category", "cohort"),)


class StaffUser(Base):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))  # registrars only
    password_hash: Mapped[str] = mapped_column(Text)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    school: Mapped[School | None] = relationship()
