"""第五步至第七步: find the school, choose the category and task, verify identity with the CHSI
collection code, confirm the masked record and link the account to the task."""

from __future__ import annotations

import streamlit as st

from core.domain.access import Actor
from core.domain.enums import EducationCategory
from core.domain.quotas import CHINA
from core.services import student_app
from core.services.student_app import IdentityCheck, MailingAddress, TaskChoice
from student import nav, state
from student.screens.code import code_help, code_input
from student.ui import header, support_line, yuan
from uikit.plain import plain
from uikit.resources import database
from uikit.i18n import lang, tr
from uikit.feedback import attempt, refusal_stops_page


def render_school(actor: Actor) -> None:
    header(tr("搜索学校", "Find your school"))
    if state.recall("enrol_temporary"):
        st.info(tr("您正在使用临时拍摄码采集：照片会先保存，待您上传学信网采集码后才能上传学信网。",
                   "You are using a temporary shooting code: your photo is held until you upload your CHSI code."))
    query = st.text_input(tr("学校名称", "School name"), key=state.kept("school_query"),
                          placeholder=tr("支持关键字、拼音首字母，如 武汉大学 / whdx", "Name or pinyin initials, e.g. whdx"))
    st.caption(tr("查询结果仅显示已签约或开通采集任务的学校。", "Only schools with an open collection task are shown."))
    if not query.strip():
        return
    with refusal_stops_page(), database().session() as session:
        hits = student_app.search_schools(session, query)
    if not hits:
        st.warning(tr("没有找到开通采集任务的学校。请核对学校名称；如学校确已通知线上采集，请联系本校学籍部门。",
                      "No school with an open task matches. Check the name, or ask your registrar."))
        return
    for hit in hits:
        if st.button(f"{hit.name}（{hit.code}）", key=f"school_{hit.id}", width="stretch"):
            if hit.id != state.recall("enrol_school_id"):
                state.choose_enrolment(school_id=hit.id, task_id=None)
            nav.go(nav.Step.TASK)


def render_task(actor: Actor) -> None:
    if st.button(tr("‹ 重新选择学校", "‹ Choose another school"), key="back_school", type="tertiary"):
        nav.go(nav.Step.SCHOOL)
    with database().session() as session:
        tasks = student_app.open_tasks(session, state.recall("enrol_school_id"))
    if not tasks:
        st.warning(tr("该学校当前没有开放的采集任务。", "This school has no open collection task now."))
        return
    st.subheader(plain(tasks[0].school_name), anchor=False)
    category = st.radio(tr("学历类别", "Education category"), [c for c in EducationCategory if any(t.category is c for t in tasks)], key="category",
                        format_func=lambda c: c.label_zh if lang() == "zh" else c.name.title(), horizontal=True)
    st.caption(tr("请选择本人对应的学历类别，并核对任务与学校通知是否一致；请在规定时间内完成采集。",
                  "Choose your category and check the task against your school's notice; finish within its window."))
    for task in [t for t in tasks if t.category is category]:
        with st.container(border=True):
            st.markdown(f"**{plain(task.title)}**")
            mailing = (tr("需填写本人真实有效的邮寄地址", "Photos are mailed to you: an address is required")
                       if task.needs_address else
                       tr(f"默认邮寄学校或站点，无需填写{plain('（' + task.default_address + '）') if task.default_address else ''}",
                          "Mailed to the school; nothing to fill in"))
            st.markdown(
                f"{tr('采集时间', 'Window')}：{task.opens_on:%Y-%m-%d} {tr('至', 'to')} {task.closes_on:%Y-%m-%d}  \n"
                f"{tr('费用', 'Price')}：{yuan(task.price_fen)}  \n{tr('邮寄', 'Mailing')}：{mailing}")
            if not task.front_camera_allowed:
                st.caption(tr("本任务禁用前置摄像头，请请他人用后置摄像头为您拍摄。",
                              "This task forbids the front camera: have someone shoot you with the rear camera."))
            if st.button(tr("选择此任务", "Choose this task"), key=f"task_{task.id}", type="primary", width="stretch"):
                if task.id != state.recall("enrol_task_id"):
                    state.choose_enrolment(school_id=task.school_id, task_id=task.id)
                nav.go(nav.Step.VERIFY)


def _address_fields(task: TaskChoice) -> MailingAddress | None:
    if not task.needs_address:
        return None
    st.markdown(tr("**邮寄地址**（本任务邮寄纸质照片给本人，必须真实有效）",
                   "**Postal address** (printed photos are mailed to you)"))
    return MailingAddress(
        recipient=st.text_input(tr("收件人", "Recipient"), key=state.kept("addr_recipient")),
        phone=st.text_input(tr("手机号码", "Mobile number"), key=state.kept("addr_phone"), max_chars=13),
        address=st.text_area(tr("详细地址", "Full address"), key=state.kept("addr_address"), height=80),
    )


