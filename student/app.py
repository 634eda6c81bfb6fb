"""Entry point of the student app: ``streamlit run student/app.py`` (``python -m core serve`` → :8502).

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

from core.domain.access import Actor  # noqa: E402
from core.errors import AccessDenied  # noqa: E402
from core.services import student_app  # noqa: E402
from core.services.student_app import AccountView  # noqa: E402
from student import state, ui  # noqa: E402
from student.screens import capture, enrol, home, offline, pay, services, signin, status  # noqa: E402
from uikit.resources import database  # noqa: E402

st.set_page_config(page_title="学历图像采集", page_icon=":material/photo_camera:", layout="centered",
                   initial_sidebar_state="collapsed")
ui.page_style()


def collect(actor: Actor) -> None:
    """去采集: find the task and verify, then pay, then shoot — whichever step the student is at."""
    with database().session() as session:
        summary = student_app.status(session, actor)
    if summary is None:
        enrol.render(actor)
    elif not summary.paid:
        pay.render(actor)
    else:
        capture.render(actor)


def signed_in_account() -> AccountView | None:
    """The account this session signed in as, re-read on every run (None once it is gone)."""
    account_id = state.account_id()
    if account_id is None:
        return None
    try:
        with database().session() as session:
            return student_app.account(session, state.actor(account_id, ""))
    except AccessDenied:
        return None


account = signed_in_account()
if account is None:
    signin.render_sign_in()
elif not account.notice_acknowledged:
    signin.render_notice(state.actor(account.id, account.nickname))
else:
    SCREENS = {
        state.HOME: home.render,
        state.COLLECT: collect,
        state.STATUS: status.render,
        state.INBOX: status.render_inbox,
        state.SERVICES: services.render,
        state.GUIDE: services.render_guide,
        state.SAMPLES: services.render_samples,
        state.STANDARD: services.render_standard,
        state.MAKEUP: services.render_makeup,
        state.UPLOAD_CODE: services.render_upload_code,
        state.CODE_HELP: services.render_code_help,
        state.OFFLINE: offline.render,
    }
    SCREENS.get(state.view(), home.render)(state.actor(account.id, account.nickname))
