"""School progress: the funnel roster → linked → paid → submitted → approved → on CHSI, the daily
trend, rejection reasons, days left and completion by category, department and class.

Everything is aggregated in SQL. One grouped query reduces the roster to a row per (school,
category, department, class) with the funnel counts; Python only adds those few rows up. Each
student's furthest stage comes from ``PhotoProgress`` (kept on every submission change), not from
grouping the submissions, so the funnel costs the same at a thousand or a million submissions. A registrar's view is
limited to their own school here, whatever school or task the caller asks for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, SQLColumnExpression, and_, case, func, or_, select
from sqlalchemy.orm import Session, joinedload

from core.db import get_or_raise
from core.domain.access import SCHOOL_DATA_ROLES, Actor, allowed, require_role, require_school, school_scope
from core.domain.enums import Decision, EducationCategory, PaymentPurpose, PaymentStatus, SubmissionState
from core.domain.quotas import CHINA, local_day
from core.domain.states import APPROVED_OR_LATER, Stage
from core.domain.reasons import BY_CODE
from core.errors import NotFound
from core.models import (
    AccountLink, CollectionTask, Payment, PhotoProgress, ReviewDecision, RosterRecord, School, Submission, utcnow,
)
from core.services.schools import SchoolView, TaskView

TREND_DAYS = 30


@dataclass(frozen=True)
class Funnel:
    roster: int = 0
    linked: int = 0
    paid: int = 0
    submitted: int = 0
    approved: int = 0
    on_chsi: int = 0
    exempt: int = 0
    """Already on CHSI or photographed on site: on the roster but not expected to shoot."""

    def __add__(self, other: Funnel) -> Funnel:
        return Funnel(*(a + b for a, b in zip(self.counts(), other.counts(), strict=True)))

    def counts(self) -> tuple[int, ...]:
        return (self.roster, self.linked, self.paid, self.submitted, self.approved, self.on_chsi, self.exempt)

    @property
    def completion(self) -> float:
        """Share of the students who need a photo whose photo is approved (or further)."""
        return self.approved / self.roster if self.roster else 0.0


STAGES: tuple[tuple[str, str, str], ...] = (
    ("roster", "名单", "Roster"), ("linked", "已关联", "Linked"), ("paid", "已支付", "Paid"),
    ("submitted", "已提交", "Submitted"), ("approved", "审核通过", "Approved"), ("on_chsi", "已上网", "On CHSI"),
)


@dataclass(frozen=True)
class GroupProgress:
    label: str
    funnel: Funnel


@dataclass(frozen=True)
class SchoolProgress:
    school_id: int
    code: str
    name: str
    funnel: Funnel


@dataclass(frozen=True)
class DayCount:
    day: date
    submitted: int = 0
    approved: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class ReasonCount:
    code: str
    label_zh: str
    label_en: str
    count: int


@dataclass(frozen=True)
class TaskWindow:
    task_id: int
    title: str
    opens_on: date
    closes_on: date
    days_left: int


@dataclass
class Dashboard:
    school_id: int | None
    task_id: int | None
    funnel: Funnel
    trend: list[DayCount]
    reasons: list[ReasonCount]
    by_category: list[GroupProgress]
    by_department: list[GroupProgress]
    by_class: list[GroupProgress]
    schools: list[SchoolProgress] = field(default_factory=list)
    tasks: list[TaskWindow] = field(default_factory=list)

    @property
    def days_left(self) -> int | None:
        return min((t.days_left for t in self.tasks), default=None)


@allowed(*SCHOOL_DATA_ROLES)
def progress(session: Session, actor: Actor, *, school_id: int | None = None, task_id: int | None = None,
             now: datetime | None = None) -> Dashboard:
    """The dashboard for one task, one school, or (admins) every school."""
    require_role(actor, *SCHOOL_DATA_ROLES)
    task = None
    if task_id is not None:
        task = get_or_raise(session, CollectionTask, task_id, "采集任务不存在。", "No such collection task.")
        if school_id is not None and school_id != task.school_id:
            raise NotFound("该采集任务不属于所选学校。", "The task does not belong to the chosen school.")
        school_id = task.school_id
    school_id = school_id if school_id is not None else school_scope(actor)
    if school_id is not None:
        require_school(actor, school_id)
    today = local_day(now or utcnow())

    task_ids = _task_ids(session, school_id, task)
    groups = _grouped_funnel(session, school_id, task, task_ids)
    by_school: dict[int, Funnel] = {}
    by_category: dict[EducationCategory, Funnel] = {}
    by_department: dict[str, Funnel] = {}
    by_class: dict[str, Funnel] = {}
    for (school, category, department, class_name), funnel in groups:
        by_school[school] = by_school.get(school, Funnel()) + funnel
        by_category[category] = by_category.get(category, Funnel()) + funnel
        if department:
            by_department[department] = by_department.get(department, Funnel()) + funnel
        if class_name:
            key = f"{department} {class_name}".strip()
            by_class[key] = by_class.get(key, Funnel()) + funnel
    total = sum(by_school.values(), Funnel())

    since = max(today - timedelta(days=TREND_DAYS - 1), task.opens_on) if task else today - timedelta(days=TREND_DAYS - 1)
    return Dashboard(
        school_id=school_id,
        task_id=task.id if task else None,
        funnel=total,
        trend=_trend(session, task_ids, since, today),
        reasons=_reasons(session, task_ids),
        by_category=[GroupProgress(c.label_zh, f) for c, f in sorted(by_category.items(), key=lambda i: i[0].value)],
        by_department=_ranked(by_department),
        by_class=_ranked(by_class),
        schools=_schools(session, by_school) if school_id is None else [],
        tasks=_windows(session, school_id, task, today),
    )


def _ranked(groups: dict[str, Funnel]) -> list[GroupProgress]:
    """Lowest completion first: that is where the registrar has work to do."""
    return [GroupProgress(label, funnel) for label, funnel in
            sorted(groups.items(), key=lambda item: (item[1].completion, item[0]))]


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


Groups = list[tuple[tuple[int, EducationCategory, str, str], Funnel]]


def _grouped_funnel(session: Session, school_id: int | None, task: CollectionTask | None,
                    task_ids: list[int] | None) -> Groups:
    if school_id is None:
        return _funnel_by_school_and_category(session)
    return _funnel_by_class(session, school_id, task, task_ids or [])


def _funnel_by_class(session: Session, school_id: int, task: CollectionTask | None, task_ids: list[int]) -> Groups:
    """One school (or task): the roster joined to each student's stage, grouped down to the class."""
    per_record = (
        select(PhotoProgress.roster_record_id.label("rid"), func.max(PhotoProgress.stage).label("stage"))
        .where(PhotoProgress.task_id.in_(task_ids))
        .group_by(PhotoProgress.roster_record_id)
        .subquery()
    )
    paid = (
        select(Payment.roster_record_id.label("rid"))
        .where(Payment.purpose == PaymentPurpose.TASK_FEE, Payment.status == PaymentStatus.PAID,
               Payment.task_id.in_(task_ids))
        .group_by(Payment.roster_record_id)
        .subquery()
    )
    exempt = or_(RosterRecord.has_chsi_photo.is_(True), RosterRecord.onsite_collected.is_(True))
    needs = ~exempt
    query = (
        select(
            RosterRecord.school_id, RosterRecord.category, RosterRecord.department, RosterRecord.class_name,
            _count_if(needs),
            _count_if(and_(needs, AccountLink.id.is_not(None))),
            _count_if(and_(needs, paid.c.rid.is_not(None))),
            _count_if(and_(needs, per_record.c.stage >= Stage.SUBMITTED)),
            _count_if(and_(needs, per_record.c.stage >= Stage.APPROVED)),
            _count_if(and_(needs, per_record.c.stage >= Stage.ON_CHSI)),
            _count_if(exempt),
        )
        .outerjoin(AccountLink, and_(AccountLink.roster_record_id == RosterRecord.id, AccountLink.active.is_(True),
                                     AccountLink.task_id.in_(task_ids)))
        .outerjoin(paid, paid.c.rid == RosterRecord.id)
        .outerjoin(per_record, per_record.c.rid == RosterRecord.id)
        .where(RosterRecord.school_id == school_id)
        .group_by(RosterRecord.school_id, RosterRecord.category, RosterRecord.department, RosterRecord.class_name)
    )
    if task is not None:
        query = query.where(RosterRecord.category == task.category, RosterRecord.cohort == task.cohort)
    return [((row[0], row[1], row[2] or "", row[3] or ""), Funnel(*(int(v or 0) for v in row[4:])))
            for row in session.execute(query)]


