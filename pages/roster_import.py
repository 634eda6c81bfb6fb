"""Roster import: upload CSV/XLSX, map columns, preview, validate row by row, import.

A school's roster can have 200 000 rows: validation runs once per file and mapping (kept for the
page's reruns) and both it and the import show a progress bar with counts.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from core.errors import DomainError
from core.export import mime_type
from core.services import roster
from uikit.downloads import download_button
from workbench.context import database, require_actor
from workbench.i18n import tr
from workbench.registrar import pick_school
from workbench.widgets import counted_progress, refusals, show_error

NOT_MAPPED = ""
VALIDATED, IMPORTED = "roster_validation", "roster_import_report"


def label(field: str) -> str:
    return tr(roster.FIELD_LABELS_ZH[field], roster.FIELD_LABELS_EN[field])


actor = require_actor()
st.title(tr("导入学籍名单", "Import roster"))
school = pick_school(actor)
st.caption(tr(f"支持 CSV（UTF-8 或 GBK）和 XLSX，一次最多 {roster.MAX_ROWS:,} 行。同一学号再次导入会更新原记录，不会重复。",
              f"CSV (UTF-8 or GBK) or XLSX, up to {roster.MAX_ROWS:,} rows. Importing a student number again "
              "updates that record."))
template = st.columns([1, 1, 3])
for column, fmt in ((template[0], "xlsx"), (template[1], "csv")):
    download_button(tr(f"下载模板（{fmt.upper()}）", f"Template ({fmt.upper()})"), roster.import_template(fmt),
                    file_name=f"学籍名单模板.{fmt}", mime=mime_type(fmt), key=f"template_{fmt}", container=column)
upload = st.file_uploader(tr("名单文件", "Roster file"), type=["csv", "xlsx", "txt"], key="roster_file")
if upload is None:
    st.stop()

data, filename = upload.getvalue(), upload.name
try:
    headers = roster.read_header(data, filename)
except DomainError as error:
    show_error(error)
    st.stop()
guessed = roster.guess_mapping(headers)

st.subheader(tr("列对应", "Column mapping"))
st.caption(tr("表头不同时，请为每个字段选择文件中的列。带 * 的为必填。",
              "If the headers differ, pick the file's column for each field. * is required."))
mapping: dict[str, str] = {}
columns = st.columns(3)
for i, field in enumerate(roster.FIELDS):
    options = [NOT_MAPPED, *headers]
    default = guessed.get(field, NOT_MAPPED)
    chosen = columns[i % 3].selectbox(
        label(field) + (" *" if field in roster.REQUIRED else ""), options,
        index=options.index(default) if default in options else 0, key=f"map_{field}",
        format_func=lambda h: tr("（不导入）", "(not imported)") if h == NOT_MAPPED else h,
    )
    if chosen != NOT_MAPPED:
        mapping[field] = chosen

# One validation per file and mapping: the page reruns on every click, the file does not change.
file_key = (hashlib.sha256(data).hexdigest(), filename, tuple(sorted(mapping.items())))
cached = st.session_state.get(VALIDATED)
parsed: roster.ParsedRoster | None = cached[1] if cached and cached[0] == file_key else None
if parsed is None:
    bar, update = counted_progress("校验", "Validating")
    try:
        parsed = roster.parse_roster(data, filename, mapping, progress=update)
    except DomainError as error:
        bar.empty()
        show_error(error)
        st.stop()
    bar.empty()
    st.session_state[VALIDATED] = (file_key, parsed)

st.subheader(tr("预览", "Preview"))
st.caption(tr(f"共 {parsed.total_rows:,} 行，以下为前 {len(parsed.preview.rows)} 行（证件号码仅显示后4位）。",
              f"{parsed.total_rows:,} rows; the first {len(parsed.preview.rows)} are shown (ID numbers: last 4 only)."))
if parsed.preview.fields:
    st.dataframe(pd.DataFrame(parsed.preview.rows, columns=[label(f) for f in parsed.preview.fields]),
                 hide_index=True)

st.subheader(tr("校验结果", "Validation"))
if parsed.errors:
    st.warning(tr(f"{parsed.invalid_rows or parsed.error_count:,} 行有问题，共 {parsed.error_count:,} 处。",
                  f"{parsed.invalid_rows or parsed.error_count:,} rows have problems ({parsed.error_count:,} in all)."))
    if parsed.error_count > len(parsed.errors):
        st.caption(tr(f"以下列出前 {len(parsed.errors):,} 处，校验报告包含全部问题。",
                      f"The first {len(parsed.errors):,} are listed; the report has them all."))
    st.dataframe(pd.DataFrame(
        [(e.row, label(e.field) if e.field in roster.FIELD_LABELS_EN else e.field, e.value, tr(e.message_zh, e.message_en))
         for e in parsed.errors],
        columns=[tr("行号", "Row"), tr("字段", "Field"), tr("值", "Value"), tr("问题", "Problem")]), hide_index=True)
    download_button(tr("下载校验报告", "Download the validation report"), roster.validation_report_csv(parsed),
                    file_name=f"校验报告-{filename.rsplit('.', 1)[0]}.csv", mime="text/csv", key="report_csv")
else:
    st.success(tr(f"全部 {parsed.total_rows:,} 行校验通过。", f"All {parsed.total_rows:,} rows are valid."))

valid_only = False
if parsed.errors and not parsed.header_problem:
    valid_only = st.checkbox(tr(f"只导入校验通过的 {parsed.valid_rows:,} 行", f"Import only the {parsed.valid_rows:,} valid rows"),
                             key="import_valid_rows")
if st.button(tr("导入", "Import"), type="primary", key="do_import",
             disabled=parsed.header_problem or (bool(parsed.errors) and not valid_only)):
    bar, update = counted_progress("导入", "Importing")
    with refusals():
        with database().session() as session:
            outcome = roster.import_roster(session, actor, school.id, data, filename, mapping=mapping,
                                           import_valid_rows=valid_only,
                                           progress=lambda done, _: update(done, parsed.total_rows))
        st.session_state[IMPORTED] = (file_key, outcome)
    bar.empty()

imported = st.session_state.get(IMPORTED)
report: roster.ImportReport | None = imported[1] if imported and imported[0] == file_key else None
if report is not None and report.imported:
    st.success(tr(f"导入完成：新增 {report.created:,} 人，更新 {report.updated:,} 人，未变化 {report.unchanged:,} 人。",
                  f"Imported: {report.created:,} new, {report.updated:,} updated, {report.unchanged:,} unchanged."))
    if report.changes:
        if report.change_count > len(report.changes):
            st.caption(tr(f"以下列出前 {len(report.changes):,} 处变更，变更报告包含全部 {report.change_count:,} 处。",
                          f"The first {len(report.changes):,} changes are listed; the report has all {report.change_count:,}."))
        st.dataframe(pd.DataFrame([(c.student_number, label(c.field), c.old, c.new) for c in report.changes],
                                  columns=[tr("学号", "Student number"), tr("字段", "Field"), tr("原值", "Old"),
                                           tr("新值", "New")]), hide_index=True)
        download_button(tr("下载变更报告", "Download the change report"), roster.change_report_csv(report),
                        file_name="变更报告.csv", mime="text/csv", key="changes_csv")
