"""The signed-in student and their choices, kept in Streamlit's session state (which every page of
the session shares; the page itself is in the URL, see ``student.nav``).

Only ids and the student's choices live here; everything else is re-read from the database on each
run, so two phones on the same WeChat account see the same truth.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.domain.access import Actor
from uikit.cookies import post_in_background

COOKIE = "student_session"
"""The web app's sign-in cookie (not the staff workbench's: cookies are shared by every port of a host)."""
START_PATH = "/auth/session"
END_PATH = "/auth/sign-out"
HANDOFF_KEY = "_cookie_handoff"
CLEAR_COOKIE_KEY = "_clear_cookie"
STALE_KEY = "_ended_cookie"
"""A cookie this session signed out of: ignored until the browser connects with a new one."""
ACCOUNT_KEY = "student_account_id"
ACTOR_KEY = "student_actor"
ENROL_KEYS = ("enrol_school_id", "enrol_task_id", "enrol_check", "enrol_identity", "enrol_code", "enrol_address",
              "enrol_temporary", "code_parked_enrol")
KEPT_PREFIX = "_kept_"
KEPT_FIELDS = ("school_query", "verify_name", "verify_number", "verify_last4", "consent", "addr_recipient",
               "addr_phone", "addr_address")


def account_id() -> int | None:
    return st.session_state.get(ACCOUNT_KEY)


def actor(account_id_: int, nickname: str) -> Actor:
    return Actor.student(account_id_, nickname)


def set_signed_in(actor_: Actor) -> None:
    """The app's gate records who this run is for, before the page runs."""
    st.session_state[ACTOR_KEY] = actor_


def signed_in() -> Actor:
    """The student the page is drawn for (pages run only after the app's gate found one)."""
    found: Actor = st.session_state[ACTOR_KEY]
    return found


def remember(key: str, value: Any) -> None:
    st.session_state[key] = value


def recall(key: str, default: Any = None) -> Any:
    return st.session_state.get(key, default)


def kept(key: str) -> str:
    """A form field's key whose value outlives the page: Streamlit drops a widget's value on the
    first run it is not drawn (the student went back a step, or to another page), so the value is
    copied aside on each change and put back when the field is drawn again."""
    shadow = KEPT_PREFIX + key
    if key not in st.session_state and shadow in st.session_state:
        st.session_state[key] = st.session_state[shadow]
    elif key in st.session_state:
        st.session_state[shadow] = st.session_state[key]
    return key


def choose_enrolment(*, school_id: int, task_id: int | None) -> None:
    """The school (and task) chosen; a new choice voids the identity check made for the old one."""
    st.session_state["enrol_school_id"] = school_id
    st.session_state["enrol_task_id"] = task_id
    st.session_state["enrol_check"] = None


def forget_enrolment() -> None:
    for key in (*ENROL_KEYS, *KEPT_FIELDS, *(KEPT_PREFIX + k for k in KEPT_FIELDS)):
        st.session_state.pop(key, None)


def sign_in(account_id_: int, handoff_code: str | None = None) -> None:
    """This session is the student's; with a handoff code the browser gets the sign-in cookie too
    (``follow_cookie_tasks``), so a reload or another tab stays signed in."""
    st.session_state[ACCOUNT_KEY] = account_id_
    if handoff_code:
        st.session_state[HANDOFF_KEY] = handoff_code


def browser_cookie() -> str | None:
    """The sign-in cookie the browser sent when this session connected, unless signed out since."""
    value = st.context.cookies.get(COOKIE)
    return value if isinstance(value, str) and value and value != st.session_state.get(STALE_KEY) else None


def forget_cookie(cookie: str) -> None:
    st.session_state[STALE_KEY] = cookie


def sign_out() -> None:
    """Forgets the student in this session and has the browser delete the cookie's token and the
    cookie (the cookie route does both), so a reload does not sign them in again."""
    stale = st.context.cookies.get(COOKIE)
    for key in list(st.session_state.keys()):
        if key != "lang":
            del st.session_state[key]
    st.session_state[CLEAR_COOKIE_KEY] = True
    if stale:
        forget_cookie(stale)


def follow_cookie_tasks() -> None:
    """Does in the browser what sign-in or sign-out left to do with the cookie, in the background:
    a script cannot set a cookie, the server's route can (``student/server.py``)."""
    posts: list[tuple[str, str | None]] = []
    if code := st.session_state.pop(HANDOFF_KEY, None):
        posts.append((START_PATH, code))
    if st.session_state.pop(CLEAR_COOKIE_KEY, False):
        posts.append((END_PATH, None))
    post_in_background(*posts)
