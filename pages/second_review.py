"""Second review for senior reviewers: the flagged photos, blind to the first decision, and the list
of disagreements with both reviewers' reasons.

Keys: A agree the photo is fine (approve) · 1–9, 0 reject with that reason · O other · S skip.
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

st.session_state.setdefault(SKIPPED, [])


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
    st.metric(tr("待复核", "Waiting for second review"), f"{depth:,}")
    message = st.session_state.pop(FLASH, None)
    if message:
        getattr(st, message[0])(plain(message[1]))
    if item is None:
        st.success(tr("没有待复核的照片。", "Nothing is waiting for second review."), icon=":material/task_alt:")
        if st.session_state[SKIPPED]:
            st.button(tr("重新查看跳过的照片", "Show skipped photos again"), key="sr_unskip",
                      on_click=lambda: st.session_state.update({SKIPPED: []}))
        return
    st.caption(tr("复核原因：", "Why: ") + (WHY[why][0 if lang() == "zh" else 1] if why in WHY else "—")
               + tr(" · 看不到初审结论，请独立判断。", " · The first decision is hidden; judge independently."))
    top = st.columns([2, 1, 1, 4], vertical_alignment="center")
    top[0].button(tr("合格（通过）", "Fine (approve)"), key="sr_approve", type="primary", shortcut="a",
                  on_click=decide, args=(Decision.APPROVE, None), width="stretch")
    top[1].button(tr("跳过", "Skip"), key="sr_skip", shortcut="s", on_click=skip)
    top[2].toggle(tr("框线", "Guides"), key="sr_guides")
    for row in (NUMBERED[:5], NUMBERED[5:]):
        cols = st.columns(6)
        for col, reason in zip(cols, row, strict=False):
            col.button(reason.label_zh if lang() == "zh" else reason.label_en, key=f"sr_reject_{reason.code}",
                       shortcut=REASON_KEYS[NUMBERED.index(reason)], on_click=decide,
                       args=(Decision.REJECT, reason.code), width="stretch")
    note, other = st.columns([5, 1], vertical_alignment="bottom")
    note.text_input(tr("复核意见", "Note"), key=NOTE)
    other.button(OTHER.label_zh if lang() == "zh" else OTHER.label_en, key="sr_reject_other", shortcut="o",
                 on_click=decide, args=(Decision.REJECT, OTHER.code), width="stretch")
    review_panel.render(item, guides=st.session_state.get("sr_guides", False), show_raw=False, blind=True)


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


st.title(tr("复核", "Second review"))
work, listing = st.tabs([tr("复核队列", "Queue"), tr("结论不一致", "Disagreements")])
with work:
    work_area()
with listing:
    disagreement_table()
