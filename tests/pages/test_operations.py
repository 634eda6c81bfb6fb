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
    assert metrics["照片库"] == "未测量"  # walking the store waits for the button
    assert metrics["版本"].startswith(core.__version__)
    assert "后台进程（`python -m core worker --processes N`）可能未运行" in at.error[0].value  # the command as code
    failed = next(d.value for d in at.dataframe if "错误" in d.value.columns)
    assert list(failed["错误"]) == ["NotFound: Roster record 404 not found."]
    stalled = next(d.value for d in at.dataframe if "排队于" in d.value.columns)
    assert list(stalled["类型"]) == [jobs.PROCESS_SUBMISSION]
    assert any("没有在线的后台进程" in w.value for w in at.warning)

    next(b for b in at.button if b.label == "测量照片库").click()
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["照片库"] == "2.9 KB"
    assert any(c.value.startswith("0 分钟前测量") for c in at.caption)


def test_retry_button_sends_the_failed_job_back_to_the_worker(env, app_for):
    db, _ = env
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
        job = ProcessingJob(kind=jobs.PROCESS_ENROLMENT, subject_id=404, status=JobStatus.FAILED, attempts=3,
                            error="NotFound: Roster record 404 not found.")
        session.add(job)
        f.keep(session, job)
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


def test_operations_shows_live_workers_and_orphaned_jobs_for_what_they_are(env, app_for):
    db, _ = env
    now = utcnow()
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
        jobs.beat(session, "host-a:4242:abc123", hostname="host-a", pid=4242, queue="redis", current_job_id=None,
                  jobs_done=17)
        jobs.beat(session, "host-b:99:dead00", hostname="host-b", pid=99, queue="redis", current_job_id=7,
                  jobs_done=3, now=now - timedelta(minutes=2))  # killed two minutes ago: not live
        session.add(ProcessingJob(kind=jobs.PROCESS_SUBMISSION, subject_id=7, status=JobStatus.RUNNING, attempts=1,
                                  lease_owner="host-b:99:dead00", lease_expires_at=now - timedelta(seconds=90)))
    at = app_for(admin.id, page="operations.py").run()
    assert not at.exception
    workers = next(d.value for d in at.dataframe if "最近心跳" in d.value.columns)
    assert list(workers["进程"]) == ["host-a:4242:abc123"] and list(workers["已完成"]) == [17]
    orphaned = next(d.value for d in at.dataframe if "租约到期" in d.value.columns)
    assert list(orphaned["进程"]) == ["host-b:99:dead00"] and list(orphaned["对象"]) == [7]
    assert any("租约已过期" in e.value for e in at.error)
    assert not any("可能未运行" in e.value for e in at.error)
