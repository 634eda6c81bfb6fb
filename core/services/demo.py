"""The demo data set: 3 schools, 4 tasks, a few hundred students, photos in every state.

Built through the same services the app uses. Photos come from a folder of fixtures
(``../shared/fixtures`` by default): London neutral portraits as enrolment photos, the same
people's smiling portraits as captures, other people's portraits as impostors. Where no fixtures
exist, scikit-image's public-domain ``astronaut`` portrait stands in, and the command says so.

Reference data is committed first, so the app is usable at once; captures are then queued for the
worker and the demo plays each student's and reviewer's next step as their photo comes back.
"""

from __future__ import annotations

import io
import random
import sys
import time
from dataclasses import dataclass
from typing import Any
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import settings
from core.db import Database, default_database, get_or_raise
from core.domain.access import Actor, internal, pure
from core.domain.enums import (
    ConsentChannel,
    Decision,
    EducationCategory,
    JobStatus,
    MailingMode,
    NotificationConsent,
    PaymentPurpose,
    Role,
    SubmissionState,
    TicketCategory,
)
from core.domain.identity import id_check_digit, mask_name
from core.errors import DomainError
from core.imaging.collection_code import CollectionCode, DecodedCode, DemoCodeDecoder, code_hash, encode_demo_code
from core.imaging.print_sheet import PhotoSize
from core.models import AccountLink, CollectionTask, ProcessingJob, RosterRecord, StaffUser, Submission, utcnow
from core.services import (
    jobs,
    linking,
    notifications,
    payments,
    processing,
    review,
    schools,
    staff,
    submissions,
    tickets,
)
from core.storage.photos import PhotoStore, default_photo_store

DEMO_PASSWORD = "Demo2025!"
SYSTEM = Actor.system("demo")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华云白宇浩然子涵欣怡梓萱一诺雨轩思远嘉怡俊杰"
FIXED_STUDENTS = {
    # Known students for walk-throughs (both 武汉大学, 普通本专科, 2025届; README lists them):
    0: ("丁白云", "2110216052", "420106200301042414", "awaiting"),  # the operator guide's example, photo in review
    4: ("王小明", "2110216053", "420106200203151238", "unlinked"),  # free to try the student app with
}
DEPARTMENTS = ["计算机学院", "经济与管理学院", "文学院", "物理科学与技术学院", "医学部", "法学院"]

STAFF = [
    ("admin", "系统管理员", Role.ADMIN, None),
    ("reviewer", "审核员小李", Role.REVIEWER, None),
    ("reviewer2", "审核员小王", Role.REVIEWER, None),
    ("senior", "复核员老陈", Role.SENIOR_REVIEWER, None),
    ("registrar", "武大学籍科", Role.REGISTRAR, "10486"),
    ("registrar.hust", "华科学籍科", Role.REGISTRAR, "10487"),
    ("support", "客服小周", Role.SUPPORT, None),
]


@dataclass(frozen=True)
class DemoPhotos:
    enrolment: list[bytes]
    captures: list[bytes]  # captures[i] shows the same person as enrolment[i]
    note: str


@internal
def load_photos(folder: Path | None) -> DemoPhotos:
    london = (folder / "london") if folder else None
    if london and london.is_dir():
        neutral = sorted(london.glob("*_neutral.jpg"))
        pairs = [(n, n.with_name(n.name.replace("_neutral", "_smiling"))) for n in neutral]
        pairs = [(n, s) for n, s in pairs if s.exists()]
        if pairs:
            return DemoPhotos([n.read_bytes() for n, _ in pairs], [s.read_bytes() for _, s in pairs],
                              f"photos from {london}")
    from PIL import Image
    from skimage import data

    buffer = io.BytesIO()
    astronaut = data.astronaut()  # type: ignore[no-untyped-call]  # scikit-image ships no annotations
    Image.fromarray(astronaut).save(buffer, "JPEG", quality=92)
    photo = buffer.getvalue()
    return DemoPhotos([photo], [photo], "fixtures not found: using scikit-image's public-domain 'astronaut' portrait")


@pure
def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


@pure
def id_number(rng: random.Random) -> str:
    first17 = f"4201{rng.randint(1, 18):02d}{rng.randint(2000, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return first17 + id_check_digit(first17)


