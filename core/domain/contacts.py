"""Every contact a student reads: the one place the hotline, its hours and the QQ group live.

Services, the student app and the API word their texts from these, so changing the hotline is one
edit (seed: 客服电话 and the QQ for technical or payment questions).
"""

from __future__ import annotations

from dataclasses import dataclass

HOTLINE = "027-87885551"
HOURS_ZH = "周一至周五（法定节假日除外）8:30-12:00、14:00-17:30"
HOURS_EN = "Monday-Friday except public holidays, 8:30-12:00 and 14:00-17:30"
QQ = "78284566"
QQ_NOTE_ZH = "备注：图像采集"


@dataclass(frozen=True)
class Contacts:
    hotline: str = HOTLINE
    hours_zh: str = HOURS_ZH
    hours_en: str = HOURS_EN
    qq: str = QQ
    qq_note_zh: str = QQ_NOTE_ZH

    @property
    def support_line_zh(self) -> str:
        return f"客服电话 {self.hotline}（{self.hours_zh}）"

    @property
    def support_line_en(self) -> str:
        return f"Support {self.hotline} ({self.hours_en})"


CONTACTS = Contacts()
