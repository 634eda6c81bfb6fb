from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from core.domain.enums import Background, EducationCategory, MailingMode, Role, TaskStatus, TicketCategory, TicketChannel
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.models import CollectionTask, School, SupportTicket, utcnow
from core.services import audit, linking, schools
from tests import factories as f


def _admin(session):
    return f.actor_of(f.make_staff(session, Role.ADMIN, "admin"))


def _settings(task: schools.TaskView | CollectionTask, **changes):
    return replace(schools.TaskSettings.of(task), **changes)


def _task_with_paid_students(session, paid: int, unpaid: int = 0):
    school = f.make_school(session)
    task = f.make_task(session, school)
    for seed in range(paid + unpaid):
        record = f.make_record(session, school, seed)
        f.make_linked_student(session, task, record, paid=seed < paid)
    return school, task


def test_create_and_edit_school_recomputes_pinyin_and_audits(db):
    with db.session() as session:
        admin = _admin(session)
        school = schools.create_school(session, admin, code="10486", name="武汉大学", short_name="武大",
                                       makeup_points=[{"name": "信息学部", "address": "珞喻路129号", "hours": "9-17"},
                                                      {"name": "", "address": "", "hours": ""}])
        assert school.makeup_points == [{"name": "信息学部", "address": "珞喻路129号", "hours": "9-17"}]
        school = schools.update_school(session, admin, school.id, code="10487", name="华中科技大学", short_name="华科",
                                       registrar_contact="027-87542151", makeup_points=[])
        assert (school.pinyin, school.pinyin_initials) == ("huazhongkejidaxue", "hzkjdx")
        event = audit.events_for(session, action="school.update")[0]
        assert event.detail["changes"]["name"] == ["武汉大学", "华中科技大学"]
        assert event.detail["changes"]["code"] == ["10486", "10487"]
        assert event.actor_name == "Admin"


def test_school_edit_refuses_a_duplicate_code_and_a_nameless_point(db):
    with db.session() as session:
        admin = _admin(session)
        f.make_school(session, "10486", "武汉大学")
        other = f.make_school(session, "10487", "华中科技大学")
        with pytest.raises(Conflict, match="10486"):
            schools.update_school(session, admin, other.id, code="10486", name=other.name, short_name="",
                                  registrar_contact="", makeup_points=[])
        with pytest.raises(InvalidInput):
            schools.update_school(session, admin, other.id, code=other.code, name=other.name, short_name="",
                                  registrar_contact="", makeup_points=[{"name": "", "address": "东门"}])


def test_school_code_is_frozen_once_the_roster_is_imported(db):
    with db.session() as session:
        admin = _admin(session)
        school = f.make_school(session)
        f.make_record(session, school)
        with pytest.raises(Conflict, match="can no longer change"):
            schools.update_school(session, admin, school.id, code="99999", name=school.name, short_name="",
                                  registrar_contact="", makeup_points=[])
        assert school.code == "10486"


def test_a_school_with_students_cannot_be_deleted_only_deactivated(db):
    with db.session() as session:
        admin = _admin(session)
        school = f.make_school(session)
        f.make_record(session, school)
        school_id = school.id
        with pytest.raises(Conflict, match="cannot be deleted, only deactivated") as refused:
            schools.delete_school(session, admin, school_id)
        assert "学籍记录 1 条" in refused.value.message_zh
        schools.set_school_active(session, admin, school_id, False)
    with db.session() as session:
        school = session.get(School, school_id)
        assert school is not None and school.active is False
        assert [e.action for e in audit.events_for(session, entity_type="school")] == [
            "school.create", "school.deactivate"]


@pytest.mark.parametrize("what", ["task", "staff", "ticket"])
def test_a_school_with_a_task_a_registrar_or_a_ticket_cannot_be_deleted(db, what):
    with db.session() as session:
        admin = _admin(session)
        school = f.make_school(session)
        if what == "task":
            f.make_task(session, school)
        elif what == "staff":
            f.make_staff(session, Role.REGISTRAR, "reg", school=school)
        else:
            session.add(SupportTicket(number="P1", school_id=school.id, channel=TicketChannel.HOTLINE,
                                      category=TicketCategory.SCHOOL_NOT_FOUND, subject="学校搜不到",
                                      due_at=utcnow()))
        with pytest.raises(Conflict, match="only deactivated"):
            schools.delete_school(session, admin, school.id)


