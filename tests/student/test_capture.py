"""第九至十三步: camera only, free retakes, standardise in the worker (5 a day, shown as remaining),
the quality report in plain words, two confirmations, and the automatic face-comparison block."""

from __future__ import annotations

from sqlalchemy import func, select

from core.domain.access import Actor
from core.domain.enums import QuotaEntryType, QuotaKind, SubmissionState
from core.models import QuotaEntry, RosterRecord, Submission
from core.services import processing, quotas
from tests.student.conftest import linked_and_paid, portrait, texts


def shoot(at, photo: bytes):
    at.camera_input[0].set_value(("shot.jpg", photo, "image/jpeg"))
    return at.run()


def standardised(at, photo: bytes):
    shoot(at, photo)
    at.button(key="standardise").click().run()
    return at


def test_capture_is_camera_only_with_instructions(db, student_app, seeded):
    s = seeded()
    at = linked_and_paid(student_app(), s)
    assert len(at.camera_input) == 1 and not at.file_uploader
    assert at.camera_input[0].resolution == "1080p"
    page = texts(at)
    assert "平视前方镜头" in page and "不能使用相册照片" in page
    assert "今日剩余标准化 5/5 次" in page


def test_front_camera_ban_is_stated(db, student_app, seeded):
    s = seeded(task={"front_camera_allowed": False})
    at = linked_and_paid(student_app(), s)
    assert "禁用前置摄像头" in at.warning[0].value


def test_retakes_before_standardising_are_free(db, student_app, seeded, fixtures_dir):
    s = seeded()
    at = linked_and_paid(student_app(), s)
    for n in (1, 2, 3):
        shoot(at, portrait(fixtures_dir, n))
    assert "今日还剩 **5** 次" in texts(at)
    with db.session() as session:
        assert session.scalar(select(func.count(Submission.id))) == 0
        assert session.scalar(select(func.count(QuotaEntry.id))) == 0


def test_standardise_shows_the_photo_and_plain_quality_report_then_submit_after_two_confirmations(
        db, student_app, seeded, fixtures_dir):
    s = seeded()
    at = standardised(linked_and_paid(student_app(), s), portrait(fixtures_dir, 1))
    assert not at.exception
    assert [type(e).__name__ for e in at.main].count("Image") == 1
    page = texts(at)
    assert "照片质量检测" in page and ":green[:material/check_circle:] 双眼睁开" in page
    assert "今日剩余标准化 4/5 次" in page
    at.button(key="submit").click().run()
    assert "照片提交前二次确认" in texts(at) and "剩余 2 次" in texts(at)
    at.button(key="submit_cancel").click().run()
    with db.session() as session:
        assert session.scalar(select(Submission)).state is SubmissionState.STANDARDISED
    at.button(key="submit").click().run()
    at.button(key="submit_confirm").click().run()
    assert "照片已提交，等待人工审核" in at.success[0].value
    assert "当前状态：**待审核**" in texts(at)
    with db.session() as session:
        assert session.scalar(select(Submission)).state is SubmissionState.AWAITING_REVIEW


def test_retake_after_standardising_discards_the_capture(db, student_app, seeded, fixtures_dir):
    s = seeded()
    at = standardised(linked_and_paid(student_app(), s), portrait(fixtures_dir, 1))
    at.button(key="retake").click().run()
    assert at.camera_input and at.camera_input[0].value is None
    with db.session() as session:
        assert session.scalar(select(Submission)).state is SubmissionState.REPLACED


def test_a_photo_without_a_face_is_refused_with_advice(db, student_app, seeded, fixtures_dir):
    s = seeded()
    at = linked_and_paid(student_app(), s)
    at = standardised(at, _jpeg_of_code(s.code_png))
    assert "照片未能完成标准化" in at.error[0].value and "重拍免费" in at.error[0].value
    at.button(key="retake").click().run()
    assert at.camera_input


def test_the_daily_limit_holds_in_the_ui(db, student_app, seeded, fixtures_dir):
    s = seeded()
    with db.session() as session:
        for _ in range(5):
            quotas.add_entry(session, s.record_id, QuotaKind.STANDARDISATION, QuotaEntryType.USE, actor=Actor.system("tests"))
    at = linked_and_paid(student_app(), s)
    assert "今日剩余标准化 0/5 次" in texts(at)
    shoot(at, portrait(fixtures_dir, 1))
    assert "今日照片标准化次数已用完" in at.error[0].value
    assert "standardise" not in [b.key for b in at.button]
    with db.session() as session:
        assert session.scalar(select(func.count(Submission.id))) == 0


