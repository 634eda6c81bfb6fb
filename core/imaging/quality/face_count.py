"""Exactly one face on the finished photo (a second one can survive cropping at the frame's edge)."""

from __future__ import annotations

from core.imaging.types import Check
from core.imaging.words import Reading, in_words


def check_face_count(count: int) -> Check:
    return Check(
        code="face_count",
        passed=count == 1,
        value=float(count),
        allowed="1",
        message_zh="照片中只能有本人一张人脸。" if count != 1 else "人脸数量正常。",
        message_en="Only the student's own face may be in the photo." if count != 1 else "One face.",
        **in_words(Reading(count, "照片中的人脸数", "Faces in the photo", "人脸数量不对", "Wrong number of faces",
                           low=1, high=1, digits=0)),
    )
