"""The student application layer's own rules: the live-capture rules of a task, the web app's sign-in cookie."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.domain.access import Actor
from core.domain.enums import EducationCategory, MailingMode
from core.errors import CaptureRefused
from core.services import student_app
from core.services.student_app import Camera, CaptureSource, check_capture_source
from core.services.student_flow import TaskChoice


def task(*, album: bool, front: bool) -> TaskChoice:
    return TaskChoice(id=1, school_id=1, school_name="武汉大学", school_code="10486", category=EducationCategory.REGULAR,
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


def test_the_web_apps_sign_in_code_gives_one_cookie_token_once_within_its_minute(db):
    moment = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    with db.session() as session:
        account = student_app.sign_in_app(session, "小丁")
        actor = Actor.student(account.id, account.nickname)
        code = student_app.start_web_session(session, actor, now=moment)
        late = student_app.start_web_session(session, actor, now=moment)
    with db.session() as session:
        assert student_app.authenticate(session, code, now=moment) is None  # the code itself signs no one in
        cookie = student_app.redeem_web_handoff(session, code, token_minutes=120, now=moment + timedelta(seconds=30))
        assert cookie is not None and cookie.expires_at == moment + timedelta(seconds=30, minutes=120)
    with db.session() as session:
        assert student_app.redeem_web_handoff(session, code, token_minutes=120, now=moment) is None  # used
        assert student_app.redeem_web_handoff(session, late, token_minutes=120,
                                              now=moment + timedelta(seconds=61)) is None  # too late
        assert student_app.redeem_web_handoff(session, "x" * 200, token_minutes=120, now=moment) is None
        signed = student_app.authenticate(session, cookie.token, now=moment + timedelta(minutes=119))
        assert signed is not None and signed.id == account.id
        assert student_app.authenticate(session, cookie.token, now=moment + timedelta(minutes=121)) is None
    with db.session() as session:
        assert student_app.redeem_web_handoff(session, late, token_minutes=120, now=moment) is None  # late one is gone
        student_app.end_web_session(session, cookie.token)
    with db.session() as session:
        assert student_app.authenticate(session, cookie.token, now=moment) is None  # signed out
