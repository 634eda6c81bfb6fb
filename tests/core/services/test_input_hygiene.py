"""Hostile text through the real services, on SQLite and PostgreSQL alike: overlong names and numbers,
NUL bytes, bidi overrides and 10 000-character notes are refused with the field named and nothing
written; search boxes refuse them the same way; ``%`` and ``_`` match themselves in every search.
Whatever a service forgot, the database layer refuses the same way (never a database error)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from core.domain.access import Actor
from core.domain.enums import EducationCategory, QuotaKind, Role, TicketCategory
from core.errors import InvalidInput
from core.models import Base, Payment, RosterRecord, School, StaffUser, StudentAccount, SupportTicket, utcnow
from core.services import audit, chase, linking, payments, quotas, review_view, roster, schools, staff, \
    student_flow, support, tickets, wechat
from core.services.audit import AuditFilter
from core.services.chase import ChaseFilter
from tests import factories as f

pytestmark = pytest.mark.usefixtures("quick_password_hashes")

NAME_70 = "丁" * 70
DIGITS_40 = "1" * 40
NUL = "丁\x00白云"
BIDI = "丁\u202e云白"
NOTE_10K = "备注" * 5000


def _rows(session: Any) -> dict[str, int]:
    return {t.name: session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables}


def refused(db: Any, call: Callable[[Any], object], label_zh: str) -> InvalidInput:
    """``call(session)`` must raise InvalidInput naming ``label_zh``, and write nothing."""
    with db.session() as session:
        before = _rows(session)
    with pytest.raises(InvalidInput) as refusal:
        with db.session() as session:
            call(session)
    assert label_zh in refusal.value.message_zh, refusal.value.message_zh
    with db.session() as session:
        assert _rows(session) == before
    return refusal.value


@pytest.fixture
def people(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        record = f.make_record(session, school)
        actors = {role: f.actor_of(f.make_staff(session, role, school=school if role is Role.REGISTRAR else None))
                  for role in (Role.ADMIN, Role.SUPPORT, Role.REGISTRAR, Role.REVIEWER)}
        student = f.make_linked_student(session, task, record)
        return {"school": school.id, "task": task.id, "record": record.id, "link": student.link.id,
                "account": student.account.id, **{role.value: actor for role, actor in actors.items()}}


def test_staff_accounts_refuse_overlong_and_invisible_characters(db, people):
    admin = people["admin"]

    def create(**overrides: object) -> Callable[[Any], object]:
        values: dict[str, object] = dict(username="li.new", display_name="李新", role=Role.REVIEWER,
                                         password="Review2025")
        values.update(overrides)
        return lambda session: staff.create_staff(session, admin, **values)

    refused(db, create(username=NAME_70), "用户名")
    refused(db, create(username="li\x00new"), "用户名")
    refused(db, create(display_name=BIDI), "姓名")
    refused(db, create(password="Review2025\x00"), "密码")
    with db.session() as session:
        user = staff.create_staff(session, admin, username="  li.new\u200b ", display_name="e\u0301", role=Role.REVIEWER,
                                  password="Review2025")
        assert (user.username, user.display_name) == ("li.new", "\u00e9")


def test_schools_and_tasks_refuse_a_forty_digit_code_and_overlong_names(db, people):
    admin = people["admin"]
    refused(db, lambda s: schools.create_school(s, admin, code=DIGITS_40, name="测试大学"), "院校代码")
    refused(db, lambda s: schools.create_school(s, admin, code="10001", name=NAME_70 * 2), "学校名称")
    refused(db, lambda s: schools.create_school(s, admin, code="10001", name="测试大学", short_name=NUL), "简称")
    refused(db, lambda s: schools.create_school(s, admin, code="10001", name="测试大学",
                                                makeup_points=[{"name": BIDI}]), "补拍点名称")
    today = utcnow().date()
    refused(db, lambda s: schools.create_task(s, admin, school_id=people["school"], settings=schools.TaskSettings(
        category=EducationCategory.REGULAR, cohort=DIGITS_40, title="任务", opens_on=today,
        closes_on=today + timedelta(days=3), price_fen=100)), "届别")
    with db.session() as session:  # a long name's pinyin is cut to its column, not refused
        made = schools.create_school(session, admin, code="10002", name="长" * 128)
        assert len(made.pinyin) == 255


def test_tickets_refuse_a_ten_thousand_character_note_and_a_nul_subject(db, people):
    agent = people["support"]
    refused(db, lambda s: tickets.open_ticket(s, agent, category=TicketCategory.OTHER, subject=NUL), "工单标题")
    refused(db, lambda s: tickets.open_ticket(s, agent, category=TicketCategory.OTHER, subject="来电",
                                              note=NOTE_10K), "备注")
    refused(db, lambda s: tickets.open_ticket(s, agent, category=TicketCategory.OTHER, subject="来电",
                                              caller_phone=DIGITS_40), "来电号码")
    with db.session() as session:
        ticket_id = tickets.open_ticket(session, agent, category=TicketCategory.OTHER, subject="来电",
                                        roster_record_id=people["record"], note="第一行\r\n第二行").id
        assert [n.body for n in session.get(SupportTicket, ticket_id).notes] == ["第一行\n第二行"]
    refused(db, lambda s: tickets.add_note(s, agent, ticket_id, NOTE_10K), "备注")
    refused(db, lambda s: tickets.resolve(s, agent, ticket_id, "已处理\x00"), "处理结果")
    refused(db, lambda s: tickets.escalate_to_school(s, agent, ticket_id, BIDI), "原因")


def test_staff_actions_refuse_hostile_reasons(db, people):
    agent = people["support"]
    refused(db, lambda s: quotas.grant(s, agent, people["record"], QuotaKind.SUBMISSION, NOTE_10K), "原因")
    refused(db, lambda s: support.grant_submission(s, agent, people["record"], "正常\x00"), "原因")
    refused(db, lambda s: linking.unbind(s, agent, people["link"], BIDI), "原因")
    with db.session() as session:
        payment_id = session.scalars(select(Payment.id)).first()
    refused(db, lambda s: payments.mark_refunded(s, agent, payment_id, NOTE_10K), "原因")


def test_students_identity_check_refuses_hostile_fields_before_counting_a_failure(db, people):
    with db.session() as session:
        account = linking.sign_in(session, "openid-other", "同学")
        account_id = account.id

    def verify(**fields: str) -> Callable[[Any], object]:
        """The refusal is returned (as every failed check is), so raise it here to inspect it."""
        values = dict(name="丁白云", student_number="2110000001", id_last4="1234")
        values.update(fields)

        def call(s: Any) -> None:
            account = s.get(StudentAccount, account_id)
            outcome = linking.verify_identity(s, account, people["task"], code=None, **values)
            assert outcome.record is None and outcome.attempts_left is None and account.failed_verifications == 0
            raise outcome.error  # type: ignore[misc]  # a failed check returns its refusal; raised here to inspect it

        return call

    refused(db, verify(name=NUL), "姓名")
    refused(db, verify(student_number=DIGITS_40), "学号")
    refused(db, verify(id_last4="12345"), "证件号后4位")
    refused(db, lambda s: wechat.sign_in(s, "小丁\x00"), "微信昵称")


@pytest.mark.parametrize("hostile", [NUL, BIDI, "a" * 70])
def test_every_search_box_refuses_hostile_text_clearly(db, people, hostile):
    refused(db, lambda s: support.search(s, people["support"], hostile), "查询内容")
    refused(db, lambda s: chase.chase_list(s, people["registrar"], people["task"], ChaseFilter(search=hostile)),
            "搜索")
    refused(db, lambda s: roster.list_records(s, people["registrar"], people["school"], search=hostile), "搜索")
    refused(db, lambda s: review_view.find_students(s, people["reviewer"], hostile), "学号")
    refused(db, lambda s: student_flow.search_schools(s, hostile), "学校名称")
    refused(db, lambda s: audit.query(s, people["admin"], AuditFilter(actor=hostile)), "操作人")
    refused(db, lambda s: audit.query(s, people["admin"], AuditFilter(student=hostile)), "学生")
    refused(db, lambda s: tickets.find_by_number(s, people["support"], hostile), "工单号")


# ---------------------------------------------------------------- LIKE wildcards


@pytest.fixture
def wildcard_roster(db, people):
    with db.session() as session:
        school = session.get(School, people["school"])
        for seed, name in ((11, "李%四"), (12, "李_五"), (13, "李大六"), (14, "王小七")):
            f.make_record(session, school, seed, name=name)
    return people


def _names(rows: list[Any], attribute: str = "name") -> set[str]:
    return {getattr(row, attribute) for row in rows}


def test_percent_and_underscore_match_themselves_in_every_search(db, wildcard_roster):
    p = wildcard_roster
    with db.session() as session:
        for term, expected in (("%", {"李%四"}), ("_", {"李_五"}), ("李%", {"李%四"}), ("李_", {"李_五"})):
            assert _names(chase.chase_list(session, p["registrar"], p["task"], ChaseFilter(search=term))) == expected
            assert _names(roster.list_records(session, p["registrar"], p["school"], search=term)) == expected
        assert _names(support.search(session, p["support"], "李%")) == {"李%四"}
        assert _names(support.search(session, p["support"], "李_")) == {"李_五"}
        assert _names(support.search(session, p["support"], "%四", anywhere_in_name=True)) == {"李%四"}
        assert _names(support.search(session, p["support"], "李大")) == {"李大六"}
        audit.record(session, Actor.system("夜间_任务"), "test.one", "school", None)
        audit.record(session, Actor.system("夜间X任务"), "test.two", "school", None)
        session.flush()
        assert [e.actor_name for e in audit.query(session, p["admin"], AuditFilter(actor="间_任")).events] == [
            "夜间_任务"]
        assert audit.query(session, p["admin"], AuditFilter(action="test_")).total == 0


# ---------------------------------------------------------------- the last line of defence


def test_a_string_too_long_for_its_column_is_refused_before_the_database_sees_it(db, people):
    with pytest.raises(InvalidInput) as refusal:
        with db.session() as session:
            school = session.get(School, people["school"])
            session.add(RosterRecord(school_id=school.id, name=NAME_70, student_number="1", id_number="1",
                                     id_last4="1", category=EducationCategory.REGULAR, cohort="2025届"))
    assert "姓名" in refusal.value.message_zh and "64" in refusal.value.message_zh
    with pytest.raises(InvalidInput) as refusal:
        with db.session() as session:
            session.get(StaffUser, people["admin"].id).password_hash = "x\x00"
    assert "staff_user.password_hash" in refusal.value.message_en


def test_a_nul_in_any_query_is_refused_the_same_way_on_both_databases(db):
    with db.session() as session:
        with pytest.raises(InvalidInput, match="NUL"):
            session.scalar(select(StaffUser).where(StaffUser.username == "admin\x00"))
        with pytest.raises(InvalidInput, match="NUL"):
            session.execute(text("SELECT :value"), {"value": "\x00"})
