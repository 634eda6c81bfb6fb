"""The chase list: one reason per student, filters, XLSX/CSV export, the school boundary.

Submissions are written straight into their states (the imaging pipeline is not under test);
rejections go through the real review service."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.domain.enums import Decision, Role, SubmissionState
from core.errors import AccessDenied, InvalidInput
from core.models import AuditEvent, Submission, utcnow
from core.services import chase, review
from core.services.chase import ChaseFilter, ChaseReason
from tests import factories as f


def submission(session, student, state) -> Submission:
    row = Submission(roster_record_id=student.record.id, task_id=student.task.id, account_id=student.account.id,
                     raw_sha="0" * 64, state=state, submitted_at=utcnow())
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def world(db):
    with db.session() as session:
        a = f.make_school(session, "10486", "武汉大学")
        b = f.make_school(session, "10487", "华中科技大学")
        task, task_b = f.make_task(session, a), f.make_task(session, b)
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER, "li.reviewer"))
        registrar = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg.whu", school=a))
        names = ["未关联", "未支付", "未提交", "被驳回", "多次拦截", "审核中", "一次拦截"]
        records = [f.make_record(session, a, i, name=n, department="计算机学院" if i % 2 else "外语学院",
                                 class_name=f"{i % 2 + 1}班") for i, n in enumerate(names)]
        records[0].student_number = "0012345670"  # leading zero must survive the export
        f.make_record(session, a, 40, name="现场已拍", onsite_collected=True)
        f.make_linked_student(session, task, records[1], paid=False)
        f.make_linked_student(session, task, records[2])
        rejected = f.make_linked_student(session, task, records[3])
        blocked = f.make_linked_student(session, task, records[4])
        reviewing = f.make_linked_student(session, task, records[5])
        once = f.make_linked_student(session, task, records[6])
        first = submission(session, rejected, SubmissionState.AWAITING_REVIEW)
        review.decide(session, reviewer, first.id, Decision.REJECT, reason_code="other", note="背景有人")
        submission(session, blocked, SubmissionState.AUTO_BLOCKED)
        submission(session, blocked, SubmissionState.AUTO_BLOCKED)
        submission(session, reviewing, SubmissionState.AUTO_BLOCKED)
        submission(session, reviewing, SubmissionState.AUTO_BLOCKED)
        submission(session, reviewing, SubmissionState.AWAITING_REVIEW)
        submission(session, once, SubmissionState.AUTO_BLOCKED)
        f.make_record(session, b, 90, name="外校")
        return dict(task=task.id, task_b=task_b.id, registrar=registrar)


def test_each_student_appears_once_with_the_first_reason_that_applies(db, world):
    with db.session() as session:
        entries = chase.chase_list(session, world["registrar"], world["task"])
    reasons = {e.name: e.reason for e in entries}
    assert reasons == {
        "未关联": ChaseReason.NOT_LINKED,
        "未支付": ChaseReason.NOT_PAID,
        "未提交": ChaseReason.NOT_SUBMITTED,
        "被驳回": ChaseReason.REJECTED,
        "多次拦截": ChaseReason.BLOCKED,
        "一次拦截": ChaseReason.NOT_SUBMITTED,
    }
    details = {e.name: e.detail for e in entries}
    assert details["被驳回"] == "其他：背景有人"
    assert details["多次拦截"] == "人像比对未通过 2 次"
    assert details["一次拦截"] == "人像比对未通过 1 次"


def test_filters_by_reason_department_class_and_search(db, world):
    with db.session() as session:
        actor, task = world["registrar"], world["task"]
        only = chase.chase_list(session, actor, task, ChaseFilter(reasons=(ChaseReason.REJECTED, ChaseReason.BLOCKED)))
        assert {e.name for e in only} == {"被驳回", "多次拦截"}
        foreign = chase.chase_list(session, actor, task, ChaseFilter(department="外语学院"))
        assert {e.name for e in foreign} == {"未关联", "未提交", "多次拦截", "一次拦截"}
        assert {e.name for e in chase.chase_list(session, actor, task, ChaseFilter(class_name="2班"))} == {
            "未支付", "被驳回"}
        assert [e.name for e in chase.chase_list(session, actor, task, ChaseFilter(search="0012345670"))] == ["未关联"]
        assert ("计算机学院", "2班") in chase.departments_and_classes(session, actor, task)


def test_exports_xlsx_and_csv_with_text_student_numbers_and_audits(db, world):
    with db.session() as session:
        xlsx = chase.export_chase_list(session, world["registrar"], world["task"], "xlsx")
        text = chase.export_chase_list(session, world["registrar"], world["task"], "csv",
                                       ChaseFilter(reasons=(ChaseReason.NOT_LINKED,)))
        with pytest.raises(InvalidInput):
            chase.export_chase_list(session, world["registrar"], world["task"], "pdf")
    sheet = load_workbook(io.BytesIO(xlsx)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == chase.EXPORT_HEADER and len(rows) == 7
    first = next(r for r in rows if r[0] == "未关联")
    assert first[1] == "0012345670" and len(first[2]) == 4 and first[6] == "未关联任务"
    lines = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert lines[0] == list(chase.EXPORT_HEADER) and [r[0] for r in lines[1:]] == ["未关联"]
    with db.session() as session:
        exports = session.scalars(select(AuditEvent).where(AuditEvent.action == "chase.export")).all()
        f.keep(session, *exports)
    assert [(e.detail["format"], e.detail["rows"]) for e in exports] == [("xlsx", 6), ("csv", 1)]


def test_registrar_cannot_list_or_export_another_school(db, world):
    with db.session() as session:
        for call in (lambda: chase.chase_list(session, world["registrar"], world["task_b"]),
                     lambda: chase.export_chase_list(session, world["registrar"], world["task_b"], "csv"),
                     lambda: chase.departments_and_classes(session, world["registrar"], world["task_b"])):
            with pytest.raises(AccessDenied):
                call()
    with db.session() as session:
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "chase.export")) is None
