"""Tickets through the service on both databases: open, note, assign, wait, escalate, resolve,
reopen; the queue by due time; the registrar's escalations; the dashboard's SQL aggregates."""

from __future__ import annotations

from datetime import datetime, timedelta, UTC

import pytest

from core.domain.enums import Role, TicketCategory, TicketChannel, TicketPriority, TicketStatus
from core.errors import AccessDenied, Conflict, InvalidInput
from core.models import SupportTicket
from core.services import audit, tickets
from tests import factories as f

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.fixture
def desk(db):
    with db.session() as session:
        school = f.make_school(session)
        other = f.make_school(session, "10487", "华中科技大学")
        record = f.make_record(session, school, 1)
        agent = f.make_staff(session, Role.SUPPORT, "wang.support")
        colleague = f.make_staff(session, Role.SUPPORT, "zhao.support")
        reviewer = f.make_staff(session, Role.REVIEWER, "li.reviewer")
        registrar = f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school)
        other_registrar = f.make_staff(session, Role.REGISTRAR, "reg.hust", school=other)
        f.keep(session, record)
    return dict(school=school, other=other, record=record, agent=f.actor_of(agent), colleague=colleague,
                reviewer=f.actor_of(reviewer), registrar=f.actor_of(registrar),
                other_registrar=f.actor_of(other_registrar))


def open_one(db, desk, **kw):
    values = dict(category=TicketCategory.QUOTA_EXCEEDED, subject="今日次数用完", caller_phone="13800138000",
                  roster_record_id=desk["record"].id, now=NOW)
    values.update(kw)
    with db.session() as session:
        return tickets.open_ticket(session, desk["agent"], **values)


def test_open_sets_number_due_time_school_and_audit(db, desk):
    ticket = open_one(db, desk, priority=TicketPriority.URGENT, note="学生来电，拍了 5 次都不满意")
    assert ticket.number == f"T260601{ticket.id:05d}"
    assert ticket.due_at == NOW + timedelta(hours=2)
    assert ticket.school_id == desk["school"].id and ticket.status is TicketStatus.OPEN
    with db.session() as session:
        stored = session.get(SupportTicket, ticket.id)
        assert [n.body for n in stored.notes] == ["学生来电，拍了 5 次都不满意"]
        [event] = audit.events_for(session, entity_type="support_ticket", entity_id=ticket.id)
        assert event.action == "ticket.open" and event.actor_name == "Wang.Support"
        assert event.roster_record_id == desk["record"].id and event.detail["priority"] == "urgent"


def test_open_refuses_bad_input_and_other_roles(db, desk):
    with db.session() as session:
        with pytest.raises(InvalidInput):
            tickets.open_ticket(session, desk["agent"], category=TicketCategory.OTHER, subject="  ")
        with pytest.raises(InvalidInput):
            tickets.open_ticket(session, desk["agent"], category=TicketCategory.OTHER, subject="x",
                                caller_phone="call me maybe")
        with pytest.raises(AccessDenied):
            tickets.open_ticket(session, desk["reviewer"], category=TicketCategory.OTHER, subject="x")
        with pytest.raises(InvalidInput):
            tickets.open_ticket(session, desk["agent"], category=TicketCategory.OTHER, subject="x",
                                assignee_id=desk["reviewer"].id)
    with db.session() as session:
        assert session.query(SupportTicket).count() == 0


def test_ticket_from_a_call_without_a_student(db, desk):
    ticket = open_one(db, desk, roster_record_id=None, category=TicketCategory.SCHOOL_NOT_FOUND,
                      channel=TicketChannel.QQ)
    assert ticket.roster_record_id is None and ticket.school_id is None
    with db.session() as session, pytest.raises(InvalidInput) as refused:
        tickets.escalate_to_school(session, desk["agent"], ticket.id, "请学校确认")
    assert "未关联学生" in refused.value.message_zh


