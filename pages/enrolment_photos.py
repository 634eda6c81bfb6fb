"""Enrolment photos: upload a ZIP named by student number or ID number; see what matched and
which photos have no usable face."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from core.services import enrolment, roster
from workbench.context import database, photo_store, require_actor
from workbench.i18n import tr
from workbench.registrar import pick_school
from workbench.widgets import counted_progress, refusals

actor = require_actor()
st.title(tr("学籍照片", "Enrolment photos"))
school = pick_school(actor)
st.caption(tr("将学籍照片打包为 ZIP 上传，文件名为学号或证件号码（如 2021012345.jpg）。每张照片会检查是否恰好有一张可用人脸，"
              "并计算一次人脸特征，用于与学生提交的照片比对。",
              "Upload a ZIP of photos named by student number or ID number (e.g. 2021012345.jpg). Each is checked "
              "for exactly one usable face and its face features are computed once for later comparison."))
upload = st.file_uploader(tr("照片压缩包（ZIP）", "Photo archive (ZIP)"), type=["zip"], key="enrolment_zip")
upload_key = hashlib.sha256(upload.getvalue()).hexdigest() if upload is not None else None
if upload is not None and st.button(tr("导入照片", "Import photos"), type="primary", key="do_enrolment_import"):
    bar, update = counted_progress("读取照片", "Reading photos", "张", "photos")
    with refusals():
        with database().session() as session:
            st.session_state["enrolment_report"] = (upload_key, enrolment.import_enrolment_photos(
                session, actor, school.id, upload, photo_store(), progress=update))
    bar.empty()

# The report belongs to the archive it describes: another archive, or none, clears it.
kept = st.session_state.get("enrolment_report")
report: enrolment.EnrolmentImport | None = kept[1] if kept and kept[0] == upload_key else None
if report is not None:
    st.success(tr(f"已匹配 {len(report.matched)} 张（后台正在计算人脸特征），与上次相同 {len(report.unchanged)} 张，"
                  f"未匹配 {len(report.unmatched)} 个文件。",
                  f"{len(report.matched)} matched (face features are being computed), {len(report.unchanged)} "
                  f"unchanged, {len(report.unmatched)} files not matched."))
    if report.unmatched:
        st.subheader(tr("未匹配的文件", "Files not matched"))
        st.dataframe(pd.DataFrame([(s.file_name, tr(s.reason_zh, s.reason_en)) for s in report.unmatched],
                                  columns=[tr("文件", "File"), tr("原因", "Reason")]), hide_index=True)

with database().session() as session:
    problems = enrolment.photo_problems(session, actor, school.id)
    without = roster.count_without_usable_photo(session, actor, school.id)
st.subheader(tr("没有可用人脸的照片", "Photos without a usable face"))
st.metric(tr("没有可用学籍照片的学生", "Students without a usable enrolment photo"), f"{without:,}")
if problems:
    st.dataframe(pd.DataFrame([(p.name, p.student_number, f"****{p.id_last4}", p.error) for p in problems],
                              columns=[tr("姓名", "Name"), tr("学号", "Student number"), tr("证件号", "ID"),
                                       tr("问题", "Problem")]), hide_index=True)
else:
    st.caption(tr("暂无。", "None."))
