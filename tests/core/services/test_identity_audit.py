"""A failed identity check is audited as the student's act: the last 4 of the ID number only, what
did not match in general terms, and whether the lock was reached. The refusal is returned, so the
entry commits with the failure count; staff find it in the audit log and the support lookup."""

from __future__ import annotations

from core.domain.access import Actor
from core.domain.enums import ActorKind, Role
from core.services import audit, student_app, support
from core.services.audit import AuditFilter
from tests import factories as f


def _world(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        record = f.make_record(session, school, 1)
        account = student_app.sign_in_app(session, "小丁")
        admin = f.actor_of(f.make_staff(session, Role.ADMIN, "admin"))
        agent = f.actor_of(f.make_staff(session, Role.SUPPORT, "wang.support"))
        return (task.id, record.id, record.name, record.student_number, record.id_last4, record.id_number,
                Actor.student(account.id, account.nickname), admin, agent)


def _check(db, actor, task_id, name, number, last4):
    with db.session() as session:  # committed as the app and the API commit it
        return student_app.check_identity(session, actor, task_id, name, number, last4, temporary=True)


def _failures(db):
    with db.session() as session:
        found = [e for e in audit.events_for(session, entity_type="student_account")
                 if e.action.startswith("identity.")]
        f.keep(session, *found)
        return found


def test_a_failed_check_is_audited_with_the_last_4_only_and_what_did_not_match(db):
    task_id, record_id, name, number, last4, id_number, student, *_ = _world(db)
    wrong = "9999" if last4 != "9999" else "8888"
    refused = _check(db, student, task_id, name, number, wrong)
    assert not refused.matched and refused.attempts_left == 4
    [event] = _failures(db)
    assert event.action == "identity.check_failed" and event.actor_kind is ActorKind.STUDENT
    assert event.actor_id == student.id and event.actor_name == "小丁"
    assert event.roster_record_id == record_id and event.entity_id == student.id
    assert event.detail["mismatch"] == ["id_last4"] and event.detail["mismatch_zh"] == "证件号后4位不符"
    assert event.detail["id_last4"] == wrong and event.detail["locked"] is False
    assert event.detail["failures"] == 1 and event.detail["attempts_allowed"] == 5
    stored = str(event.detail)
    assert id_number not in stored and id_number[:-4] not in stored and name not in stored


def test_a_full_id_number_typed_into_the_last_4_is_refused_unread_and_never_stored(db):
    task_id, _, name, number, _, id_number, student, *_ = _world(db)
    refused = _check(db, student, task_id, name, number, id_number)
    assert refused.error_code == "invalid_input" and refused.attempts_left is None
    assert _failures(db) == []


def test_the_check_that_reaches_the_lock_says_so_and_every_failure_survives_the_refusal(db):
    task_id, record_id, _, number, last4, _, student, admin, agent = _world(db)
    for _ in range(5):
        _check(db, student, task_id, "别人", number, last4)
    events = _failures(db)
    assert [e.action for e in events] == ["identity.check_failed"] * 4 + ["identity.check_locked"]
    assert [e.detail["failures"] for e in events] == [1, 2, 3, 4, 5]
    assert events[-1].detail["locked"] is True and events[-1].detail["mismatch"] == ["name"]
    assert len(_check(db, student, task_id, "别人", number, last4).message_zh) > 0  # locked: not a check
    assert len(_failures(db)) == 5
    with db.session() as session:
        page = audit.query(session, admin, AuditFilter(student=number, action="identity."))
        assert page.total == 5
        [line] = audit.lines(session, admin, page.events[:1])
        assert line.sentence_zh == f"学生 小丁 核验 丁白云（学号 {number}）的身份未通过，失败次数已达上限，身份核验已锁定"
        assert line.action_zh == "身份核验锁定"
        history = support.student_view(session, agent, record_id).history
        assert [h.action for h in history if h.action.startswith("identity.")] == \
            ["identity.check_locked"] + ["identity.check_failed"] * 4


def test_an_unknown_student_number_names_no_record_until_the_account_links_one(db):
    task_id, record_id, name, number, last4, _, student, admin, agent = _world(db)
    _check(db, student, task_id, name, "2110999999", last4)
    [event] = _failures(db)
    assert event.roster_record_id is None and event.detail["mismatch"] == ["student_number"]
    assert event.detail["student_number"] == "2110999999" and event.school_id is not None
    with db.session() as session:
        assert audit.query(session, admin, AuditFilter(actor="小丁", action="identity.")).total == 1
    with db.session() as session:
        student_app.link_task(session, student, task_id, name, number, last4, temporary=True)
    with db.session() as session:  # the account's earlier failure shows on the record it linked
        history = support.student_view(session, agent, record_id).history
        assert "identity.check_failed" in [h.action for h in history]