@pure
def demo_code(record: RosterRecord, school_code: str) -> DecodedCode:
    raw = encode_demo_code(CollectionCode(school_code, record.student_number, mask_name(record.name), record.id_last4))
    return DecodedCode(raw=raw, code_hash=code_hash(raw), code=DemoCodeDecoder().parse(raw), error=None)


@internal
def build_demo(photos: str | None = None, if_empty: bool = False, *, database: Database | None = None,
               store: PhotoStore | None = None, students: int = 300, wait_seconds: float = 600) -> int:
    db = database or default_database()
    store = store or default_photo_store()
    db.migrate()
    if not db.is_empty():
        if if_empty:
            print("demo: database already has data; nothing to do", flush=True)
            return 0
        print("demo: refusing to add demo data to a database that has data", file=sys.stderr)
        return 1
    folder = Path(photos) if photos else settings().fixtures_dir
    pictures = load_photos(folder)
    print(f"demo: {pictures.note}", flush=True)
    rng = random.Random(20250601)
    started = time.monotonic()
    plan = _reference_data(db, store, pictures, rng, students)
    print(f"demo: schools, tasks, {students} students and staff ready (password {DEMO_PASSWORD}) "
          f"in {time.monotonic() - started:.0f} s", flush=True)
    _play_students(db, store, pictures, plan, rng, wait_seconds)
    print("demo: done", flush=True)
    return 0


@dataclass
class StudentPlan:
    record_id: int
    task_id: int
    school_code: str
    photo_index: int
    outcome: str  # unlinked | unpaid | standardised | awaiting | approved | rejected | blocked | held
    wechat_messages: bool = True
    submission_id: int | None = None
    actor: Actor | None = None

    @property
    def student(self) -> Actor:
        """The signed-in student; only asked for after ``_play_students`` signed them in."""
        if self.actor is None:
            raise RuntimeError(f"demo student {self.record_id} was never signed in")
        return self.actor

    @property
    def submission(self) -> int:
        """The photo's id; only asked for once the photo was uploaded."""
        if self.submission_id is None:
            raise RuntimeError(f"demo student {self.record_id} has no photo")
        return self.submission_id


OUTCOME_SHARES = {"unlinked": 30, "unpaid": 8, "standardised": 6, "awaiting": 30, "approved": 14, "rejected": 7,
                  "blocked": 3, "held": 2}
OUTCOMES = [kind for _, kind in sorted(
    ((j + 0.5) / count, kind) for kind, count in OUTCOME_SHARES.items() for j in range(count))]
"""Spread in proportion, so any first few dozen students already show every state."""


