"""Roster import: upload CSV/XLSX, map columns, preview, validate row by row, import."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.errors import DomainError
from core.services import roster
from workbench.context import database, require_actor
from workbench.i18n import tr
from workbench.registrar import pick_school
from workbench.widgets import refusals, show_error

FIELD_LABELS_EN = {
    "name": "Name", "student_number": "Student number", "id_number": "ID number", "category": "Category",
    "cohort": "Cohort", "department": "Department", "class_name": "Class",
    "has_chsi_photo": "Already has a CHSI photo", "onsite_collected": "Photographed on site",
}
NOT_MAPPED = ""


def label(field: str) -> str:
    return tr(roster.FIELD_LABELS_ZH[field], FIELD_LABELS_EN[field])


actor = require_actor()
st.title(tr("导入学籍名单", "Import roster"))
school = pick_school(actor)
st.caption(tr("支持 CSV（UTF-8 或 GBK）和 XLSX。同一学号再次导入会更新原记录，不会重复。",
              "CSV (UTF-8 or GBK) or XLSX. Importing a student number again updates that record."))
upload = st.file_uploader(tr("名单文件", "Roster file"), type=["csv", "xlsx", "txt"], key="roster_file")
if upload is None:
    st.stop()

data, filename = upload.getvalue(), upload.name
try:
    guessed = roster.parse_roster(data, filename)
except DomainError as error:
    show_error(error)
    st.stop()

st.subheader(tr("列对应", "Column mapping"))
st.caption(tr("表头不同时，请为每个字段选择文件中的列。带 * 的为必填。",
              "If the headers differ, pick the file's column for each field. * is required."))
mapping: dict[str, str] = {}
columns = st.columns(3)
for i, field in enumerate(roster.FIELDS):
    options = [NOT_MAPPED, *guessed.headers]
    default = guessed.mapping.get(field, NOT_MAPPED)
    chosen = columns[i % 3].selectbox(
        label(field) + (" *" if field in roster.REQUIRED else ""), options,
        index=options.index(default) if default in options else 0, key=f"map_{field}",
        format_func=lambda h: tr("（不导入）", "(not imported)") if h == NOT_MAPPED else h,
    )
    if chosen != NOT_MAPPED:
        mapping[field] = chosen

with refusals():
    parsed = roster.parse_roster(data, filename, mapping)
    st.subheader(tr("预览", "Preview"))
    st.caption(tr(f"共 {parsed.total_rows} 行，以下为前 {len(parsed.preview.rows)} 行（证件号码仅显示后4位）。",
                  f"{parsed.total_rows} rows; the first {len(parsed.preview.rows)} are shown (ID numbers: last 4 only)."))
    if parsed.preview.fields:
        st.dataframe(pd.DataFrame(parsed.preview.rows, columns=[label(f) for f in parsed.preview.fields]),
                     hide_index=True)

    st.subheader(tr("校验结果", "Validation"))
    if parsed.errors:
        st.warning(tr(f"{parsed.invalid_rows or len(parsed.errors)} 行有问题，共 {len(parsed.errors)} 处。",
                      f"{parsed.invalid_rows or len(parsed.errors)} rows have problems ({len(parsed.errors)} in all)."))
        st.dataframe(pd.DataFrame(
            [(e.row, label(e.field) if e.field in FIELD_LABELS_EN else e.field, e.value, tr(e.message_zh, e.message_en))
             for e in parsed.errors],
            columns=[tr("行号", "Row"), tr("字段", "Field"), tr("值", "Value"), tr("问题", "Problem")]), hide_index=True)
        st.download_button(tr("下载校验报告", "Download the validation report"), roster.validation_report_csv(parsed),
                           file_name=f"校验报告-{filename.rsplit('.', 1)[0]}.csv", mime="text/csv", key="report_csv",
                           icon=":material/download:")
    else:
        st.success(tr(f"全部 {parsed.total_rows} 行校验通过。", f"All {parsed.total_rows} rows are valid."))

    header_problem = any(e.row == 1 for e in parsed.errors)
    valid_only = False
    if parsed.errors and not header_problem:
        valid_only = st.checkbox(tr(f"只导入校验通过的 {len(parsed.rows)} 行", f"Import only the {len(parsed.rows)} valid rows"),
                                 key="import_valid_rows")
    if st.button(tr("导入", "Import"), type="primary", key="do_import",
                 disabled=header_problem or (bool(parsed.errors) and not valid_only)):
        with database().session() as session:
            st.session_state["roster_import_report"] = roster.import_roster(
                session, actor, school.id, data, filename, mapping=mapping, import_valid_rows=valid_only)

report: roster.ImportReport | None = st.session_state.get("roster_import_report")
if report is not None and report.imported:
    st.success(tr(f"导入完成：新增 {report.created} 人，更新 {report.updated} 人，未变化 {report.unchanged} 人。",
                  f"Imported: {report.created} new, {report.updated} updated, {report.unchanged} unchanged."))
    if report.changes:
        st.dataframe(pd.DataFrame([(c.student_number, label(c.field), c.old, c.new) for c in report.changes],
                                  columns=[tr("学号", "Student number"), tr("字段", "Field"), tr("原值", "Old"),
                                           tr("新值", "New")]), hide_index=True)
        st.download_button(tr("下载变更报告", "Download the change report"), roster.change_report_csv(report),
                           file_name="变更报告.csv", mime="text/csv", key="changes_csv", icon=":material/download:")
