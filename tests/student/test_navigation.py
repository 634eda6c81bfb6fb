"""The student app's pages and URLs (student/nav.py): one page per step, every page registered for
every session, a link to a step the student has not reached lands them on the step they are on,
and the sign-in holds across pages. ``at.switch_page`` is what opening the page's URL does."""

from __future__ import annotations

from core.domain.enums import TaskStatus
from student.nav import Step
from tests.student.conftest import at_identity_check, fill_identity, signed_in, texts


def open_link(at, step: Step):
    """What typing /<url_path> into the address bar does: the app runs for that page. AppTest keeps
    asking for that page on every later run; a browser asks for it once, then follows the app."""
    at.switch_page(f"steps/{step.value}.py").run()
    at._page_hash = ""
    return at


def test_every_step_has_its_own_page_and_url():
    assert len({step.url_path for step in Step}) == len(Step)
    assert all(step.file.is_file() for step in Step)


def test_a_link_opened_before_sign_in_asks_to_sign_in_then_lands_on_the_step_the_student_is_on(db, student_app, seeded):
    seeded()
    at = student_app().run()
    open_link(at, Step.CAPTURE)
    assert not at.exception
    assert [t.key for t in at.text_input] == ["nickname"]
    at.text_input(key="nickname").input("小丁")
    at.button(key="sign_in").click().run()
    at.checkbox(key="notice_ack").check()
    at.button(key="notice_next").click().run()
    assert not at.exception and not at.camera_input
    assert "school_query" in [t.key for t in at.text_input], "not linked yet: the collection starts at the school"


def test_links_to_steps_not_reached_land_on_the_step_the_student_is_on(db, student_app, seeded):
    s = seeded()
    at = signed_in(student_app())
    for step in (Step.TASK, Step.VERIFY, Step.CONFIRM, Step.PAY, Step.CAPTURE):
        open_link(at, step)
        assert not at.exception and "school_query" in [t.key for t in at.text_input], step

    open_link(at, Step.HOME)
    at_identity_check(at, s)
    open_link(at, Step.CONFIRM)  # not verified yet: the identity form
    assert "verify_name" in [t.key for t in at.text_input]
    open_link(at, Step.TASK)  # a step already passed stays open (the browser's back button)
    assert at.button(key=f"task_{s.task_id}")
    at.button(key=f"task_{s.task_id}").click().run()
    fill_identity(at, s.name, s.student_number, s.id_last4, s.code_png)
    at.button(key="confirm_link").click().run()
    assert at.button(key="pay")

    for step in (Step.SCHOOL, Step.VERIFY, Step.CONFIRM, Step.CAPTURE):  # linked, not paid: the payment
        open_link(at, step)
        assert not at.exception and at.button(key="pay"), step
    at.button(key="pay").click().run()
    for step in (Step.SCHOOL, Step.PAY):  # paid: the camera
        open_link(at, step)
        assert not at.exception and at.camera_input, step


def test_the_sign_in_holds_on_every_page(db, student_app, seeded):
    seeded()
    at = signed_in(student_app())
    for step in Step:
        open_link(at, step)
        assert not at.exception, step
        assert "nickname" not in [t.key for t in at.text_input], step
    open_link(at, Step.STATUS)
    assert "尚未关联采集任务" in texts(at)


def test_the_address_carries_the_school_and_task_chosen_so_a_reload_finds_them(db, student_app, seeded):
    s = seeded()
    other = seeded(2)
    at = at_identity_check(signed_in(student_app()), s)
    assert at.query_params["task"] == str(s.task_id)  # /verify?task=…

    reloaded = signed_in(student_app())  # a reload is a new session: nothing chosen in it
    reloaded.query_params["task"] = str(s.task_id)
    open_link(reloaded, Step.VERIFY)
    assert not reloaded.exception and "verify_name" in [t.key for t in reloaded.text_input]
    assert "采集" in texts(reloaded) and "武汉大学" in texts(reloaded)
    reloaded.button(key="back_task").click().run()  # the school came back with the task
    assert reloaded.button(key=f"task_{s.task_id}") and reloaded.query_params["school"] == str(s.school_id)

    back = signed_in(student_app())  # the browser's back button to another school's task list
    back.query_params["school"] = str(other.school_id)
    open_link(back, Step.TASK)
    assert back.button(key=f"task_{other.task_id}") and not back.exception


def test_an_address_naming_no_open_task_is_ignored(db, student_app, seeded):
    s = seeded()
    closed = seeded(2, task={"status": TaskStatus.CLOSED})
    for raw in ("999999", "abc", "-1", "１２", "9" * 40, str(closed.task_id)):
        at = signed_in(student_app())
        at.query_params["task"] = raw
        open_link(at, Step.VERIFY)
        assert not at.exception, raw
        assert "school_query" in [t.key for t in at.text_input], raw  # the collection starts at the school
    assert s.task_id != closed.task_id
