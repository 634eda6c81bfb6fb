"""The CHSI collection code: reading the student's code image (upload or live scan), and how to get
the code from CHSI — shown beside the identity form, and as a tool of its own."""

from __future__ import annotations

import hashlib

import streamlit as st

from core.errors import InvalidInput
from core.services import student_app
from student import state
from uikit.downloads import download_button
from uikit.feedback import show_error
from uikit.i18n import lang, tr
from uikit.plain import plain


def code_input(form: str) -> bytes | None:
    """The code image from the upload or the live scan, read once per image and shown to the
    student. It is kept for ``form`` while the student is on another page (a file uploader cannot
    be refilled when they come back); a new image replaces it, removing it forgets it."""
    source = st.radio(tr("学信网图像采集码", "CHSI collection code"),
                      ["upload", "scan"], key="code_source", horizontal=True,
                      format_func=lambda s: {"upload": tr("上传采集码图片", "Upload the code image"),
                                             "scan": tr("扫描采集码", "Scan the code")}[s])
    widget = "code_upload" if source == "upload" else "code_camera"
    drawn_last_run = widget in st.session_state
    if source == "upload":
        image = st.file_uploader(tr("上传从学信网下载保存的采集码图片（勿用截图）", "Upload the code image saved from CHSI"),
                                 type=["png", "jpg", "jpeg", "webp"], key=widget,
                                 help=tr("支持 PNG、JPG、WEBP 图片。", "PNG, JPG or WEBP images."))
    else:
        image = st.camera_input(tr("将采集码对准取景框", "Point the camera at the code"), key=widget,
                                help=tr("点击“拍照”拍下采集码；看不清可点击“重新拍摄”。",
                                        "Tap Take Photo to capture the code; Clear photo to try again."))
    parked_key, live_key = f"code_parked_{form}", f"code_live_{form}"
    if image is not None:
        data = image.getvalue()
        state.remember(parked_key, data)
    elif drawn_last_run and state.recall(live_key):  # the student removed the image
        state.remember(parked_key, None)
        state.remember(live_key, False)
        return None
    elif (data := state.recall(parked_key)) is not None:
        st.caption(tr("已保留您离开前上传的采集码；如需更换，请重新上传。",
                      "The code you uploaded before leaving is kept; upload another to replace it."))
    else:
        return None
    state.remember(live_key, image is not None)
    digest = hashlib.sha256(data).hexdigest()
    cached = state.recall("code_cache")
    if cached and cached[0] == digest:
        decoded = cached[1]
    else:
        try:
            decoded = student_app.read_code(data)
        except InvalidInput as error:
            show_error(error)
            return None
        state.remember("code_cache", (digest, decoded))
    if decoded.error is not None:
        st.error(decoded.error.message_zh if lang() == "zh" else decoded.error.message_en)
    else:
        st.success(tr(f"已识别采集码：{plain(decoded.code.masked_name)} · 学号 {plain(decoded.code.student_number)}",
                      f"Code read: {plain(decoded.code.masked_name)} · student no. {plain(decoded.code.student_number)}"))
    return data


def code_help(*, demo: bool = True) -> None:
    """How to get the code; with the development adapter, a stand-in for CHSI that draws one (not
    beside the identity form, whose fields it would repeat)."""
    if demo and student_app.development_identity():
        _demo_code_maker()
    st.markdown(tr(
        "操作前必须下载好本人的学信网“图像采集码”，有三种方式：\n\n"
        "1. **学信网学信档案**（手机端和电脑端流程一致）：登录学信网 › 学信档案 › 查看本人学籍信息 › 选择学籍，查看对应采集码并**保存图片**。\n"
        "2. **“学信网”微信公众号**：关注并绑定学信网账号 › 学信账号 › 查看学籍学历信息 › 选择学籍，查看对应采集码。\n"
        "3. **学信网 APP**：登录 › 学籍查询 › 选择学籍，查看对应采集码。\n\n"
        "**提示：** 请务必使用下载保存的采集码图片，勿使用截图，以提高识别成功率。学信网身份验证不通过、操作过于频繁时，"
        "学信网会锁定 24 小时，请在采集前 3-5 天注册并获取采集码（这是学信网的规则，不是本系统的）。",
        "Download your CHSI collection code first, in one of three ways: the CHSI website (学信档案 › your record › "
        "save the code image), the CHSI WeChat official account, or the CHSI app (学籍查询 › your record). Upload the "
        "saved image, not a screenshot. CHSI (not this service) locks its identity checks for 24 hours after repeated failures, so get the "
        "code 3-5 days before you shoot."))


def _demo_code_maker() -> None:
    """Development only: stands in for CHSI, rendering the demo-format code of the details typed in
    (nothing is looked up), so the journey can be tried without a real CHSI account."""
    with st.expander(tr("开发环境：模拟学信网生成演示采集码", "Development: make a demo collection code")):
        school_code = st.text_input(tr("院校代码", "School code"), key="demo_school_code", max_chars=5)
        number = st.text_input(tr("学号", "Student number"), key="demo_number")
        name = st.text_input(tr("姓名", "Name"), key="demo_name")
        last4 = st.text_input(tr("证件号后4位", "ID last 4"), key="demo_last4", max_chars=4)
        if not (school_code and number and name and last4):
            return
        try:
            file_name, png = student_app.demo_code_png(school_code, number, name, last4)
        except InvalidInput as error:
            show_error(error)
            return
        st.image(png, width=200)
        download_button(tr("保存采集码图片", "Save the code image"), png, file_name=file_name,
                        mime="image/png", key="demo_code_download", icon=None)
