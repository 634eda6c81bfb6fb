"""The lookup page in the real app: find, see, act, open a ticket; refusals shown as the rule says."""

from __future__ import annotations

from sqlalchemy import select

from core.domain.access import Actor
from core.domain.enums import ConsentChannel, NotificationConsent, QuotaEntryType, QuotaKind, Role, TicketCategory
from core.domain.states import STATE_LABELS_ZH
from core.models import AccountLink, Submission, SupportTicket
from core.services import audit, quotas, student_app, submissions
from tests import factories as f


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def seed(db, used_today=5):
    with db.session() as session:
        school = f.make_school(session)
        other = f.make_school(session, "10487", "华中科技大学")
        task = f.make_task(session, school)
        record = f.make_record(session, school, 1, name="丁白云")
        f.make_record(session, other, 2, name="丁白")
        student = f.make_linked_student(session, task, record)
        for _ in range(used_today):
            quotas.add_entry(session, record.id, QuotaKind.STANDARDISATION, QuotaEntryType.USE, actor=student.actor)
        agent = f.make_staff(session, Role.SUPPORT, "wang.support")
        f.keep(session, record)
    return record, agent


def search(at, text):
    at.text_input(key="support_query").input(text)
    at.get("form_submit_button")[0].click()
    return at.run()


def test_find_by_id_last4_see_the_student_and_reset_their_quota(db, app_for):
    record, agent = seed(db)
    at = app_for(agent.id, page="support_lookup.py").run()
    assert not at.exception and at.title[0].value == "学生查询"
    search(at, record.id_last4)
    assert not at.exception
    assert at.subheader[0].value == f"丁白云 · {record.student_number}"
    caption = at.caption[0].value
    assert "武汉大学" in caption and record.id_number[-4:] in caption and record.id_number[:10] not in caption
    assert next(m for m in at.metric if m.label == "今日标准化剩余").value == "0 / 5"
    at.selectbox(key="support_action").select("reset").run()
    at.text_area(key="action_reason").input("学生来电：光线问题反复重拍")
    _button(at, "执行").click()
    at.run()
    assert not at.exception
    assert at.success[0].value == "已完成：重置今日标准化次数"
    assert next(m for m in at.metric if m.label == "今日标准化剩余").value == "5 / 5"
    with db.session() as session:
        [event] = audit.events_for(session, roster_record_id=record.id, action="quota.grant")
        assert event.actor_name == "Wang.Support" and event.detail["reason"] == "学生来电：光线问题反复重拍"


def test_an_action_without_a_reason_is_refused_with_the_rules_message(db, app_for):
    record, agent = seed(db, used_today=0)
    at = app_for(agent.id, page="support_lookup.py").run()
    search(at, "丁白云")
    at.selectbox(key="support_action").select("submission").run()
    _button(at, "执行").click()
    at.run()
    assert at.error[0].value == "请填写调整原因。"
    with db.session() as session:
        assert audit.events_for(session, roster_record_id=record.id, action="quota.grant") == []


def test_several_hits_are_listed_and_one_is_opened(db, app_for):
    record, agent = seed(db)
    at = app_for(agent.id, page="support_lookup.py").run()
    search(at, "丁白")
    assert not at.subheader
    picks = [b for b in at.button if b.label == "查看"]
    assert len(picks) == 2
    at.button(key=f"pick_{record.id}").click()
    at.run()
    assert at.subheader[0].value.startswith("丁白云")


def test_open_a_ticket_from_the_lookup_and_it_is_linked_to_the_student(db, app_for):
    record, agent = seed(db)
    at = app_for(agent.id, page="support_lookup.py").run()
    search(at, record.student_number)
    at.selectbox(key="new_ticket_category").select(TicketCategory.QUOTA_EXCEEDED)
    at.selectbox(key="new_ticket_priority").select_index(0)
    at.text_input(key="new_ticket_phone").input("13800138000")
    at.text_input(key="new_ticket_subject").input("今日次数用完")
    _button(at, "创建工单").click()
    at.run()
    assert not at.exception and at.success[0].value == "工单已创建。"
    with db.session() as session:
        ticket = session.query(SupportTicket).one()
        assert (ticket.roster_record_id, ticket.assignee_id, ticket.priority.value) == (record.id, agent.id, "urgent")
        number = ticket.number
    assert any(number in link.label for link in at.get("page_link"))


