"""Every record a colleague may need has an address: ``?ticket=``, ``?record=``, ``?student=``,
``?submission=`` and ``?batch=`` open that record, and the page writes the record on screen back
into the address so a copied link opens it again (AppTest on the real app)."""

from __future__ import annotations

from core.domain.enums import Role, SubmissionState, TicketCategory, TicketPriority
from core.models import Submission, UploadBatch, utcnow
from core.services import tickets
from tests import factories as f


def test_a_ticket_link_opens_that_ticket_and_the_address_follows_the_choice(db, app_for):
    with db.session() as session:
        agent = f.make_staff(session, Role.SUPPORT, "wang.support")
        actor = f.actor_of(agent)
        first = tickets.open_ticket(session, actor, category=TicketCategory.PAYMENT, subject="支付失败",
                                    priority=TicketPriority.URGENT)
        second = tickets.open_ticket(session, actor, category=TicketCategory.CHSI_STATUS, subject="何时上网",
                                     priority=TicketPriority.LOW)
    at = app_for(agent.id, page="tickets.py")
    at.query_params["ticket"] = str(second.id)
    at.run()
    assert not at.exception
    assert at.selectbox(key="ticket_pick").value == second.id
    assert at.query_params["ticket"] == str(second.id)
    at.selectbox(key="ticket_pick").set_value(first.id).run()
    assert at.query_params["ticket"] == str(first.id)


def test_a_student_link_and_a_submission_link_open_that_student_for_a_reviewer(db, app_for):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        f.make_record(session, school, 1, name="丁白云")
        wang = f.make_record(session, school, 2, name="王小明")
        reviewer = f.make_staff(session, Role.REVIEWER, "li.reviewer")
        student = f.make_linked_student(session, task, wang)
        photo = Submission(roster_record_id=wang.id, task_id=task.id, account_id=student.account.id,
                           raw_sha="0" * 64, state=SubmissionState.AWAITING_REVIEW, submitted_at=utcnow(),
                           attempt_number=1)
        session.add(photo)
        f.keep(session, wang, photo)
    for param, value in (("student", wang.id), ("submission", photo.id)):
        at = app_for(reviewer.id, page="student_history.py")
        at.query_params[param] = str(value)
        at.run()
        assert not at.exception
        shown = " ".join(m.value for m in at.markdown)
        assert f"王小明 · {wang.student_number}" in shown and "丁白云" not in shown
        assert at.query_params["student"] == str(wang.id)
    assert "链接中的照片" in shown  # the submission the link named is marked


def test_a_link_to_another_schools_batch_is_refused(db, app_for):
    with db.session() as session:
        school = f.make_school(session)
        f.make_task(session, school)
        registrar = f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school)
        other = f.make_school(session, "10487", "华中科技大学")
        batch = UploadBatch(number="10487-20261207-001", school_id=other.id, task_id=f.make_task(session, other).id)
        session.add(batch)
        f.keep(session, batch)
    at = app_for(registrar.id, page="batches.py")
    at.query_params["batch"] = str(batch.id)
    at.run()
    assert not at.exception
    assert at.error and not at.selectbox  # refused with a message, nothing of that school shown


def test_a_batch_link_opens_its_school_task_and_batch(db, app_for):
    with db.session() as session:
        a, b = f.make_school(session, "10486", "武汉大学"), f.make_school(session, "10487", "华中科技大学")
        task_a, task_b = f.make_task(session, a), f.make_task(session, b, title="华科2025届采集")
        admin = f.make_staff(session, Role.ADMIN, "admin")
        batches = [UploadBatch(number=f"{s.code}-20261207-001", school_id=s.id, task_id=t.id)
                   for s, t in ((a, task_a), (b, task_b))]
        session.add_all(batches)
        session.flush()
        wanted = batches[1]
        f.keep(session, wanted)
    at = app_for(admin.id, page="batches.py")
    at.query_params["batch"] = str(wanted.id)
    at.run()
    assert not at.exception
    assert at.selectbox(key="registrar_school").value == b.id
    assert at.selectbox(key="registrar_task").value == task_b.id
    assert at.selectbox(key="batch_choice").value == wanted.id
    assert at.query_params["batch"] == str(wanted.id)