def test_queue_is_sorted_by_due_time_and_marks_overdue(db, desk):
    low = open_one(db, desk, priority=TicketPriority.LOW, subject="低")
    urgent = open_one(db, desk, priority=TicketPriority.URGENT, subject="急", now=NOW + timedelta(hours=1))
    normal = open_one(db, desk, priority=TicketPriority.NORMAL, subject="普通")
    done = open_one(db, desk, priority=TicketPriority.URGENT, subject="已解决")
    with db.session() as session:
        tickets.resolve(session, desk["agent"], done.id, "已处理")
        rows = tickets.queue(session, desk["agent"], now=NOW + timedelta(hours=4))
    assert [r.id for r in rows] == [urgent.id, normal.id, low.id]
    assert [r.overdue for r in rows] == [True, False, False]
    assert rows[0].student_name == "丁白云" and rows[0].school_name == "武汉大学"


def test_assign_note_wait_and_filter_by_assignee(db, desk):
    ticket = open_one(db, desk)
    colleague = desk["colleague"]
    with db.session() as session:
        tickets.assign(session, desk["agent"], ticket.id, colleague.id)
        tickets.add_note(session, desk["agent"], ticket.id, "已请学生明天再试")
        tickets.set_status(session, desk["agent"], ticket.id, TicketStatus.WAITING_STUDENT, "等学生回电")
        mine = tickets.queue(session, desk["agent"], assignee_id=colleague.id)
        detail = tickets.detail(session, desk["agent"], ticket.id)
        with pytest.raises(Conflict):
            tickets.set_status(session, desk["agent"], ticket.id, TicketStatus.RESOLVED)
        actions = [e.action for e in audit.events_for(session, entity_type="support_ticket", entity_id=ticket.id)]
    assert [r.id for r in mine] == [ticket.id] and mine[0].assignee_name == "Zhao.Support"
    assert detail.row.status is TicketStatus.WAITING_STUDENT
    assert [n.body for n in detail.notes] == ["已请学生明天再试", "等学生回电"]
    assert actions == ["ticket.open", "ticket.assign", "ticket.note", "ticket.status"]


def test_resolve_needs_a_resolution_and_closes_the_ticket_until_reopened(db, desk):
    ticket = open_one(db, desk)
    with db.session() as session:
        with pytest.raises(InvalidInput):
            tickets.resolve(session, desk["agent"], ticket.id, " ")
        tickets.resolve(session, desk["agent"], ticket.id, "已重置今日次数", now=NOW + timedelta(hours=1))
    with db.session() as session:
        with pytest.raises(Conflict):
            tickets.assign(session, desk["agent"], ticket.id, None)
        with pytest.raises(Conflict):
            tickets.resolve(session, desk["agent"], ticket.id, "再次解决")
        stored = session.get(SupportTicket, ticket.id)
        assert stored.status is TicketStatus.RESOLVED and stored.resolution == "已重置今日次数"
        assert stored.resolved_at == NOW + timedelta(hours=1)
        tickets.reopen(session, desk["agent"], ticket.id, "学生回电仍无法拍摄", now=NOW + timedelta(days=1))
    with db.session() as session:
        stored = session.get(SupportTicket, ticket.id)
        assert stored.status is TicketStatus.OPEN and stored.resolved_at is None
        assert stored.due_at == NOW + timedelta(days=2)
        actions = [e.action for e in audit.events_for(session, entity_type="support_ticket", entity_id=ticket.id)]
    assert actions == ["ticket.open", "ticket.resolve", "ticket.reopen"]


def test_escalation_shows_in_that_registrars_list_only(db, desk):
    ticket = open_one(db, desk, category=TicketCategory.NOT_ON_ROSTER)
    school_id = desk["school"].id
    with db.session() as session:
        with pytest.raises(InvalidInput):
            tickets.escalate_to_school(session, desk["agent"], ticket.id, "")
        tickets.escalate_to_school(session, desk["agent"], ticket.id, "学籍信息有误，请学校核对")
    with db.session() as session:
        rows = tickets.escalations_for_school(session, desk["registrar"], school_id)
        assert [r.id for r in rows] == [ticket.id]
        assert rows[0].status is TicketStatus.WAITING_SCHOOL and rows[0].escalated_to_school
        with pytest.raises(AccessDenied):
            tickets.escalations_for_school(session, desk["other_registrar"], school_id)
        with pytest.raises(AccessDenied):
            tickets.add_note(session, desk["other_registrar"], ticket.id, "不是本校")
        with pytest.raises(AccessDenied):
            tickets.queue(session, desk["registrar"])
        [event] = audit.events_for(session, entity_type="support_ticket", entity_id=ticket.id, action="ticket.escalate")
        assert event.detail["reason"] == "学籍信息有误，请学校核对"
    with db.session() as session:
        tickets.add_note(session, desk["registrar"], ticket.id, "已补录学籍，请学生重新核验")
        tickets.set_status(session, desk["registrar"], ticket.id, TicketStatus.OPEN)
    with db.session() as session:
        assert tickets.escalations_for_school(session, desk["registrar"], school_id) == []
        assert [r.id for r in tickets.escalations_for_school(session, desk["registrar"], school_id,
                                                             include_resolved=True)] == [ticket.id]
        assert tickets.detail(session, desk["agent"], ticket.id).notes[-1].author_name == "Reg.Whu"


