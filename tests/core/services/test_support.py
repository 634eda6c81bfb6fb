"""Support lookup across schools and the 360° view of one student, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain.enums import PaymentStatus, QuotaKind, Role, TicketCategory
from core.errors import AccessDenied, InvalidInput, NotFound
from core.models import utcnow
from core.services import audit, linking, notifications, quotas, support, tickets
from tests import factories as f

NOW = utcnow()


@pytest.fixture
def people(db):
    """Two schools; 丁白云 in one, 丁白 and 王丁白 in the other; a linked and paid student."""
    with db.session() as session:
        whu = f.make_school(session)
        hust = f.make_school(session, "10487", "华中科技大学")
        task = f.make_task(session, whu)
        ding = f.make_record(session, whu, 1, name="丁白云")
        f.make_record(session, hust, 2, name="丁白")
        wang = f.make_record(session, hust, 3, name="王丁白")
        f.make_record(session, hust, 4, name="李四")
        student = f.make_linked_student(session, task, ding, openid="oWX-ding-0001")
        agent = f.actor_of(f.make_staff(session, Role.SUPPORT, "wang.support"))
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER, "li.reviewer"))
        f.keep(session, ding, wang, student)
    return dict(whu=whu, hust=hust, task=task, ding=ding, wang=wang, student=student, agent=agent, reviewer=reviewer)


def ids(hits):
    return [h.record_id for h in hits]


def test_exact_name_comes_before_prefix_matches_across_schools(db, people):
    with db.session() as session:
        hits = support.search(session, people["agent"], "丁白")
    assert [(h.name, h.matched_by) for h in hits] == [("丁白", "name"), ("丁白云", "name_prefix")]
    assert {h.school_name for h in hits} == {"武汉大学", "华中科技大学"}


def test_a_fragment_from_the_middle_of_a_name_is_found(db, people):
    with db.session() as session:
        hits = support.search(session, people["agent"], "丁白云 ")
        assert ids(hits) == [people["ding"].id] and hits[0].matched_by == "name"
        assert support.search(session, people["agent"], "白云") == [], "a scan only when asked for"
        fragment = support.search(session, people["agent"], "白云", anywhere_in_name=True)
        inside = support.search(session, people["agent"], "丁白", anywhere_in_name=True)
    assert ids(fragment) == [people["ding"].id] and fragment[0].matched_by == "name_part"
    assert [(h.name, h.matched_by) for h in inside] == [
        ("丁白", "name"), ("丁白云", "name_prefix"), ("王丁白", "name_part")]


def test_student_number_exact_and_prefix(db, people):
    number = people["ding"].student_number
    with db.session() as session:
        exact = support.search(session, people["agent"], number)
        prefix = support.search(session, people["agent"], number[:6])
    assert ids(exact) == [people["ding"].id] and exact[0].matched_by == "student_number"
    assert len(prefix) == 4 and {h.matched_by for h in prefix} == {"student_number_prefix"}


def test_id_last4_shows_only_the_last4(db, people):
    last4 = people["wang"].id_last4
    with db.session() as session:
        hits = support.search(session, people["agent"], last4.lower())
    assert people["wang"].id in ids(hits)
    hit = next(h for h in hits if h.record_id == people["wang"].id)
    assert hit.matched_by == "id_last4"
    assert hit.id_masked.endswith(last4) and set(hit.id_masked[:-4]) == {"*"}
    assert people["wang"].id_number[:14] not in hit.id_masked


def test_wechat_openid_and_nickname(db, people):
    nickname = people["student"].account.nickname
    with db.session() as session:
        by_openid = support.search(session, people["agent"], "oWX-ding-0001")
        by_nickname = support.search(session, people["agent"], nickname)
    assert ids(by_openid) == ids(by_nickname) == [people["ding"].id]
    assert by_openid[0].matched_by == "wechat"


def test_ticket_number_finds_its_student(db, people):
    with db.session() as session:
        ticket = tickets.open_ticket(session, people["agent"], category=TicketCategory.PAYMENT, subject="支付失败",
                                     roster_record_id=people["wang"].id)
    with db.session() as session:
        hits = support.search(session, people["agent"], ticket.number)
    assert ids(hits) == [people["wang"].id] and hits[0].matched_by == "ticket"


def test_wildcards_in_a_query_are_literal_and_short_queries_refused(db, people):
    with db.session() as session:
        assert support.search(session, people["agent"], "%%") == []
        assert support.search(session, people["agent"], "丁_") == []
        assert support.search(session, people["agent"], "张三丰") == []
        with pytest.raises(InvalidInput):
            support.search(session, people["agent"], " 丁 ")


def test_limit_caps_the_results(db, people):
    with db.session() as session:
        for seed in range(10, 40):
            f.make_record(session, people["hust"], seed, name=f"张{seed}号")
    with db.session() as session:
        hits = support.search(session, people["agent"], "2110", limit=20)
    assert len(hits) == 20


def test_only_support_and_admin_may_look_up(db, people):
    with db.session() as session:
        with pytest.raises(AccessDenied):
            support.search(session, people["reviewer"], "丁白云")
        with pytest.raises(AccessDenied):
            support.student_view(session, people["reviewer"], people["ding"].id)
        with pytest.raises(NotFound):
            support.student_view(session, people["agent"], 999_999)


def test_view_gathers_links_history_payments_quotas_notifications_tickets_and_is_audited(db, people):
    agent, ding = people["agent"], people["ding"]
    with db.session() as session:
        support.unbind(session, agent, people["student"].link.id, "学生换了新微信号，来电核实身份")
        account = linking.sign_in(session, "oWX-ding-0002", "丁同学新号")
        linking.link_account(session, account, people["task"].id, session.merge(ding), code=None)
        quotas.grant(session, agent, ding.id, QuotaKind.SUBMISSION, "审核争议，补偿一次")
        notifications.notify(session, ding.id, "review_result", "审核未通过", "驳回原因：照片模糊")
        tickets.open_ticket(session, agent, category=TicketCategory.ACCOUNT_BINDING, subject="换微信号",
                            roster_record_id=ding.id)
    with db.session() as session:
        view = support.student_view(session, agent, ding.id, now=NOW)
        support.student_view(session, agent, ding.id, now=NOW + timedelta(minutes=29))
        [viewed] = audit.events_for(session, roster_record_id=ding.id, action="support.view")
        f.keep(session, viewed)
        support.student_view(session, agent, ding.id, now=NOW + timedelta(minutes=31))
        assert len(audit.events_for(session, roster_record_id=ding.id, action="support.view")) == 2
    assert view.record.name == "丁白云" and view.record.school_name == "武汉大学"
    assert view.record.id_masked.endswith(ding.id_last4) and ding.id_number[:6] not in view.record.id_masked
    assert view.record.on_temporary_code and not view.record.has_collection_code
    assert [(link.wechat_openid, link.active) for link in view.links] == [("oWX-ding-0002", True), ("oWX-ding-0001", False)]
    assert view.active_link.nickname == "丁同学新号"
    old = view.links[1]
    assert old.unlinked_by == "Wang.Support" and old.unlink_reason.startswith("学生换了新微信号") and old.paid
    assert [(p.status, p.amount_fen) for p in view.payments] == [(PaymentStatus.PAID, 2500)]
    assert view.quota.free_submissions_left == 3 and view.quota.standardisations_left_today == 5
    assert view.quota_entries[0].kind is QuotaKind.SUBMISSION and view.quota_entries[0].reason == "审核争议，补偿一次"
    assert [n.title for n in view.notifications] == ["审核未通过"]
    assert [t.subject for t in view.tickets] == ["换微信号"]
    assert {"link.unbind", "quota.grant", "ticket.open"} <= {h.action for h in view.history}
    assert view.submissions == [] and view.batches == []
    assert viewed.actor_name == "Wang.Support"
