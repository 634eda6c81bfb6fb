"""An escalation answered in a real browser: support handed 丁白云's "not on the roster" call to her
school two days ago; the registrar sees it overdue on 客服转交, answers 由学校解决; the support
agent finds the ticket back in the queue with the school's answer, calls the student back and
resolves it. Real app, real Chromium, both signed in through the workbench's cookie route."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.domain.enums import Role, SchoolAnswer, TicketCategory, TicketStatus
from core.models import SupportTicket, utcnow
from core.services import audit, tickets
from tests import factories as f
from tests.e2e.conftest import login, screenshot, settled

SLOW = 90_000  # ms: a shared machine can be very busy; the journey asserts what appears, not how fast
ANSWER = "已核对：该生转专业后学籍已补录，<b>今晚</b>同步到采集名单，请学生明天重新核验。"


def seed(session, store):
    school = f.make_school(session, "10486", "武汉大学")
    f.make_school(session, "10487", "华中科技大学")
    f.make_task(session, school)
    record = f.make_record(session, school, 1, name="丁白云")
    agent = f.actor_of(f.make_staff(session, Role.SUPPORT, "zhou.support"))
    f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school)
    two_days_ago = utcnow() - timedelta(hours=50)
    ticket = tickets.open_ticket(session, agent, category=TicketCategory.NOT_ON_ROSTER,
                                 subject="转专业后不在采集名单", roster_record_id=record.id, caller_phone="13800138000",
                                 now=two_days_ago)
    tickets.escalate_to_school(session, agent, ticket.id, "学生 2024 年转专业，新专业名单里没有她，请学籍部门核对",
                               now=two_days_ago)


def test_registrar_answers_an_escalation_and_support_sees_it(live_app, page, browser):
    app = live_app(seed, worker=False)
    page.set_viewport_size({"width": 1440, "height": 1400})
    login(page, app.url, "reg.whu", f.PASSWORD)
    page.get_by_role("link", name="客服转交").click()
    page.get_by_role("heading", name="客服转交").first.wait_for(timeout=SLOW)
    page.get_by_text("有 1 个问题超过 48 小时未答复，请尽快处理。").wait_for(timeout=SLOW)
    page.get_by_text("学生 2024 年转专业，新专业名单里没有她，请学籍部门核对").wait_for()
    page.get_by_text("由学校解决").click()
    page.get_by_label("答复内容（客服将据此回访学生）").fill(ANSWER)
    settled(page)
    screenshot(page, "escalation_01_registrar_answers")
    page.get_by_role("button", name="提交答复").click()
    page.get_by_text("工单已转回客服。").wait_for(timeout=SLOW)
    page.get_by_text("没有等待本校答复的问题。").wait_for()
    settled(page)
    screenshot(page, "escalation_02_registrar_answered")

    with app.db.session() as session:
        ticket = session.scalars(select(SupportTicket)).one()
        assert ticket.status is TicketStatus.SCHOOL_REPLIED and ticket.school_answer is SchoolAnswer.SOLVED_BY_SCHOOL
        assert ticket.school_answer_text == ANSWER and ticket.school_answered_by == "Reg.Whu"
        [event] = audit.events_for(session, entity_type="support_ticket", entity_id=ticket.id,
                                   action="ticket.school_answer")
        assert event.actor_name == "Reg.Whu"

    context = browser.new_context(viewport={"width": 1440, "height": 1600}, locale="zh-CN")
    agent = context.new_page()
    agent.set_default_timeout(30_000)
    try:
        login(agent, app.url, "zhou.support", f.PASSWORD)
        agent.get_by_role("link", name="工单", exact=True).click()
        agent.get_by_text("学校已答复待回访 1 个").wait_for(timeout=SLOW)
        agent.get_by_text("学校答复（由学校解决）").first.wait_for(timeout=SLOW)
        agent.get_by_text(ANSWER).first.wait_for()  # shown as typed: the <b> is text, not bold
        agent.get_by_label("处理结果").wait_for()
        agent.get_by_role("button", name="已阅学校答复，继续处理").wait_for()
        settled(agent)
        agent.wait_for_timeout(500)  # widgets paint their labels just after the run ends
        screenshot(agent, "escalation_03_support_sees_answer")
        agent.get_by_label("处理结果").fill("已回访学生，告知明天重新核验")
        agent.get_by_role("button", name="解决工单").click()
        agent.get_by_text("工单已解决。").wait_for(timeout=SLOW)
    finally:
        context.close()
    with app.db.session() as session:
        ticket = session.scalars(select(SupportTicket)).one()
        assert ticket.status is TicketStatus.RESOLVED
        actions = [e.action for e in audit.events_for(session, entity_type="support_ticket", entity_id=ticket.id)]
        assert actions == ["ticket.open", "ticket.escalate", "ticket.school_answer", "ticket.resolve"]
