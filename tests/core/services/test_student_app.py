"""The student application layer's own rules: the live-capture rules of a task."""

from __future__ import annotations

from datetime import date

import pytest

from core.domain.enums import EducationCategory, MailingMode
from core.errors import CaptureRefused
from core.services.student_app import Camera, CaptureSource, check_capture_source
from core.services.student_flow import TaskChoice


def task(*, album: bool, front: bool) -> TaskChoice:
    return TaskChoice(id=1, school_name="武汉大学", school_code="10486", category=EducationCategory.REGULAR,
                      cohort="2025届", title="采集", opens_on=date(2026, 1, 1), closes_on=date(2026, 12, 31),
                      price_fen=2500, mailing_mode=MailingMode.TO_SCHOOL, default_address="",
                      front_camera_allowed=front, album_allowed=album)


@pytest.mark.parametrize("album, front, source, camera, refused", [
    (False, True, CaptureSource.CAMERA, Camera.BACK, None),
    (False, True, CaptureSource.CAMERA, Camera.FRONT, None),
    (False, True, CaptureSource.ALBUM, Camera.BACK, "相册"),
    (True, True, CaptureSource.ALBUM, Camera.BACK, None),
    (False, False, CaptureSource.CAMERA, Camera.FRONT, "前置"),
    (True, False, CaptureSource.ALBUM, Camera.FRONT, "前置"),
])
def test_the_live_capture_rules_of_a_task(album, front, source, camera, refused):
    if refused is None:
        check_capture_source(task(album=album, front=front), source, camera)
        return
    with pytest.raises(CaptureRefused) as error:
        check_capture_source(task(album=album, front=front), source, camera)
    assert refused in error.value.message_zh and error.value.code == "capture_refused"
