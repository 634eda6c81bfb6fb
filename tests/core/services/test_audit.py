from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select, text, update

from core.domain.access import Actor
from core.domain.enums import Role
from core.errors import AccessDenied, InvalidInput
from core.models import AuditEvent, utcnow
from core.services import audit, schools
from tests import factories as f


def _admin(session):
    return f.actor_of(f.make_staff(session, Role.ADMIN, "admin"))


def _log(session):
    """Two schools, two students, a few staff actions; returns (admin, school_a, school_b, record_a)."""
    admin = _admin(session)
    a = schools.create_school(session, admin, code="10486", name="武汉大学")
    b = schools.create_school(session, admin, code="10487", name="华中科技大学")
    record_a = f.make_record(session, a, 1, name="丁白云")
    record_b = f.make_record(session, b, 2, name="王小明")
    task = schools.create_task(session, admin, school_id=a.id, settings=schools.TaskSettings(
        category=record_a.category, cohort="2025届", title="采集", opens_on=utcnow().date(),
        closes_on=utcnow().date() + timedelta(30), price_fen=2500))
    audit.record(session, f.actor_of(f.make_staff(session, Role.SUPPORT, "zhao")), "ticket.note", "support_ticket",
                 1, school_id=a.id, roster_record_id=record_a.id)
    audit.record(session, Actor.system("worker"), "submission.processed", "submission", 7, school_id=b.id,
                 roster_record_id=record_b.id)
    schools.set_task_status(session, admin, task.id, task.status.PAUSED)
    session.flush()
    return admin, a, b, record_a


def test_filters_by_actor_student_school_action_and_time(db):
    with db.session() as session:
        admin, a, b, record_a = _log(session)
        everything = audit.query(session, admin, audit.AuditFilter())
        assert everything.total == len(audit.events_for(session))
        assert [e.id for e in everything.events] == sorted((e.id for e in everything.events), reverse=True)

        by_actor = audit.query(session, admin, audit.AuditFilter(actor="zha"))
        assert {e.action for e in by_actor.events} == {"ticket.note"}
        by_student_number = audit.query(session, admin, audit.AuditFilter(student=record_a.student_number))
        by_student_name = audit.query(session, admin, audit.AuditFilter(student="丁白云"))
        assert [e.action for e in by_student_number.events] == [e.action for e in by_student_name.events] == [
            "ticket.note"]
        by_school = audit.query(session, admin, audit.AuditFilter(school_id=b.id))
        assert {e.action for e in by_school.events} == {"school.create", "submission.processed"}
        family = audit.query(session, admin, audit.AuditFilter(action="task."))
        assert [e.action for e in family.events] == ["task.status", "task.create"]
        exact = audit.query(session, admin, audit.AuditFilter(action="task.status"))
        assert exact.total == 1
        combined = audit.query(session, admin, audit.AuditFilter(action="school.create", school_id=a.id))
        assert combined.total == 1 and combined.events[0].detail["name"] == "武汉大学"
        now = utcnow()
        assert audit.query(session, admin, audit.AuditFilter(since=now + timedelta(minutes=1))).total == 0
        assert audit.query(session, admin, audit.AuditFilter(until=now - timedelta(days=1))).total == 0
        assert audit.query(session, admin, audit.AuditFilter(since=now - timedelta(minutes=5),
                                                             until=now + timedelta(minutes=5))).total == everything.total
        assert "ticket.note" in audit.actions(session, admin)


def test_a_wildcard_in_the_actor_filter_is_taken_literally(db):
    with db.session() as session:
        admin, *_ = _log(session)
        assert audit.query(session, admin, audit.AuditFilter(actor="%")).total == 0


def test_pages_are_cut_in_sql_and_cover_the_log_once(db):
    with db.session() as session:
        admin = _admin(session)
        for n in range(23):
            audit.record(session, admin, "test.event", "thing", n)
        session.flush()
        first = audit.query(session, admin, audit.AuditFilter(action="test.event"), page=1, page_size=10)
        assert (first.total, first.pages, len(first.events)) == (23, 3, 10)
        seen = [e.entity_id for page in (1, 2, 3)
                for e in audit.query(session, admin, audit.AuditFilter(action="test.event"), page=page,
                                     page_size=10).events]
        assert seen == list(range(22, -1, -1))


