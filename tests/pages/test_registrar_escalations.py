"""Tickets support escalates to a school: on that school's chase list and 客服转交 page only, answered
there, flagged when the school is late, and the answer seen on support's ticket page."""

from __future__ import annotations

from datetime import timedelta

from core.domain.enums import Role, SchoolAnswer, TicketCategory, TicketStatus
from core.models import StaffUser, SupportTicket, utcnow
from core.services import audit, tickets
from tests import factories as f
from uikit.plain import visible


def test_escalated_ticket_shows_for_its_school_registrar_only(db, app_for):
    with db.session() as session:
        whu = f.make_school(session, "10486", "武汉大学")
        hust = f.make_school(session, "10487", "华中科技大学")
        f.make_task(session, whu)
        f.make_task(session, hust, title="华科2025届采集")
        record = f.make_record(session, whu, 1, name="丁白云")
        support = f.actor_of(f.make_staff(session, Role.SUPPORT, "zhou.support"))
        ticket = tickets.open_ticket(session, support, category=TicketCategory.NOT_ON_ROSTER,
                                     subject="学籍照片无法比对，需学校处理", roster_record_id=record.id)
        tickets.escalate_to_school(session, support, ticket.id, "人像比对多次未通过，请学籍部门统一处理")
        number = ticket.number
        mine = f.make_staff(session, Role.REGISTRAR, "reg.whu", school=whu).id
        theirs = f.make_staff(session, Role.REGISTRAR, "reg.hust", school=hust).id

    at = app_for(mine, page="chase_list.py").run()
    assert not at.exception
    assert any("客服转交本校处理的问题（1）" in e.label for e in at.expander)
    table = at.dataframe[0].value
    assert list(table.iloc[:, 0]) == [number]
    assert list(table.iloc[:, 1]) == ["丁白云"]

    other = app_for(theirs, page="chase_list.py").run()
    assert not other.exception
    assert not any("客服转交" in e.label for e in other.expander)


def escalated_world(db, *, escalated_hours_ago: float = 1):
    with db.session() as session:
        whu = f.make_school(session, "10486", "武汉大学")
        hust = f.make_school(session, "10487", "华中科技大学")
        f.make_task(session, whu)
        record = f.make_record(session, whu, 1, name="丁白云")
        support = f.make_staff(session, Role.SUPPORT, "zhou.support")
        agent = f.actor_of(support)
        when = utcnow() - timedelta(hours=escalated_hours_ago)
        ticket = tickets.open_ticket(session, agent, category=TicketCategory.NOT_ON_ROSTER,
                                     subject="不在采集名单 <b>请核对</b>", roster_record_id=record.id, now=when)
        tickets.escalate_to_school(session, agent, ticket.id, "学生称已转专业，名单里没有她 **加急**", now=when)
        registrar = f.make_staff(session, Role.REGISTRAR, "reg.whu", school=whu).id
        other = f.make_staff(session, Role.REGISTRAR, "reg.hust", school=hust).id
    return ticket, registrar, other, support.id


def test_registrar_answers_an_escalation_and_it_goes_back_to_support(db, app_for):
    ticket, registrar, _, _ = escalated_world(db)
    at = app_for(registrar, page="school_escalations.py").run()
    assert not at.exception and at.title[0].value == "客服转交"
    assert "48 小时内答复" in at.caption[0].value and not at.error
    assert list(at.dataframe[0].value["工单号"]) == [ticket.number]
    notes = [m.markdown[1].value for m in at.chat_message]
    assert visible(notes[0]) == "转交学籍部门：学生称已转专业，名单里没有她 **加急**"  # shown as typed
    assert visible(at.subheader[0].value) == f"{ticket.number} · 不在采集名单 <b>请核对</b>"

    at.button(key="FormSubmitter:school_answer-提交答复").click().run()  # no kind chosen: refused, nothing saved
    assert not at.exception and "请选择答复类型" in at.error[0].value
    at.radio(key="school_answer_kind").set_value(SchoolAnswer.NEEDS_STUDENT)
    at.text_area(key="school_answer_text").input("请学生本人携带身份证到学籍科（行政楼 201）办理")
    at.button(key="FormSubmitter:school_answer-提交答复").click().run()
    assert not at.exception
    assert at.success[0].value == f"已答复工单 {ticket.number}，工单已转回客服。"
    assert at.success[1].value == "没有等待本校答复的问题。"
    answered = at.dataframe[0].value
    assert list(answered["答复"]) == ["需学生本人处理"] and list(answered["工单状态"]) == ["学校已答复"]
    with db.session() as session:
        stored = session.get(SupportTicket, ticket.id)
        assert stored.status is TicketStatus.SCHOOL_REPLIED and stored.school_answer is SchoolAnswer.NEEDS_STUDENT
        assert [e.action for e in audit.events_for(session, entity_type="support_ticket", entity_id=ticket.id)][-1] \
            == "ticket.school_answer"


