"""Operating policy: the numbers that staff may tune, with their defaults from the seed guide.

Admins change them through the policy service (with history); everything else reads a ``Policy``
value, so a change takes effect for new work without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum

from core.domain.enums import SettlementMode


@dataclass(frozen=True)
class Policy:
    daily_standardisations: int = 5
    """每日限 5 次照片标准化 (seed, step 11)."""
    free_submissions: int = 2
    """上传后仍提供 2 次照片免费提交审核."""
    free_replacements: int = 1
    """人工审核前提供 1 次更换照片服务."""
    extra_service_price_fen: int = 100
    """后续服务费为 1 元/次."""
    claim_expiry_seconds: int = 300
    """A reviewer's claim on a photo returns to the queue after this long (closed tab)."""
    second_review_rate: float = 0.05
    """Share of ordinary approvals sampled for a blind second review."""
    verification_attempts: int = 5
    """Failed identity checks before the check locks (as CHSI does)."""
    verification_lock_hours: int = 24
    escalation_answer_hours: int = 48
    """A ticket support escalated to a school should be answered within this; later it shows as
    overdue on the registrar's desk and in support's queue (two working days by default)."""
    face_same_distance: float | None = None
    """At or below: 同一人. None = the calibrated ``ImagingThresholds.same_max_distance``, so the
    calibration stays the one place the default lives."""
    face_different_distance: float | None = None
    """From here up: 非同一人, blocked automatically. None = the calibrated
    ``ImagingThresholds.different_min_distance``."""
    disagreement_settlement: SettlementMode = SettlementMode.ADJUDICATION
    """When the second review disagrees with the first: another senior adjudicates, or the second
    decision stands at once (``core.domain.settlement``)."""

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


RANGES: dict[str, tuple[float, float]] = {
    "daily_standardisations": (1, 20),
    "free_submissions": (0, 10),
    "free_replacements": (0, 5),
    "extra_service_price_fen": (0, 10_000),
    "claim_expiry_seconds": (30, 3600),
    "second_review_rate": (0.0, 1.0),
    "verification_attempts": (1, 20),
    "verification_lock_hours": (1, 72),
    "escalation_answer_hours": (4, 240),
    "face_same_distance": (0.2, 0.7),
    "face_different_distance": (0.2, 0.8),
}
"""Validated ranges for each setting; the admin page refuses values outside them."""

CHOICES: dict[str, type[Enum]] = {
    "disagreement_settlement": SettlementMode,
}
"""Settings that take one of a few words (a domain enum, with ``label_zh``/``label_en``) instead
of a number."""


@dataclass(frozen=True)
class Shown:
    """How staff see a setting: its name, and the unit people use (元 not fen, % not 0.05, 分钟 not
    seconds). ``scale`` turns the stored value into the shown one."""

    name_zh: str
    name_en: str
    unit_zh: str = ""
    unit_en: str = ""
    scale: float = 1.0
    digits: int = 0

    def shown(self, stored: float | int) -> float:
        return round(float(stored) * self.scale, self.digits + 2)

    def stored(self, shown: float, whole_number: bool) -> float | int:
        value = float(shown) / self.scale
        return int(round(value)) if whole_number else round(value, 6)

    def text(self, stored: float | int | None, lang: str) -> str:
        """``stored`` in the shown unit, e.g. "1.00 元", "5.0%", "5.0 分钟"."""
        if stored is None:
            return "校准值" if lang == "zh" else "calibrated"
        number = f"{self.shown(stored):.{self.digits}f}"
        unit = self.unit_zh if lang == "zh" else self.unit_en
        return f"{number} {unit}".strip() if unit not in ("%",) else f"{number}%"

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


SHOWN: dict[str, Shown] = {
    "daily_standardisations": Shown("每日标准化次数", "Standardisations per day", "次", "a day"),
    "free_submissions": Shown("免费提交审核次数", "Free review submissions", "次", ""),
    "free_replacements": Shown("人工审核前免费更换次数", "Free replacements before review", "次", ""),
    "extra_service_price_fen": Shown("后续服务单价", "Extra service price", "元", "yuan", 0.01, 2),
    "claim_expiry_seconds": Shown("审核领取超时", "Review claim expiry", "分钟", "minutes", 1 / 60, 1),
    "second_review_rate": Shown("二次复核抽样比例", "Second-review sample rate", "%", "%", 100.0, 1),
    "verification_attempts": Shown("身份核验失败次数上限", "Failed identity checks before lock", "次", ""),
    "verification_lock_hours": Shown("身份核验锁定时长", "Identity check lock", "小时", "hours"),
    "escalation_answer_hours": Shown("学校答复转交工单时限", "School's time to answer an escalated ticket", "小时",
                                     "hours"),
    "face_same_distance": Shown("人像比对：同一人阈值（距离 ≤）", "Face comparison: same person (distance ≤)",
                                digits=2),
    "face_different_distance": Shown("人像比对：非同一人阈值（距离 ≥，自动拦截）",
                                     "Face comparison: different person (distance ≥, blocked)", digits=2),
    "disagreement_settlement": Shown("初审与复核不一致时", "When first and second review disagree"),
}
"""Every key of ``RANGES`` and ``CHOICES``, as staff read it."""
