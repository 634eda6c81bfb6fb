"""The student app's pages: one ``st.Page`` per step, each at its own URL (``/school``, ``/pay``,
``/capture``, ``/status`` …), so the browser's back button and a bookmarked or shared link work.

Every page is registered on every run, signed in or not, so no link is ever "page not found". What a
page may show is decided here, before it runs: a link to a step of the collection the student has
not reached yet (``/capture`` before paying, ``/verify`` before choosing a task) sends them to the
step they are on instead.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import streamlit as st

from core.services.student_app import StudentStatus
from uikit.i18n import lang

STEPS_DIR = Path(__file__).resolve().parent / "steps"


class Step(str, Enum):
    HOME = "home"
    SCHOOL = "school"
    TASK = "task"
    VERIFY = "verify"
    CONFIRM = "confirm"
    PAY = "pay"
    CAPTURE = "capture"
    STATUS = "status"
    INBOX = "inbox"
    SERVICES = "services"
    GUIDE = "guide"
    SAMPLES = "samples"
    STANDARD = "standard"
    MAKEUP = "makeup"
    UPLOAD_CODE = "upload_code"
    CODE_HELP = "code_help"
    OFFLINE = "offline_shooting"

    @property
    def url_path(self) -> str:
        return self.value.replace("_", "-")

    @property
    def file(self) -> Path:
        return STEPS_DIR / f"{self.value}.py"


TITLES: dict[Step, tuple[str, str]] = {
    Step.HOME: ("首页", "Home"),
    Step.SCHOOL: ("搜索学校", "Find your school"),
    Step.TASK: ("选择采集任务", "Choose the task"),
    Step.VERIFY: ("身份核验", "Identity check"),
    Step.CONFIRM: ("关联任务", "Link the task"),
    Step.PAY: ("支付采集费用", "Pay the fee"),
    Step.CAPTURE: ("拍摄照片", "Take your photo"),
    Step.STATUS: ("采集结果", "My result"),
    Step.INBOX: ("消息通知", "Messages"),
    Step.SERVICES: ("其他服务与工具", "Other services and tools"),
    Step.GUIDE: ("操作指南", "Operation guide"),
    Step.SAMPLES: ("图像示范", "Sample image"),
    Step.STANDARD: ("采集标准", "The CHSI standard"),
    Step.MAKEUP: ("补拍点查询", "Make-up shooting points"),
    Step.UPLOAD_CODE: ("上传采集码", "Upload the collection code"),
    Step.CODE_HELP: ("采集码下载", "Getting the collection code"),
    Step.OFFLINE: ("线下拍摄交费", "On-site shooting fee"),
}

ENROLMENT = (Step.SCHOOL, Step.TASK, Step.VERIFY, Step.CONFIRM)
"""The steps before the account is linked, in order; each needs the choice the one before it made."""
COLLECTION = (*ENROLMENT, Step.PAY, Step.CAPTURE)
CURRENT_KEY = "student_step"


def page(step: Step) -> st.Page:
    zh, en = TITLES[step]
    return st.Page(step.file, title=zh if lang() == "zh" else en, url_path=step.url_path,
                   default=step is Step.HOME)


def navigation() -> tuple[Step, st.Page]:
    """Registers every page (hidden menu: the app is a phone screen); the step the URL asked for and
    its page, the one object Streamlit lets run."""
    pages = {step: page(step) for step in Step}
    chosen = st.navigation(list(pages.values()), position="hidden")
    return next((step for step, p in pages.items() if p.url_path == chosen.url_path), Step.HOME), chosen


def current() -> Step:
    """The step being drawn (set by the app before the page runs)."""
    return Step(st.session_state.get(CURRENT_KEY, Step.HOME.value))


ADDRESSED: dict[Step, tuple[str, str]] = {
    Step.TASK: ("school", "enrol_school_id"),
    Step.VERIFY: ("task", "enrol_task_id"),
    Step.CONFIRM: ("task", "enrol_task_id"),
}
"""The enrolment choice an enrolment step's address carries (``/verify?task=12``): a reload, or WeChat
reopening the page, starts a new session, which finds the choice there (``student/app.py``)."""


def go(step: Step) -> None:
    """Opens the step's page (its URL goes into the browser's history, so back returns here)."""
    param, key = ADDRESSED.get(step, ("", ""))
    chosen = st.session_state.get(key) if param else None
    st.switch_page(page(step), query_params={param: str(chosen)} if chosen is not None else None)


def chosen_in_address(step: Step) -> tuple[str, int] | None:
    """The choice the address names for an enrolment step (``("task", 12)``, else ``("school", 3)``),
    or None. Either parameter counts on any of them: the browser's back button keeps the query of the
    page it leaves (``/task?task=12``)."""
    if step not in ADDRESSED:
        return None
    for param in ("task", "school"):
        raw = st.query_params.get(param)
        if raw and raw.isascii() and raw.isdigit() and len(raw) < 12:
            return param, int(raw)
    return None


def enrolment_reached() -> Step:
    """How far this session's enrolment has come: each step's choice is kept in the session."""
    if st.session_state.get("enrol_check") is not None:
        return Step.CONFIRM
    if st.session_state.get("enrol_task_id") is not None:
        return Step.VERIFY
    if st.session_state.get("enrol_school_id") is not None:
        return Step.TASK
    return Step.SCHOOL


def collection_step(summary: StudentStatus | None) -> Step:
    """去采集: where the student is in the collection — the enrolment step, paying, or shooting."""
    if summary is None:
        return enrolment_reached()
    return Step.PAY if not summary.paid else Step.CAPTURE


def allowed(requested: Step, summary: StudentStatus | None) -> Step:
    """The step to show for a requested one: itself, unless it is a collection step the student has
    not reached (or has passed for good: no enrolment once linked, no payment once paid)."""
    if requested not in COLLECTION:
        return requested
    where = collection_step(summary)
    if summary is None and requested in ENROLMENT and ENROLMENT.index(requested) <= ENROLMENT.index(where):
        return requested
    return where