def test_a_registrar_cannot_touch_tickets_not_escalated(db, desk):
    ticket = open_one(db, desk)
    with db.session() as session, pytest.raises(AccessDenied):
        tickets.detail(session, desk["registrar"], ticket.id)


def test_find_by_number(db, desk):
    ticket = open_one(db, desk)
    with db.session() as session:
        assert tickets.find_by_number(session, desk["agent"], ticket.number.lower()).id == ticket.id
        assert tickets.find_by_number(session, desk["agent"], "T99010100001") is None
        assert tickets.find_by_number(session, desk["agent"], "丁白云") is None


def test_dashboard_aggregates_per_china_day_category_median_and_oldest_open(db, desk):
    # 2026-06-01 23:30 Beijing is 15:30 UTC: counts on the 1st, not the 2nd.
    late = datetime(2026, 6, 1, 15, 30, tzinfo=UTC)
    a = open_one(db, desk, now=late - timedelta(hours=2), category=TicketCategory.PAYMENT)
    b = open_one(db, desk, now=late, category=TicketCategory.PAYMENT)
    c = open_one(db, desk, now=late + timedelta(hours=1), category=TicketCategory.CHSI_STATUS)  # 2nd, Beijing
    d = open_one(db, desk, now=late + timedelta(hours=2), category=TicketCategory.OTHER)
    with db.session() as session:
        tickets.resolve(session, desk["agent"], a.id, "ok", now=late - timedelta(hours=1))  # 1 h
        tickets.resolve(session, desk["agent"], b.id, "ok", now=late + timedelta(hours=3))  # 3 h
        tickets.resolve(session, desk["agent"], c.id, "ok", now=late + timedelta(hours=11))  # 10 h
        board = tickets.dashboard(session, desk["agent"], days=3, now=late + timedelta(hours=12))
    by_day = {d_.day.isoformat(): (d_.opened, d_.resolved) for d_ in board.days}
    assert by_day == {"2026-05-31": (0, 0), "2026-06-01": (2, 1), "2026-06-02": (2, 2)}
    assert board.by_category[TicketCategory.PAYMENT] == (2, 0)
    assert board.by_category[TicketCategory.OTHER] == (1, 1)
    assert TicketCategory.REVIEW_DISPUTE not in board.by_category
    assert board.resolved_in_period == 3
    assert board.median_resolve_seconds == pytest.approx(3 * 3600, abs=1)
    assert board.open_now == 1 and board.overdue_now == 0
    assert board.oldest_open is not None and board.oldest_open.id == d.id


def test_dashboard_median_of_an_even_count_and_empty(db, desk):
    with db.session() as session:
        empty = tickets.dashboard(session, desk["agent"], now=NOW)
    assert empty.median_resolve_seconds is None and empty.oldest_open is None and empty.open_now == 0
    for hours in (1, 2, 4, 8):
        t = open_one(db, desk)
        with db.session() as session:
            tickets.resolve(session, desk["agent"], t.id, "ok", now=NOW + timedelta(hours=hours))
    with db.session() as session:
        board = tickets.dashboard(session, desk["agent"], now=NOW + timedelta(days=1))
        with pytest.raises(AccessDenied):
            tickets.dashboard(session, desk["reviewer"])
    assert board.median_resolve_seconds == pytest.approx(3 * 3600, abs=1)


def test_a_ticket_without_a_category_is_refused(db, desk):
    from core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        open_one(db, desk, category=None)
    assert refused.value.message_zh == "请选择问题类别。"
