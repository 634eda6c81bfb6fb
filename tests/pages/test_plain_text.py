"""Text from rosters, students, reviewers' notes and tickets is shown as text on every staff page
(issue 13, finding 3: a roster name with ``**…**``, ``![x](http://…)`` and ``[text](http://…)``
rendered bold, loaded a remote image and showed a link on the support lookup and the review panel).

Each test renders a page of the real app with hostile data and checks every string the browser
would render as Markdown: the raw patterns never reach it, and the data is there through
``uikit.plain.plain`` with all its characters readable. tests/e2e/test_plain_text.py checks the
same in Chromium's DOM.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from core.domain.enums import Decision, QuotaKind, Role, SubmissionState, TicketCategory
from core.models import utcnow
from core.services import linking, review, tickets
from tests import factories as f
from uikit.plain import plain
from tests.core.services import registrar_world as w
from tests.pages.rendered import DEPARTMENT, NAME, NICKNAME, NOTE, SUBJECT, assert_shown_as_plain_text


@pytest.fixture
def hostile(env, fixtures_dir):
    """A student named like a Markdown attack, with a department to match, a WeChat nickname that is
    an image, an earlier photo rejected with a Markdown note, a photo waiting for review, a quota
    grant with a Markdown reason, and a ticket with a Markdown subject and note."""
    db, store = env
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school, title="2025届采集 [任务](http://evil)")
        record = f.make_record(session, school, 1, name=NAME, department=DEPARTMENT, class_name="1班")
        f.make_record(session, school, 2, name=NAME[:5] + "二号")  # so that a search lists two students
        account = linking.sign_in(session, "openid-hostile", NICKNAME)
        linking.link_account(session, account, task.id, record, code=None)
        reviewer = f.make_staff(session, Role.REVIEWER, "li.reviewer")
        support = f.make_staff(session, Role.SUPPORT, "wang.support")
        first = w.approved_photo(session, store, task, record, fixtures_dir)
        first.state, first.decided_at = SubmissionState.AWAITING_REVIEW, None
        session.flush()
        review.decide(session, f.actor_of(reviewer), first.id, Decision.REJECT, reason_code="other", note=NOTE)
        waiting = w.approved_photo(session, store, task, record, fixtures_dir)
        waiting.state, waiting.decided_at, waiting.attempt_number = SubmissionState.AWAITING_REVIEW, None, 2
        waiting.submitted_at = utcnow() - timedelta(minutes=5)
        session.flush()
        review.grant_override(session, f.actor_of(reviewer), waiting.id, QuotaKind.SUBMISSION, NOTE)
        tickets.open_ticket(session, f.actor_of(support), category=TicketCategory.REVIEW_DISPUTE, subject=SUBJECT,
                            roster_record_id=record.id, assignee_id=support.id, note=NOTE)
        return db, record.student_number, reviewer.id, support.id


def search(at, text):
    at.text_input(key="support_query").input(text)
    at.get("form_submit_button")[0].click()
    return at.run()


def test_support_lookup_shows_names_nicknames_notes_and_tickets_as_text(hostile, app_for):
    _db, number, _, support = hostile
    at = app_for(support, page="support_lookup.py").run()
    search(at, NAME[:4])  # the start of both names: the list of hits
    assert not at.exception
    assert_shown_as_plain_text(at, NAME)
    search(at, number)  # one hit: the student's whole page
    assert not at.exception
    assert_shown_as_plain_text(at, NAME, DEPARTMENT, NICKNAME, NOTE, SUBJECT)


def test_review_panel_shows_the_student_and_earlier_notes_as_text(hostile, app_for):
    _db, _, reviewer, _ = hostile
    at = app_for(reviewer, page="review_queue.py").run()
    assert not at.exception
    assert_shown_as_plain_text(at, NAME, NOTE)
    at.button(key="rq_approve").click().run()  # the decision message names the student
    assert not at.exception
    assert any("已通过" in t.value and t.value.endswith(plain(NAME)) for t in at.toast), "a toast, through plain()"
    assert_shown_as_plain_text(at, NAME)


def test_student_history_shows_notes_and_grant_reasons_as_text(hostile, app_for):
    _db, number, reviewer, _ = hostile
    at = app_for(reviewer, page="student_history.py").run()
    at.text_input(key="sh_query").input(number).run()
    assert not at.exception
    assert_shown_as_plain_text(at, NOTE)


def test_tickets_show_subjects_notes_and_students_as_text(hostile, app_for):
    _db, _, _, support = hostile
    at = app_for(support, page="tickets.py").run()
    assert not at.exception
    assert_shown_as_plain_text(at, SUBJECT, NOTE, NAME)
    dashboard = app_for(support, page="support_dashboard.py").run()
    assert not dashboard.exception
    assert_shown_as_plain_text(dashboard, SUBJECT)
