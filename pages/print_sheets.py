"""纸质照片打印: print sheets from approved photos, previewed on screen first, then a ZIP of the
sheets (PDF or JPEG at 300 dpi) with a shipping list and a packing slip per mailing destination."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from core.config import settings
from core.domain.enums import MailingMode, Role
from core.domain.quotas import CHINA
from core.errors import DomainError
from core.imaging.print_sheet import PaperSize, PhotoSize
from core.services import printing
from uikit.downloads import download_button
from uikit.plain import plain
from workbench.context import database, photo_store, require_actor
from workbench.i18n import lang, tr
from workbench.registrar import pick_school_and_task
from workbench.widgets import commit_then_reload, refusals, show_error, show_flash

RUN_KEY = "print_run_path"

actor = require_actor()
st.title(tr("纸质照片打印", "Printed photos"))
show_flash()
store = photo_store()
school, task = pick_school_and_task(actor)


def size_label(size: PhotoSize | None) -> str:
    if size is None:
        return tr("不含纸质照片", "No printed photos")
    return size.label_zh if lang() == "zh" else size.label_en


if actor.role is Role.ADMIN:
    with st.expander(tr("纸质照片设置（本任务）", "Printed photos for this task"), icon=":material/settings:"), \
            st.form(f"print_options_{task.id}"):
        sizes: list[PhotoSize | None] = [None, *PhotoSize]
        size = st.selectbox(tr("照片规格", "Photo size"), sizes, index=sizes.index(task.print_photo_size),
                            key="print_option_size", format_func=size_label)
        paper = st.selectbox(tr("相纸", "Paper"), list(PaperSize), index=list(PaperSize).index(task.print_paper),
                             format_func=lambda p: p.label_zh if lang() == "zh" else p.label_en) or task.print_paper
        copies = st.number_input(tr("每人张数", "Copies per student"), min_value=1, max_value=printing.MAX_COPIES,
                                 value=task.print_copies)
        if st.form_submit_button(tr("保存", "Save"), type="primary"):
            commit_then_reload(
                lambda session: printing.set_options(session, actor, task.id, size, paper, int(copies)),
                tr("已保存。", "Saved."))

if task.print_photo_size is None:
    st.info(tr("该采集任务的服务不含纸质照片。", "This task's service includes no printed photos."))
    st.stop()

with database().session() as session:
    try:
        plan = printing.plan(session, actor, task.id)
    except DomainError as error:
        show_error(error)
        st.stop()

mode = tr("邮寄到学校/站点", "mailed to the school site") if plan.mailing_mode is MailingMode.TO_SCHOOL else \
    tr("邮寄到学生本人地址", "mailed to each student")
st.caption(tr(f"{size_label(plan.photo_size)} · {plan.paper.label_zh} · 每人 {plan.copies} 张 · 每版 {plan.per_sheet} 张 · {mode}",
              f"{size_label(plan.photo_size)} · {plan.paper.label_en} · {plan.copies} per student · "
              f"{plan.per_sheet} per sheet · {mode}"))
metrics = st.columns(4)
metrics[0].metric(tr("待打印学生", "Students to print"), plan.students)
metrics[1].metric(tr("印张", "Sheets"), plan.sheets)
metrics[2].metric(tr("邮寄目的地", "Destinations"), len(plan.destinations))
metrics[3].metric(tr("已打印", "Already printed"), len(plan.printed))

if plan.held:
    st.warning(tr(f"{len(plan.held)} 名学生暂不能打印：", f"{len(plan.held)} students cannot be printed yet:"))
    st.dataframe(pd.DataFrame([(s.name, s.student_number, why) for s, why in plan.held],
                              columns=[tr("姓名", "Name"), tr("学号", "Student number"), tr("原因", "Reason")]),
                 hide_index=True)

if plan.destinations:
    st.subheader(tr("按邮寄目的地", "By destination"))
    st.dataframe(pd.DataFrame([(d.address, len(d.students), plan.sheets_for(d)) for d in plan.destinations],
                              columns=[tr("收件地址", "Address"), tr("学生", "Students"), tr("印张", "Sheets")]),
                 hide_index=True, width="stretch")
    st.subheader(tr("印张预览", "Sheet preview"))
    with refusals(), database().session() as session:
        previews = printing.preview(session, actor, task.id, store)
        columns = st.columns(3)
        for n, sheet in enumerate(previews):
            columns[n % 3].image(sheet.png, caption=plain(f"{sheet.destination} · {sheet.index}/{sheet.of}"),
                                 width="stretch")
        if plan.sheets > len(previews):
            st.caption(tr(f"仅预览前 {len(previews)} 版，共 {plan.sheets} 版。",
                          f"Showing the first {len(previews)} of {plan.sheets} sheets."))
    st.caption(tr("打印时请选择“实际大小/100%”，不要“适合页面”，照片尺寸才准确。",
                  "Print at actual size (100%), not fit to page, so the photos come out at their true size."))
    actions = st.columns([1, 1, 3])
    for column, fmt, name in ((actions[0], "pdf", "PDF"), (actions[1], "jpeg", "JPEG")):
        if column.button(tr(f"生成打印文件（{name}）", f"Build the print files ({name})"), key=f"print_build_{fmt}",
                         icon=":material/print:"):
            try:
                with database().session() as session:
                    run = printing.build_run(session, actor, task.id, store, settings().prints_dir, fmt=fmt)
            except DomainError as error:
                show_error(error)
            else:
                st.session_state[RUN_KEY] = (task.id, str(run.path), run.number)
                st.rerun()
else:
    st.success(tr("没有待打印的照片。", "Nothing left to print."))

prepared = st.session_state.get(RUN_KEY)
if prepared and prepared[0] == task.id and Path(prepared[1]).exists():
    st.success(tr(f"打印批次 {prepared[2]} 已生成，文件保存在服务器数据目录中。",
                  f"Print run {prepared[2]} is ready; it is kept in the server's data folder."))
    download_button(tr("下载打印文件（ZIP）", "Download the print files (ZIP)"), Path(prepared[1]).read_bytes(),
                    file_name=f"{prepared[2]}.zip", mime="application/zip", key="print_download", type="primary")

if plan.printed:
    st.subheader(tr("已打印 · 重印", "Printed · reprint"))
    st.dataframe(pd.DataFrame(
        [(s.name, s.student_number, f"****{s.id_last4}", s.printed_times,
          s.last_printed_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if s.last_printed_at else "")
         for s in plan.printed],
        columns=[tr("姓名", "Name"), tr("学号", "Student number"), tr("证件号", "ID"), tr("打印次数", "Times printed"),
                 tr("最近打印", "Last printed")]), hide_index=True, width="stretch")
    with st.form("print_reprint"):
        chosen = st.multiselect(tr("重印学生", "Students to reprint"), plan.printed, key="print_reprint_students",
                                placeholder=tr("选择学生", "Choose students"),
                                format_func=lambda s: f"{s.name} · {s.student_number}")
        reason = st.text_area(tr("重印原因（必填，记入审计日志）", "Reason (required, audited)"), key="print_reprint_reason")
        fmt = st.radio(tr("格式", "Format"), printing.FORMATS, horizontal=True, key="print_reprint_format",
                       format_func=str.upper)
        submitted = st.form_submit_button(tr("生成重印文件", "Build the reprint"), type="primary")
    if submitted and not chosen:
        st.error(tr("请选择要重印的学生。", "Choose the students to reprint."))
    elif submitted:
        try:
            with database().session() as session:
                run = printing.build_run(session, actor, task.id, store, settings().prints_dir, fmt=fmt,
                                         reprint_ids=[s.record_id for s in chosen], reason=reason)
        except DomainError as error:
            show_error(error)
        else:
            st.session_state[RUN_KEY] = (task.id, str(run.path), run.number)
            st.rerun()