def render_verify(actor: Actor) -> None:
    if st.button(tr("‹ 重新选择任务", "‹ Choose another task"), key="back_task", type="tertiary"):
        nav.go(nav.Step.TASK)
    with database().session() as session:
        task = student_app.task(session, state.recall("enrol_task_id"))
        locked_until = student_app.identity_locked_until(session, actor)
        rules = student_app.rules(session)
    st.subheader(tr("身份核验", "Identity check"), anchor=False)
    st.caption(tr("请如实填写以下核验信息", "Fill in your details exactly as registered"))
    st.markdown(f"{tr('学校名称', 'School')}：{plain(task.school_name)}  \n"
                f"{tr('学历类别', 'Category')}：{task.category.label_zh}  \n{tr('任务', 'Task')}：{plain(task.title)}")
    hours = rules.verification_lock_hours
    if locked_until is not None:
        until = locked_until.astimezone(CHINA)
        st.error(tr(f"身份核验失败次数过多，已锁定至 {until:%m-%d %H:%M}（{hours} 小时），请届时再试。"
                    "请核对学号、证件号后4位，并确认采集码为本人学信网下载的图片。",
                    f"Too many failed checks: locked until {until:%m-%d %H:%M} ({hours} hours). Check your details "
                    "and make sure the code is your own image from CHSI."))
    name = st.text_input(tr("姓名", "Name"), key=state.kept("verify_name"),
                         placeholder=tr("请填写真实姓名", "Your real name"))
    number = st.text_input(tr("学号", "Student number"), key=state.kept("verify_number"),
                           placeholder=tr("请填写学信网学号", "Your CHSI student number"))
    last4 = st.text_input(tr("证件号后4位", "ID number, last 4"), key=state.kept("verify_last4"), max_chars=4)
    temporary = bool(state.recall("enrol_temporary"))
    if temporary:
        st.info(tr("临时拍摄码：无需采集码即可拍摄。注意：没有学信网图像采集码，照片将不能上传到学信网，"
                   "请在下载采集码后到“其他服务 › 上传采集码”补传。",
                   "Temporary shooting code: you can shoot without the CHSI code, but the photo cannot go to CHSI "
                   "until you upload the code under Other services › Upload code."))
        code = None
    else:
        code = code_input("enrol")
        with st.expander(tr("如何获取采集码？", "How do I get the code?"), icon=":material/help:"):
            code_help(demo=False)  # read here, beside the form, so nothing typed is left behind
    address = _address_fields(task)
    consent = st.checkbox(tr("我已阅读并同意《用户服务协议》和《隐私政策》。",
                             "I have read and agree to the Terms of Service and the Privacy Policy."),
                          key=state.kept("consent"))
    if not st.button(tr("提交核验", "Verify"), key="verify", type="primary", width="stretch",
                     disabled=locked_until is not None):
        support_line()
        return
    if not (name.strip() and number.strip() and last4.strip()):
        st.error(tr("请填写姓名、学号和证件号后4位。", "Enter your name, student number and the last 4 of your ID."))
        return
    if not temporary and code is None:
        st.error(tr("请上传或扫描学信网图像采集码。没有采集码的同学可在“其他服务”中使用临时拍摄码。",
                    "Upload or scan your CHSI collection code; without one, use a temporary shooting code."))
        return
    if not consent:
        st.error(tr("请先阅读并勾选同意《用户服务协议》和《隐私政策》。", "Tick the box to agree to the terms first."))
        return
    if address is not None and attempt(address.validated) is None:
        return

    def check() -> IdentityCheck:
        with database().session() as session:
            return student_app.check_identity(session, actor, task.id, name, number, last4, code_image=code,
                                              temporary=temporary)

    outcome = attempt(check)
    if outcome is None:
        return
    if not outcome.matched:
        st.error(plain(tr(outcome.message_zh or "身份核验未通过。", outcome.message_en or "The identity check failed.")))
        if outcome.attempts_left is not None:
            st.caption(tr(f"还可尝试 {outcome.attempts_left} 次，之后将锁定 {hours} 小时。",
                          f"{outcome.attempts_left} attempts left before a {hours}-hour lock."))
        return
    state.remember("enrol_check", outcome)
    state.remember("enrol_identity", (name, number, last4))
    state.remember("enrol_code", code)
    state.remember("enrol_address", address)
    nav.go(nav.Step.CONFIRM)


def render_confirm(actor: Actor) -> None:
    check: IdentityCheck = state.recall("enrol_check")
    with database().session() as session:
        task = student_app.task(session, check.task_id)
    rows = [
        (tr("任务", "Task"), task.title),
        (tr("学校名称", "School"), check.school_name),
        (tr("院校代码", "School code"), check.school_code),
        (tr("姓名", "Name"), check.masked_name),
        (tr("学号", "Student number"), check.student_number),
        (tr("证件号后4位", "ID last 4"), check.id_last4),
        (tr("学历类别", "Category"), check.category_zh),
    ]
    st.subheader(tr("关联任务", "Link the task"), anchor=False)
    with st.container(border=True):
        st.markdown("  \n".join(f"{label}：**{plain(value)}**" for label, value in rows))
    st.success(tr("已查询到您的学籍信息，请点击“关联任务”。", "Your record was found: tap “Link task”."))
    st.caption(tr("若以上信息与本人不相符或解码错误，可返回重新操作。参加过学校统一采集或学信网有学历照片的，不再允许拍摄；"
                  "不在采集名单中的，请联系学籍部门添加信息。关联后仅限本人操作，已关联并支付的不能更换微信号或解绑。",
                  "If this is not you, go back. After linking and paying, the account cannot be changed or unbound."))
    back, link = st.columns(2)
    if back.button(tr("返回", "Back"), key="confirm_back", width="stretch"):
        state.remember("enrol_check", None)
        nav.go(nav.Step.VERIFY)
    if link.button(tr("关联任务", "Link task"), key="confirm_link", type="primary", width="stretch"):
        name, number, last4 = state.recall("enrol_identity")

        def do_link() -> IdentityCheck:
            with database().session() as session:
                return student_app.link_task(
                    session, actor, check.task_id, name, number, last4, code_image=state.recall("enrol_code"),
                    temporary=check.temporary_code, mailing_address=state.recall("enrol_address"))

        linked = attempt(do_link)
        if linked is not None and not linked.matched:
            st.error(plain(tr(linked.message_zh or "关联未成功。", linked.message_en or "Linking failed.")))
        elif linked is not None:
            state.forget_enrolment()
            nav.go(nav.Step.PAY)
