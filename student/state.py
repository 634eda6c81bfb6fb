"""The signed-in student and where they are in the app, kept in Streamlit's session state.

Only ids and the student's choices live here; everything else is re-read from the database on each
run, so two phones on the same WeChat account see the same truth.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.domain.access import Actor
from core.models import StudentAccount

ACCOUNT_KEY = "student_account_id"
VIEW_KEY = "student_view"
ENROL_KEYS = ("enrol_school_id", "enrol_task_id", "enrol_record_id", "enrol_code", "enrol_address",
              "enrol_temporary")

HOME, COLLECT, STATUS, INBOX, SERVICES = "home", "collect", "status", "inbox", "services"
GUIDE, SAMPLES, STANDARD, MAKEUP, UPLOAD_CODE, CODE_HELP = (
    "guide", "samples", "standard", "makeup", "upload_code", "code_help")
OFFLINE = "offline_shooting"


def account_id() -> int | None:
    return st.session_state.get(ACCOUNT_KEY)


def actor_of(account: StudentAccount) -> Actor:
    return Actor.student(account.id, account.nickname)


def view() -> str:
    return st.session_state.get(VIEW_KEY, HOME)


def go(target: str) -> None:
    st.session_state[VIEW_KEY] = target
    st.rerun()


def remember(key: str, value: Any) -> None:
    st.session_state[key] = value


def recall(key: str, default: Any = None) -> Any:
    return st.session_state.get(key, default)


def forget_enrolment() -> None:
    for key in ENROL_KEYS:
        st.session_state.pop(key, None)


def sign_in(account_id_: int) -> None:
    st.session_state[ACCOUNT_KEY] = account_id_
    st.session_state[VIEW_KEY] = HOME


def sign_out() -> None:
    for key in list(st.session_state.keys()):
        if key != "lang":
            del st.session_state[key]
