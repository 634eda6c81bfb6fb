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

from core.models import StudentAccount  # noqa: E402
from core.services import linking, student_flow  # noqa: E402
from student import state, ui  # noqa: E402
from student.screens import capture, enrol, home, offline, pay, services, signin, status  # noqa: E402
from uikit.resources import database  # noqa: E402

st.set_page_config(page_title="学历图像采集", page_icon=":material/photo_camera:", layout="centered",
                   initial_sidebar_state="collapsed")
ui.page_style()


def collect(account: StudentAccount) -> None:
    """去采集: find the task and verify, then pay, then shoot — whichever step the student is at."""
    with database().session() as session:
        link = student_flow.active_link(session, account.id)
        paid = link is not None and linking.is_paid(session, link)
        link_id = link.id if link else None
    if link_id is None:
        enrol.render(account)
    elif not paid:
        pay.render(account, link_id)
    else:
        capture.render(account, link_id)


account: StudentAccount | None = None
if state.account_id() is not None:
    with database().session() as session:
        account = session.get(StudentAccount, state.account_id())
if account is None:
    signin.render_sign_in()
elif account.notice_acknowledged_at is None:
    signin.render_notice(account)
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
    SCREENS.get(state.view(), home.render)(account)
