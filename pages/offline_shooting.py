"""线下拍摄交费: who has paid for on-site shooting, by department and class (the school's on-site
team works from this list), exportable; support refunds with a reason; the admin sets the price."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from core.domain.access import Actor
from core.domain.enums import Role
from core.domain.quotas import CHINA
from core.export import mime_type
from core.services import offline_shooting
from uikit.downloads import export_button
from workbench.context import database, require_actor
from workbench.i18n import tr
from workbench.widgets import (
    commit_then_reload,
    refusal_stops_page,
    refusals,
    show_flash,
    yuan,
)


def exporter(actor: Actor, task_id: int, fmt: str, department: str, class_name: str) -> Callable[[], bytes]:
    def export() -> bytes:
        with database().session() as session:
            return offline_shooting.paid_list_file(session, actor, task_id, fmt, department=department,
                                                   class_name=class_name)
    return export


def label(choice: offline_shooting.TaskChoice) -> str:
    price = yuan(choice.price_fen) if choice.price_fen is not None else tr("未开通", "not offered")
    return f"{choice.school_name} · {choice.title}（{choice.category_zh} · {choice.cohort}）· {price}"


actor = require_actor()
st.title(tr("线下拍摄交费", "On-site shooting fees"))
show_flash()
st.caption(tr("学生在“其他服务 › 线下拍摄交费”中在线支付；现场采集时按本名单核对。",
              "Students pay online under Other services › On-site shooting; check them against this list on site."))

if actor.role is Role.ADMIN:
    with st.expander(tr("设置线下拍摄价格", "Set the on-site shooting price"), icon=":material/sell:"):
        with database().session() as session:
            every = offline_shooting.tasks(session, actor, offered_only=False)
        if every:
            chosen = st.selectbox(tr("采集任务", "Collection task"), every, key="offline_price_task",
                                  format_func=label)
            with st.form("offline_price_form"):
                current = f"{chosen.price_fen / 100:.2f}" if chosen.price_fen is not None else ""
                price = st.text_input(tr("价格（元，留空表示不开通）", "Price (yuan; blank: not offered)"),
                                      value=current, key=f"offline_price_{chosen.task_id}")
                if st.form_submit_button(tr("保存价格", "Save the price"), type="primary"):
                    commit_then_reload(
                        lambda session: offline_shooting.set_price(session, actor, chosen.task_id, price),
                        tr("价格已保存。", "Price saved."))

with database().session() as session:
    offered = offline_shooting.tasks(session, actor)
if not offered:
    st.info(tr("还没有开通线下拍摄服务的采集任务。", "No collection task offers on-site shooting yet."))
    st.stop()
choice = st.selectbox(tr("采集任务", "Collection task"), offered, key="offline_task",
                      format_func=label)

with database().session() as session:
    groups = offline_shooting.departments_and_classes(session, actor, choice.task_id)
cols = st.columns([1, 1, 1])
departments = sorted({d for d, _ in groups if d})
department = cols[0].selectbox(tr("院系", "Department"), ["", *departments], key="offline_department",
                               format_func=lambda d: d if d else tr("全部", "All"))
classes = sorted({c for d, c in groups if c and (not department or d == department)})
class_name = cols[1].selectbox(tr("班级", "Class"), ["", *classes], key="offline_class",
                               format_func=lambda c: c if c else tr("全部", "All"))
refunded = cols[2].checkbox(tr("含已退款", "Include refunded"), key="offline_refunded")

with refusal_stops_page(), database().session() as session:
    rows = offline_shooting.paid_list(session, actor, choice.task_id, department=department, class_name=class_name,
                                      include_refunded=refunded)
paid = [r for r in rows if r.status_zh == "已支付"]
st.metric(tr("已支付人数", "Students who have paid"), len(paid))
downloads = st.columns([1, 1, 4])
for column, fmt, name in ((downloads[0], "xlsx", "Excel"), (downloads[1], "csv", "CSV")):
    with refusals():
        export_button(tr(f"导出 {name}", f"Export {name}"), tr(f"下载 {name}", f"Download {name}"),
                      exporter(actor, choice.task_id, fmt, department, class_name),
                      file_name=f"线下拍摄交费名单-{choice.cohort}.{fmt}", mime=mime_type(fmt),
                      key=f"offline_{fmt}", fingerprint=(choice.task_id, department, class_name), container=column)
if not rows:
    st.info(tr("还没有学生支付线下拍摄费用。", "Nobody has paid for on-site shooting yet."))
    st.stop()
st.dataframe(pd.DataFrame(
    [(r.department, r.class_name, r.name, r.student_number, f"****{r.id_last4}",
      yuan(r.amount_fen), r.paid_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if r.paid_at else "",
      r.order_no, tr(r.status_zh, "refunded" if r.status_zh == "已退款" else "paid")) for r in rows],
    columns=[tr("院系", "Department"), tr("班级", "Class"), tr("姓名", "Name"), tr("学号", "Student number"),
             tr("证件号", "ID"), tr("金额", "Amount"), tr("支付时间", "Paid at"), tr("订单号", "Order"),
             tr("状态", "Status")]), hide_index=True, width="stretch")

if paid:
    by_class = pd.DataFrame([(r.department, r.class_name) for r in paid], columns=[tr("院系", "Department"),
                                                                              tr("班级", "Class")])
    st.caption(tr("按院系、班级统计（已支付）", "By department and class (paid)"))
    st.dataframe(by_class.value_counts().rename(tr("人数", "Students")).reset_index(), hide_index=True)

if actor.role in (Role.SUPPORT, Role.ADMIN) and paid:
    st.subheader(tr("退款", "Refund"))
    with st.form("offline_refund_form"):
        target = st.selectbox(tr("订单", "Order"), paid, key="offline_refund_order",
                              format_func=lambda r: f"{r.order_no} · {r.name} · {r.student_number}")
        reason = st.text_area(tr("退款原因（必填，记入审计日志）", "Reason (required, audited)"), key="offline_refund_reason")
        if st.form_submit_button(tr("确认退款", "Refund"), type="primary"):
            commit_then_reload(lambda session: offline_shooting.refund(session, actor, target.payment_id, reason),
                               tr("已退款。", "Refunded."))