def test_an_empty_school_entered_by_mistake_can_be_deleted(db):
    with db.session() as session:
        admin = _admin(session)
        school_id = schools.create_school(session, admin, code="99999", name="错误录入").id
        schools.delete_school(session, admin, school_id)
    with db.session() as session:
        assert session.get(School, school_id) is None
        assert audit.events_for(session, action="school.delete")[0].detail["code"] == "99999"


def test_deactivating_a_school_needs_its_open_tasks_paused_first(db):
    with db.session() as session:
        admin = _admin(session)
        school = f.make_school(session)
        task = f.make_task(session, school)
        with pytest.raises(Conflict, match="1 open tasks"):
            schools.set_school_active(session, admin, school.id, False)
        schools.set_task_status(session, admin, task.id, TaskStatus.PAUSED)
        schools.set_school_active(session, admin, school.id, False)
        with pytest.raises(Conflict, match="deactivated"):
            schools.set_task_status(session, admin, task.id, TaskStatus.OPEN)
        with pytest.raises(Conflict, match="deactivated"):
            f.make_task(session, school, cohort="2026届")


def test_edit_task_settings_without_paid_students_needs_no_confirmation(db):
    with db.session() as session:
        admin = _admin(session)
        _, task = _task_with_paid_students(session, paid=0, unpaid=2)
        task = schools.update_task(session, admin, task.id, _settings(
            task, price_fen=3000, closes_on=task.closes_on - timedelta(days=5), title="2025届补采",
            mailing_mode=MailingMode.TO_STUDENT, background=Background.WHITE, front_camera_allowed=False,
            album_allowed=True, default_address=""))
        assert (task.price_fen, task.title, task.background, task.front_camera_allowed, task.album_allowed) == (
            3000, "2025届补采", Background.WHITE, False, True)
        event = audit.events_for(session, action="task.update")[0]
        assert event.detail["changes"]["price_fen"] == [2500, 3000]
        assert event.detail["paid_students_affected"] == 0


def test_shortening_the_window_of_a_task_with_paid_students_needs_confirmation(db):
    with db.session() as session:
        admin = _admin(session)
        _, task = _task_with_paid_students(session, paid=3, unpaid=2)
        task_id, closes_on = task.id, task.closes_on
        shorter = _settings(task, closes_on=closes_on - timedelta(days=7))
        with pytest.raises(schools.NeedsConfirmation) as refused:
            schools.update_task(session, admin, task_id, shorter)
        assert refused.value.affected == 3
        assert "3 名已付费学生" in refused.value.message_zh and "结束日期提前" in refused.value.message_zh
        assert task.closes_on == closes_on
        with pytest.raises(schools.NeedsConfirmation):
            schools.update_task(session, admin, task_id, shorter, confirm_affected=2)
        schools.update_task(session, admin, task_id, shorter, confirm_affected=3)
    with db.session() as session:
        assert session.get(CollectionTask, task_id).closes_on == closes_on - timedelta(days=7)
        event = audit.events_for(session, action="task.update")[0]
        assert event.detail["paid_students_affected"] == 3
        assert event.detail["changes"]["closes_on"] == [closes_on.isoformat(),
                                                        (closes_on - timedelta(days=7)).isoformat()]


@pytest.mark.parametrize("change", ["price", "later_opening", "cohort", "category"])
def test_other_binding_changes_also_need_confirmation(db, change):
    with db.session() as session:
        admin = _admin(session)
        _, task = _task_with_paid_students(session, paid=1)
        new = {
            "price": {"price_fen": 1000},
            "later_opening": {"opens_on": task.opens_on + timedelta(days=1)},
            "cohort": {"cohort": "2026届"},
            "category": {"category": EducationCategory.GRADUATE},
        }[change]
        with pytest.raises(schools.NeedsConfirmation) as refused:
            schools.update_task(session, admin, task.id, _settings(task, **new))
        assert refused.value.affected == 1


def test_changes_that_do_not_bind_paid_students_pass_without_confirmation(db):
    with db.session() as session:
        admin = _admin(session)
        _, task = _task_with_paid_students(session, paid=2)
        task = schools.update_task(session, admin, task.id, _settings(
            task, closes_on=task.closes_on + timedelta(days=20), opens_on=task.opens_on - timedelta(days=1),
            title="延长采集", background=Background.GREY))
        assert task.title == "延长采集"