def _reference_data(db: Database, store: PhotoStore, pictures: DemoPhotos, rng: random.Random,
                    students: int) -> list[StudentPlan]:
    today = utcnow().date()
    with db.session() as session:
        whu = schools.create_school(session, SYSTEM, code="10486", name="武汉大学", short_name="武大",
                                    registrar_contact="学籍管理科 027-68752114",
                                    makeup_points=[{"name": "武汉大学信息学部图书馆一楼", "address": "武汉市洪山区八一路299号",
                                                    "hours": "工作日 9:00-17:00"}])
        hust = schools.create_school(session, SYSTEM, code="10487", name="华中科技大学", short_name="华科",
                                     registrar_contact="教务处学籍科 027-87542133")
        hubu = schools.create_school(session, SYSTEM, code="10512", name="湖北大学", short_name="湖大",
                                     registrar_contact="继续教育学院 027-88663322")
        window: dict[str, Any] = dict(opens_on=today - timedelta(days=20), closes_on=today + timedelta(days=25))
        regular, graduate, adult = EducationCategory.REGULAR, EducationCategory.GRADUATE, EducationCategory.ADULT
        tasks = [
            schools.create_task(session, SYSTEM, school_id=whu.id, settings=schools.TaskSettings(
                category=regular, cohort="2025届", title="2025届毕业生学历图像采集", price_fen=2500, **window)),
            schools.create_task(session, SYSTEM, school_id=whu.id, settings=schools.TaskSettings(
                category=graduate, cohort="2025届", title="2025届研究生学历图像采集", price_fen=3000, **window)),
            schools.create_task(session, SYSTEM, school_id=hust.id, settings=schools.TaskSettings(
                category=regular, cohort="2025届", title="华中科技大学2025届本专科毕业生图像采集", price_fen=2500,
                mailing_mode=MailingMode.TO_STUDENT, front_camera_allowed=False, **window)),
            schools.create_task(session, SYSTEM, school_id=hubu.id, settings=schools.TaskSettings(
                category=adult, cohort="2025届", title="湖北大学成人教育2025届毕业生图像采集", price_fen=2000, **window)),
        ]
        # 其他服务: WHU's undergraduates may pay for on-site shooting and get printed 1-inch photos (issue 18).
        offered = get_or_raise(session, CollectionTask, tasks[0].id, "采集任务不存在。", "No such collection task.")
        offered.offline_price_fen, offered.print_photo_size, offered.print_copies = 3000, PhotoSize.ONE_INCH, 4
        by_code = {s.id: s.code for s in (whu, hust, hubu)}
        for username, name, role, school_code in STAFF:
            school_id = next((sid for sid, code in by_code.items() if code == school_code), None)
            staff.create_staff(session, SYSTEM, username=username, display_name=name, role=role,
                               password=DEMO_PASSWORD, school_id=school_id, must_change_password=False)
        enrolment_shas = [store.put(photo) for photo in pictures.enrolment]
        plans: list[StudentPlan] = []
        used_numbers: set[str] = set()
        for i in range(students):
            task = tasks[i % len(tasks)]
            number = f"{2021 if task.category is not EducationCategory.GRADUATE else 2022}0{rng.randint(10000, 99999)}"
            while number in used_numbers:
                number = f"20210{rng.randint(10000, 99999)}"
            used_numbers.add(number)
            photo_index = i % len(enrolment_shas)
            identity = id_number(rng)
            name = person_name(rng)
            if i in FIXED_STUDENTS:
                name, number, identity, _ = FIXED_STUDENTS[i]
            record = RosterRecord(
                school_id=task.school_id, name=name, student_number=number, id_number=identity,
                id_last4=identity[-4:], category=task.category, cohort=task.cohort,
                department=rng.choice(DEPARTMENTS), class_name=f"{rng.randint(1, 6)}班",
                has_chsi_photo=i % 97 == 5, enrolment_photo_sha=enrolment_shas[photo_index],
            )
            session.add(record)
            session.flush()
            outcome = OUTCOMES[i % len(OUTCOMES)] if not record.has_chsi_photo else "unlinked"
            if i in FIXED_STUDENTS:
                outcome = FIXED_STUDENTS[i][3]
            wechat_messages = i % 3 != 2  # one student in three declined: their results stay in the inbox
            plans.append(StudentPlan(record.id, task.id, by_code[task.school_id], photo_index, outcome,
                                     wechat_messages))
        if len(plans) > 4:
            _escalated_call(session, plans[4].record_id)
    _compute_enrolment_embeddings(db, store)
    return plans


def _escalated_call(session: Session, record_id: int) -> None:
    """王小明's call, escalated to 武汉大学 two days ago and not answered yet: overdue on the
    registrar's 客服转交 page and in support's queue, ready to be answered in a walk-through."""
    agent = staff.actor_for(session.scalars(select(StaffUser).where(StaffUser.username == "support")).one())
    when = utcnow() - timedelta(hours=50)
    call = tickets.open_ticket(session, agent, category=TicketCategory.NOT_ON_ROSTER, subject="学籍姓名有误，身份核验不通过",
                               roster_record_id=record_id, caller_phone="13800138000", now=when)
    tickets.escalate_to_school(session, agent, call.id, "学生称学籍中的姓名录入有误，请学籍部门核对后答复", now=when)


def _compute_enrolment_embeddings(db: Database, store: PhotoStore) -> None:
    """Each distinct enrolment photo is processed once (the worker's own job body) and its result
    shared by the records that use it."""
    with db.session() as session:
        first_of: dict[str, int] = {}
        for record_id, sha in session.execute(
                select(RosterRecord.id, RosterRecord.enrolment_photo_sha)
                .where(RosterRecord.enrolment_photo_sha.is_not(None)).order_by(RosterRecord.id)):
            first_of.setdefault(sha, record_id)
    for record_id in first_of.values():
        processing.process_enrolment_photo(db, store, record_id)
    with db.session() as session:
        computed = {r.enrolment_photo_sha: r for r in session.scalars(
            select(RosterRecord).where(RosterRecord.id.in_(first_of.values())))}
        for record in session.scalars(select(RosterRecord).where(RosterRecord.id.not_in(first_of.values()),
                                                                 RosterRecord.enrolment_photo_sha.is_not(None))):
            first = computed[record.enrolment_photo_sha]
            record.enrolment_embedding = first.enrolment_embedding
            record.enrolment_phash = first.enrolment_phash
            record.enrolment_error = first.enrolment_error