def _funnel_by_school_and_category(session: Session) -> Groups:
    """Every school: each stage counted from its own table by task, never joining the whole roster
    to the whole submission table (the admin's view is the largest one)."""
    groups: dict[tuple[int, EducationCategory], list[int]] = {}

    def add(rows: Iterable[Any], *slots: int) -> None:
        for school, category, *values in rows:
            counts = groups.setdefault((school, category), [0] * 7)
            for slot, value in zip(slots, values, strict=True):
                counts[slot] += int(value or 0)

    exempt = or_(RosterRecord.has_chsi_photo.is_(True), RosterRecord.onsite_collected.is_(True))
    add(session.execute(select(RosterRecord.school_id, RosterRecord.category, _count_if(~exempt), _count_if(exempt))
                        .group_by(RosterRecord.school_id, RosterRecord.category)), 0, 6)
    by_task = (CollectionTask.school_id, CollectionTask.category)
    add(session.execute(select(*by_task, func.count()).select_from(AccountLink)
                        .join(CollectionTask, AccountLink.task_id == CollectionTask.id)
                        .where(AccountLink.active.is_(True)).group_by(*by_task)), 1)
    # one paid task fee per student and task: open_order hands back the paid order instead of a new one
    add(session.execute(select(*by_task, func.count()).select_from(Payment)
                        .join(CollectionTask, Payment.task_id == CollectionTask.id)
                        .where(Payment.purpose == PaymentPurpose.TASK_FEE, Payment.status == PaymentStatus.PAID)
                        .group_by(*by_task)), 2)
    stage = PhotoProgress.stage
    add(session.execute(select(*by_task, _count_if(stage >= Stage.SUBMITTED), _count_if(stage >= Stage.APPROVED),
                               _count_if(stage >= Stage.ON_CHSI)).select_from(PhotoProgress)
                        .join(CollectionTask, PhotoProgress.task_id == CollectionTask.id).group_by(*by_task)), 3, 4, 5)
    return [((school, category, "", ""), Funnel(*counts)) for (school, category), counts in groups.items()]


