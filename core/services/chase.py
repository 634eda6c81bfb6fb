"""The chase list: students of a task the registrar still has to chase, and why.

Each student gets at most one reason, the first that applies in the order of the student's own
flow: not linked, not paid, CHSI upload failed, blocked by face comparison repeatedly (the seed
says the registrar handles those), rejected and not resubmitted, not submitted. Students with a
photo under review or approved, and those exempt (already on CHSI or photographed on site), are
not on it. The reason is computed in SQL, so filtering a school of 50 000 stays a query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from core import export
from core.domain.access import SCHOOL_DATA_ROLES, Actor, allowed
from core.domain.enums import BatchItemResult, Decision, EducationCategory, PaymentPurpose, PaymentStatus
from core.domain.enums import SubmissionState as S
from core.domain.identity import normalise_text
from core.domain.reasons import BY_CODE
from core.domain.text import SEARCH_MAX, Field, clean_text, escape_like
from core.errors import InvalidInput
from core.models import (
    AccountLink,
    BatchItem,
    CollectionTask,
    Payment,
    ReviewDecision,
    RosterRecord,
    Submission,
    field,
)
from core.services import audit, schools

SEARCH = Field("搜索（姓名、学号或证件号后4位）", "Search (name, student number or ID last 4)", SEARCH_MAX)
DEPARTMENT = field(RosterRecord.department, "院系", "Department")
CLASS_NAME = field(RosterRecord.class_name, "班级", "Class")
REPEATED_BLOCKS = 2
"""Auto-blocked this many times with no photo in review: the student needs the registrar."""
IN_HAND = (S.SUBMITTED, S.AWAITING_REVIEW, S.APPROVED, S.IN_BATCH, S.ON_CHSI)
EXPORT_FORMATS = ("xlsx", "csv")


class ChaseReason(str, Enum):
    NOT_LINKED = "not_linked"
    NOT_PAID = "not_paid"
    UPLOAD_FAILED = "upload_failed"
    BLOCKED = "blocked"
    REJECTED = "rejected"
    NOT_SUBMITTED = "not_submitted"

    @property
    def label_zh(self) -> str:
        return {"not_linked": "未关联任务", "not_paid": "未支付", "upload_failed": "上网失败",
                "blocked": "人像比对多次未通过", "rejected": "审核未通过未重拍", "not_submitted": "未提交照片"}[self.value]

    @property
    def label_en(self) -> str:
        return {"not_linked": "Not linked", "not_paid": "Not paid", "upload_failed": "CHSI upload failed",
                "blocked": "Blocked by face comparison repeatedly", "rejected": "Rejected, not resubmitted",
                "not_submitted": "No photo submitted"}[self.value]


@dataclass(frozen=True)
class ChaseEntry:
    roster_record_id: int
    name: str
    student_number: str
    id_last4: str
    category: EducationCategory
    department: str
    class_name: str
    reason: ChaseReason
    detail: str
    """Why, in the registrar's words: the rejection reason, the CHSI failure, the number of blocks."""


@dataclass(frozen=True)
class ChaseFilter:
    reasons: tuple[ChaseReason, ...] = ()
    department: str = ""
    class_name: str = ""
    search: str = ""


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


@allowed(*SCHOOL_DATA_ROLES)
def chase_list(session: Session, actor: Actor, task_id: int, filters: ChaseFilter = ChaseFilter(),
               *, limit: int | None = None) -> list[ChaseEntry]:
    task = schools.task_in_scope(session, actor, task_id)
    stats = (
        select(
            Submission.roster_record_id.label("rid"),
            _count_if(Submission.state.in_(IN_HAND)).label("in_hand"),
            _count_if(Submission.state == S.UPLOAD_FAILED).label("failed"),
            _count_if(Submission.state == S.AUTO_BLOCKED).label("blocked"),
            _count_if(Submission.state == S.REJECTED).label("rejected"),
        )
        .where(Submission.task_id == task.id)
        .group_by(Submission.roster_record_id)
        .subquery()
    )
    paid = (
        select(Payment.roster_record_id.label("rid"))
        .where(Payment.task_id == task.id, Payment.purpose == PaymentPurpose.TASK_FEE,
               Payment.status == PaymentStatus.PAID)
        .group_by(Payment.roster_record_id)
        .subquery()
    )
    in_hand, failed = func.coalesce(stats.c.in_hand, 0), func.coalesce(stats.c.failed, 0)
    blocked, rejected = func.coalesce(stats.c.blocked, 0), func.coalesce(stats.c.rejected, 0)
    reason = case(
        (AccountLink.id.is_(None), literal(ChaseReason.NOT_LINKED.value)),
        (paid.c.rid.is_(None), literal(ChaseReason.NOT_PAID.value)),
        (failed > 0, literal(ChaseReason.UPLOAD_FAILED.value)),
        (in_hand > 0, literal(None)),
        (blocked >= REPEATED_BLOCKS, literal(ChaseReason.BLOCKED.value)),
        (rejected > 0, literal(ChaseReason.REJECTED.value)),
        else_=literal(ChaseReason.NOT_SUBMITTED.value),
    ).label("reason")
    query = (
        select(RosterRecord.id, RosterRecord.name, RosterRecord.student_number, RosterRecord.id_last4,
               RosterRecord.category, RosterRecord.department, RosterRecord.class_name, reason, blocked)
        .outerjoin(AccountLink, and_(AccountLink.roster_record_id == RosterRecord.id, AccountLink.active.is_(True),
                                     AccountLink.task_id == task.id))
        .outerjoin(paid, paid.c.rid == RosterRecord.id)
        .outerjoin(stats, stats.c.rid == RosterRecord.id)
        .where(RosterRecord.school_id == task.school_id, RosterRecord.category == task.category,
               RosterRecord.cohort == task.cohort, RosterRecord.has_chsi_photo.is_(False),
               RosterRecord.onsite_collected.is_(False), reason.is_not(None))
        .order_by(RosterRecord.department, RosterRecord.class_name, RosterRecord.student_number)
    )
    if filters.reasons:
        query = query.where(reason.in_([r.value for r in filters.reasons]))
    department, class_name = clean_text(filters.department, DEPARTMENT), clean_text(filters.class_name, CLASS_NAME)
    if department:
        query = query.where(RosterRecord.department == department)
    if class_name:
        query = query.where(RosterRecord.class_name == class_name)
    term = normalise_text(clean_text(filters.search, SEARCH)).replace(" ", "")
    if term:
        pattern = escape_like(term)
        query = query.where(or_(RosterRecord.name.contains(pattern, escape="\\"),
                                RosterRecord.student_number.contains(pattern, escape="\\"),
                                RosterRecord.id_last4 == term.upper()))
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    details = _details(session, task.id, rows)
    return [
        ChaseEntry(row[0], row[1], row[2], row[3], row[4], row[5] or "", row[6] or "", ChaseReason(row[7]),
                   details.get(row[0], f"人像比对未通过 {int(row[8])} 次" if int(row[8]) else ""))
        for row in rows
    ]


