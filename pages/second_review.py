"""Second review for senior reviewers: the flagged photos, blind to the first decision, and the list
of disagreements with both reviewers' reasons.

Keys: A agree the photo is fine (approve) · 1–9, 0 reject with that reason · O other · S skip ·
G frame guides · ? every shortcut. Same layout as the review queue: both photos at native size above
the fold, the outcome of a decision in a toast.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.domain.enums import Decision
from core.domain.reasons import REJECTION_REASONS
from core.errors import Conflict, DomainError
from core.services import review, review_second
from core.services.review_view import review_item
from uikit.plain import plain
from workbench import review_panel
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
            review_second.decide_second(session, actor, current, decision, reason_code=reason_code,
                                        note=st.session_state.get(NOTE, ""))
    except Conflict as conflict:
        st.session_state[FLASH] = ("error", conflict.message(lang()))
    except DomainError as refusal:
        st.session_state[FLASH] = ("warning", refusal.message(lang()))
        return
    else:
        st.session_state[FLASH] = ("success", tr("复核已保存。", "Second review saved."))
    st.session_state[CURRENT] = None
    st.session_state[NOTE] = ""


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
        st.session_state[CURRENT] = claimed.id if claimed else None
        item = review_item(session, actor, claimed.id, blind=True) if claimed else None
        why = claimed.second_review_reason if claimed else None
        depth = review_second.second_queue_depth(session, actor)
    reason = WHY[why][0 if lang() == "zh" else 1] if why in WHY else "—"
    counters.markdown(tr(f"待复核 **{depth:,}** · 复核原因：**{reason}** · 看不到初审结论，请独立判断。",
                         f"Waiting **{depth:,}** · why: **{reason}** · the first decision is hidden; judge independently."))
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


def disagreement_table() -> None:
    with database().session() as session:
        rows = review_second.disagreements(session, actor)
    if not rows:
        st.info(tr("目前没有初审与复核不一致的照片。", "No disagreements so far."))
        return

    def verdict(decision: Decision, code: str | None, note: str) -> str:
        text = f"{review_panel.decision_label(decision)} {review_panel.reason_label(code)}".strip()
        return f"{text}（{note}）" if note else text

    st.dataframe(pd.DataFrame({
        tr("照片", "Photo"): [r.submission_id for r in rows],
        tr("学生", "Student"): [r.student_name for r in rows],
        tr("学校", "School"): [r.school_name for r in rows],
        tr("复核原因", "Why"): [WHY.get(r.second_review_reason or "", ("—", "—"))[0 if lang() == "zh" else 1] for r in rows],
        tr("初审", "First reviewer"): [r.first_reviewer for r in rows],
        tr("初审结论", "First decision"): [verdict(r.first_decision, r.first_reason_code, r.first_note) for r in rows],
        tr("复核人", "Senior"): [r.second_reviewer for r in rows],
        tr("复核结论", "Second decision"): [verdict(r.second_decision, r.second_reason_code, r.second_note) for r in rows],
        tr("复核时间", "When"): [review_panel.local_time(r.second_decided_at) for r in rows],
    }), hide_index=True)


review_panel.layout_css()
heading, counters, help_place = st.columns([2, 9, 1.4], vertical_alignment="center")
heading.title(tr("复核", "Second review"))
counters = counters.empty()
with help_place:
    review_panel.help_button("sr_help", shortcut_keys())
work_area()
with st.expander(tr("初审与复核结论不一致的照片", "Disagreements between first and second review"),
                 icon=":material/compare_arrows:"):
    disagreement_table()