def test_refunded_students_are_no_longer_bound(db):
    from core.models import Payment
    from core.services import payments

    with db.session() as session:
        admin = _admin(session)
        _, task = _task_with_paid_students(session, paid=1)
        payment = session.query(Payment).one()
        payments.mark_refunded(session, admin, payment.id, "学校统一采集")
        assert schools.paid_students(session, f.SYSTEM, task.id) == 0
        task = schools.update_task(session, admin, task.id, _settings(task, price_fen=100))
        assert task.price_fen == 100


def test_task_values_are_validated(db):
    with db.session() as session:
        admin = _admin(session)
        _, task = _task_with_paid_students(session, paid=0)
        with pytest.raises(InvalidInput, match="closes before it opens"):
            schools.update_task(session, admin, task.id, _settings(task, closes_on=task.opens_on - timedelta(1)))
        with pytest.raises(InvalidInput, match="cannot be negative"):
            schools.update_task(session, admin, task.id, _settings(task, price_fen=-1))
        with pytest.raises(InvalidInput):
            schools.update_task(session, admin, task.id, _settings(task, title="  "))
        with pytest.raises(NotFound):
            schools.update_task(session, admin, 9999, _settings(task))


def test_open_pause_close_and_reopen_a_task(db):
    with db.session() as session:
        admin = _admin(session)
        school = f.make_school(session)
        record = f.make_record(session, school)
        task = f.make_task(session, school, status=TaskStatus.DRAFT)
        account = linking.sign_in(session, "openid-1", "同学")
        with pytest.raises(Exception, match="not open"):
            linking.link_account(session, account, task.id, record, code=None)
        schools.set_task_status(session, admin, task.id, TaskStatus.OPEN)
        schools.set_task_status(session, admin, task.id, TaskStatus.PAUSED)
        with pytest.raises(Exception, match="not open"):
            linking.link_account(session, account, task.id, record, code=None)
        schools.set_task_status(session, admin, task.id, TaskStatus.CLOSED)
        with pytest.raises(Conflict):
            schools.set_task_status(session, admin, task.id, TaskStatus.PAUSED)
        schools.set_task_status(session, admin, task.id, TaskStatus.OPEN)
        assert linking.link_account(session, account, task.id, record, code=None).active
        moves = [(e.detail["old"], e.detail["new"]) for e in audit.events_for(session, action="task.status")]
        assert moves == [("draft", "open"), ("open", "paused"), ("paused", "closed"), ("closed", "open")]


def test_a_task_whose_window_ended_cannot_reopen(db):
    with db.session() as session:
        admin = _admin(session)
        school = f.make_school(session)
        today = utcnow().date()
        task = f.make_task(session, school, opens_on=today - timedelta(days=40), closes_on=today - timedelta(days=1),
                           status=TaskStatus.CLOSED)
        with pytest.raises(Conflict, match="extend the closing date"):
            schools.set_task_status(session, admin, task.id, TaskStatus.OPEN)


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.SENIOR_REVIEWER, Role.REGISTRAR, Role.SUPPORT])
def test_no_other_role_may_call_the_school_and_task_services(db, role):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        someone = f.actor_of(f.make_staff(session, role, "someone", school=school if role is Role.REGISTRAR else None))
        calls = [
            lambda: schools.list_schools(session, someone),
            lambda: schools.create_school(session, someone, code="1", name="x"),
            lambda: schools.update_school(session, someone, school.id, code="1", name="x", short_name="",
                                          registrar_contact="", makeup_points=[]),
            lambda: schools.set_school_active(session, someone, school.id, False),
            lambda: schools.delete_school(session, someone, school.id),
            lambda: schools.list_tasks(session, someone),
            lambda: schools.update_task(session, someone, task.id, _settings(task, price_fen=1)),
            lambda: schools.set_task_status(session, someone, task.id, TaskStatus.CLOSED),
            lambda: f.schools.create_task(session, someone, school_id=school.id,
                                          settings=replace(schools.TaskSettings.of(task), price_fen=1)),
        ]
        for call in calls:
            with pytest.raises(AccessDenied):
                call()
        assert task.price_fen == 2500 and task.status is TaskStatus.OPEN and school.active
