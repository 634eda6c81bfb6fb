"""The school's answer to a ticket support escalated to it, on both databases: who may answer, what
an answer does to the ticket, the refusals (nothing half-applied), the overdue escalations both
sides see, and the views the ticket services return instead of rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.domain.access import Actor
from core.domain.enums import Role, SchoolAnswer, TicketCategory, TicketPriority, TicketStatus
from core.domain.text import NOTE_MAX
from core.errors import AccessDenied, Conflict, InvalidInput
from core.models import SupportTicket, TicketNote
from core.services import audit, policy, tickets
from core.services.tickets import StaffChoice, TicketRow
from tests import factories as f

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.fixture
def desk(db):
    with db.session() as session:
        school = f.make_school(session)
        other = f.make_school(session, "10487", "华中科技大学")
        record = f.make_record(session, school, 1, name="丁白云")
        agent = f.make_staff(session, Role.SUPPORT, "wang.support")
        admin = f.make_staff(session, Role.ADMIN, "admin")
        registrar = f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school)
        other_registrar = f.make_staff(session, Role.REGISTRAR, "reg.hust", school=other)
        f.keep(session, record)
    return dict(school=school, record=record, agent=f.actor_of(agent), admin=f.actor_of(admin),
                registrar=f.actor_of(registrar), other_registrar=f.actor_of(other_registrar))


def escalated(db, desk, *, at=NOW, priority=TicketPriority.NORMAL) -> TicketRow:
    with db.session() as session:
        ticket = tickets.open_ticket(session, desk["agent"], category=TicketCategory.NOT_ON_ROSTER,
                                     subject="不在采集名单", roster_record_id=desk["record"].id, priority=priority,
                                     now=at)
        return tickets.escalate_to_school(session, desk["agent"], ticket.id, "学生不在名单，请学校核对学籍", now=at)


def answer(db, actor, ticket_id, kind=SchoolAnswer.SOLVED_BY_SCHOOL, text="已补录学籍，学生可重新核验", at=None):
    with db.session() as session:
        return tickets.answer_escalation(session, actor, ticket_id, kind, text, now=at or NOW + timedelta(hours=5))


def stored(db, ticket_id):
    with db.session() as session:
        ticket = session.get(SupportTicket, ticket_id)
        notes = [n.body for n in session.query(TicketNote).filter_by(ticket_id=ticket_id).order_by(TicketNote.id)]
        events = [e.action for e in audit.events_for(session, entity_type="support_ticket", entity_id=ticket_id)]
        f.keep(session, ticket)
        return ticket, notes, events


def test_escalating_starts_the_schools_time_to_answer(db, desk):
    row = escalated(db, desk)
    assert isinstance(row, TicketRow)
    assert row.status is TicketStatus.WAITING_SCHOOL and row.escalated_at == NOW
    assert row.escalation_due_at == NOW + timedelta(hours=48) and not row.escalation_overdue
    assert row.school_answer is None


@pytest.mark.parametrize("kind", list(SchoolAnswer))
def test_every_answer_hands_the_ticket_back_to_support_with_the_answer_kept(db, desk, kind):
    row = escalated(db, desk)
    answered_at = NOW + timedelta(hours=5)
    back = answer(db, desk["registrar"], row.id, kind, "  已核对学籍\r\n请学生重新核验  ", at=answered_at)
    assert back.status is TicketStatus.SCHOOL_REPLIED and back.school_answer is kind
    assert back.school_answered_at == answered_at
    assert back.due_at == answered_at + timedelta(hours=24), "support's call-back gets a fresh due time"
    assert not back.escalation_overdue
    ticket, notes, events = stored(db, row.id)
    assert ticket.school_answer_text == "已核对学籍\n请学生重新核验" and ticket.school_answered_by == "Reg.Whu"
    label = {SchoolAnswer.REPLY: "答复", SchoolAnswer.SOLVED_BY_SCHOOL: "由学校解决",
             SchoolAnswer.NEEDS_STUDENT: "需学生本人处理"}[kind]
    assert notes[-1] == f"学校答复（{label}）：已核对学籍\n请学生重新核验"
    assert events == ["ticket.open", "ticket.escalate", "ticket.school_answer"]
    with db.session() as session:
        [event] = audit.events_for(session, entity_type="support_ticket", entity_id=row.id,
                                   action="ticket.school_answer")
        assert event.actor_name == "Reg.Whu" and event.detail["answer"] == kind.value
        assert event.school_id == desk["school"].id
        # support sees it: in the queue, on the ticket, and it has left the school's pending list
        [queued] = tickets.queue(session, desk["agent"], now=answered_at)
        assert queued.id == row.id and queued.status is TicketStatus.SCHOOL_REPLIED
        detail = tickets.detail(session, desk["agent"], row.id, now=answered_at)
        assert detail.school_answer_text == "已核对学籍\n请学生重新核验" and detail.school_answered_by == "Reg.Whu"
        assert detail.notes[-1].author_name == "Reg.Whu"
        assert tickets.escalations_for_school(session, desk["registrar"], desk["school"].id) == []
        [answered] = tickets.escalations_for_school(session, desk["registrar"], desk["school"].id,
                                                    include_resolved=True)
        assert answered.school_answer is kind
        # and works on from there: resolve after the call-back
        done = tickets.resolve(session, desk["agent"], row.id, "已回访学生，确认可以继续", now=answered_at)
        assert done.status is TicketStatus.RESOLVED


def test_support_can_wait_on_the_student_or_escalate_again_after_an_answer(db, desk):
    row = escalated(db, desk)
    answer(db, desk["registrar"], row.id, SchoolAnswer.NEEDS_STUDENT, "请学生本人携带身份证到学籍科")
    with db.session() as session:
        waiting = tickets.set_status(session, desk["agent"], row.id, TicketStatus.WAITING_STUDENT)
        assert waiting.status is TicketStatus.WAITING_STUDENT
        again = tickets.escalate_to_school(session, desk["agent"], row.id, "学生已到学籍科，请再核对",
                                           now=NOW + timedelta(days=1))
        assert again.status is TicketStatus.WAITING_SCHOOL and again.school_answer is None
        assert again.escalated_at == NOW + timedelta(days=1)
    second = answer(db, desk["registrar"], row.id, SchoolAnswer.REPLY, "已核对完毕", at=NOW + timedelta(days=1, hours=1))
    assert second.school_answer is SchoolAnswer.REPLY
    _, notes, _ = stored(db, row.id)
    assert [n for n in notes if n.startswith("学校答复")] == [
        "学校答复（需学生本人处理）：请学生本人携带身份证到学籍科", "学校答复（答复）：已核对完毕"]


def unchanged(db, ticket_id):
    ticket, notes, events = stored(db, ticket_id)
    assert ticket.status is TicketStatus.WAITING_SCHOOL and ticket.school_answer is None
    assert ticket.school_answer_text == "" and ticket.school_answered_at is None
    assert "ticket.school_answer" not in events and not any(n.startswith("学校答复") for n in notes)


def test_only_the_registrar_of_the_tickets_school_may_answer(db, desk):
    row = escalated(db, desk)
    for who in ("other_registrar", "agent", "admin"):
        with pytest.raises(AccessDenied) as refused:
            answer(db, desk[who], row.id)
        assert refused.value.message_zh  # a clear Chinese refusal
    unchanged(db, row.id)
    with pytest.raises(AccessDenied):
        answer(db, Actor.student(1, "小丁"), row.id)
    unchanged(db, row.id)


def test_a_ticket_never_escalated_cannot_be_answered(db, desk):
    with db.session() as session:
        ticket = tickets.open_ticket(session, desk["agent"], category=TicketCategory.PAYMENT, subject="支付失败",
                                     roster_record_id=desk["record"].id, now=NOW)
    with pytest.raises(AccessDenied) as refused:
        answer(db, desk["registrar"], ticket.id)
    assert "未转交学校" in refused.value.message_zh
    ticket_row, notes, events = stored(db, ticket.id)
    assert ticket_row.status is TicketStatus.OPEN and notes == [] and events == ["ticket.open"]


@pytest.mark.parametrize(("kind", "text", "says"), [
    (None, "已处理", "请选择答复类型"),
    (SchoolAnswer.REPLY, "   \n ", "请填写答复内容"),
    (SchoolAnswer.REPLY, "长" * (NOTE_MAX + 1), f"最多 {NOTE_MAX} 个字符"),
    (SchoolAnswer.REPLY, "已处理\x00", "控制字符"),
], ids=["no-kind", "empty", "too-long", "control-character"])
def test_bad_answers_are_refused_in_chinese_and_nothing_changes(db, desk, kind, text, says):
    row = escalated(db, desk)
    with pytest.raises(InvalidInput) as refused:
        answer(db, desk["registrar"], row.id, kind, text)
    assert says in refused.value.message_zh
    unchanged(db, row.id)


def test_a_ticket_is_answered_once_per_escalation(db, desk):
    row = escalated(db, desk)
    answer(db, desk["registrar"], row.id, SchoolAnswer.SOLVED_BY_SCHOOL, "已补录")
    with pytest.raises(Conflict) as refused:
        answer(db, desk["registrar"], row.id, SchoolAnswer.REPLY, "再答一次")
    assert "已答复过" in refused.value.message_zh
    ticket, notes, events = stored(db, row.id)
    assert ticket.school_answer is SchoolAnswer.SOLVED_BY_SCHOOL and ticket.school_answer_text == "已补录"
    assert events.count("ticket.school_answer") == 1 and sum(n.startswith("学校答复") for n in notes) == 1


def test_a_ticket_support_took_back_or_resolved_is_not_answered(db, desk):
    row = escalated(db, desk)
    with db.session() as session:
        tickets.resolve(session, desk["agent"], row.id, "学生来电说已自行解决")
    with pytest.raises(Conflict) as refused:
        answer(db, desk["registrar"], row.id)
    assert "已解决" in refused.value.message_zh or "不在等待学校答复" in refused.value.message_zh
    ticket, _, events = stored(db, row.id)
    assert ticket.status is TicketStatus.RESOLVED and "ticket.school_answer" not in events


def test_an_escalation_unanswered_past_the_policy_hours_is_overdue_for_both_sides(db, desk):
    late = escalated(db, desk, at=NOW - timedelta(hours=49))
    fresh = escalated(db, desk, at=NOW - timedelta(hours=1), priority=TicketPriority.LOW)
    school_id = desk["school"].id
    with db.session() as session:
        pending = tickets.escalations_for_school(session, desk["registrar"], school_id, now=NOW)
        assert [(r.id, r.escalation_overdue) for r in pending] == [(late.id, True), (fresh.id, False)]
        queued = {r.id: r.escalation_overdue for r in tickets.queue(session, desk["agent"], now=NOW)}
        assert queued == {late.id: True, fresh.id: False}
        policy.set_policy_value(session, desk["admin"], "escalation_answer_hours", 72)
    with db.session() as session:
        assert not any(r.escalation_overdue for r in tickets.queue(session, desk["agent"], now=NOW))
        with pytest.raises(InvalidInput):
            policy.set_policy_value(session, desk["admin"], "escalation_answer_hours", 1)
    answer(db, desk["registrar"], late.id, at=NOW)
    with db.session() as session:
        row = next(r for r in tickets.queue(session, desk["agent"], now=NOW + timedelta(days=9)) if r.id == late.id)
        assert not row.escalation_overdue, "an answered escalation is no longer the school's to answer"


def test_lookups_return_views_not_rows(db, desk):
    row = escalated(db, desk)
    with db.session() as session:
        found = tickets.find_by_number(session, desk["agent"], row.number.lower())
        assert isinstance(found, TicketRow) and found.id == row.id and found.escalated_to_school
        staff = tickets.support_staff(session, desk["agent"])
        assert all(isinstance(s, StaffChoice) for s in staff)
        assert [s.name for s in staff] == sorted(["Wang.Support", "Admin"])
        note = tickets.add_note(session, desk["registrar"], row.id, "学籍科已收到")
        assert (note.author_name, note.body) == ("Reg.Whu", "学籍科已收到")


def test_after_answering_the_school_cannot_move_supports_ticket_about(db, desk):
    row = escalated(db, desk)
    answer(db, desk["registrar"], row.id)
    with db.session() as session:
        for status in (TicketStatus.OPEN, TicketStatus.WAITING_STUDENT):
            with pytest.raises(AccessDenied):
                tickets.set_status(session, desk["registrar"], row.id, status)
    assert stored(db, row.id)[0].status is TicketStatus.SCHOOL_REPLIED


def test_two_registrars_answering_at_once_leave_one_answer(db, desk):
    if db.dialect != "postgresql":
        pytest.skip("on SQLite every write transaction begins IMMEDIATE, so two answers cannot interleave")
    row = escalated(db, desk)
    with db.session() as session:
        colleague = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg.whu2", school=desk["school"]))
    with db.session() as first:
        assert first.get(SupportTicket, row.id).status is TicketStatus.WAITING_SCHOOL  # read before the other answers
        answer(db, colleague, row.id, SchoolAnswer.REPLY, "同事先答复了")
        with pytest.raises(Conflict):
            tickets.answer_escalation(first, desk["registrar"], row.id, SchoolAnswer.SOLVED_BY_SCHOOL, "我也答复")
    ticket, notes, events = stored(db, row.id)
    assert (ticket.school_answer, ticket.school_answer_text, ticket.school_answered_by) == (
        SchoolAnswer.REPLY, "同事先答复了", "Reg.Whu2")
    assert events.count("ticket.school_answer") == 1 and sum(n.startswith("学校答复") for n in notes) == 1