def test_export_csv_and_xlsx_hold_the_filtered_rows_and_are_themselves_audited(db):
    with db.session() as session:
        admin, a, *_ = _log(session)
        wanted = audit.AuditFilter(school_id=a.id)
        expected = audit.query(session, admin, wanted).total
        data = audit.export(session, admin, wanted, "csv")
        assert data.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert rows[0] == list(audit.EXPORT_COLUMNS)
        assert len(rows) - 1 == expected
        assert {row[5] for row in rows[1:]} == {"school.create", "task.create", "ticket.note", "task.status"}
        assert json.loads(next(r for r in rows if r[5] == "school.create")[10])["name"] == "武汉大学"

        book = load_workbook(io.BytesIO(audit.export(session, admin, wanted, "xlsx")), read_only=True)
        sheet_rows = list(book["audit"].iter_rows(values_only=True))
        assert len(sheet_rows) - 1 == expected
        exports = audit.events_for(session, action="audit.export")
        assert [(e.detail["format"], e.detail["rows"]) for e in exports] == [("csv", expected), ("xlsx", expected)]
        with pytest.raises(InvalidInput):
            audit.export(session, admin, wanted, "pdf")


def test_the_log_cannot_be_edited_or_deleted_through_the_application(db):
    """Every way the ORM offers to change or remove an event is refused, and the row survives."""
    with db.session() as session:
        admin = _admin(session)
        schools.create_school(session, admin, code="10486", name="武汉大学")
        event_id = audit.events_for(session, action="school.create")[0].id

    def attempt(change):
        with pytest.raises(AccessDenied, match="cannot be changed or deleted"):
            with db.session() as session:
                change(session)

    def rename(s):
        s.get(AuditEvent, event_id).actor_name = "someone else"
        s.flush()

    attempt(rename)
    attempt(lambda s: s.delete(s.get(AuditEvent, event_id)) or s.flush())
    attempt(lambda s: s.execute(update(AuditEvent).where(AuditEvent.id == event_id).values(action="x")))
    attempt(lambda s: s.execute(delete(AuditEvent)))
    with db.session() as session:
        event = session.get(AuditEvent, event_id)
        assert (event.actor_name, event.action) == ("Admin", "school.create")
        assert session.scalar(select(text("count(*)")).select_from(AuditEvent)) >= 2


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.SENIOR_REVIEWER, Role.REGISTRAR, Role.SUPPORT])
def test_no_other_role_may_read_or_export_the_log(db, role):
    with db.session() as session:
        school = f.make_school(session)
        someone = f.actor_of(f.make_staff(session, role, "someone", school=school if role is Role.REGISTRAR else None))
        for call in (lambda: audit.query(session, someone, audit.AuditFilter()),
                     lambda: audit.actions(session, someone),
                     lambda: audit.export(session, someone, audit.AuditFilter(), "csv")):
            with pytest.raises(AccessDenied):
                call()


def test_the_log_reads_as_sentences_with_names_from_the_data(db):
    with db.session() as session:
        admin = _admin(session)
        school = schools.create_school(session, admin, code="10486", name="武汉大学")
        record = f.make_record(session, school, 1, name="张三")
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER, "lisi"))
        audit.record(session, reviewer, "review.approve", "submission", 185, school_id=school.id,
                     roster_record_id=record.id)
        audit.record(session, f.SYSTEM, "batch.export", "upload_batch", 7, school_id=school.id)
        session.flush()
        page = audit.query(session, admin, audit.AuditFilter(), page=1)
        lines = {line.action: line for line in audit.lines(session, admin, page.events)}
        f.keep(session, record)
    approve = lines["review.approve"]
    assert approve.sentence_zh == f"审核员 Lisi 通过了 张三（学号 {record.student_number}）的照片"
    assert approve.sentence_en == f"Reviewer Lisi approved the photo of 张三 (student no. {record.student_number})"
    assert approve.action_zh == "审核通过" and approve.school_name == "武汉大学"
    assert approve.raw["entity"] == "submission #185"
    assert lines["school.create"].sentence_zh == "管理员 Admin 新建了 学校 武汉大学"
    assert lines["batch.export"].sentence_zh.endswith("导出了 上报批次（编号 7）")


def test_every_recorded_action_has_a_sentence():
    """Every action the services record (by literal name) reads as Chinese words, never as its code."""
    import re
    from pathlib import Path

    from core.domain.audit_words import ACTIONS
    from core.domain.enums import Decision

    services = Path(audit.__file__).parent
    recorded = set()
    for path in services.glob("*.py"):
        recorded |= set(re.findall(r'"([a-z_]+\.[a-z_]+)"', path.read_text()))
    recorded = {a for a in recorded if a.split(".")[0] in {k.split(".")[0] for k in ACTIONS}}
    recorded |= {f"review.{d.value}" for d in Decision}
    assert recorded - set(ACTIONS) == set()
    assert all(not re.search(r"[A-Za-z]", said.zh.replace("{obj}", "") + said.name_zh) for said in ACTIONS.values())


def test_lines_are_for_admins_only(db):
    with db.session() as session:
        support = f.actor_of(f.make_staff(session, Role.SUPPORT, "zhao"))
        with pytest.raises(AccessDenied):
            audit.lines(session, support, [])