def _play_students(db: Database, store: PhotoStore, pictures: DemoPhotos, plans: list[StudentPlan],
                   rng: random.Random, wait_seconds: float) -> None:
    active = [p for p in plans if p.outcome != "unlinked"]
    with db.session() as session:
        for plan in active:
            record = get_or_raise(session, RosterRecord, plan.record_id, "学籍记录不存在。", "Roster record not found.")
            account = linking.sign_in(session, f"demo-openid-{record.id}", f"微信用户{record.id}")
            plan.actor = Actor.student(account.id, account.nickname)
            consent = NotificationConsent.GRANTED if plan.wechat_messages else NotificationConsent.DECLINED
            notifications.set_consent(session, account, consent, ConsentChannel.APP)
            code = None if plan.outcome == "held" else demo_code(record, plan.school_code)
            address = linking.MailingAddress(record.name, "13871234567", "湖北省武汉市洪山区珞喻路1037号 学生公寓3栋")
            link = linking.link_account(session, account, plan.task_id, record, code=code, mailing_address=address)
            if plan.outcome == "unpaid":
                continue
            order = payments.open_order(session, plan.actor, link, PaymentPurpose.TASK_FEE)
            payments.pay(session, plan.actor, order, payments.DevelopmentProvider())
    for plan in active:
        if plan.outcome == "unpaid":
            continue
        capture_index = plan.photo_index
        if plan.outcome == "blocked":
            capture_index = (plan.photo_index + 7) % len(pictures.captures)
        with db.session() as session:
            link_id = session.scalars(select(AccountLink.id).where(
                AccountLink.roster_record_id == plan.record_id, AccountLink.active.is_(True))).one()
            plan.submission_id = submissions.request_standardisation(
                session, plan.student, link_id, pictures.captures[capture_index], store).id
    _advance_when_processed(db, [p for p in active if p.submission_id], rng, wait_seconds)


def _advance_when_processed(db: Database, plans: list[StudentPlan], rng: random.Random, wait_seconds: float) -> None:
    with db.session() as session:
        reviewers = {u.username: staff.actor_for(u) for u in session.scalars(select(StaffUser))}
    pending = list(plans)
    deadline = time.monotonic() + wait_seconds
    while pending and time.monotonic() < deadline:
        waiting = []
        for plan in pending:
            with db.session() as session:
                submission = get_or_raise(session, Submission, plan.submission, "照片不存在。", "No such photo.")
                job_failed = session.scalar(select(ProcessingJob.id).where(
                    ProcessingJob.subject_id == plan.submission_id, ProcessingJob.kind == jobs.PROCESS_SUBMISSION,
                    ProcessingJob.status == JobStatus.FAILED)) is not None
                if job_failed:
                    print(f"demo: processing of photo {plan.submission_id} failed; see the operations page", flush=True)
                    continue
                if submission.state is SubmissionState.CAPTURED and submission.processing_error is None:
                    waiting.append(plan)
                    continue
            _advance(db, plan, reviewers, rng)
        pending = waiting
        if pending:
            time.sleep(1)
    if pending:
        print(f"demo: {len(pending)} photos still processing; they stay captured", flush=True)


def _advance(db: Database, plan: StudentPlan, reviewers: dict[str, Actor], rng: random.Random) -> None:
    if plan.outcome == "standardised":
        return
    try:
        with db.session() as session:
            submission = get_or_raise(session, Submission, plan.submission, "照片不存在。", "No such photo.")
            if submission.state is not SubmissionState.STANDARDISED:
                return
            submissions.submit(session, plan.student, plan.submission)
        if plan.outcome in ("approved", "held", "rejected"):
            reviewer = reviewers["reviewer" if rng.random() < 0.6 else "reviewer2"]
            with db.session() as session:
                if plan.outcome == "rejected":
                    reason = rng.choice(["blurred", "face_shadow", "head_tilted", "background", "hair_covers"])
                    review.decide(session, reviewer, plan.submission, Decision.REJECT, reason_code=reason,
                                  seconds_spent=rng.uniform(4, 20))
                else:
                    review.decide(session, reviewer, plan.submission, Decision.APPROVE,
                                  seconds_spent=rng.uniform(3, 12))
    except DomainError as refusal:
        print(f"demo: student {plan.record_id}: {refusal.message_en}", flush=True)
