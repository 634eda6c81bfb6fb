"""Second review for senior reviewers: the flagged photos, blind to the first decision, and the
disagreements with both reviewers' reasons, settled here by a third senior (or at once, when the
policy lets the second review stand).

Keys: A agree the photo is fine (approve) · 1–9, 0 reject with that reason · O other · S skip ·
G frame guides · ? every shortcut. Same layout as the review queue: both photos at native size above
the fold, the outcome of a decision in a toast.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.domain.enums import Decision, SettlementMode, SettlementOutcome
from core.domain.reasons import REJECTION_REASONS
from core.domain.states import STATE_LABELS_EN, STATE_LABELS_ZH
from core.errors import Conflict, DomainError
from core.services import review, review_second, review_settle
from core.services.policy import get_policy
from core.services.review_second import Disagreement
from core.services.review_view import review_item
from uikit.plain import plain
from workbench import review_panel
from workbench.photo_widgets import show_photo
from workbench.context import database, require_actor
from workbench.i18n import lang, tr

actor = require_actor()

CURRENT, SKIPPED, FLASH, NOTE = "sr_current", "sr_skipped", "sr_flash", "sr_note"
REASON_KEYS = [str(n) for n in range(1, 10)] + ["0"]
NUMBERED = [r for r in REJECTION_REASONS if not r.needs_note][: len(REASON_KEYS)]
OTHER = next(r for r in REJECTION_REASONS if r.needs_note)
WHY = {
    "sampled": ("随机抽检", "Random sample"),
    "face_not_same": ("人像比对非“同一人”", "Face band not 'same'"),
    "quota_override": ("配额调整", "Quota override"),
}

SHORTCUTS = {"zh": [("A", "合格（通过）"), ("1–9, 0", "按编号的原因驳回"), ("O", "其他原因驳回（需填写复核意见）"),
                    ("S", "跳过"), ("G", "显示/隐藏框线")],
             "en": [("A", "Fine (approve)"), ("1–9, 0", "Reject with that numbered reason"),
                    ("O", "Reject: other (note needed)"), ("S", "Skip"), ("G", "Frame guides on/off")]}
TOAST_ICONS = {"success": ":material/check_circle:", "warning": ":material/warning:", "error": ":material/error:"}

st.session_state.setdefault(SKIPPED, [])


def shortcut_keys() -> list[tuple[str, str]]:
    numbered = [(REASON_KEYS[i], reason.label_zh if lang() == "zh" else reason.label_en)
                for i, reason in enumerate(NUMBERED)]
    return [*SHORTCUTS[lang()], *numbered]


def toggle_guides() -> None:
    st.session_state["sr_guides"] = not st.session_state.get("sr_guides", False)


def decide(decision: Decision, reason_code: str | None) -> None:
    current = st.session_state.get(CURRENT)
    if current is None:
        return
    try:
        with database().session() as session:
            opinion = review_second.decide_second(session, actor, current, decision, reason_code=reason_code,
                                                  note=st.session_state.get(NOTE, ""))
    except Conflict as conflict:
        st.session_state[FLASH] = ("error", conflict.message(lang()))
    except DomainError as refusal:
        st.session_state[FLASH] = ("warning", refusal.message(lang()))
        return
    else:
        st.session_state[FLASH] = ("success", opinion_message(opinion))
    st.session_state[CURRENT] = None
    st.session_state[NOTE] = ""


def state_label(state) -> str:
    return STATE_LABELS_ZH[state] if lang() == "zh" else STATE_LABELS_EN[state]


def opinion_message(opinion: review_second.SecondOpinion) -> str:
    if opinion.agrees:
        return tr("复核已保存。", "Second review saved.")
    if opinion.settlement is None:
        return tr("复核已保存：与初审不一致，等待另一名复核员裁定。",
                  "Second review saved: it disagrees with the first; another senior settles it.")
    return tr("复核已保存：与初审不一致，按规则以复核结论为准。", "Second review saved: it disagrees; the second review stands.") + \
        outcome_text(opinion.settlement.outcome, opinion.settlement.state_after)


def outcome_text(outcome: SettlementOutcome, state) -> str:
    return {
        SettlementOutcome.APPLIED: tr(f"照片已改为“{state_label(state)}”，已通知学生。",
                                      f"The photo is now '{state_label(state)}'; the student was told."),
        SettlementOutcome.UNCHANGED: tr("照片状态不变。", "The photo's state is unchanged."),
        SettlementOutcome.SUPERSEDED: tr("学生已提交新照片，旧照片保持不变。",
                                         "The student already has a newer photo; the old one stays as it was."),
        SettlementOutcome.REPLACE_ON_CHSI: tr("照片已上传学信网，不能撤回：已通知学籍管理员在学信网更换。",
                                              "The photo already went to CHSI: the registrar is told to replace it there."),
    }[outcome]


def skip() -> None:
    current = st.session_state.get(CURRENT)
    if current is None:
        return
    with database().session() as session:
        review.release(session, actor, current, skipped=True)
    st.session_state[SKIPPED] = [*st.session_state[SKIPPED], current]
    st.session_state[CURRENT] = None


@st.fragment
def work_area() -> None:
    with database().session() as session:
        claimed = review_second.claim_next_second(session, actor, exclude=tuple(st.session_state[SKIPPED]))
        st.session_state[CURRENT] = claimed.submission_id if claimed else None
        item = review_item(session, actor, claimed.submission_id, blind=True) if claimed else None
        why = claimed.second_review_reason if claimed else None
        depth = review_second.second_queue_depth(session, actor)
    if why in WHY:
        reason = WHY[why][0 if lang() == "zh" else 1]
        counters.markdown(tr(f"待复核 **{depth:,}** · 复核原因：**{reason}** · 看不到初审结论，请独立判断。",
                             f"Waiting **{depth:,}** · why: **{reason}** · the first decision is hidden; judge independently."))
    else:
        counters.markdown(tr(f"待复核 **{depth:,}**", f"Waiting **{depth:,}**"))
    message = st.session_state.pop(FLASH, None)
    if message:
        st.toast(plain(message[1]), icon=TOAST_ICONS[message[0]])
    if item is None:
        st.success(tr("没有待复核的照片。", "Nothing is waiting for second review."), icon=":material/task_alt:")
        if st.session_state[SKIPPED]:
            st.button(tr("重新查看跳过的照片", "Show skipped photos again"), key="sr_unskip",
                      on_click=lambda: st.session_state.update({SKIPPED: []}))
        return
    guides = st.session_state.get("sr_guides", False)
    review_panel.render(item, guides=guides, help_key="sr_help")
    top = st.columns([3, 2, 2, 8, 3], vertical_alignment="center")
    top[0].button(tr("合格（通过）", "Fine (approve)"), key="sr_approve", type="primary", shortcut="a",
                  icon=":material/check:", on_click=decide, args=(Decision.APPROVE, None), width="stretch")
    top[1].button(tr("跳过", "Skip"), key="sr_skip", shortcut="s", on_click=skip, width="stretch")
    top[2].button(tr("框线", "Guides"), key="sr_guides_btn", shortcut="g", on_click=toggle_guides, width="stretch",
                  type="primary" if guides else "secondary")
    top[3].text_input(tr("复核意见", "Note"), key=NOTE, label_visibility="collapsed",
                      placeholder=tr("复核意见（选“其他”时必填）", "Note (required for 'other')"))
    top[4].button(OTHER.label_zh if lang() == "zh" else OTHER.label_en, key="sr_reject_other", shortcut="o",
                  on_click=decide, args=(Decision.REJECT, OTHER.code), width="stretch")
    for row in (NUMBERED[:5], NUMBERED[5:]):
        for col, reason_ in zip(st.columns(5), row, strict=False):
            col.button(reason_.label_zh if lang() == "zh" else reason_.label_en, key=f"sr_reject_{reason_.code}",
                       shortcut=REASON_KEYS[NUMBERED.index(reason_)], on_click=decide,
                       args=(Decision.REJECT, reason_.code), width="stretch")
    review_panel.details(item, guides=guides, show_raw=False, blind=True)


def verdict(decision: Decision, code: str | None, note: str) -> str:
    text = f"{review_panel.decision_label(decision)} {review_panel.reason_label(code)}".strip()
    return f"{text}（{note}）" if note else text


def settle(submission_id: int, decision: Decision) -> None:
    try:
        with database().session() as session:
            settled = review_settle.settle(session, actor, submission_id, decision,
                                           note=st.session_state.get(f"st_note_{submission_id}", ""))
    except DomainError as refusal:
        st.session_state[FLASH] = ("error", refusal.message(lang()))
        return
    st.session_state[FLASH] = ("success", tr(f"已裁定为“{review_panel.decision_label(decision)}”。",
                                             f"Settled: {review_panel.decision_label(decision)}. ")
                               + outcome_text(settled.outcome, settled.state_after))


def adjudicate(rows: list[Disagreement]) -> None:
    """The waiting disagreements, one at a time: the photo beside the enrolment photo, both verdicts,
    and the two ways to settle it."""
    if not rows:
        st.success(tr("没有等待裁定的分歧。", "No disagreement waits to be settled."), icon=":material/task_alt:")
        return
    chosen = st.selectbox(tr("待裁定的照片", "Photo to settle"), rows, key="st_pick",
                          format_func=lambda r: f"#{r.submission_id} {plain(r.student_name)} · {plain(r.school_name)}")
    if chosen is None:
        return
    with database().session() as session:
        item = review_item(session, actor, chosen.submission_id)
    photos = st.columns([1, 1, 3])
    with photos[0]:
        show_photo(item.standardised_sha, tr("采集照片", "Captured photo"), width=200)
    with photos[1]:
        show_photo(item.enrolment_sha, tr("入学照片", "Enrolment photo"), width=200,
                   missing=tr("没有入学照片", "No enrolment photo"))
    with photos[2]:
        st.markdown(tr(f"**初审**（{plain(chosen.first_reviewer)}）：{plain(verdict(chosen.first_decision, chosen.first_reason_code, chosen.first_note))}",
                       f"**First review** ({plain(chosen.first_reviewer)}): {plain(verdict(chosen.first_decision, chosen.first_reason_code, chosen.first_note))}"))
        st.markdown(tr(f"**复核**（{plain(chosen.second_reviewer)}）：{plain(verdict(chosen.second_decision, chosen.second_reason_code, chosen.second_note))}",
                       f"**Second review** ({plain(chosen.second_reviewer)}): {plain(verdict(chosen.second_decision, chosen.second_reason_code, chosen.second_note))}"))
        st.caption(tr(f"照片当前状态：{state_label(chosen.state)} · 复核时间 {review_panel.local_time(chosen.second_decided_at)}",
                      f"Photo now: {state_label(chosen.state)} · second review {review_panel.local_time(chosen.second_decided_at)}"))
        mine = actor.id in (chosen.first_reviewer_id, chosen.second_reviewer_id)
        if mine:
            st.info(tr("您参与了这张照片的审核，须由另一名复核员裁定。",
                       "You reviewed this photo; another senior must settle it."))
        st.text_input(tr("裁定说明（驳回时学生可见）", "Note (the student reads it with a rejection)"),
                      key=f"st_note_{chosen.submission_id}", disabled=mine)
        buttons = st.columns(2)
        rejecting = (chosen.first_reason_code if chosen.first_decision is Decision.REJECT
                     else chosen.second_reason_code)
        buttons[0].button(tr("裁定：通过", "Settle: approve"), key="st_approve", type="primary", disabled=mine,
                          icon=":material/check:", on_click=settle, args=(chosen.submission_id, Decision.APPROVE),
                          width="stretch")
        buttons[1].button(tr(f"裁定：驳回（{review_panel.reason_label(rejecting)}）",
                             f"Settle: reject ({review_panel.reason_label(rejecting)})"), key="st_reject",
                          disabled=mine, icon=":material/close:", on_click=settle,
                          args=(chosen.submission_id, Decision.REJECT), width="stretch")


def settled_table(rows: list[Disagreement]) -> None:
    if not rows:
        st.info(tr("还没有裁定过的分歧。", "No disagreement settled yet."))
        return
    ways = {SettlementMode.ADJUDICATION: tr("裁定", "adjudicated"),
            SettlementMode.SECOND_STANDS: tr("以复核为准", "second stands")}
    outcomes = {SettlementOutcome.APPLIED: tr("照片已按裁定改变", "photo changed"),
                SettlementOutcome.UNCHANGED: tr("照片状态不变", "unchanged"),
                SettlementOutcome.SUPERSEDED: tr("学生已有新照片", "newer photo in hand"),
                SettlementOutcome.REPLACE_ON_CHSI: tr("已上网，待学籍管理员更换", "on CHSI: registrar replaces it")}
    st.dataframe(pd.DataFrame({
        tr("照片", "Photo"): [r.submission_id for r in rows],
        tr("学生", "Student"): [r.student_name for r in rows],
        tr("初审结论", "First decision"): [f"{r.first_reviewer}：{verdict(r.first_decision, r.first_reason_code, r.first_note)}" for r in rows],
        tr("复核结论", "Second decision"): [f"{r.second_reviewer}：{verdict(r.second_decision, r.second_reason_code, r.second_note)}" for r in rows],
        tr("裁定结果", "Settled"): [verdict(r.settled_decision, r.settled_reason_code, r.settled_note) if r.settled_decision else "—"
                                    for r in rows],
        tr("方式", "How"): [f"{ways[r.settlement_mode]} · {r.settled_by or ''}" if r.settlement_mode else "—" for r in rows],
        tr("照片处理", "Photo"): [outcomes[r.outcome] if r.outcome else "—" for r in rows],
        tr("照片状态", "State"): [state_label(r.state) for r in rows],
        tr("裁定时间", "When"): [review_panel.local_time(r.settled_at) for r in rows],
    }), hide_index=True)


def disagreement_section() -> None:
    with database().session() as session:
        waiting = review_second.disagreements(session, actor, pending=True)
        settled = review_second.disagreements(session, actor, pending=False)
        mode = get_policy(session).disagreement_settlement
    st.subheader(tr("初审与复核不一致", "Disagreements between first and second review"))
    st.caption(tr(f"处理方式：{mode.label_zh}（管理员在“阈值与规则”中设置）。",
                  f"How they are settled: {mode.label_en} (admins set it under Thresholds & policy)."))
    pending_tab, settled_tab = st.tabs([tr(f"待裁定（{len(waiting)}）", f"Waiting ({len(waiting)})"),
                                        tr(f"已裁定（{len(settled)}）", f"Settled ({len(settled)})")])
    with pending_tab:
        adjudicate(waiting)
    with settled_tab:
        settled_table(settled)


review_panel.layout_css()
heading, counters, help_place = st.columns([2, 9, 1.4], vertical_alignment="center")
heading.title(tr("复核", "Second review"))
counters = counters.empty()
with help_place:
    review_panel.help_button("sr_help", shortcut_keys())
work_area()
disagreement_section()
