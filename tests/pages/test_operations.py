from __future__ import annotations

from datetime import timedelta

import core
from core.domain.enums import JobStatus, Role
from core.models import ProcessingJob, utcnow
from core.services import audit, jobs
from tests import factories as f


def test_operations_shows_job_health_sizes_and_version(env, app_for):
    db, store = env
    store.put(b"x" * 3000)
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
        session.add_all([
            ProcessingJob(kind=jobs.PROCESS_SUBMISSION, subject_id=1, status=JobStatus.QUEUED,
                          created_at=utcnow() - timedelta(minutes=20)),
            ProcessingJob(kind=jobs.PROCESS_ENROLMENT, subject_id=404, status=JobStatus.FAILED, attempts=3,
                          error="NotFound: Roster record 404 not found."),
        ])
    at = app_for(admin.id, page="operations.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["等待中"], metrics["失败"], metrics["处理中"]) == ("1", "1", "0")
    assert metrics["照片库"] == "2.9 KB"
    assert metrics["版本"].startswith(core.__version__)
    assert "后台进程" in at.error[0].value
    failed = at.dataframe[0].value
    assert list(failed["错误"]) == ["NotFound: Roster record 404 not found."]


def test_retry_button_sends_the_failed_job_back_to_the_worker(env, app_for):
    db, _ = env
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
        job = ProcessingJob(kind=jobs.PROCESS_ENROLMENT, subject_id=404, status=JobStatus.FAILED, attempts=3,
                            error="NotFound: Roster record 404 not found.")
        session.add(job)
    at = app_for(admin.id, page="operations.py").run()
    next(b for b in at.button if b.label == "重试").click()
    at.run()
    assert not at.exception
    assert at.success[0].value == f"任务 #{job.id} 已重新排队。"
    with db.session() as session:
        assert session.get(ProcessingJob, job.id).attempts == 6
        assert audit.events_for(session, action="job.retry")[0].entity_id == job.id


def test_no_failed_jobs_and_no_stall_on_a_quiet_system(env, app_for):
    db, _ = env
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
    at = app_for(admin.id, page="operations.py").run()
    assert not at.error
    assert any(c.value == "没有失败的任务。" for c in at.caption)
