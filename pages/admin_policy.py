"""Thresholds and policy: the tunable settings with their defaults, ranges and change history, and
the quality-check limits (read-only: they are calibrated in code, see core/imaging/thresholds.py)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.domain.policy import CHOICES, SHOWN
from core.imaging.thresholds import DEFAULT_THRESHOLDS
from core.imaging.words import LIMIT_NAMES
from core.services import policy
from uikit.clock import beijing
from uikit.plain import plain
from workbench.context import database, require_actor
from workbench.i18n import lang, tr
from workbench.widgets import commit_then_reload, show_flash

# Note (zh, en) of each setting of core.domain.policy.Policy; its name and unit are core.domain.policy.SHOWN.
NOTES: dict[str, tuple[str, str]] = {
    "face_same_distance": ("校准于东亚人脸测试集（15 人 180 张）。", "Calibrated on lfw_east_asian (15 people, 180 photos)."),
    "face_different_distance": ("两阈值之间为“待人工判断”；须不小于同一人阈值。",
                                "Between the two bands a reviewer decides; must not be below the same-person band."),
    "second_review_rate": ("普通通过的照片中抽样盲审的比例。", "Share of ordinary approvals blind-reviewed again."),
    "claim_expiry_seconds": ("审核员领取后未处理，超时退回队列。", "A claimed photo returns to the queue after this."),
    "daily_standardisations": ("操作指南：每日限 5 次。", "Operator's guide: 5 a day."),
    "free_submissions": ("操作指南：上传后 2 次免费提交。", "Operator's guide: 2 free submissions."),
    "free_replacements": ("操作指南：1 次。", "Operator's guide: 1."),
    "extra_service_price_fen": ("操作指南：1 元/次。", "Operator's guide: 1 yuan each."),
    "verification_attempts": ("与学信网一致。", "As CHSI does."),
    "verification_lock_hours": ("", ""),
    "disagreement_settlement": ("", ""),
}

IMAGING_GROUPS: list[tuple[str, str, tuple[str, ...]]] = [
    ("学信网标准（教毕指[2017]99号）", "CHSI standard", ("hair_top_range", "eye_line_range", "face_width_range")),
    ("人脸检测的放大上限", "Face finder's upscale limit", ("max_upscale",)),
    ("校准：伦敦人像集（51 张中性 + 51 张微笑，标准化后）", "Calibrated on the London set (51 neutral, 51 smiling)",
     ("max_centre_offset_px", "max_roll_deg", "max_yaw_deg", "pitch_range_deg", "min_eye_openness",
      "min_iris_contrast", "narrow_eye_iris_contrast", "max_mouth_opening", "max_teeth_area",
      "max_teeth_area_parted", "min_parted_dark_area", "max_mouth_width", "max_corner_lift",
      "min_sharpness", "max_noise", "highlight_range", "min_contrast", "max_lighting_imbalance",
      "min_skin_saturation", "skin_hue_range_deg")),
    ("校准：伦敦人像集纯灰背景 对比 日常照片", "Calibrated: London plain grey vs everyday photos",
     ("max_background_clutter",)),
    ("校准：身体延伸到照片下边缘（全部样例照片）", "Calibrated: body to the bottom edge (every fixture portrait)",
     ("max_bottom_strip",)),
    ("校准：是否由入学照片翻拍/派生", "Calibrated: derived from the enrolment photo",
     ("max_derived_phash_distance", "max_derived_embedding_distance", "max_derived_phash_distance_with_embedding",
      "max_derived_embedding_distance_with_phash")),
    ("校准：东亚人脸测试集全部配对（人像比对，已由上方设置覆盖）",
     "Calibrated on lfw_east_asian pairs (face bands; overridden by the settings above)",
     ("same_max_distance", "different_min_distance", "fusion_dlib_mean", "fusion_dlib_spread",
      "fusion_second_mean", "fusion_second_spread")),
    ("校准：仅含原人脸特征的旧入学照片（重新计算完成前）",
     "Calibrated: enrolment embeddings with dlib's descriptor alone (until recomputed)",
     ("dlib_same_max_distance", "dlib_different_min_distance")),
    ("校准：单次网络计算即可判定的范围（两组全部配对）",
     "Calibrated: where one network pass decides the comparison (all pairs of both sets)",
     ("single_pass_same_margin", "single_pass_different_margin", "max_single_pass_offset")),
    ("校准：翻拍照片或屏幕（仅提示，不拦截；全部样例照片 对比 模拟翻拍）",
     "Calibrated: re-photographed print or screen (advisory only; every fixture vs simulated re-photographs)",
     ("recapture_flag_score",)),
]

actor = require_actor()
st.title(tr("阈值与规则", "Thresholds & policy"))
show_flash()
st.caption(tr("修改保存后立即用于新的操作（每次处理都读取当前设置），无需重启。",
              "A saved change applies to new work at once (every operation reads the current settings); "
              "no restart."))

with database().session() as session:
    views = policy.list_settings(session, actor)
    choices = policy.list_choices(session, actor)
    changes = policy.history(session, actor)


def word(key: str, value: object) -> str:
    """A stored word-valued setting as staff read it."""
    try:
        option = CHOICES[key](value)
    except ValueError:
        return str(value)
    label: str = getattr(option, "label_zh" if lang() == "zh" else "label_en")
    return label


def shown_value(key: str, value: object) -> str:
    if key in CHOICES:
        return word(key, value)
    if key in SHOWN and (value is None or isinstance(value, int | float)):
        return SHOWN[key].text(value, lang())
    return str(value)


with st.form("policy"):
    entered: dict[str, float | int] = {}
    for view in views:
        shown = SHOWN[view.key]
        note_zh, note_en = NOTES.get(view.key, ("", ""))
        unit = tr(shown.unit_zh, shown.unit_en)
        label = f"{shown.name(lang())}（{unit}）" if unit and lang() == "zh" else \
            (f"{shown.name(lang())} ({unit})" if unit else shown.name(lang()))
        help_text = tr(f"默认 {shown.text(view.default, 'zh')}，范围 {shown.text(view.low, 'zh')} 至 "
                       f"{shown.text(view.high, 'zh')}。{note_zh}",
                       f"Default {shown.text(view.default, 'en')}, range {shown.text(view.low, 'en')} to "
                       f"{shown.text(view.high, 'en')}. {note_en}")
        step = 10 ** -shown.digits if shown.digits else 1
        value: int | float
        if shown.digits == 0 and view.whole_number:
            value = st.number_input(label, value=int(shown.shown(view.current)), step=1, help=help_text,
                                    key=f"policy_{view.key}")
        else:
            value = st.number_input(label, value=float(shown.shown(view.current)), step=float(step),
                                    format=f"%.{shown.digits}f", help=help_text, key=f"policy_{view.key}")
        entered[view.key] = shown.stored(value, view.whole_number)
        if view.changed:
            st.caption(tr(f"默认 {shown.text(view.default, 'zh')} · {plain(view.updated_by)} 修改于 "
                          f"{beijing(view.updated_at)}",
                          f"default {shown.text(view.default, 'en')} · changed by {plain(view.updated_by)} "
                          f"{beijing(view.updated_at)}"))
    if st.form_submit_button(tr("保存设置", "Save settings"), type="primary"):
        changed = {view.key: entered[view.key] for view in views if entered[view.key] != view.current}
        if changed:
            commit_then_reload(lambda session: policy.set_policy_values(session, actor, changed),
                               tr(f"已保存 {len(changed)} 项设置。", f"{len(changed)} settings saved."))
        else:
            st.info(tr("没有修改。", "Nothing changed."))

def save_choice(key: str, value: str) -> None:
    commit_then_reload(lambda session: policy.set_policy_choice(session, actor, key, value),
                       tr("已保存设置。", "Setting saved."))


for choice in choices:
    shown = SHOWN[choice.key]

    def choice_label(value: str, key: str = choice.key) -> str:
        return word(key, value)

    with st.form(f"policy_choice_{choice.key}"):
        picked = st.radio(shown.name(lang()), choice.options, index=choice.options.index(choice.current),
                          format_func=choice_label, key=f"policy_{choice.key}",
                          help=tr(f"默认：{word(choice.key, choice.default)}。", f"Default: {word(choice.key, choice.default)}."))
        if choice.current != choice.default:
            st.caption(tr(f"{plain(choice.updated_by)} 修改于 {beijing(choice.updated_at)}",
                          f"changed by {plain(choice.updated_by)} {beijing(choice.updated_at)}"))
        if st.form_submit_button(tr("保存", "Save")):
            if picked != choice.current:
                save_choice(choice.key, picked)
            else:
                st.info(tr("没有修改。", "Nothing changed."))

st.subheader(tr("修改记录", "Change history"))
if changes:
    st.dataframe(pd.DataFrame([{
        tr("时间", "When"): beijing(change.changed_at, "second"),
        tr("设置项", "Setting"): SHOWN[change.key].name(lang()) if change.key in SHOWN else change.key,
        tr("原值", "Old"): shown_value(change.key, change.old_value),
        tr("新值", "New"): shown_value(change.key, change.new_value),
        tr("修改人", "By"): change.changed_by,
    } for change in changes]), hide_index=True)
else:
    st.caption(tr("尚无修改，全部为默认值。", "No changes yet: every setting has its default."))

st.subheader(tr("质量检查阈值（只读）", "Quality-check limits (read-only)"))
st.caption(tr("这些阈值依据学信网标准或在测试照片上校准，写在程序中，随版本发布；"
              "调整须重新校准（基准测试脚本会打印测得的范围）。",
              "These come from the CHSI standard or a calibration on the test photos and ship with the code "
              "(core/imaging/thresholds.py); changing one means recalibrating (the bench/ scripts print the "
              "measured ranges)."))
for group_zh, group_en, names in IMAGING_GROUPS:
    st.markdown(f"**{tr(group_zh, group_en)}**")
    st.dataframe(pd.DataFrame({tr("阈值", "Limit"): [tr(LIMIT_NAMES[n], n) for n in names],
                               tr("取值", "Value"): [str(getattr(DEFAULT_THRESHOLDS, n)) for n in names]}),
                 hide_index=True)
