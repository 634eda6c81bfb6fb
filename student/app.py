"""The student app's script, served by ``student/server.py`` (``python -m core serve`` → :8502), which adds
the sign-in cookie's routes; run alone (``streamlit run student/app.py``) a reload signs the student out.

A phone-sized web version of the WeChat mini-program journey: sign in, read the notice, find the
school and task, verify identity, pay, shoot, standardise, submit, and follow the result.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from core.errors import AccessDenied, DomainError  # noqa: E402
from core.services import student_app  # noqa: E402
from core.services.student_app import AccountView  # noqa: E402
from student import nav, state, ui  # noqa: E402
from student.screens import signin  # noqa: E402
from uikit.resources import database  # noqa: E402

st.set_page_config(page_title="学历图像采集", page_icon=":material/photo_camera:", layout="centered",
                   initial_sidebar_state="collapsed")
ui.page_style()


def signed_in_account() -> AccountView | None:
    """The account this session signed in as (or the browser's sign-in cookie names, after a reload
    or in another tab), re-read on every run (None once it is gone)."""
    account_id = state.account_id()
    if account_id is None and (cookie := state.browser_cookie()) is not None:
        with database().session() as session:
            actor = student_app.authenticate(session, cookie)
        if actor is None:
            state.forget_cookie(cookie)  # expired or signed out elsewhere: sign in again
            return None
        state.sign_in(account_id := actor.id)
    if account_id is None:
        return None
    try:
        with database().session() as session:
            return student_app.account(session, state.actor(account_id, ""))
    except AccessDenied:
        return None


def restore_enrolment(requested: nav.Step) -> None:
    """The school or task the address names is chosen again in a new session (after a reload). One
    that differs from the session's (the browser's back button to an earlier choice) replaces it and
    its identity check; a task that is not open, or not a task, is ignored."""
    named = nav.chosen_in_address(requested)
    if named is None:
        return
    kind, chosen = named
    if kind == "school":
        if chosen != state.recall("enrol_school_id"):
            state.choose_enrolment(school_id=chosen, task_id=None)
        return
    if chosen == state.recall("enrol_task_id"):
        return
    with database().session() as session:
        try:
            task = student_app.task(session, chosen)
        except DomainError:
            return
        if task.id in {t.id for t in student_app.open_tasks(session, task.school_id)}:
            state.choose_enrolment(school_id=task.school_id, task_id=task.id)


def landing(requested: nav.Step, account: AccountView) -> nav.Step:
    """The requested step, or the collection step the student is on when they have not reached it."""
    if requested not in nav.COLLECTION:
        return requested
    with database().session() as session:
        summary = student_app.status(session, state.actor(account.id, account.nickname))
    return nav.allowed(requested, summary)


requested, requested_page = nav.navigation()
account = signed_in_account()
if account is None:
    signin.render_sign_in()  # at the link's own URL: once signed in, the student lands where it pointed
elif not account.notice_acknowledged:
    signin.render_notice(state.actor(account.id, account.nickname))
else:
    restore_enrolment(requested)
    step = landing(requested, account)
    if step is not requested:
        nav.go(step)
    state.set_signed_in(state.actor(account.id, account.nickname))
    st.session_state[nav.CURRENT_KEY] = step.value
    requested_page.run()
state.follow_cookie_tasks()  # last: a run that switches pages never gets here, and the next run does it
