"""The signed-in student and their choices, kept in Streamlit's session state (which every page of
the session shares; the page itself is in the URL, see ``student.nav``).

Only ids and the student's choices live here; everything else is re-read from the database on each
run, so two phones on the same WeChat account see the same truth.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.domain.access import Actor

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


def forget_enrolment() -> None:
    for key in (*ENROL_KEYS, *KEPT_FIELDS, *(KEPT_PREFIX + k for k in KEPT_FIELDS)):
        st.session_state.pop(key, None)


def sign_in(account_id_: int) -> None:
    st.session_state[ACCOUNT_KEY] = account_id_


def sign_out() -> None:
    for key in list(st.session_state.keys()):
        if key != "lang":
            del st.session_state[key]
