"""其他服务 · 线下拍摄交费: a student who will be photographed at the school's on-site session pays
online first. Only for on-site shooting; a student uploading their own photo pays the task fee."""

from __future__ import annotations

import streamlit as st

from core.domain.access import Actor
from core.domain.enums import PaymentStatus
from core.domain.quotas import CHINA
from core.services import student_app
from student import nav
from student.screens.pay import development_failure_switch
from student.ui import header, support_line, yuan
from uikit.plain import plain
from uikit.resources import database
from uikit.i18n import tr
from uikit.feedback import attempt


def render(actor: Actor) -> None:
    header(tr("线下拍摄交费", "On-site shooting fee"), back_to=nav.Step.SERVICES)
    st.warning(tr("仅限参加学校线下现场采集的同学使用；线上上传照片的同学请勿在此支付。",
                  "Only for students photographed at the school's on-site session; if you upload your own photo, "
                  "do not pay here."))
    with database().session() as session:
        offer = student_app.offline_offer(session, actor)
    if offer is None:
        st.info(tr("请先在首页“去采集”中查找学校并关联采集任务，再回到这里支付。",
                   "Find your school and link your collection task (Start on the home page) first, then pay here."))
        return
    with st.container(border=True):
        st.markdown(f"**{plain(offer.task_title)}**")
        if not offer.offered:
            st.info(tr("该采集任务未开通线下拍摄服务，请关注学校通知。",
                       "This task offers no on-site shooting; follow your school's notice."))
            return
        st.markdown(tr(f"线下拍摄费用：**{yuan(offer.price_fen or 0)}**",
                       f"On-site shooting: **{yuan(offer.price_fen or 0)}**"))
    if offer.paid:
        paid_at = offer.paid_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if offer.paid_at else ""
        st.success(tr(f"已支付（订单号 {offer.order_no}，{paid_at}）。请按学校通知的时间地点参加现场拍摄，"
                      "学校现场人员会按名单核对。",
                      f"Paid (order {offer.order_no}, {paid_at}). Come to the on-site session your school "
                      "announced; staff check the list there."))
        support_line()
        return
    if offer.status is PaymentStatus.REFUNDED:
        st.info(tr("您之前的线下拍摄订单已退款，如需参加现场拍摄可重新支付。",
                   "Your earlier on-site shooting order was refunded; pay again if you will be photographed on site."))
    fail = development_failure_switch()
    if st.button(tr(f"微信支付 {yuan(offer.price_fen or 0)}", f"Pay {yuan(offer.price_fen or 0)} with WeChat Pay"),
                 key="offline_pay", type="primary", width="stretch"):
        def buy() -> tuple[PaymentStatus, str, str | None]:
            with database().session() as session:
                order = student_app.buy_offline(session, actor, simulate_failure=fail)
                return order.status, order.order_no, order.failure_reason

        result = attempt(buy)
        if result is not None:
            status, order_no, failure = result
            if status is PaymentStatus.PAID:
                st.rerun()
            st.error(tr(f"支付未完成（订单号 {order_no}）：{plain(failure or '')}。可再次点击支付（同一订单，不会重复扣费）。",
                        f"Payment not completed (order {order_no}): {plain(failure or '')}. Tap pay again "
                        "(same order, never charged twice)."))
    support_line()
