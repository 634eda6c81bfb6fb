"""Schools and their collection tasks, as the admin sets them up each season.

A school that holds data is never deleted, only deactivated, so the records, photos and audit
trail that point at it stay whole. A task's rules that already bind paid students (price, category,
cohort, a shorter window) change only with a confirmation naming how many of them are affected.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from core.db import get_or_raise
from core.domain.access import SCHOOL_DATA_ROLES, Actor, allowed, pure, require_role, require_school
from core.domain.enums import (
    Background,
    EducationCategory,
    MailingMode,
    PaymentPurpose,
    PaymentStatus,
    Role,
    TaskStatus,
)
from core.domain.text import Field, clean_text
from core.errors import Conflict, InvalidInput
from core.imaging.print_sheet import PaperSize, PhotoSize
from core.models import CollectionTask, Payment, RosterRecord, School, StaffUser, SupportTicket, field, utcnow
from core.services import audit
from core.services._views import view_of


class NeedsConfirmation(Conflict):
    """The change binds paid students: repeat it with ``confirm_affected`` equal to ``affected``."""

    code = "needs_confirmation"

    def __init__(self, affected: int, changes: list[str]) -> None:
        super().__init__(
            f"此修改（{'、'.join(changes)}）将影响 {affected} 名已付费学生，请确认后再保存。",
            f"This change ({', '.join(changes)}) affects {affected} paid students; confirm it to save.",
            affected=affected, changes=changes,
        )
        self.affected = affected
        self.changes = changes


PINYIN_LENGTH, INITIALS_LENGTH = School.pinyin.type.length, School.pinyin_initials.type.length
"""A long name's pinyin is cut to its column: it only has to match the start of what is typed."""
SCHOOL_CODE = field(School.code, "院校代码", "School code")
SCHOOL_NAME = field(School.name, "学校名称", "School name")
SHORT_NAME = field(School.short_name, "简称", "Short name")
REGISTRAR_CONTACT = field(School.registrar_contact, "学籍部门联系方式", "Registrar contact")
POINT_NAME = Field("补拍点名称", "Make-up point name", 64)
POINT_ADDRESS = Field("补拍点地址", "Make-up point address", 255)
POINT_HOURS = Field("补拍点开放时间", "Make-up point hours", 64)
COHORT = field(CollectionTask.cohort, "届别", "Cohort")
TITLE = field(CollectionTask.title, "任务名称", "Task title")
DEFAULT_ADDRESS = field(CollectionTask.default_address, "默认邮寄地址", "Default mailing address")


@dataclass(frozen=True)
class SchoolView:
    """A school as the admin and registrar screens show it."""

    id: int
    code: str
    name: str
    short_name: str
    pinyin: str
    pinyin_initials: str
    registrar_contact: str
    makeup_points: list[dict[str, str]]
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, school: School) -> SchoolView:
        return view_of(cls, school, makeup_points=[dict(p) for p in school.makeup_points or []])


@dataclass(frozen=True)
class TaskView:
    """A collection task with its school's name, as the admin and registrar screens show it."""

    id: int
    school_id: int
    school_name: str
    school_code: str
    category: EducationCategory
    cohort: str
    title: str
    opens_on: date
    closes_on: date
    price_fen: int
    mailing_mode: MailingMode
    default_address: str
    background: Background
    offline_price_fen: int | None
    print_photo_size: PhotoSize | None
    print_paper: PaperSize
    print_copies: int
    front_camera_allowed: bool
    album_allowed: bool
    status: TaskStatus
    created_at: datetime

    @classmethod
    def of(cls, task: CollectionTask) -> TaskView:
        return view_of(cls, task, school_name=task.school.name, school_code=task.school.code)


@pure
def pinyin_of(name: str) -> tuple[str, str]:
    """Full pinyin and initials, so 'whdx' and 'wuhan' both find 武汉大学. pypinyin loads here, where
    a school is named: its phrase dictionary costs half a second of every app and API start."""
    from pypinyin import Style, lazy_pinyin

    full = "".join(lazy_pinyin(name)).lower()
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()
    return full[:PINYIN_LENGTH], initials[:INITIALS_LENGTH]


def _makeup_points(points: list[dict[str, str]] | None) -> list[dict[str, str]]:
    """补拍点 as {name, address, hours}; a point without a name is refused, blank rows dropped."""
    cleaned = []
    for point in points or []:
        row = {key: clean_text(point.get(key), field_) for key, field_ in
               (("name", POINT_NAME), ("address", POINT_ADDRESS), ("hours", POINT_HOURS))}
        if not any(row.values()):
            continue
        if not row["name"]:
            raise InvalidInput("补拍点须填写名称。", "Every make-up shooting point needs a name.")
        cleaned.append(row)
    return cleaned


