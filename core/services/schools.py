"""Schools and their collection tasks: creation here; the admin pages add editing around it."""

from __future__ import annotations

from datetime import date

from pypinyin import Style, lazy_pinyin
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.access import Actor, require_role
from core.domain.enums import EducationCategory, MailingMode, Role, TaskStatus
from core.errors import Conflict, InvalidInput, NotFound
from core.imaging.standard import Background
from core.models import CollectionTask, School
from core.services import audit


def pinyin_of(name: str) -> tuple[str, str]:
    """Full pinyin and initials, so 'whdx' and 'wuhan' both find 武汉大学."""
    full = "".join(lazy_pinyin(name)).lower()
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()
    return full, initials


def create_school(session: Session, actor: Actor, *, code: str, name: str, short_name: str = "",
                  registrar_contact: str = "", makeup_points: list[dict[str, str]] | None = None) -> School:
    require_role(actor, Role.ADMIN)
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise InvalidInput("学校名称和院校代码必填。", "School name and CHSI code are required.")
    if session.scalar(select(School.id).where(School.code == code)):
        raise Conflict(f"院校代码 {code} 已存在。", f"School code {code} already exists.")
    full, initials = pinyin_of(name)
    school = School(code=code, name=name, short_name=short_name.strip(), pinyin=full, pinyin_initials=initials,
                    registrar_contact=registrar_contact, makeup_points=makeup_points or [])
    session.add(school)
    session.flush()
    audit.record(session, actor, "school.create", "school", school.id, school_id=school.id, code=code, name=name)
    return school


def create_task(
    session: Session,
    actor: Actor,
    *,
    school_id: int,
    category: EducationCategory,
    cohort: str,
    title: str,
    opens_on: date,
    closes_on: date,
    price_fen: int,
    mailing_mode: MailingMode = MailingMode.TO_SCHOOL,
    default_address: str = "",
    background: Background = Background.BLUE,
    front_camera_allowed: bool = True,
    album_allowed: bool = False,
    status: TaskStatus = TaskStatus.OPEN,
) -> CollectionTask:
    require_role(actor, Role.ADMIN)
    if session.get(School, school_id) is None:
        raise NotFound("学校不存在。", "School not found.")
    if closes_on < opens_on:
        raise InvalidInput("结束日期不能早于开始日期。", "The window closes before it opens.")
    if price_fen < 0:
        raise InvalidInput("价格不能为负。", "The price cannot be negative.")
    if not title.strip() or not cohort.strip():
        raise InvalidInput("任务名称和届别必填。", "Title and cohort are required.")
    task = CollectionTask(
        school_id=school_id, category=category, cohort=cohort.strip(), title=title.strip(),
        opens_on=opens_on, closes_on=closes_on, price_fen=price_fen, mailing_mode=mailing_mode,
        default_address=default_address, background=background,
        front_camera_allowed=front_camera_allowed, album_allowed=album_allowed, status=status,
    )
    session.add(task)
    session.flush()
    audit.record(session, actor, "task.create", "collection_task", task.id, school_id=school_id, title=title)
    return task
