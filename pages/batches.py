"""CHSI upload batches: build from approved photos, export the package and manifest, import the
result file. Photos on a temporary shooting code are listed as held back."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from core.config import settings
from core.domain.access import Actor
from core.domain.enums import BatchStatus
from core.domain.states import STATE_LABELS_EN, STATE_LABELS_ZH
from core.export import mime_type
from core.services import batches
from uikit.clock import beijing
from uikit.downloads import download_button, export_button
from workbench.context import database, photo_store, require_actor
from workbench.i18n import lang, tr
from workbench.links import linked_id, show_in_address
from workbench.registrar import pick_school_and_task
from workbench.widgets import counted_progress, refusal_stops_page, refusals

STATUS = {BatchStatus.DRAFT: ("草稿", "Draft"), BatchStatus.EXPORTED: ("已导出", "Exported"),
          BatchStatus.RESULT_IMPORTED: ("已导入结果", "Result imported")}
RESULT = {"pending": ("待上网", "Pending"), "on_chsi": ("已上网", "On CHSI"), "failed": ("上网失败", "Failed")}


def manifest_download(actor: Actor, batch_id: int, fmt: str) -> Callable[[], bytes]:
    def build() -> bytes:
        with database().session() as session:
            return batches.manifest_file(session, actor, batch_id, fmt)
    return build


def state_label(state) -> str:
    return STATE_LABELS_ZH[state] if lang() == "zh" else STATE_LABELS_EN[state]


actor = require_actor()
store = photo_store()
st.title(tr("上网批次", "CHSI upload batches"))
linked = linked_id("batch")
if linked is not None:  # a link to one batch opens its school and task, then the batch
    with refusal_stops_page(), database().session() as session:
        opened = batches.open_batch(session, actor, linked)
        st.session_state.update(registrar_school=opened.school_id, registrar_task=opened.task_id,
                                batch_choice=opened.id)
_, task = pick_school_and_task(actor)

with database().session() as session:
    found = batches.candidates(session, actor, task.id, store)
st.subheader(tr("待打包的照片", "Photos ready for a batch"))
st.caption(tr(f"可打包 {len(found.ready)} 张，暂缓 {len(found.held)} 张。",
              f"{len(found.ready)} ready, {len(found.held)} held back."))
if found.ready:
    st.dataframe(pd.DataFrame(
        [(c.name, c.student_number, f"****{c.id_last4}", state_label(c.state), c.failure_reason or "")
         for c in found.ready],
        columns=[tr("姓名", "Name"), tr("学号", "Student number"), tr("证件号", "ID"), tr("状态", "State"),
                 tr("上次上网失败原因", "Last CHSI failure")]), hide_index=True)
if found.held:
    with st.expander(tr(f"暂缓上网的照片（{len(found.held)}）", f"Held back ({len(found.held)})"), expanded=True):
        st.dataframe(pd.DataFrame(
            [(c.name, c.student_number, f"****{c.id_last4}", c.hold_reason) for c in found.held],
            columns=[tr("姓名", "Name"), tr("学号", "Student number"), tr("证件号", "ID"), tr("原因", "Reason")]),
            hide_index=True)
if st.button(tr("生成上网批次", "Build a batch"), type="primary", disabled=not found.ready, key="build_batch"):
    bar, update = counted_progress("检查照片", "Checking photos", "张", "photos")
    with refusals():
        with database().session() as session:
            built = batches.build_batch(session, actor, task.id, store, progress=update)
            st.session_state["batch_choice"] = built.id
        st.rerun()
    bar.empty()

with database().session() as session:
    listed = {b.id: b for b in batches.list_batches(session, actor, task_id=task.id)}
st.subheader(tr("批次", "Batches"))
if not listed:
    st.caption(tr("还没有批次。", "No batches yet."))
    st.stop()
if st.session_state.get("batch_choice") not in listed:
    st.session_state["batch_choice"] = next(iter(listed))
batch_id = st.selectbox(
    tr("批次", "Batch"), list(listed), key="batch_choice",
    format_func=lambda i: f"{listed[i].number} · {tr(*STATUS[listed[i].status])}")
batch = listed[batch_id]
show_in_address("batch", batch_id)
with database().session() as session:
    items = batches.items_of(session, actor, batch_id)
rows = [(i.name, i.student_number, "****" + i.file_name[-8:], tr(*RESULT[i.result.value]), i.failure_reason or "",
         i.id, i.submission_state) for i in items]
st.dataframe(pd.DataFrame([r[:5] for r in rows], columns=[
    tr("姓名", "Name"), tr("学号", "Student number"), tr("文件名", "File"), tr("上网结果", "CHSI result"),
    tr("失败原因", "Failure reason")]), hide_index=True)

if batch.status is BatchStatus.DRAFT:
    st.caption(tr("批次导出后不可再修改。", "A batch cannot change once it is exported."))
    removable = {r[5]: r for r in rows}
    remove = st.selectbox(tr("从批次移除", "Remove from the batch"), [None, *removable], key="remove_item",
                          format_func=lambda i: "—" if i is None else f"{removable[i][0]} {removable[i][1]}")
    if remove is not None and st.button(tr("移除", "Remove"), key="do_remove"):
        with refusals():
            with database().session() as session:
                batches.remove_item(session, actor, remove)
            st.rerun()
else:
    st.caption(tr(f"导出于 {beijing(batch.exported_at)}（北京时间）· 压缩包校验值 {batch.package_sha256}",
                  f"Exported {beijing(batch.exported_at)} (Beijing time) · package SHA-256 {batch.package_sha256}"))
    st.caption(tr(f"上传包保存在服务器的数据目录中，{settings().export_retention_days} 天后自动删除（可随时再次导出，内容完全一致）。",
                  f"Packages are kept in the server's data folder for {settings().export_retention_days} days "
                  "(a batch can be exported again at any time, byte for byte)."))

actions = st.columns([1, 1, 1, 2])
export_label = tr("导出上传包", "Export the package") if batch.status is BatchStatus.DRAFT else \
    tr("再次导出（与首次完全一致）", "Export again (identical bytes)")
if actions[0].button(export_label, key="export_package", icon=":material/archive:"):
    bar, update = counted_progress("打包照片", "Packing photos", "张", "photos")
    with refusals():
        with database().session() as session:
            package = batches.export_package(session, actor, batch_id, store, settings().exports_dir,
                                             retention_days=settings().export_retention_days, progress=update)
        st.session_state["package_path"] = (batch_id, str(package))
        st.rerun()
    bar.empty()
prepared = st.session_state.get("package_path")
if prepared and prepared[0] == batch_id and Path(prepared[1]).exists():
    download_button(tr("下载上传包", "Download the package"), Path(prepared[1]).read_bytes(),
                    file_name=f"{batch.number}.zip", mime="application/zip", key="download_package",
                    container=actions[0], type="primary")
for column, fmt, label in ((actions[1], "xlsx", "Excel"), (actions[2], "csv", "CSV")):
    with refusals():
        export_button(tr(f"生成清单 {label}", f"Manifest {label}"), tr(f"下载清单 {label}", f"Download manifest {label}"),
                      manifest_download(actor, batch_id, fmt), file_name=f"{batch.number}-清单.{fmt}",
                      mime=mime_type(fmt), key=f"manifest_{fmt}", fingerprint=batch_id, container=column)

if batch.status is not BatchStatus.DRAFT:
    st.subheader(tr("导入学信网上网结果", "Import CHSI's result"))
    st.caption(tr("结果文件（CSV 或 XLSX）需包含“文件名”或“证件号码”列和“结果”列（成功/失败），可选“失败原因”列。",
                  "The result file (CSV or XLSX) needs a file name or ID number column and a result column "
                  "(success/failed), optionally a reason column."))
    result_file = st.file_uploader(tr("结果文件", "Result file"), type=["csv", "xlsx"], key="result_file")
    result_key = (batch_id, hashlib.sha256(result_file.getvalue()).hexdigest() if result_file is not None else None)
    if result_file is not None and st.button(tr("导入结果", "Import the result"), key="import_result"):
        with refusals():
            with database().session() as session:
                report = batches.import_result(session, actor, batch_id, result_file.getvalue(), result_file.name)
            if report.errors:
                st.error(tr("结果文件有问题，未做任何修改：", "The result file has problems; nothing was changed:"))
                st.dataframe(pd.DataFrame([(e.row, tr(e.message_zh, e.message_en)) for e in report.errors],
                                          columns=[tr("行号", "Row"), tr("问题", "Problem")]), hide_index=True)
            else:
                st.session_state["result_report"] = (result_key, report)
                st.rerun()
    shown = st.session_state.get("result_report")
    if shown and shown[0] == result_key:  # the banner belongs to the file it describes
        report = shown[1]
        st.success(tr(f"已上网 {report.on_chsi} 人（已通知学生），上网失败 {report.failed} 人（已回到待打包列表），"
                      f"未变化 {report.unchanged}，仍待上网 {report.still_pending}。",
                      f"{report.on_chsi} on CHSI (students notified), {report.failed} failed (back in the list), "
                      f"{report.unchanged} unchanged, {report.still_pending} still pending."))
