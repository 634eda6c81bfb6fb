"""The student app shows the reviewer's note, the task, the school and the student's own nickname
as text (issue 13, finding 3: the reviewer's note in the notification text rendered as Markdown)."""

from __future__ import annotations

from core.domain.enums import Decision, PaymentPurpose, Role, SubmissionState
from core.services import linking, payments, review, wechat
from tests import factories as f
from tests.core.services import registrar_world as w
from tests.pages.rendered import NICKNAME, NOTE, assert_shown_as_plain_text
from tests.student.conftest import signed_in

TITLE = "2025届采集 **[点我](http://evil)**"
SCHOOL = "武汉<b>大学</b>"


def test_rejection_note_task_school_and_nickname_are_shown_as_text(env, student_app, fixtures_dir):
    db, store = env
    with db.session() as session:
        school = f.make_school(session, "10486", SCHOOL)
        task = f.make_task(session, school, title=TITLE)
        record = f.make_record(session, school, 1, name="丁白云")
        account = wechat.sign_in(session, NICKNAME)
        link = linking.link_account(session, account, task.id, record, code=None)
        student = f.LinkedStudent(account, record, link, task)
        order = payments.open_order(session, student.actor, link, PaymentPurpose.TASK_FEE)
        payments.pay(session, student.actor, order, payments.DevelopmentProvider())
        submission = w.approved_photo(session, store, task, record, fixtures_dir)
        submission.state, submission.decided_at, submission.account_id = SubmissionState.AWAITING_REVIEW, None, account.id
        session.flush()
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER, "li.reviewer"))
        review.decide(session, reviewer, submission.id, Decision.REJECT, reason_code="other", note=NOTE)

    at = signed_in(student_app(), NICKNAME)
    assert not at.exception
    assert_shown_as_plain_text(at, NICKNAME, TITLE)  # home
    at.button(key="home_status").click().run()
    assert not at.exception
    assert_shown_as_plain_text(at, TITLE, SCHOOL, NOTE)
    at.button(key="status_inbox").click().run()
    assert not at.exception
    assert_shown_as_plain_text(at, NOTE)
