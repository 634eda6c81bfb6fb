"""Grid review: a page of clear cases (every check passed, face band 同一人) as thumbnails; the
reviewer marks the exceptions and approves the rest with one key.

Keys: arrows move the focus · X then 1–9, 0 marks the focused photo for rejection with that reason
(the digit alone works too; X on a marked photo clears it) · Enter or A decides the page (each photo
recorded on its own, as on the single screen) · U undoes the last page · ? every shortcut.
The page's photos are held by this reviewer while shown; each decision goes through the review
service one by one, so audit, notifications and second-review sampling are exactly the same.
"""

from __future__ import annotations

import streamlit as st

from core.domain.reasons import REJECTION_REASONS
from core.errors import DomainError
from core.services import review_grid
from core.services.review import QueueFilter
from core.services.review_grid import GridTile
from uikit.plain import plain
from workbench import photo_compare, review_panel
from workbench.context import database, require_actor
from workbench.i18n import lang, tr
from workbench.navigation import PAGES_DIR
from workbench.photo_widgets import cached_photo

actor = require_actor()

COLUMNS = 8
TILES, FOCUS, MARKS, CHOOSING, UNDO, FLASH = "gr_tiles", "gr_focus", "gr_marks", "gr_choosing", "gr_undo_stack", "gr_flash"
REASON_KEYS = [str(n) for n in range(1, 10)] + ["0"]
NUMBERED = [r for r in REJECTION_REASONS if not r.needs_note][: len(REASON_KEYS)]
SHORTCUTS = {
    "zh": [("← → ↑ ↓", "移动焦点"), ("X", "标记/取消标记焦点照片为驳回，再按数字选择原因"),
           ("1–9, 0", "以该原因驳回焦点照片"), ("Enter / A", "决定本页：已标记的驳回，其余全部通过"),
           ("U", "撤销上一页的全部决定")],
    "en": [("← → ↑ ↓", "Move the focus"), ("X", "Mark / unmark the focused photo for rejection, then a digit for the reason"),
           ("1–9, 0", "Reject the focused photo with that reason"),
           ("Enter / A", "Decide the page: marked photos rejected, all others approved"),
           ("U", "Undo the last page's decisions")],
}
TOAST_ICONS = {"success": ":material/check_circle:", "info": ":material/undo:", "warning": ":material/warning:",
               "error": ":material/error:"}

for name, default in ((MARKS, {}), (FOCUS, 0), (CHOOSING, False), (UNDO, [])):
    st.session_state.setdefault(name, default)


def reason_label(code: str) -> str:
    return review_panel.reason_label(code)


def filters() -> QueueFilter:
    """The queue's own filters, when the reviewer set some there."""
    chosen = st.session_state.get("rq_filters")
    return chosen if isinstance(chosen, QueueFilter) else QueueFilter()


def tiles() -> list[GridTile]:
    """This page's photos, claimed once and kept until the page is decided."""
    if st.session_state.get(TILES) is None:
        with database().session() as session:
            page = review_grid.claim_grid(session, actor, filters())
        st.session_state[TILES] = list(page.tiles)
        st.session_state[MARKS] = {}
        st.session_state[FOCUS] = 0
        st.session_state[CHOOSING] = False
        st.session_state["gr_waiting"] = page.clear_waiting
    return st.session_state[TILES]


def move(step: int) -> None:
    count = len(st.session_state.get(TILES) or [])
    if count:
        st.session_state[FOCUS] = max(0, min(count - 1, st.session_state[FOCUS] + step))
    st.session_state[CHOOSING] = False


def toggle_mark() -> None:
    page = st.session_state.get(TILES) or []
    if not page:
        return
    focused = page[st.session_state[FOCUS]].submission_id
    marks = dict(st.session_state[MARKS])
    if focused in marks:
        del marks[focused]
        st.session_state[CHOOSING] = False
    else:
        st.session_state[CHOOSING] = True
    st.session_state[MARKS] = marks


def mark(code: str) -> None:
    page = st.session_state.get(TILES) or []
    if not page:
        return
    focused = page[st.session_state[FOCUS]].submission_id
    st.session_state[MARKS] = {**st.session_state[MARKS], focused: code}
    st.session_state[CHOOSING] = False


def decide_page() -> None:
    page = st.session_state.get(TILES) or []
    if not page:
        return
    try:
        with database().session() as session:
            outcome = review_grid.decide_grid(session, actor, [t.submission_id for t in page],
                                              dict(st.session_state[MARKS]))
    except DomainError as refusal:
        st.session_state[FLASH] = ("warning", refusal.message(lang()))
        return
    if outcome.decision_ids:
        st.session_state[UNDO] = [*st.session_state[UNDO], list(outcome.decision_ids)]
    text = tr(f"已通过 {len(outcome.approved)} 张，驳回 {len(outcome.rejected)} 张。",
              f"Approved {len(outcome.approved)}, rejected {len(outcome.rejected)}.")
    if outcome.refused:
        text += tr(f" {len(outcome.refused)} 张已被他人处理，未保存。",
                   f" {len(outcome.refused)} taken by someone else, not saved.")
    st.session_state[FLASH] = ("warning" if outcome.refused else "success", text)
    st.session_state[TILES] = None


