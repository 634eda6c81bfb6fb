"""Builders for real objects, made through the same services the app uses."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from core.domain.access import Actor
from core.domain.enums import (
    ConsentChannel, EducationCategory, NotificationConsent, PaymentPurpose, Role, SubmissionState, TaskStatus,
)
from core.domain.identity import id_check_digit
from core.models import (
    AccountLink, CollectionTask, RosterRecord, School, StaffUser, StudentAccount, Submission, utcnow,
)
from core.services import jobs, linking, notifications, payments, schools, staff, submissions
from core.storage.photos import PhotoStore

SYSTEM = Actor.system("tests")
PASSWORD = "Demo2025pass"


def id_number(seed: int) -> str:
    """A valid 18-digit ID number (Wuhan area code, born 2003) for test person ``seed``."""
    first17 = f"420106200301{seed % 10_000:04d}{seed % 10}"[:17]
    first17 = first17.ljust(17, "0")
    return first17 + id_check_digit(first17)


def make_school(session: Session, code: str = "10486", name: str = "武汉大学") -> schools.SchoolView:
    return schools.create_school(session, SYSTEM, code=code, name=name)


def make_task(session: Session, school: schools.SchoolView, **overrides: object) -> schools.TaskView:
    today = utcnow().date()
    status = overrides.pop("status", TaskStatus.OPEN)
    settings = schools.TaskSettings(
        category=EducationCategory.REGULAR,
        cohort="2025届",
        title="2025届毕业生学历图像采集",
        opens_on=today - timedelta(days=10),
        closes_on=today + timedelta(days=30),
        price_fen=2500,
    )
    return schools.create_task(session, SYSTEM, school_id=school.id, settings=replace(settings, **overrides),
                               status=status)


def make_record(session: Session, school: schools.SchoolView | School, seed: int = 1, *, name: str = "丁白云",
                category: EducationCategory = EducationCategory.REGULAR, cohort: str = "2025届",
                **flags: object) -> RosterRecord:
    number = id_number(seed)
    record = RosterRecord(
        school_id=school.id, name=name, student_number=f"2110{seed:06d}", id_number=number,
        id_last4=number[-4:], category=category, cohort=cohort, **flags,
    )
    session.add(record)
    session.flush()
    return record


def keep(session: Session, *rows: object) -> None:
    """Rows a test reads after its session ends: flushed, loaded and taken out of the session so
    the commit does not expire them (sessions expire on commit; services hand out views, not rows)."""
    session.flush()
    for row in rows:
        if isinstance(row, LinkedStudent):
            keep(session, row.account, row.record, row.link)
        elif row in session:
            session.refresh(row)
            session.expunge(row)


def make_staff(session: Session, role: Role, username: str | None = None, school: schools.SchoolView | School | None = None,
               display_name: str | None = None) -> staff.StaffView:
    return staff.create_staff(
        session, SYSTEM, username=username or role.value, display_name=display_name or (username or role.value).title(),
        role=role, password=PASSWORD, school_id=school.id if school else None, must_change_password=False,
    )


def actor_of(user: staff.StaffView | StaffUser) -> Actor:
    return staff.actor_for(user)


@dataclass
class LinkedStudent:
    account: StudentAccount
    record: RosterRecord
    link: AccountLink
    task: schools.TaskView | CollectionTask
    actor: Actor = field(init=False)

    def __post_init__(self) -> None:
        """Built while the session is open: the actor stays usable after it ends (rows expire on commit)."""
        self.actor = Actor.student(self.account.id, self.account.nickname)


def make_linked_student(session: Session, task: schools.TaskView | CollectionTask, record: RosterRecord, *, paid: bool = True,
                        openid: str | None = None, wechat_messages: bool = False) -> LinkedStudent:
    """``wechat_messages``: the student allowed WeChat notifications (微信通知授权) in the app."""
    account = linking.sign_in(session, openid or f"openid-{record.id}", f"同学{record.id}")
    if wechat_messages:
        allow_wechat_messages(session, account)
    link = linking.link_account(session, account, task.id, record, code=None)
    student = LinkedStudent(account, record, link, task)
    if paid:
        order = payments.open_order(session, student.actor, link, PaymentPurpose.TASK_FEE)
        payments.pay(session, student.actor, order, payments.DevelopmentProvider())
    return student


def allow_wechat_messages(session: Session, account: StudentAccount) -> None:
    notifications.set_consent(session, account, NotificationConsent.GRANTED, ConsentChannel.APP)


def yesterday() -> date:
    return utcnow().date() - timedelta(days=1)


def set_enrolment_photo(session: Session, store: PhotoStore, record: RosterRecord, photo: Path) -> None:
    """The registrar's enrolment photo; its face embedding is computed by the job after commit."""
    record.enrolment_photo_sha = store.put(photo.read_bytes())
    session.flush()
    jobs.enqueue_after_commit(session, jobs.PROCESS_ENROLMENT, record.id)


def submit_photo(session: Session, store: PhotoStore, student: LinkedStudent, photo: Path) -> Submission:
    """A real capture through the real pipeline: the session commits so the processing job runs
    (inline under the ``env`` fixture), then the student submits the standardised photo."""
    submission = submissions.request_standardisation(session, student.actor, student.link.id, photo.read_bytes(), store)
    session.commit()
    session.refresh(submission)
    return submissions.submit(session, student.actor, submission.id)


def submit_real_capture(session: Session, store: PhotoStore, task: CollectionTask, record: RosterRecord,
                        london: Path) -> Submission:
    """Person 003 of the London fixtures: the neutral portrait as ``record``'s enrolment photo, the
    smiling one captured and submitted through the real pipeline by a newly linked student."""
    set_enrolment_photo(session, store, record, london / "003_neutral.jpg")
    session.commit()
    student = make_linked_student(session, task, record)
    return submit_photo(session, store, student, london / "003_smiling.jpg")


def share_photos(session: Session, template: Submission, record: RosterRecord, task: CollectionTask,
                 submitted_at: datetime, **fields: object) -> Submission:
    """Another student's photo awaiting review that shares ``template``'s processed photos and enrolment
    photo (and, unless ``fields`` say otherwise, its scores). Large queues (concurrency tests, bench) process a few real
    photos once and share them, as the issue allows, instead of running the pipeline 100 000 times."""
    values: dict[str, object] = dict(
        roster_record_id=record.id, task_id=task.id, account_id=None, state=SubmissionState.AWAITING_REVIEW,
        attempt_number=1, raw_sha=template.raw_sha, standardised_sha=template.standardised_sha,
        thumbnail_sha=template.thumbnail_sha, quality_ok=template.quality_ok,
        quality_report=template.quality_report, quality_flags=template.quality_flags,
        face_distance=template.face_distance, face_similarity=template.face_similarity,
        face_verdict=template.face_verdict, captured_at=submitted_at, standardised_at=submitted_at,
        submitted_at=submitted_at,
    )
    values.update(fields)
    if record.enrolment_photo_sha is None:
        shared = template.roster_record
        record.enrolment_photo_sha = shared.enrolment_photo_sha
        record.enrolment_embedding, record.enrolment_phash = shared.enrolment_embedding, shared.enrolment_phash
    submission = Submission(**values)
    session.add(submission)
    session.flush()
    return submission
