"""A check's measured numbers in words, for staff: "嘴角上扬，像在笑（0.14，应 ≤ 0.1）".

Reviewers read the number and the allowed range beside a plain description of what was measured;
the raw ``value`` / ``allowed`` of a ``Check`` stay for the detail fold. Chinese texts carry no
Latin letters (units are written 像素, 度, 倍, 千字节).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict


@dataclass(frozen=True)
class Unit:
    zh: str = ""
    en: str = ""


PIXELS = Unit("像素", " px")
DEGREES = Unit("°", "°")
TIMES = Unit("倍", "×")
KILOBYTES = Unit(" 千字节", " KB")
BITS = Unit(" 位", " bits")
NONE = Unit()


@dataclass(frozen=True)
class Reading:
    """One measured number, its allowed range and its names.

    ``low``/``high`` bound the value (``symmetric`` bounds its magnitude by ``high``; ``strict``
    excludes the bounds). ``ok`` overrides the bounds for checks whose rule combines readings.
    """

    value: float | None
    name_zh: str
    name_en: str
    problem_zh: str = ""
    problem_en: str = ""
    low: float | None = None
    high: float | None = None
    symmetric: bool = False
    strict: bool = False
    unit: Unit = NONE
    digits: int = 2
    ok: bool | None = None

    def within(self) -> bool:
        if self.ok is not None:
            return self.ok
        if self.value is None:
            return False
        value = abs(self.value) if self.symmetric else self.value
        if self.strict:
            return (self.low is None or value > self.low) and (self.high is None or value < self.high)
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def allowed(self, unit: str) -> str:
        lt, gt = ("<", ">") if self.strict else ("≤", "≥")
        if self.symmetric:
            return f"±{self.high:g}{unit}"
        if self.low is not None and self.low == self.high:
            return f"= {self.low:g}{unit}"
        if self.low is not None and self.high is not None:
            return f"{self.low:g}–{self.high:g}{unit}"
        if self.high is not None:
            return f"{lt} {self.high:g}{unit}"
        return f"{gt} {self.low:g}{unit}"

    def number(self, unit: str) -> str:
        return "—" if self.value is None else f"{self.value:.{self.digits}f}{unit}"

    def zh(self) -> str:
        name = self.problem_zh if self.problem_zh and not self.within() else self.name_zh
        return f"{name}（{self.number(self.unit.zh)}，应 {self.allowed(self.unit.zh)}）"

    def en(self) -> str:
        name = self.problem_en if self.problem_en and not self.within() else self.name_en
        return f"{name} ({self.number(self.unit.en)}, allowed {self.allowed(self.unit.en)})"


class Words(TypedDict):
    detail_zh: str
    detail_en: str


def in_words(*readings: Reading) -> Words:
    """``detail_zh`` and ``detail_en`` of a check, failing readings first."""
    ordered = sorted(readings, key=lambda r: r.within())
    return Words(detail_zh="；".join(r.zh() for r in ordered), detail_en="; ".join(r.en() for r in ordered))

LIMIT_NAMES: dict[str, str] = {
    "hair_top_range": "头顶距上边缘（像素）", "eye_line_range": "眼睛距上边缘（像素）",
    "face_width_range": "脸宽（像素）", "max_upscale": "人脸最大放大倍数",
    "max_centre_offset_px": "脸部偏离中线上限（像素）", "max_roll_deg": "头部倾斜上限（度）",
    "max_yaw_deg": "左右转头上限（度）", "pitch_range_deg": "抬头低头范围（度）",
    "min_eye_openness": "眼睛睁开程度下限", "min_iris_contrast": "黑眼珠对比度下限",
    "narrow_eye_iris_contrast": "眯眼时黑眼珠对比度下限", "max_mouth_opening": "上下唇间距上限",
    "max_teeth_area": "露齿面积上限", "max_teeth_area_parted": "双唇分开时露齿面积上限",
    "min_parted_dark_area": "双唇间暗色面积界限", "max_mouth_width": "嘴宽上限（与两眼间距之比）",
    "max_corner_lift": "嘴角上扬上限", "min_sharpness": "清晰度下限", "max_noise": "噪点上限",
    "highlight_range": "脸部高光亮度范围", "min_contrast": "明暗对比度下限",
    "max_lighting_imbalance": "左右脸亮度差上限", "min_skin_saturation": "肤色饱和度下限",
    "skin_hue_range_deg": "肤色色相范围（度）", "max_bottom_strip": "下边缘背景比例上限",
    "max_background_clutter": "背景杂色比例上限",
    "max_derived_phash_distance": "与入学照片图像差异下限（位）",
    "max_derived_embedding_distance": "与入学照片人脸差异下限",
    "max_derived_phash_distance_with_embedding": "图像差异下限（与人脸差异同时偏小时，位）",
    "max_derived_embedding_distance_with_phash": "人脸差异下限（与图像差异同时偏小时）",
    "same_max_distance": "同一人距离上限（校准值）", "different_min_distance": "非同一人距离下限（校准值）",
    "fusion_dlib_mean": "融合：原人脸特征距离均值", "fusion_dlib_spread": "融合：原人脸特征距离离散度",
    "fusion_second_mean": "融合：第二特征距离均值", "fusion_second_spread": "融合：第二特征距离离散度",
    "dlib_same_max_distance": "旧版入学特征：同一人距离上限", "dlib_different_min_distance": "旧版入学特征：非同一人距离下限",
    "single_pass_same_margin": "单次计算判定同一人的余量", "single_pass_different_margin": "单次计算判定非同一人的余量",
    "max_single_pass_offset": "单次计算的最大偏差", "recapture_flag_score": "翻拍提示分数",
}
"""The quality-check limits by name, for the Chinese UI (the English UI shows their code names)."""