def _school(session: Session, school_id: int) -> School:
    school = get_or_raise(session, School, school_id, "学校不存在。", "School not found.")
    return school


@allowed(Role.ADMIN)
def list_schools(session: Session, actor: Actor, *, include_inactive: bool = True) -> list[SchoolView]:
    require_role(actor, Role.ADMIN)
    query = select(School).order_by(School.active.desc(), School.code)
    if not include_inactive:
        query = query.where(School.active.is_(True))
    return [SchoolView.of(school) for school in session.scalars(query)]


@allowed(Role.ADMIN)
def create_school(session: Session, actor: Actor, *, code: str, name: str, short_name: str = "",
                  registrar_contact: str = "", makeup_points: list[dict[str, str]] | None = None) -> SchoolView:
    require_role(actor, Role.ADMIN)
    code, name = clean_text(code, SCHOOL_CODE, required=True), clean_text(name, SCHOOL_NAME, required=True)
    short_name, registrar_contact = clean_text(short_name, SHORT_NAME), clean_text(registrar_contact, REGISTRAR_CONTACT)
    if session.scalar(select(School.id).where(School.code == code)):
        raise Conflict(f"院校代码 {code} 已存在。", f"School code {code} already exists.")
    full, initials = pinyin_of(name)
    school = School(code=code, name=name, short_name=short_name, pinyin=full, pinyin_initials=initials,
                    registrar_contact=registrar_contact, makeup_points=_makeup_points(makeup_points))
    session.add(school)
    session.flush()
    audit.record(session, actor, "school.create", "school", school.id, school_id=school.id, code=code, name=name)
    return SchoolView.of(school)


@dataclass(frozen=True)
class SchoolUsage:
    """What hangs on a school; any of it means the school can only be deactivated. (Batches
    belong to tasks, so ``tasks`` covers them.)"""

    tasks: int
    records: int
    staff: int
    tickets: int

    @property
    def has_data(self) -> bool:
        return bool(self.tasks or self.records or self.staff or self.tickets)


@allowed(Role.ADMIN)
def school_usage(session: Session, actor: Actor, school_id: int) -> SchoolUsage:
    def count(column: Any) -> int:
        return int(session.scalar(select(func.count()).where(column == school_id)) or 0)

    return SchoolUsage(tasks=count(CollectionTask.school_id), records=count(RosterRecord.school_id),
                       staff=count(StaffUser.school_id), tickets=count(SupportTicket.school_id))


@allowed(Role.ADMIN)
def update_school(session: Session, actor: Actor, school_id: int, *, code: str, name: str, short_name: str,
                  registrar_contact: str, makeup_points: list[dict[str, str]]) -> SchoolView:
    require_role(actor, Role.ADMIN)
    school = _school(session, school_id)
    code, name = clean_text(code, SCHOOL_CODE, required=True), clean_text(name, SCHOOL_NAME, required=True)
    short_name, registrar_contact = clean_text(short_name, SHORT_NAME), clean_text(registrar_contact, REGISTRAR_CONTACT)
    if code != school.code:
        if school_usage(session, actor, school.id).records:
            raise Conflict("该校已导入学籍名单，院校代码不能再修改（采集码按院校代码核对）。",
                           "The roster is imported: the school code can no longer change (codes are checked "
                           "against it).")
        if session.scalar(select(School.id).where(School.code == code, School.id != school.id)):
            raise Conflict(f"院校代码 {code} 已存在。", f"School code {code} already exists.")
    before = {"code": school.code, "name": school.name, "short_name": school.short_name,
              "registrar_contact": school.registrar_contact, "makeup_points": school.makeup_points}
    school.code, school.name = code, name
    school.short_name, school.registrar_contact = short_name, registrar_contact
    school.makeup_points = _makeup_points(makeup_points)
    school.pinyin, school.pinyin_initials = pinyin_of(name)
    after = {"code": school.code, "name": school.name, "short_name": school.short_name,
             "registrar_contact": school.registrar_contact, "makeup_points": school.makeup_points}
    changed = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changed:
        audit.record(session, actor, "school.update", "school", school.id, school_id=school.id, changes=changed)
    session.flush()
    return SchoolView.of(school)


