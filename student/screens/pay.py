"""第八步: read the service description and pay the task's preset price."""

from __future__ import annotations

import streamlit as st

from core.domain.access import Actor
from core.domain.enums import PaymentPurpose, PaymentStatus
from core.services import student_app
from student import nav, state
from student.ui import header, support_line, yuan
from uikit.plain import plain
from uikit.resources import database
from uikit.i18n import tr
from uikit.feedback import attempt


def charge(actor: Actor, purpose: PaymentPurpose, fail: bool = False) -> tuple[PaymentStatus, str, str | None]:
    """Open (or reuse) the order for this intent and charge it; a retry pays the same order."""
    with database().session() as session:
        order = student_app.pay(session, actor, purpose, simulate_failure=fail)
        return order.status, order.order_no, order.failure_reason


def development_failure_switch() -> bool:
    """Only with the development adapter: ask it to fail, to see the failure path."""
    if not student_app.development_payments():
        return False
    return st.checkbox(tr("开发环境：模拟支付失败", "Development: make the payment fail"), key="pay_fail")


def render(actor: Actor) -> None:
    header(tr("支付采集费用", "Pay the collection fee"))
    with database().session() as session:
        task = student_app.linked_task(session, actor)
    if task is None:
        return
    title, price = task.title, task.price_fen
    with st.container(border=True):
        st.markdown(f"**{plain(title)}**")
        st.markdown(tr(f"费用：**{yuan(price)}**", f"Price: **{yuan(price)}**"))
    st.markdown(tr(
        "1. 本次支付的是图像采集项目所有相关服务的费用，系统已预先设置价格。\n"
        "2. 服务项目中如果包含有纸质背胶照片，将按跟学籍部门约定流程邮寄。\n"
        "3. 微信支付功能受限制，可解绑任务后，使用他人微信帐号操作并支付。",
        "1. This pays for every service of the collection; the price is preset.\n"
        "2. Printed photos, if included, are mailed as agreed with your registrar.\n"
        "3. If WeChat Pay is restricted, unbind the task and pay from another account."))
    fail = development_failure_switch()
    if st.button(tr(f"微信支付 {yuan(price)}", f"Pay {yuan(price)} with WeChat Pay"), key="pay", type="primary",
                 width="stretch"):
        result = attempt(lambda: charge(actor, PaymentPurpose.TASK_FEE, fail))
        if result is not None:
            status, order_no, failure = result
            if status is PaymentStatus.PAID:
                state.remember("paid_notice", order_no)
                nav.go(nav.Step.CAPTURE)
            st.error(tr(f"支付未完成（订单号 {order_no}）：{plain(failure or '')}。可再次点击支付（同一订单，不会重复扣费）；"
                        "如微信支付受限，可在首页解绑后使用他人微信帐号支付。",
                        f"Payment not completed (order {order_no}): {plain(failure or '')}. Tap pay again (same order, "
                        "never charged twice), or unbind on the home page and pay from another account."))
    support_line()