def test_the_daily_limit_holds_on_a_screen_opened_before_it_ran_out(db, student_app, seeded, fixtures_dir):
    s = seeded()
    at = linked_and_paid(student_app(), s)
    shoot(at, portrait(fixtures_dir, 1))
    with db.session() as session:
        for _ in range(5):
            quotas.add_entry(session, s.record_id, QuotaKind.STANDARDISATION, QuotaEntryType.USE, actor=Actor.system("tests"))
    at.button(key="standardise").click().run()
    assert "今日照片标准化次数已用完" in at.error[0].value
    with db.session() as session:
        assert session.scalar(select(func.count(Submission.id))) == 0


def test_a_different_person_is_blocked_at_once_with_advice(db, env, student_app, seeded, fixtures_dir):
    s = seeded()
    _, store = env
    with db.session() as session:
        record = session.get(RosterRecord, s.record_id)
        record.enrolment_photo_sha = store.put(portrait(fixtures_dir, 7))
    processing.process_enrolment_photo(db, store, s.record_id)
    with db.session() as session:
        assert session.get(RosterRecord, s.record_id).enrolment_embedding is not None
    at = standardised(linked_and_paid(student_app(), s), portrait(fixtures_dir, 1))
    at.button(key="submit").click().run()
    at.button(key="submit_confirm").click().run()
    assert "人像比对未通过" in at.error[0].value and "学籍部门" in at.error[0].value
    assert at.camera_input  # back to shooting
    with db.session() as session:
        assert session.scalar(select(Submission)).state is SubmissionState.AUTO_BLOCKED
        assert quotas.usage(session, s.record_id).submissions_used == 0


def test_the_same_person_passes_the_comparison(db, env, student_app, seeded, fixtures_dir):
    s = seeded()
    _, store = env
    with db.session() as session:
        record = session.get(RosterRecord, s.record_id)
        record.enrolment_photo_sha = store.put(portrait(fixtures_dir, 1, "smiling"))
    processing.process_enrolment_photo(db, store, s.record_id)
    at = standardised(linked_and_paid(student_app(), s), portrait(fixtures_dir, 1))
    at.button(key="submit").click().run()
    at.button(key="submit_confirm").click().run()
    assert "人像比对：同一人" in texts(at)


def _jpeg_of_code(png: bytes) -> bytes:
    from tests.student.test_identity import as_camera_jpeg

    return as_camera_jpeg(png)


def test_the_app_waits_for_the_worker_and_shows_the_result_when_it_is_done(env, student_app, seeded, fixtures_dir):
    from core import worker
    from core.services import jobs

    db, store = env
    s = seeded()
    at = linked_and_paid(student_app(), s)
    worker.configure(db, store, immediate=False)  # the job waits in the queue, as with a real worker
    shoot(at, portrait(fixtures_dir, 1))
    at.button(key="standardise").click().run()
    assert "正在制作标准照" in at.info[0].value
    assert not at.camera_input and "submit" not in [b.key for b in at.button]
    with db.session() as session:
        submission = session.scalar(select(Submission))
        assert submission.state is SubmissionState.CAPTURED
        submission_id = submission.id
    processing.run(db, store, jobs.PROCESS_SUBMISSION, submission_id)
    at.run()
    assert at.button(key="submit") and "照片质量检测" in texts(at)


def test_a_job_whose_workers_kept_dying_is_shown_as_failed_not_counted_and_can_be_retaken(
        env, student_app, seeded, fixtures_dir):
    """No waiting for ever: the job fails for good after its attempts (each worker was killed), the
    screen says so in Chinese with a retake, and today's standardisation is given back."""
    from datetime import timedelta

    from core import worker
    from core.config import settings
    from core.models import ProcessingJob, utcnow
    from core.services import jobs

    db, store = env
    s = seeded()
    at = linked_and_paid(student_app(), s)
    worker.configure(db, store, immediate=False)
    shoot(at, portrait(fixtures_dir, 1))
    at.button(key="standardise").click().run()
    assert "正在制作标准照" in at.info[0].value
    for attempt in range(settings().job_attempts):
        with db.session() as session:
            assert jobs.claim(session, f"host:{attempt}:killed") is not None
        with db.session() as session:
            jobs.reap(session, now=utcnow() + timedelta(seconds=settings().job_lease_seconds + 1))
    with db.session() as session:
        assert session.scalar(select(ProcessingJob.error)).startswith("WorkerLost")
    at.run()
    assert not at.exception
    assert "照片处理失败，本次不计入今日标准化次数" in at.error[0].value
    assert at.button(key="retake")
    at.button(key="retake").click().run()
    assert "今日剩余标准化 5/5 次" in texts(at)