def test_a_name_fragment_is_found_when_asked_for(db, app_for):
    record, agent = seed(db)
    at = app_for(agent.id, page="support_lookup.py").run()
    search(at, "白云")
    assert "没有找到学生" in at.info[0].value
    at.checkbox(key="support_anywhere").check()
    search(at, "白云")
    assert at.subheader[0].value == f"丁白云 · {record.student_number}"


def test_not_found_and_too_short_queries(db, app_for):
    _, agent = seed(db)
    at = app_for(agent.id, page="support_lookup.py").run()
    search(at, "张三丰")
    assert "没有找到学生" in at.info[0].value
    search(at, "张")
    assert "请至少输入 2 个字符" in at.error[0].value


def test_the_page_is_not_registered_for_a_reviewer(db, app_for):
    seed(db)
    with db.session() as session:
        reviewer = f.make_staff(session, Role.REVIEWER, "li.reviewer")
    at = app_for(reviewer.id, page="support_lookup.py").run()
    assert not at.exception
    assert [t.value for t in at.title] != ["学生查询"]
    assert not [t for t in at.text_input if t.key == "support_query"]


def test_the_students_capture_is_shown_with_its_state(env, app_for, fixtures_dir):
    db, store = env
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        record = f.make_record(session, school, 1, name="丁白云")
        student = f.make_linked_student(session, task, record)
        agent = f.make_staff(session, Role.SUPPORT, "wang.support")
        submissions.request_standardisation(session, student.actor, student.link.id,
                                            (fixtures_dir / "london" / "001_neutral.jpg").read_bytes(), store)
    at = app_for(agent.id, page="support_lookup.py").run()
    search(at, "丁白云")
    assert not at.exception
    with db.session() as session:
        state = session.scalars(select(Submission.state)).one()
    assert any(md.value.startswith("**#") and STATE_LABELS_ZH[state] in md.value for md in at.markdown)
    assert at.get("image"), "the capture (or its standardised photo) is shown"


def test_a_hostile_query_gets_a_clear_message_not_an_error_page(db, app_for):
    _, agent = seed(db)
    at = app_for(agent.id, page="support_lookup.py").run()
    for hostile in ("丁\x00白云", "丁\u202e白云"):
        search(at, hostile)
        assert not at.exception
        assert "查询内容" in at.error[0].value and "控制字符" in at.error[0].value
    search(at, "丁%")
    assert not at.exception and "没有找到学生" in at.info[0].value, "% matches itself, not every name"



def test_the_lookup_shows_the_wechat_consent_and_the_failed_identity_checks(db, app_for):
    record, agent = seed(db, used_today=0)
    with db.session() as session:
        link = session.scalars(select(AccountLink)).one()
        student = Actor.student(link.account_id, link.account.nickname)
        task_id = link.task_id
    at = app_for(agent.id, page="support_lookup.py").run()
    search(at, record.id_last4)
    assert "微信通知授权：尚未授权" in " ".join(c.value for c in at.caption)
    with db.session() as session:
        student_app.set_notification_consent(session, student, NotificationConsent.GRANTED, ConsentChannel.API)
        student_app.check_identity(session, student, task_id, "别人", record.student_number, record.id_last4,
                                   temporary=True)
    at.run()
    assert not at.exception
    line = next(c.value for c in at.caption if "微信通知授权" in c.value)
    assert line.startswith("微信通知授权：已允许（") and "小程序接口" in line
    history = next(d.value for d in at.dataframe if "操作" in d.value.columns and "详情" in d.value.columns)
    failed = history[history["操作"] == "身份核验失败"]
    assert len(failed) == 1 and "mismatch_zh=姓名不符" in failed["详情"].iloc[0]
    assert record.id_number not in " ".join(history["详情"]) and "允许微信通知" in set(history["操作"])