def _details(session: Session, task_id: int, rows: Sequence[Row[Any]]) -> dict[int, str]:
    """The latest rejection reason or CHSI failure reason for the students who have one."""
    rejected = [r[0] for r in rows if r[7] == ChaseReason.REJECTED.value]
    failed = [r[0] for r in rows if r[7] == ChaseReason.UPLOAD_FAILED.value]
    details: dict[int, str] = {}
    for chunk in _chunks(rejected):
        for record_id, code, note in session.execute(
            select(Submission.roster_record_id, ReviewDecision.reason_code, ReviewDecision.note)
            .join(ReviewDecision, ReviewDecision.submission_id == Submission.id)
            .where(Submission.task_id == task_id, Submission.roster_record_id.in_(chunk),
                   ReviewDecision.decision == Decision.REJECT, ReviewDecision.undone_at.is_(None))
            .order_by(ReviewDecision.decided_at)
        ):
            label = BY_CODE[code].label_zh if code in BY_CODE else code or ""
            details[record_id] = f"{label}：{note}" if note else label
    for chunk in _chunks(failed):
        for record_id, why in session.execute(
            select(BatchItem.roster_record_id, BatchItem.failure_reason)
            .where(BatchItem.roster_record_id.in_(chunk), BatchItem.result == BatchItemResult.FAILED)
            .order_by(BatchItem.id)
        ):
            details[record_id] = why or ""
    return details


def _chunks(ids: list[int], size: int = 900) -> list[list[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


EXPORT_HEADER = ("姓名", "学号", "证件号后4位", "学历类别", "院系", "班级", "待办事项", "说明")


@allowed(*SCHOOL_DATA_ROLES)
def export_chase_list(session: Session, actor: Actor, task_id: int, fmt: str,
                      filters: ChaseFilter = ChaseFilter()) -> bytes:
    """The list as XLSX or CSV for the school's own channels (ID numbers as last 4 only). Audited."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput("导出格式只能是 XLSX 或 CSV。", "Export as XLSX or CSV.")
    entries = chase_list(session, actor, task_id, filters)
    rows = [(e.name, e.student_number, e.id_last4, e.category.label_zh, e.department, e.class_name,
             e.reason.label_zh, e.detail) for e in entries]
    task = session.get(CollectionTask, task_id)
    audit.record(session, actor, "chase.export", "collection_task", task_id, school_id=task.school_id if task else None,
                 format=fmt, rows=len(rows), reasons=[r.value for r in filters.reasons],
                 department=filters.department, class_name=filters.class_name)
    return export.table_bytes(fmt, "催办名单", EXPORT_HEADER, rows)


@allowed(*SCHOOL_DATA_ROLES)
def departments_and_classes(session: Session, actor: Actor, task_id: int) -> list[tuple[str, str]]:
    """The (department, class) pairs on the task's roster, for the filters."""
    task = schools.task_in_scope(session, actor, task_id)
    return [(department, class_name) for department, class_name in session.execute(
        select(RosterRecord.department, RosterRecord.class_name)
        .where(RosterRecord.school_id == task.school_id, RosterRecord.category == task.category,
               RosterRecord.cohort == task.cohort)
        .distinct().order_by(RosterRecord.department, RosterRecord.class_name)).tuples()]