def _task_ids(session: Session, school_id: int | None, task: CollectionTask | None) -> list[int] | None:
    """The tasks the trend and reasons cover; None means every task (an admin's overall view)."""
    if task is not None:
        return [task.id]
    if school_id is None:
        return None
    return list(session.scalars(select(CollectionTask.id).where(CollectionTask.school_id == school_id)))


def _trend(session: Session, task_ids: list[int] | None, since: date, today: date) -> list[DayCount]:
    """Submissions per day, and decisions per day by the photo's outcome (approved or later,
    rejected). Each day is a range count over an index (China-local midnight to midnight), so no
    function runs per row and the cost does not grow with the submissions outside the window."""
    days = [since + timedelta(days=i) for i in range((today - since).days + 1)]
    scope = [Submission.task_id.in_(task_ids)] if task_ids is not None else []

    def per_day(column: SQLColumnExpression[datetime | None], *where: ColumnElement[bool]) -> list[ScalarSelect[int]]:
        counts: list[ScalarSelect[int]] = []
        for day in days:
            start = datetime.combine(day, datetime.min.time(), tzinfo=CHINA)
            counts.append(select(func.count()).where(column >= start, column < start + timedelta(days=1),
                                                     *where, *scope).scalar_subquery())
        return counts

    submitted = per_day(Submission.submitted_at)
    approved = per_day(Submission.decided_at, Submission.state.in_(APPROVED_OR_LATER))
    rejected = per_day(Submission.decided_at, Submission.state == SubmissionState.REJECTED)
    row = session.execute(select(*submitted, *approved, *rejected)).one()
    n = len(days)
    return [DayCount(day, int(row[i]), int(row[n + i]), int(row[2 * n + i])) for i, day in enumerate(days)]


def _reasons(session: Session, task_ids: list[int] | None) -> list[ReasonCount]:
    query = (
        select(ReviewDecision.reason_code, func.count())
        .where(ReviewDecision.decision == Decision.REJECT, ReviewDecision.undone_at.is_(None))
        .group_by(ReviewDecision.reason_code)
    )
    if task_ids is not None:
        query = query.join(Submission, ReviewDecision.submission_id == Submission.id).where(
            Submission.task_id.in_(task_ids))
    counts = []
    for code, count in session.execute(query):
        reason = BY_CODE.get(code or "other", BY_CODE["other"])
        counts.append(ReasonCount(reason.code, reason.label_zh, reason.label_en, int(count)))
    return sorted(counts, key=lambda r: -r.count)


def _schools(session: Session, by_school: dict[int, Funnel]) -> list[SchoolProgress]:
    """Every school (also those with no roster yet), least complete first."""
    rows = session.execute(select(School.id, School.code, School.name).where(School.active.is_(True)))
    table = [SchoolProgress(sid, code, name, by_school.get(sid, Funnel())) for sid, code, name in rows]
    return sorted(table, key=lambda s: (s.funnel.completion, s.code))


def _windows(session: Session, school_id: int | None, task: CollectionTask | None, today: date) -> list[TaskWindow]:
    if task is not None:
        tasks = [task]
    elif school_id is not None:
        tasks = list(session.scalars(select(CollectionTask).where(CollectionTask.school_id == school_id)
                                     .order_by(CollectionTask.closes_on)))
    else:
        return []
    return [TaskWindow(t.id, t.title, t.opens_on, t.closes_on, max(0, (t.closes_on - today).days))
            for t in tasks if t.closes_on >= today or t is task]


@allowed(*SCHOOL_DATA_ROLES)
def tasks_for(session: Session, actor: Actor, school_id: int | None = None) -> list[TaskView]:
    """The tasks a registrar (their school) or an admin (any, or one school) may pick from."""
    require_role(actor, *SCHOOL_DATA_ROLES)
    school_id = school_id if school_id is not None else school_scope(actor)
    query = select(CollectionTask).order_by(CollectionTask.closes_on.desc(), CollectionTask.id)
    if school_id is not None:
        require_school(actor, school_id)
        query = query.where(CollectionTask.school_id == school_id)
    return [TaskView.of(task) for task in session.scalars(query.options(joinedload(CollectionTask.school)))]


@allowed(*SCHOOL_DATA_ROLES)
def schools_for(session: Session, actor: Actor) -> list[SchoolView]:
    require_role(actor, *SCHOOL_DATA_ROLES)
    scope = school_scope(actor)
    query = select(School).where(School.active.is_(True)).order_by(School.code)
    if scope is not None:
        query = query.where(School.id == scope)
    return [SchoolView.of(school) for school in session.scalars(query)]
