"""The maintained taxonomy of rejection reasons. The student sees ``student_text_zh``.

Order matters: reviewers press the reason's number key (1-9, 0) in the queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.enums import Decision
from core.errors import InvalidInput


@dataclass(frozen=True)
class RejectionReason:
    code: str
    label_zh: str
    label_en: str
    student_text_zh: str
    needs_note: bool = False


REJECTION_REASONS: tuple[RejectionReason, ...] = (
    RejectionReason("blurred", "照片模糊", "Blurred", "照片不清晰，请在光线充足处对焦后重新拍摄。"),
    RejectionReason("face_shadow", "面部阴影", "Shadow on face", "脸部两侧有明显阴影，请面向光源、在均匀光线下重新拍摄。"),
    RejectionReason("eyes_closed", "闭眼", "Eyes closed", "拍摄时眼睛闭合，请睁眼平视镜头重新拍摄。"),
    RejectionReason("head_tilted", "头部歪斜", "Head tilted", "头部歪斜或未正对镜头，请端正坐姿、平视前方重新拍摄。"),
    RejectionReason("background", "背景不合格", "Background not uniform", "背景不均匀或有其他人、物体，请在纯色墙前重新拍摄。"),
    RejectionReason("glasses_glare", "眼镜反光", "Glasses glare", "眼镜反光遮挡眼睛，请调整角度或摘下眼镜重新拍摄。"),
    RejectionReason("hair_covers", "头发遮挡", "Hair over eyebrows", "头发遮挡眉毛、眼睛或耳朵，请整理头发后重新拍摄。"),
    RejectionReason("not_same_person", "非本人", "Not the same person", "照片与学籍照片不是同一人，请本人重新拍摄。"),
    RejectionReason("rephotographed", "翻拍照片或屏幕", "Re-photographed print or screen", "不得翻拍照片或屏幕，请使用手机实时拍摄本人。"),
    RejectionReason("derived_from_admission", "使用录取照片", "Derived from the admission photo", "提交的照片不能与录取照片相同或由其修改，请重新实时拍摄。"),
    RejectionReason("other", "其他", "Other", "照片不符合学信网采集要求，详见审核备注。", needs_note=True),
)

BY_CODE: dict[str, RejectionReason] = {r.code: r for r in REJECTION_REASONS}


def reason(code: str) -> RejectionReason:
    return BY_CODE[code]


SUGGESTED_BY_CHECK: dict[str, str] = {"recapture": "rephotographed"}
"""Quality checks whose failure points at one rejection reason. The reviewer is shown that reason to
consider; nothing is rejected automatically (the re-photograph flag is advisory)."""


def check_decision(decision: Decision, reason_code: str | None, note: str) -> None:
    """A rejection needs a reason from the taxonomy, and "other" needs a note the student can read."""
    if decision is not Decision.REJECT:
        return
    if reason_code not in BY_CODE:
        raise InvalidInput("请选择驳回原因。", "Choose a rejection reason.")
    if BY_CODE[reason_code].needs_note and not note.strip():
        raise InvalidInput("选择“其他”时请填写说明。", "Add a note when the reason is 'other'.")