@allowed(Role.ADMIN)
def set_school_active(session: Session, actor: Actor, school_id: int, active: bool) -> SchoolView:
    """A deactivated school disappears from the students' search; its open tasks must be paused or
    closed first, so no student is cut off half-way without the admin deciding it."""
    require_role(actor, Role.ADMIN)
    school = _school(session, school_id)
    if school.active == active:
        return SchoolView.of(school)
    if not active:
        open_tasks = session.scalar(select(func.count()).where(
            CollectionTask.school_id == school.id, CollectionTask.status == TaskStatus.OPEN))
        if open_tasks:
            raise Conflict(f"该校还有 {open_tasks} 个进行中的采集任务，请先暂停或关闭后再停用学校。",
                           f"The school still has {open_tasks} open tasks; pause or close them first.")
    school.active = active
    audit.record(session, actor, "school.activate" if active else "school.deactivate", "school", school.id,
                 school_id=school.id)
    session.flush()
    return SchoolView.of(school)


@allowed(Role.ADMIN)
def delete_school(session: Session, actor: Actor, school_id: int) -> None:
    """Only a school entered by mistake (no task, record or staff account) can be deleted."""
    require_role(actor, Role.ADMIN)
    school = _school(session, school_id)
    usage = school_usage(session, actor, school.id)
    if usage.has_data:
        raise Conflict(
            f"该校已有数据（采集任务 {usage.tasks} 个、学籍记录 {usage.records} 条、账号 {usage.staff} 个、"
            f"客服工单 {usage.tickets} 个），不能删除，只能停用。",
            f"The school has data ({usage.tasks} tasks, {usage.records} roster records, {usage.staff} staff "
            f"accounts, {usage.tickets} support tickets): it cannot be deleted, only deactivated.",
        )
    audit.record(session, actor, "school.delete", "school", school.id, school_id=school.id,
                 code=school.code, name=school.name)
    session.delete(school)
    session.flush()


@dataclass(frozen=True)
class TaskSettings:
    """What an admin sets on a collection task: one list for creating and for editing it."""

    category: EducationCategory
    cohort: str
    title: str
    opens_on: date
    closes_on: date
    price_fen: int
    mailing_mode: MailingMode = MailingMode.TO_SCHOOL
    default_address: str = ""
    background: Background = Background.BLUE
    front_camera_allowed: bool = True
    album_allowed: bool = False

    @classmethod
    def of(cls, task: TaskView | CollectionTask) -> TaskSettings:
        """The task's current settings (the starting point of an edit)."""
        return cls(category=task.category, cohort=task.cohort, title=task.title, opens_on=task.opens_on,
                   closes_on=task.closes_on, price_fen=task.price_fen, mailing_mode=task.mailing_mode,
                   default_address=task.default_address, background=task.background,
                   front_camera_allowed=task.front_camera_allowed, album_allowed=task.album_allowed)

    def cleaned(self) -> TaskSettings:
        """The settings with their texts cleaned, once the window and price are valid."""
        if self.closes_on < self.opens_on:
            raise InvalidInput("结束日期不能早于开始日期。", "The window closes before it opens.")
        if self.price_fen < 0:
            raise InvalidInput("价格不能为负。", "The price cannot be negative.")
        return replace(self, title=clean_text(self.title, TITLE, required=True),
                       cohort=clean_text(self.cohort, COHORT, required=True),
                       default_address=clean_text(self.default_address, DEFAULT_ADDRESS))


@allowed(Role.ADMIN)
def create_task(
    session: Session,
    actor: Actor,
    *,
    school_id: int,
    settings: TaskSettings,
    status: TaskStatus = TaskStatus.OPEN,
) -> TaskView:
    require_role(actor, Role.ADMIN)
    school = _school(session, school_id)
    if not school.active and status is TaskStatus.OPEN:
        raise Conflict("学校已停用，不能开放采集任务。", "The school is deactivated: no task can open.")
    settings = settings.cleaned()
    task = CollectionTask(school_id=school_id, status=status, **asdict(settings))
    session.add(task)
    session.flush()
    audit.record(session, actor, "task.create", "collection_task", task.id, school_id=school_id,
                 title=settings.title, price_fen=settings.price_fen, opens_on=settings.opens_on.isoformat(),
                 closes_on=settings.closes_on.isoformat())
    return TaskView.of(task)


@allowed(Role.ADMIN)
def list_tasks(session: Session, actor: Actor, school_id: int | None = None) -> list[TaskView]:
    require_role(actor, Role.ADMIN)
    query = select(CollectionTask).order_by(CollectionTask.school_id, CollectionTask.opens_on.desc(),
                                            CollectionTask.id)
    if school_id is not None:
        query = query.where(CollectionTask.school_id == school_id)
    return [TaskView.of(task) for task in session.scalars(query.options(joinedload(CollectionTask.school)))]


