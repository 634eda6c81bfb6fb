"""学生查询: find the caller, see everything about them, open a ticket and fix the problem."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.domain.access import Actor
from core.domain.audit_words import action_name
from core.domain.enums import (
    ConsentChannel,
    NotificationConsent,
    PaymentStatus,
    SubmissionState,
    TicketCategory,
    TicketChannel,
    TicketPriority,
)
from core.domain.reasons import BY_CODE
from core.domain.review_bands import band_of
from core.domain.states import STATE_LABELS_EN, STATE_LABELS_ZH
from core.domain.tickets import OPEN_STATUSES
from core.errors import DomainError
from core.services import support, tickets
from uikit.plain import plain
from workbench.context import database, photo_store, require_actor
from workbench.i18n import lang, tr
from workbench.links import linked_id, show_in_address
from workbench.support import TICKETS_PAGE, canned_answers_panel, china_time, label
from workbench.widgets import commit_then_reload, show_error, show_flash, yuan

RECORD_KEY = "support_record_id"


def search_form(actor: Actor) -> None:
    """The search box; one hit opens the student at once."""
    with st.form("support_search", border=False):
        left, right = st.columns([5, 1], vertical_alignment="bottom")
        query = left.text_input(
            tr("姓名（可部分）、学号、证件号后4位、微信昵称/openid 或工单号",
               "Name (or part), student number, ID last 4, WeChat nickname/openid or ticket number"),
            key="support_query")
        searched = right.form_submit_button(tr("查询", "Search"), type="primary", icon=":material/search:")
        anywhere = st.checkbox(tr("也查找姓名中间的字（如“白云”找到“丁白云”；较慢）",
                                  "Also match inside names (e.g. 白云 finds 丁白云; slower)"), key="support_anywhere")

    if searched:
        st.session_state.pop(RECORD_KEY, None)
        try:
            with database().session() as session:
                hits: list[support.StudentHit] | None = support.search(session, actor, query, anywhere_in_name=anywhere)
        except DomainError as error:
            show_error(error)
            hits = None
        st.session_state["support_hits"] = hits
        if hits is not None and len(hits) == 1:
            st.session_state[RECORD_KEY] = hits[0].record_id


def hit_list() -> None:
    """Several hits (or none): one line each, with a button to open the student."""
    hits = st.session_state.get("support_hits")
    if hits is not None and (len(hits) != 1 or RECORD_KEY not in st.session_state):
        if not hits:
            st.info(tr("没有找到学生。不在名单中的学生请联系学籍部门添加。",
                       "No student found. Students missing from the roster should contact their registrar."))
        for hit in hits:
            cols = st.columns([2, 2, 1, 2, 2, 1], vertical_alignment="center")
            cols[0].markdown(f"**{plain(hit.name)}**")
            cols[1].markdown(plain(hit.student_number))
            cols[2].markdown(plain(hit.id_masked[-4:]))
            cols[3].markdown(plain(hit.school_name))
            cols[4].markdown(plain(f"{hit.category.label_zh} · {hit.cohort}"))
            if cols[5].button(tr("查看", "Open"), key=f"pick_{hit.record_id}"):
                st.session_state[RECORD_KEY] = hit.record_id
                st.session_state["support_hits"] = [hit]
                st.rerun()


def record_header(view: support.StudentView) -> None:
    """Who the student is, and the flags support must see first."""
    r = view.record
    st.divider()
    st.subheader(plain(f"{r.name} · {r.student_number}"), anchor=False)  # no #anchor slug made of data
    st.caption(plain(
        f"{r.school_name}（{r.school_code}） · {r.category.label_zh} · {r.cohort} · "
        + tr("证件号", "ID") + f" {r.id_masked}" + (f" · {r.department} {r.class_name}" if r.department else "")
    ))
    flags = []
    if r.has_chsi_photo:
        flags.append(tr("学信网已有照片", "Already has a CHSI photo"))
    if r.onsite_collected:
        flags.append(tr("已参加现场采集", "Took part in on-site collection"))
    if r.on_temporary_code:
        flags.append(tr("临时拍摄码（未上传学信网采集码）", "Temporary shooting code (no CHSI code yet)"))
    if r.enrolment_error:
        flags.append(tr("学籍照片不可用：", "Enrolment photo unusable: ") + plain(r.enrolment_error))
    for flag in flags:
        st.warning(flag, icon=":material/flag:")


def state_labels() -> dict[SubmissionState, str]:
    return STATE_LABELS_ZH if lang() == "zh" else STATE_LABELS_EN


def state_metrics(view: support.StudentView) -> None:
    """Where the photo stands and what quota is left."""
    labels = state_labels()
    q = view.quota
    link = view.active_link
    latest = view.submissions[0] if view.submissions else None
    m = st.columns(5)
    m[0].metric(tr("当前状态", "Current state"), labels[latest.state] if latest else tr("未拍摄", "No photo"))
    m[1].metric(tr("今日标准化剩余", "Standardisations left today"), f"{q.standardisations_left_today} / {q.daily_limit}",
                help=tr(f"每日限 {q.daily_limit} 次；今日客服已增加 {q.standardisations_granted_today} 次。",
                        f"{q.daily_limit} a day; support added {q.standardisations_granted_today} today."))
    m[2].metric(tr("免费提交剩余", "Free submissions left"), q.free_submissions_left)
    m[3].metric(tr("更换照片剩余", "Replacements left"), q.replacements_left)
    m[4].metric(tr("微信账号", "WeChat account"),
                (plain(link.nickname) if link else tr("未关联", "Not linked")))
    if link is not None:
        st.caption(consent_line(link))


CONSENT_WORDS = {NotificationConsent.GRANTED: ("已允许", "allowed"), NotificationConsent.DECLINED: ("已拒绝", "declined")}
CHANNEL_WORDS = {ConsentChannel.APP: ("学生端", "the student app"), ConsentChannel.API: ("小程序接口", "the API")}


def consent_line(link: support.LinkView) -> str:
    """微信通知授权 of the linked account: the inbox has every notice; WeChat only when allowed."""
    if link.notification_consent is None:
        return tr("微信通知授权：尚未授权（结果只在学生端“消息通知”中显示）",
                  "WeChat notifications: not answered yet (results only in the app's messages)")
    said = CONSENT_WORDS[link.notification_consent]
    channel = CHANNEL_WORDS[link.notification_consent_channel] if link.notification_consent_channel else ("", "")
    when = china_time(link.notification_consent_at)
    return tr(f"微信通知授权：{said[0]}（{when}，{channel[0]}）", f"WeChat notifications: {said[1]} ({when}, {channel[1]})")


def photos_tab(view: support.StudentView) -> None:
    labels = state_labels()
    if not view.submissions:
        st.info(tr("还没有拍摄记录。", "No captures yet."))
    store = photo_store()
    for s in view.submissions:
        with st.container(border=True):
            head = f"#{s.id} · {labels[s.state]}"
            if s.attempt_number:
                head += tr(f" · 第 {s.attempt_number} 次提交", f" · submission {s.attempt_number}")
            st.markdown(f"**{head}** · {china_time(s.captured_at)}")
            photo_col, info_col = st.columns([1, 2])
            sha = s.thumbnail_sha or s.standardised_sha or s.raw_sha
            try:
                photo_col.image(store.get(sha), width=150)
            except DomainError as error:
                photo_col.error(plain(error.message(lang())))
            band = band_of(s.face_verdict)
            score = f"{s.face_similarity:.1f} · " if s.face_similarity is not None else ""
            info_col.write(tr("人像比对", "Face comparison") + f"：{score}:{band.tone}[{band.label(lang())}]")
            if s.processing_error:
                info_col.error(plain(s.processing_error))
            failed = [c for c in s.checks if not c.passed]
            if s.checks:
                info_col.markdown(tr("质量检测：", "Quality checks: ")
                                  + (tr("全部通过", "all passed") if not failed else
                                     plain("；".join(tr(c.message_zh, c.message_en) for c in failed))))
            for d in s.decisions:
                rejection = BY_CODE.get(d.reason_code or "")
                text = (tr("通过", "Approved") if d.decision.value == "approve" else
                        tr("驳回", "Rejected") + (f"：{tr(rejection.label_zh, rejection.label_en)}" if rejection else ""))
                undone = tr("（已撤销）", " (undone)") if d.undone_at else ""
                info_col.markdown(plain(f"{china_time(d.decided_at)} {d.reviewer_name}：{text}{undone} {d.note}"))


def account_tab(view: support.StudentView) -> None:
    st.dataframe(pd.DataFrame(
        [(link.nickname, link.wechat_openid, link.task_title, tr("有效", "Active") if link.active else tr("已解绑", "Unbound"),
          tr("已支付", "Paid") if link.paid else tr("未支付", "Unpaid"), china_time(link.linked_at),
          china_time(link.unlinked_at), link.unlinked_by or "", link.unlink_reason or "") for link in view.links],
        columns=[tr("昵称", "Nickname"), "openid", tr("任务", "Task"), tr("关联", "Link"), tr("支付", "Paid"),
                 tr("关联时间", "Linked"), tr("解绑时间", "Unbound"), tr("解绑人", "By"), tr("原因", "Reason")]),
        hide_index=True)
    st.dataframe(pd.DataFrame(
        [(p.order_no, p.purpose.value, yuan(p.amount_fen), p.status.value, china_time(p.created_at),
          china_time(p.paid_at), china_time(p.refunded_at), p.failure_reason or "") for p in view.payments],
        columns=[tr("订单号", "Order"), tr("用途", "Purpose"), tr("金额", "Amount"), tr("状态", "Status"),
                 tr("创建", "Created"), tr("支付", "Paid"), tr("退款", "Refunded"), tr("失败原因", "Failure")]),
        hide_index=True)


def ledger_tab(view: support.StudentView) -> None:
    q = view.quota
    st.caption(tr(f"已提交 {q.submissions_used} 次（剩余 {q.submissions_left} 次），已更换 {q.replacements_used} 次",
                  f"{q.submissions_used} submitted ({q.submissions_left} left), {q.replacements_used} replaced"))
    st.dataframe(pd.DataFrame(
        [(china_time(e.created_at), e.kind.value, e.entry_type.value, e.amount, e.actor_name, e.reason)
         for e in view.quota_entries],
        columns=[tr("时间", "Time"), tr("类型", "Kind"), tr("记录", "Entry"), tr("次数", "Amount"),
                 tr("操作人", "By"), tr("原因", "Reason")]), hide_index=True)


def notifications_tab(view: support.StudentView) -> None:
    st.dataframe(pd.DataFrame(
        [(china_time(n.created_at), n.title, n.body, tr("已推送微信", "Sent to WeChat") if n.delivered_at else
          tr("仅站内（未授权微信通知）", "Inbox only (no WeChat consent)") if n.withheld else "",
          tr("已读", "Read") if n.read_at else "") for n in view.notifications],
        columns=[tr("时间", "Time"), tr("标题", "Title"), tr("内容", "Body"), tr("送达", "Delivered"),
                 tr("已读", "Read")]), hide_index=True)


def batches_tab(view: support.StudentView) -> None:
    if not view.batches:
        st.info(tr("尚未进入上网批次。审核通过后 7-10 个工作日内上传学信网。",
                   "Not in a CHSI batch yet; approved photos go to CHSI within 7-10 working days."))
    st.dataframe(pd.DataFrame(
        [(b.batch_number, b.batch_status.value, china_time(b.exported_at), b.file_name, b.result.value,
          b.failure_reason or "") for b in view.batches],
        columns=[tr("批次", "Batch"), tr("批次状态", "Batch status"), tr("导出时间", "Exported"),
                 tr("文件", "File"), tr("结果", "Result"), tr("失败原因", "Failure")]), hide_index=True)


def tickets_tab(view: support.StudentView) -> None:
    if not view.tickets:
        st.info(tr("没有工单。", "No tickets."))
    for t in view.tickets:
        overdue = tr("（已超时）", " (overdue)") if t.overdue else ""
        st.page_link(TICKETS_PAGE, label=plain(f"{t.number} · {label(t.status)}{overdue} · {t.subject}"),
                     query_params={"ticket": str(t.id)}, icon=":material/confirmation_number:")


def history_tab(view: support.StudentView) -> None:
    st.dataframe(pd.DataFrame(
        [(china_time(h.at), h.actor_name, action_name(h.action, lang()),
          ", ".join(f"{k}={v}" for k, v in h.detail.items()))
         for h in view.history],
        columns=[tr("时间", "Time"), tr("操作人", "By"), tr("操作", "Action"), tr("详情", "Detail")]),
        hide_index=True)


def new_ticket_panel(actor: Actor, view: support.StudentView) -> None:
    r = view.record
    with st.container(border=True):
        st.markdown("**" + tr("新建工单", "Open a ticket") + "**")
        with st.form("open_ticket", clear_on_submit=True):
            category = st.selectbox(tr("问题类别", "Category"), list(TicketCategory), index=None, format_func=label,
                                    placeholder=tr("请选择", "Choose"), key="new_ticket_category")
            c1, c2 = st.columns(2)
            priority = c1.selectbox(tr("优先级", "Priority"), list(TicketPriority), index=2, format_func=label,
                                    key="new_ticket_priority")
            channel = c2.selectbox(tr("渠道", "Channel"), list(TicketChannel), format_func=label,
                                   key="new_ticket_channel")
            phone = st.text_input(tr("来电号码", "Caller phone"), key="new_ticket_phone")
            subject = st.text_input(tr("问题摘要", "Subject"), key="new_ticket_subject")
            note = st.text_area(tr("备注", "Note"), key="new_ticket_note", height=68)
            if st.form_submit_button(tr("创建工单", "Open ticket"), type="primary"):
                commit_then_reload(
                    lambda s: tickets.open_ticket(s, actor, category=category, subject=subject, channel=channel,
                                                  priority=priority, caller_phone=phone, roster_record_id=r.id,
                                                  assignee_id=actor.id, note=note),
                    tr("工单已创建。", "Ticket opened."))


def actions_panel(actor: Actor, view: support.StudentView, open_tickets: list[tickets.TicketRow]) -> None:
    """The fixes support may make, each with a reason and optionally logged on an open ticket."""
    r = view.record
    link = view.active_link
    with st.container(border=True):
        st.markdown("**" + tr("处理操作", "Actions") + "**")
        actions = {
            "reset": tr("重置今日标准化次数", "Reset today's standardisations"),
            "extend": tr("增加今日标准化次数", "Add standardisations today"),
            "submission": tr("赠送 1 次免费提交", "Grant a free submission"),
            "replacement": tr("赠送 1 次更换照片", "Grant a replacement"),
            "unbind": tr("解绑微信账号", "Unbind WeChat account"),
            "code": tr("上传学信网采集码", "Upload the CHSI collection code"),
            "refund": tr("标记退款", "Mark refunded"),
            "resend": tr("重发通知", "Resend a notification"),
        }
        action = st.selectbox(tr("操作", "Action"), list(actions), format_func=actions.__getitem__,
                              key="support_action")
        with st.form("support_action_form", clear_on_submit=True):
            # No key: when a ticket is opened the options change and the newest ticket is preselected.
            ticket_choices: list[int | None] = [t.id for t in open_tickets] + [None]
            numbers = {t.id: f"{t.number} · {t.subject}" for t in open_tickets}
            ticket_id = st.selectbox(tr("记入工单", "Log on ticket"), ticket_choices,
                                     format_func=lambda i: numbers[i] if i else tr("不记入工单", "None"))
            amount, upload, payment_id, notification_id = 1, None, None, None
            if action == "extend":
                amount = st.number_input(tr("增加次数", "How many"), 1, 10, 1, key="action_amount")
            elif action == "unbind" and link is None:
                st.caption(tr("该学生当前没有关联的微信账号。", "No WeChat account is linked."))
            elif action == "code":
                upload = st.file_uploader(tr("学生发来的采集码图片", "The code image the student sent"),
                                          type=["png", "jpg", "jpeg", "webp", "heic"], key="action_code")
            elif action == "refund":
                paid = {p.id: f"{p.order_no} · {yuan(p.amount_fen)}" for p in view.payments
                        if p.status is PaymentStatus.PAID}
                payment_id = st.selectbox(tr("订单", "Order"), list(paid), format_func=paid.__getitem__,
                                          key="action_payment")
            elif action == "resend":
                sent = {n.id: f"{china_time(n.created_at)} {n.title}" for n in view.notifications}
                notification_id = st.selectbox(tr("通知", "Notification"), list(sent), format_func=sent.__getitem__,
                                               key="action_notification")
            reason = st.text_area(tr("原因（必填，记入审计日志）", "Reason (required, audited)"), key="action_reason",
                                  height=68)
            run = st.form_submit_button(tr("执行", "Run"), type="primary", key="action_run")
        if run:
            done = tr("已完成：", "Done: ") + actions[action]
            calls = {
                "reset": lambda s: support.reset_daily_quota(s, actor, r.id, reason, ticket_id=ticket_id),
                "extend": lambda s: support.extend_daily_quota(s, actor, r.id, int(amount), reason, ticket_id=ticket_id),
                "submission": lambda s: support.grant_submission(s, actor, r.id, reason, ticket_id=ticket_id),
                "replacement": lambda s: support.grant_replacement(s, actor, r.id, reason, ticket_id=ticket_id),
                "unbind": lambda s: support.unbind(s, actor, link.id, reason, ticket_id=ticket_id),
                "code": lambda s: support.link_uploaded_code(s, actor, r.id, upload.getvalue(), reason,
                                                             ticket_id=ticket_id),
                "refund": lambda s: support.refund(s, actor, payment_id, reason, ticket_id=ticket_id),
                "resend": lambda s: support.resend_notification(s, actor, notification_id, reason, ticket_id=ticket_id),
            }
            missing = (
                (action == "unbind" and link is None and tr("没有可解绑的账号。", "Nothing to unbind."))
                or (action == "code" and upload is None and tr("请先上传采集码图片。", "Upload the code image first."))
                or (action == "refund" and payment_id is None and tr("没有已支付的订单。", "No paid order."))
                or (action == "resend" and notification_id is None and tr("没有可重发的通知。", "No notification."))
            )
            if missing:
                st.error(missing)
            else:
                commit_then_reload(calls[action], done)


def main() -> None:
    actor = require_actor()
    st.title(tr("学生查询", "Student lookup"))
    show_flash()

    linked = linked_id("record")
    if linked is not None:
        st.session_state[RECORD_KEY] = linked
    search_form(actor)
    hit_list()

    record_id = st.session_state.get(RECORD_KEY)
    show_in_address("record", record_id)
    if record_id is None:
        with st.expander(tr("常用答复", "Canned answers")):
            canned_answers_panel(key="canned_lookup_empty")
        st.stop()

    try:
        with database().session() as session:
            view = support.student_view(session, actor, record_id)
    except DomainError as error:
        show_error(error)
        st.stop()

    record_header(view)
    state_metrics(view)
    main_column, side = st.columns([3, 2], gap="large")
    with main_column:
        tabs = st.tabs([tr("照片与审核", "Photos & review"), tr("账号与支付", "Account & payments"),
                        tr("次数记录", "Quota ledger"), tr("通知", "Notifications"), tr("上网批次", "CHSI batches"),
                        tr("工单", "Tickets"), tr("操作记录", "History")])
        for tab, render in zip(tabs, (photos_tab, account_tab, ledger_tab, notifications_tab, batches_tab,
                                      tickets_tab, history_tab), strict=True):
            with tab:
                render(view)

    open_tickets = [t for t in view.tickets if t.status in OPEN_STATUSES]
    with side:
        new_ticket_panel(actor, view)
        actions_panel(actor, view, open_tickets)
        with st.container(border=True):
            canned_answers_panel(open_tickets[0].category if open_tickets else None, key="canned_lookup")


main()
