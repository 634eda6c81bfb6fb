"""The ticket queue, one ticket's steps, and the support dashboard in the real app."""

from __future__ import annotations

from datetime import timedelta

from core.domain.enums import Role, TicketCategory, TicketPriority, TicketStatus
from core.models import SupportTicket, utcnow
from core.services import audit, tickets
from tests import factories as f


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def seed(db):
    with db.session() as session:
        school = f.make_school(session)
        record = f.make_record(session, school, 1, name="丁白云")
        agent = f.make_staff(session, Role.SUPPORT, "wang.support")
        actor = f.actor_of(agent)
        late = tickets.open_ticket(session, actor, category=TicketCategory.PAYMENT, subject="支付失败",
                                   priority=TicketPriority.URGENT, roster_record_id=record.id,
                                   now=utcnow() - timedelta(hours=3))
        soon = tickets.open_ticket(session, actor, category=TicketCategory.CHSI_STATUS, subject="何时上网",
                                   priority=TicketPriority.LOW)
        f.keep(session, record)
    return agent, record, late, soon


def test_queue_lists_by_due_time_marks_overdue_and_a_ticket_is_resolved(db, app_for):
    agent, _record, late, soon = seed(db)
    at = app_for(agent.id, page="tickets.py").run()
    assert not at.exception and at.title[0].value == "工单"
    table = at.dataframe[0].value
    assert list(table["工单号"]) == [late.number, soon.number]
    assert table.iloc[0, 0].endswith("超时") and table.iloc[1, 0] == ""
    assert "其中 1 个已超时" in at.caption[0].value
    assert at.subheader[0].value == f"{late.number} · 支付失败"
    assert "已超时" in at.error[0].value
    at.text_area(key="ticket_note_body").input("已请学生换微信号支付")
    _button(at, "保存备注").click()
    at.run()
    assert at.success[0].value == "已保存备注。"
    at.text_area(key="ticket_resolution").input("学生已用其他微信号完成支付")
    _button(at, "解决工单").click()
    at.run()
    assert not at.exception and at.success[0].value == "工单已解决。"
    with db.session() as session:
        stored = session.get(SupportTicket, late.id)
        assert stored.status is TicketStatus.RESOLVED and [n.body for n in stored.notes] == ["已请学生换微信号支付"]
        actions = [e.action for e in audit.events_for(session, entity_type="support_ticket", entity_id=late.id)]
    assert actions == ["ticket.open", "ticket.note", "ticket.resolve"]
    assert list(at.dataframe[0].value["工单号"]) == [soon.number]


def test_resolving_without_a_resolution_is_refused(db, app_for):
    agent, _, late, _ = seed(db)
    at = app_for(agent.id, page="tickets.py").run()
    _button(at, "解决工单").click()
    at.run()
    assert at.error[-1].value == "请填写处理结果。"
    with db.session() as session:
        assert session.get(SupportTicket, late.id).status is TicketStatus.OPEN


def test_escalate_to_school_and_wait_on_student(db, app_for):
    agent, _, late, soon = seed(db)
    at = app_for(agent.id, page="tickets.py").run()
    at.text_input(key="escalate_reason").input("请学校核对学籍信息")
    _button(at, "转交学校").click()
    at.run()
    assert at.success[0].value == "已转交学籍部门。"
    at.selectbox(key="ticket_pick").select(soon.id).run()
    _button(at, "等待学生回复").click()
    at.run()
    with db.session() as session:
        assert session.get(SupportTicket, late.id).status is TicketStatus.WAITING_SCHOOL
        assert session.get(SupportTicket, late.id).escalated_to_school
        assert session.get(SupportTicket, soon.id).status is TicketStatus.WAITING_STUDENT


def test_a_ticket_from_a_call_without_a_student(db, app_for):
    agent, *_ = seed(db)
    at = app_for(agent.id, page="tickets.py").run()
    at.selectbox(key="call_category").select(TicketCategory.SCHOOL_NOT_FOUND)
    at.text_input(key="call_phone").input("027-12345678")
    at.text_input(key="call_subject").input("搜不到学校")
    _button(at, "创建工单").click()
    at.run()
    assert not at.exception and at.success[0].value == "工单已创建。"
    with db.session() as session:
        ticket = session.query(SupportTicket).filter_by(subject="搜不到学校").one()
        assert ticket.roster_record_id is None and ticket.caller_phone == "027-12345678"


def test_dashboard_shows_counts_and_the_oldest_open_ticket(db, app_for):
    agent, _, late, _ = seed(db)
    at = app_for(agent.id, page="support_dashboard.py").run()
    assert not at.exception and at.title[0].value == "客服统计"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["待处理"] == "2" and metrics["已超时"] == "1" and metrics["解决用时中位数"] == "-"
    assert any(late.number in m.value for m in at.markdown)


def test_a_link_from_a_ticket_opens_the_student_and_the_pages_work_in_english(db, app_for):
    agent, record, late, _ = seed(db)
    at = app_for(agent.id, page="support_lookup.py", lang="en")
    at.query_params["record"] = str(record.id)
    at.run()
    assert not at.exception and at.title[0].value == "Student lookup"
    assert at.subheader[0].value == f"丁白云 · {record.student_number}"
    assert any(late.number in link.label and "overdue" in link.label for link in at.get("page_link"))
    at = app_for(agent.id, page="tickets.py", lang="en")
    at.query_params["ticket"] = str(late.id)
    at.run()
    assert not at.exception and at.subheader[0].value == f"{late.number} · 支付失败"
    assert "overdue" in at.error[0].value
    at = app_for(agent.id, page="support_dashboard.py", lang="en").run()
    assert not at.exception and {m.label for m in at.metric} >= {"Open now", "Overdue now"}


def test_a_new_ticket_needs_its_category_chosen(db, app_for):
    agent, *_ = seed(db)
    at = app_for(agent.id, page="tickets.py").run()
    box = at.selectbox(key="call_category")
    assert box.value is None and box.placeholder == "请选择"
    at.text_input(key="call_subject").input("没选类别")
    _button(at, "创建工单").click()
    at.run()
    assert not at.exception and "请选择问题类别。" in [e.value for e in at.error]
    with db.session() as session:
        assert session.query(SupportTicket).filter_by(subject="没选类别").count() == 0


def test_an_empty_dashboard_says_no_data_instead_of_an_empty_axis(db, app_for):
    with db.session() as session:
        agent = f.make_staff(session, Role.SUPPORT, "wang.support")
    at = app_for(agent.id, page="support_dashboard.py").run()
    assert not at.exception
    assert "暂无数据" in [i.value for i in at.info]
    assert not at.get("arrow_vega_lite_chart") and not at.get("vega_lite_chart")