@allowed(Role.ADMIN)
def paid_students(session: Session, actor: Actor, task_id: int) -> int:
    """Students who paid this task's fee (refunded orders no longer bind)."""
    return int(session.scalar(
        select(func.count(func.distinct(Payment.roster_record_id))).where(
            Payment.task_id == task_id,
            Payment.purpose == PaymentPurpose.TASK_FEE,
            Payment.status == PaymentStatus.PAID,
        )
    ) or 0)


def _task(session: Session, task_id: int) -> CollectionTask:
    task = get_or_raise(session, CollectionTask, task_id, "采集任务不存在。", "Collection task not found.")
    return task


_BINDING_LABELS = {
    "price_fen": ("价格", "price"),
    "category": ("学历类别", "category"),
    "cohort": ("届别", "cohort"),
    "opens_on": ("开始日期推后", "later opening"),
    "closes_on": ("结束日期提前", "earlier closing"),
}


def _binding_changes(task: CollectionTask, new: dict[str, Any]) -> list[str]:
    """Which of the new values change terms a paid student already accepted."""
    binding = []
    for key in ("price_fen", "category", "cohort"):
        if new[key] != getattr(task, key):
            binding.append(key)
    if new["opens_on"] > task.opens_on:
        binding.append("opens_on")
    if new["closes_on"] < task.closes_on:
        binding.append("closes_on")
    return binding


@allowed(Role.ADMIN)
def update_task(
    session: Session,
    actor: Actor,
    task_id: int,
    settings: TaskSettings,
    *,
    confirm_affected: int | None = None,
) -> TaskView:
    """Saves the task's settings. Raises ``NeedsConfirmation`` when paid students are bound by the
    change and ``confirm_affected`` is not their current number (a stale confirmation is refused)."""
    require_role(actor, Role.ADMIN)
    task = _task(session, task_id)
    new: dict[str, Any] = asdict(settings.cleaned())
    binding = _binding_changes(task, new)
    affected = paid_students(session, actor, task.id) if binding else 0
    if affected and confirm_affected != affected:
        raise NeedsConfirmation(affected, [_BINDING_LABELS[key][0] for key in binding])
    changes = {key: [audit.plain(getattr(task, key)), audit.plain(value)]
               for key, value in new.items() if getattr(task, key) != value}
    if not changes:
        return TaskView.of(task)
    for key, value in new.items():
        setattr(task, key, value)
    audit.record(session, actor, "task.update", "collection_task", task.id, school_id=task.school_id,
                 changes=changes, paid_students_affected=affected)
    session.flush()
    return TaskView.of(task)


_STATUS_MOVES: dict[TaskStatus, tuple[TaskStatus, ...]] = {
    TaskStatus.DRAFT: (TaskStatus.OPEN, TaskStatus.CLOSED),
    TaskStatus.OPEN: (TaskStatus.PAUSED, TaskStatus.CLOSED),
    TaskStatus.PAUSED: (TaskStatus.OPEN, TaskStatus.CLOSED),
    TaskStatus.CLOSED: (TaskStatus.OPEN,),
}
"""开放 / 暂停 / 关闭. A closed task may reopen (make-up rounds) once its window allows it."""


@allowed(Role.ADMIN)
def set_task_status(session: Session, actor: Actor, task_id: int, status: TaskStatus) -> TaskView:
    require_role(actor, Role.ADMIN)
    task = _task(session, task_id)
    if status is task.status:
        return TaskView.of(task)
    if status not in _STATUS_MOVES[task.status]:
        raise Conflict(f"采集任务不能从“{task.status.value}”改为“{status.value}”。",
                       f"A task cannot go from {task.status.value} to {status.value}.")
    if status is TaskStatus.OPEN:
        if not task.school.active:
            raise Conflict("学校已停用，不能开放采集任务。", "The school is deactivated: no task can open.")
        if task.closes_on < utcnow().date():
            raise Conflict("采集时间已结束，请先延长结束日期再开放。",
                           "The window has ended: extend the closing date before opening the task.")
    old = task.status
    task.status = status
    audit.record(session, actor, "task.status", "collection_task", task.id, school_id=task.school_id,
                 old=old, new=status)
    session.flush()
    return TaskView.of(task)


@allowed(*SCHOOL_DATA_ROLES)
def task_in_scope(session: Session, actor: Actor, task_id: int) -> TaskView:
    """A task the registrar (of its school) or an admin may work on; anyone else is refused."""
    require_role(actor, *SCHOOL_DATA_ROLES)
    task = get_or_raise(session, CollectionTask, task_id, "采集任务不存在。", "No such collection task.")
    require_school(actor, task.school_id)
    return TaskView.of(task)
