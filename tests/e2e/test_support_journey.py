"""A support agent on the phone with the demo student of the operator's guide (丁白云, student number
2110216052, ID ending 2414): find her by ID last 4, open a ticket, reset her daily standardisation
quota, resolve the ticket. Real app, real Chromium (no worker: the journey enqueues no job)."""

from __future__ import annotations

from sqlalchemy import select

from core.domain.enums import QuotaEntryType, QuotaKind, Role, TicketCategory, TicketPriority, TicketStatus
from core.models import RosterRecord, SupportTicket
from core.services import audit, quotas
from tests import factories as f
from tests.e2e.conftest import login, screenshot, settled

DEMO_ID_NUMBER = "420106200303152414"  # valid check digit, ends in 2414 as in the guide's screenshots


def seeder(fixtures_dir):
    def seed(session, store):
        school = f.make_school(session, "15555", "武汉某某大学")
        f.make_school(session, "10487", "华中科技大学")
        task = f.make_task(session, school)
        record = RosterRecord(school_id=school.id, name="丁白云", student_number="2110216052", id_number=DEMO_ID_NUMBER,
                              id_last4="2414", category=task.category, cohort=task.cohort, department="计算机学院")
        session.add(record)
        session.flush()
        f.set_enrolment_photo(session, store, record, fixtures_dir / "london" / "003_neutral.jpg")
        session.commit()
        for seed_no in range(2, 6):
            f.make_record(session, school, seed_no, name=f"王同学{seed_no}")
        student = f.make_linked_student(session, task, record, openid="oWX-dingbaiyun")
        f.submit_photo(session, store, student, fixtures_dir / "london" / "003_smiling.jpg")
        for _ in range(4):  # four more standardisations today: the daily 5 are used up
            quotas.add_entry(session, record.id, QuotaKind.STANDARDISATION, QuotaEntryType.USE, actor=student.actor)
        f.make_staff(session, Role.SUPPORT, "zhou.support")

    return seed


def test_agent_finds_student_opens_ticket_resets_quota_and_resolves(live_app, page, fixtures_dir):
    app = live_app(seeder(fixtures_dir), worker=False)
    page.set_viewport_size({"width": 1440, "height": 1800})  # Streamlit scrolls inside: show the whole page
    login(page, app.url, "zhou.support", f.PASSWORD)
    page.get_by_role("link", name="学生查询").click()
    page.get_by_label("姓名（可部分）", exact=False).fill("2414")
    page.get_by_role("button", name="查询").click()
    page.get_by_role("heading", name="丁白云 · 2110216052").wait_for()
    page.get_by_text("0 / 5").wait_for()
    page.get_by_text("待审核").first.wait_for()
    screenshot(page, "support_lookup_found")

    page.get_by_label("问题类别").click()
    page.get_by_role("option", name="次数用完").click()
    page.get_by_label("优先级").click()
    page.get_by_role("option", name="高").click()
    page.get_by_label("问题摘要").fill("今日 5 次标准化已用完，光线问题")
    page.get_by_label("来电号码").fill("13800138000")
    page.get_by_role("button", name="创建工单").click()
    page.get_by_text("工单已创建。").wait_for()
    settled(page)  # the action form is rebuilt with the new ticket preselected

    page.get_by_label("原因（必填，记入审计日志）").fill("学生来电：光线问题反复重拍，重置今日次数")
    page.get_by_role("button", name="执行").click()
    page.get_by_text("已完成：重置今日标准化次数").wait_for()
    page.get_by_text("5 / 5").wait_for()
    screenshot(page, "support_lookup_quota_reset")

    page.get_by_role("link", name="工单", exact=True).click()
    page.get_by_label("处理结果").fill("已重置今日标准化次数，学生确认可以继续拍摄")
    page.get_by_role("button", name="解决工单").click()
    page.get_by_text("工单已解决。").wait_for()
    screenshot(page, "support_ticket_resolved")

    with app.db.session() as session:
        ticket = session.scalars(select(SupportTicket)).one()
        record = session.scalars(select(RosterRecord).where(RosterRecord.id_last4 == "2414")).one()
        assert ticket.status is TicketStatus.RESOLVED and ticket.roster_record_id == record.id
        assert (ticket.category, ticket.priority) == (TicketCategory.QUOTA_EXCEEDED, TicketPriority.HIGH)
        assert ticket.subject == "今日 5 次标准化已用完，光线问题"
        assert quotas.usage(session, record.id).standardisations_granted_today == 5
        [grant] = audit.events_for(session, roster_record_id=record.id, action="quota.grant")
        assert grant.actor_name == "Zhou.Support" and "光线问题" in grant.detail["reason"]
        notes = [n.body for n in ticket.notes]
        assert any("已重置今日标准化次数（+5）" in n for n in notes)