def test_overdue_escalations_are_flagged_on_the_registrar_desk(db, app_for):
    ticket, registrar, other, _ = escalated_world(db, escalated_hours_ago=50)
    at = app_for(registrar, page="school_escalations.py").run()
    assert not at.exception
    assert at.error[0].value == "有 1 个问题超过 48 小时未答复，请尽快处理。"
    assert at.dataframe[0].value.iloc[0, 0] == "⚠ 超时未答复"
    assert list(at.dataframe[0].value["工单号"]) == [ticket.number]
    chase = app_for(registrar, page="chase_list.py").run()
    assert not chase.exception
    assert list(chase.dataframe[0].value["状态"]) == ["超时未答复"]
    assert "1 个问题已超时未答复" in chase.error[0].value
    theirs = app_for(other, page="school_escalations.py").run()
    assert not theirs.exception and not theirs.dataframe
    assert theirs.success[0].value == "没有等待本校答复的问题。"
    landing = app_for(registrar, page="overview.py").run()
    assert not landing.exception
    assert [w.value for w in landing.warning] == ["客服转交本校的问题 1 个待答复，其中 1 个已超时。"]
    assert not app_for(other, page="overview.py").run().warning, "the other school has nothing waiting"


def test_support_sees_the_schools_answer_and_late_schools_in_the_queue(db, app_for):
    late, registrar, _, agent = escalated_world(db, escalated_hours_ago=50)
    with db.session() as session:
        reg = f.actor_of(session.get(StaffUser, registrar))
        whu = session.get(SupportTicket, late.id).roster_record_id
        answered = tickets.open_ticket(session, f.actor_of(session.get(StaffUser, agent)),
                                       category=TicketCategory.CHSI_STATUS, subject="何时上网", roster_record_id=whu)
        tickets.escalate_to_school(session, f.actor_of(session.get(StaffUser, agent)), answered.id, "请学校确认上网批次")
        tickets.answer_escalation(session, reg, answered.id, SchoolAnswer.SOLVED_BY_SCHOOL,
                                  "已于 6 月 3 日随第 2 批上网 [点此](http://evil.example)")
    at = app_for(agent, page="tickets.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    states = dict(zip(table["工单号"], table["学校处理"], strict=True))
    assert states == {late.number: "⚠ 学校超时未答复", answered.number: "由学校解决"}
    assert "学校已答复待回访 1 个" in at.caption[0].value and "转交学校超时未答复 1 个" in at.caption[0].value
    at.selectbox(key="ticket_pick").set_value(late.id).run()
    assert "学校超时未答复" in at.error[-1].value
    at.selectbox(key="ticket_pick").set_value(answered.id).run()
    assert not at.exception
    [panel] = [i.value for i in at.info if "学校答复" in i.value]
    assert visible(panel).startswith("**学校答复（由学校解决）** · Reg.Whu · ")
    assert visible(panel.split("  \n", 1)[1]) == "已于 6 月 3 日随第 2 批上网 [点此](http://evil.example)"
    assert "](http" not in panel  # the link is shown as text, never made a link
    at.button(key="ticket_to_open").click().run()
    assert not at.exception and at.success[0].value == "已改为处理中。"


def test_the_registrar_page_speaks_english_too(db, app_for):
    _, registrar, _, _ = escalated_world(db)
    at = app_for(registrar, page="school_escalations.py", lang="en").run()
    assert not at.exception and at.title[0].value == "Escalated by support"
    assert at.radio(key="school_answer_kind").options == ["Reply", "Solved by the school", "Needs the student"]
    assert list(at.dataframe[0].value.columns)[1:] == ["Ticket", "Student", "Subject", "Escalated", "Answer by"]
