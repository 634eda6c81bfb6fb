"""The Huey worker: runs photo processing outside the UI.

Start it with ``python -m core worker`` (``make run`` does). Queue backend by WORKBENCH_QUEUE:
``sqlite`` (default, a file beside the database, no server), ``redis://…`` to spread workers over
machines, or ``immediate`` (tests: a job runs inside the call that sends it).
A job is retried twice; after the last failure our ``ProcessingJob`` row shows it failed with the
error, and an admin can retry it from the operations view.
"""

from __future__ import annotations

import logging
import traceback

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

from core.config import settings
from core.db import Database, default_database, get_or_raise
from core.domain.enums import JobStatus
from core.models import ProcessingJob
from core.storage.photos import PhotoStore, default_photo_store

log = logging.getLogger(__name__)
RETRIES = 2
RETRY_DELAY_SECONDS = 5


def _make_huey() -> Huey:
    queue = settings().queue
    if queue == "immediate":
        return MemoryHuey("workbench", immediate=True)
    if queue.startswith("redis://"):
        return RedisHuey("workbench", url=queue)
    path = settings().data_dir / "queue.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("workbench", filename=str(path))


huey = _make_huey()
_database: Database | None = None
_store: PhotoStore | None = None


def configure(database: Database, store: PhotoStore, *, immediate: bool | None = None) -> None:
    """Point the job bodies at a database and store (tests and the demo use their own)."""
    global _database, _store
    _database, _store = database, store
    if immediate is not None:
        huey.immediate = immediate


def database() -> Database:
    return _database or default_database()


def store() -> PhotoStore:
    return _store or default_photo_store()


def send(job_id: int) -> None:
    """Hands a job to the queue. Inline (immediate) mode runs the same attempts and retries here,
    since Huey's immediate mode would park a retry in memory where nothing runs it."""
    if not huey.immediate:
        run_job(job_id)
        return
    for attempt in range(RETRIES + 1):
        try:
            execute(job_id, final=attempt == RETRIES)
            return
        except Exception:
            if attempt == RETRIES:
                return


@huey.task(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS, context=True)
def run_job(job_id: int, task=None) -> None:
    execute(job_id, final=task is None or task.retries == 0)


def execute(job_id: int, *, final: bool) -> None:
    """One attempt. A failure is recorded on the job row (failed for good on the last attempt) and
    re-raised so the queue schedules the retry."""
    db = database()
    with db.session() as session:
        job = session.get(ProcessingJob, job_id)
        if job is None or job.status is JobStatus.DONE:
            return
        job.status = JobStatus.RUNNING
        job.attempts += 1
    try:
        from core.services import processing

        with db.session() as session:
            job = get_or_raise(session, ProcessingJob, job_id, "任务不存在。", "No such job.")
            kind, subject_id = job.kind, job.subject_id
        processing.run(db, store(), kind, subject_id)
        with db.session() as session:
            job = get_or_raise(session, ProcessingJob, job_id, "任务不存在。", "No such job.")
            job.status = JobStatus.DONE
            job.error = None
    except Exception as exc:
        log.warning("job %s failed (final=%s): %s", job_id, final, exc)
        with db.session() as session:
            job = get_or_raise(session, ProcessingJob, job_id, "任务不存在。", "No such job.")
            job.status = JobStatus.FAILED if final else JobStatus.QUEUED
            job.error = "".join(traceback.format_exception_only(exc)).strip()
        raise