def undo_page() -> None:
    stack = st.session_state[UNDO]
    if not stack:
        return
    current = st.session_state.get(TILES) or []
    try:
        with database().session() as session:
            back = review_grid.undo_grid(session, actor, stack[-1])
            review_grid.release_grid(session, actor, [t.submission_id for t in current if t.submission_id not in back])
    except DomainError as refusal:
        st.session_state[FLASH] = ("error", refusal.message(lang()))
        return
    st.session_state[UNDO] = stack[:-1]
    st.session_state[TILES] = None
    st.session_state[FLASH] = ("info", tr(f"已撤销上一页的 {len(back)} 个决定，请重新审核。",
                                          f"Undid the last page's {len(back)} decisions; review them again."))


def focus_css(page: list[GridTile]) -> None:
    """The focused tile gets a thick outline and marked tiles a hatched border: shape, not colour only."""
    rules = ["[class*='st-key-gt_'] p{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
             f".st-key-gt_{st.session_state[FOCUS]}{{outline:4px solid #1c64f2;outline-offset:2px}}"]
    rules += [f".st-key-gt_{i}{{border:3px dashed #b42318 !important}}"
              for i, t in enumerate(page) if t.submission_id in st.session_state[MARKS]]
    st.html("<style>" + "".join(rules) + "</style>")


def tile(index: int, item: GridTile) -> None:
    code = st.session_state[MARKS].get(item.submission_id)
    with st.container(key=f"gt_{index}", border=True):
        try:
            st.image(cached_photo(item.thumbnail_sha or item.standardised_sha or ""), width="stretch")
        except DomainError:
            st.caption(tr("照片无法读取", "Photo unreadable"))
        state = (f":material/cancel: {tr('驳回', 'Reject')}：{reason_label(code)}" if code
                 else f":material/check_circle: {tr('通过', 'Approve')}")
        focus = ":material/arrow_right: " if index == st.session_state[FOCUS] else ""
        st.caption(f"{focus}{plain(item.student_name)}  \n{state}")


@st.fragment
def work_area() -> None:
    message = st.session_state.pop(FLASH, None)
    if message:
        st.toast(plain(message[1]), icon=TOAST_ICONS[message[0]])
    page = tiles()
    marked = len(st.session_state[MARKS])
    counters.markdown(tr(
        f"本页 **{len(page)}** 张 · 标记驳回 **{marked}** 张 · 其余 **{len(page) - marked}** 张将通过 · "
        f"另有 **{st.session_state.get('gr_waiting', 0):,}** 张清晰照片待审",
        f"This page **{len(page)}** · marked for rejection **{marked}** · **{len(page) - marked}** will be approved · "
        f"**{st.session_state.get('gr_waiting', 0):,}** more clear photos waiting",
    ))
    keys = st.columns([1, 1, 1, 1, 2.6, 2.4, 2.4, 2.4, 2.4], vertical_alignment="center")
    for col, (label, key, step) in zip(keys, (("←", "left", -1), ("→", "right", 1), ("↑", "up", -COLUMNS),
                                              ("↓", "down", COLUMNS)), strict=False):
        col.button(label, key=f"gr_{key}", shortcut=key, on_click=move, args=(step,), width="stretch")
    keys[4].button(tr("标记驳回", "Mark"), key="gr_mark", shortcut="x", on_click=toggle_mark, width="stretch",
                   icon=":material/close:")
    with keys[5].container(height=40, border=False):
        if st.session_state[CHOOSING]:
            st.markdown(tr("**请按 1–9、0 选择驳回原因**", "**Press 1–9, 0 for the reason**"))
    keys[6].button(tr("决定本页", "Decide page"), key="gr_decide", shortcut="enter", type="primary",
                   on_click=decide_page, width="stretch", icon=":material/done_all:", disabled=not page)
    keys[7].button(tr("通过其余", "Approve the rest"), key="gr_approve", shortcut="a", on_click=decide_page,
                   width="stretch", disabled=not page)
    keys[8].button(tr("撤销上一页", "Undo last page"), key="gr_undo", shortcut="u", on_click=undo_page,
                   width="stretch", disabled=not st.session_state[UNDO])
    if not page:
        st.success(tr("没有待审核的清晰照片（全部检测通过且人像比对为“同一人”）。",
                      "No clear photos waiting (all checks passed and face band 'same person')."),
                   icon=":material/task_alt:")
        return
    focus_css(page)
    for start in range(0, len(page), COLUMNS):
        for offset, col in enumerate(st.columns(COLUMNS, gap="small")):
            if start + offset < len(page):
                with col:
                    tile(start + offset, page[start + offset])
    rows = (NUMBERED[:5], NUMBERED[5:])
    for row in rows:
        for col, reason in zip(st.columns(5), row, strict=False):
            col.button(reason.label_zh if lang() == "zh" else reason.label_en, key=f"gr_reject_{reason.code}",
                       shortcut=REASON_KEYS[NUMBERED.index(reason)], width="stretch", on_click=mark,
                       args=(reason.code,))


review_panel.layout_css()
heading, counters, back_place, help_place = st.columns([3, 8, 1.8, 1.4], vertical_alignment="center")
heading.title(tr("宫格审核", "Grid review"))
counters = counters.empty()
back_place.page_link(str(PAGES_DIR / "review_queue.py"), label=tr("单张审核", "Single mode"), icon=":material/fact_check:")
with help_place:
    review_panel.help_button("gr_help", SHORTCUTS[lang()], photo_keys=False)
photo_compare.question_mark("gr_help")
work_area()
