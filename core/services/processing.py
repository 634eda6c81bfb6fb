"""The bodies of background jobs: run the imaging pipeline and record its results.

They run in the worker (or inline in the demo command and tests), never in a Streamlit page.
Each reads its inputs in one short transaction, runs the imaging with no transaction open, and
writes the results in a second short one: a photo takes a few hundred milliseconds to process, and
on SQLite an open write transaction would make every page wait that long. Each is idempotent: a
retried job that already finished changes nothing, and the result is written in the transaction
that also marks the job done under the worker's lease (``finish``), so a worker whose lease was
taken commits nothing.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from sqlalchemy.orm import Session

from core.db import Database, get_or_raise
from core.domain.access import internal, pure
from core.domain.enums import JobStatus, SubmissionState
from core.domain.states import Event, transition
from core.errors import NotFound
from core.imaging.errors import ImagingError
from core.imaging.pipeline import EnrolmentReference, process_capture, process_enrolment
from core.domain.enums import Background
from core.imaging.thresholds import ImagingThresholds
from core.models import RosterRecord, Submission, utcnow
from core.services import jobs
from core.services.policy import face_thresholds
from core.storage.photos import PhotoStore

log = logging.getLogger(__name__)
Finish = Callable[[Session], None]
"""Called first inside the transaction that writes a job's result (locks and checks the lease)."""


def _nothing(_session: Session) -> None:
    return None


@internal
def run(db: Database, store: PhotoStore, kind: str, subject_id: int, *, finish: Finish = _nothing) -> None:
    if kind == jobs.PROCESS_SUBMISSION:
        process_submission(db, store, subject_id, finish=finish)
    elif kind == jobs.PROCESS_ENROLMENT:
        process_enrolment_photo(db, store, subject_id, finish=finish)
    else:
        raise ValueError(f"unknown job kind {kind}")


@pure
def enrolment_reference(record: RosterRecord) -> EnrolmentReference | None:
    if record.enrolment_embedding is None or record.enrolment_phash is None:
        return None
    return EnrolmentReference(
        embedding=np.frombuffer(record.enrolment_embedding, dtype=np.float64),
        phash=int(record.enrolment_phash, 16),
    )


@dataclass(frozen=True)
class _CaptureInputs:
    raw_sha: str
    background: Background
    enrolment: EnrolmentReference | None
    thresholds: ImagingThresholds


@internal
def process_submission(db: Database, store: PhotoStore, submission_id: int, *, finish: Finish = _nothing) -> None:
    with db.session() as session:
        submission = get_or_raise(session, Submission, submission_id, "照片不存在。", f"Submission {submission_id} not found.")
        if submission.state is not SubmissionState.CAPTURED:
            return
        inputs = _CaptureInputs(submission.raw_sha, submission.task.background,
                                enrolment_reference(submission.roster_record), face_thresholds(session))
    result = process_capture(store.get(inputs.raw_sha), background=inputs.background,
                             enrolment=inputs.enrolment, thresholds=inputs.thresholds)
    standardised_sha = store.put(result.standardised_jpeg) if result.standardised_jpeg is not None else None
    thumbnail_sha = store.put(result.thumbnail_jpeg) if result.thumbnail_jpeg is not None else None
    with db.session() as session:
        finish(session)
        submission = get_or_raise(session, Submission, submission_id, "照片不存在。", f"Submission {submission_id} not found.")
        if submission.state is not SubmissionState.CAPTURED:
            return
        submission.quality_report = result.report.to_list()
        submission.quality_ok = result.ok
        submission.quality_flags = ",".join(c.code for c in result.report.failed)[:255]
        if result.comparison is not None:
            submission.face_distance = result.comparison.distance
            submission.face_similarity = result.comparison.similarity
            submission.face_verdict = result.comparison.verdict
        if standardised_sha is None:
            submission.processing_error = result.error
            return
        submission.standardised_sha = standardised_sha
        submission.thumbnail_sha = thumbnail_sha
        submission.processing_error = None
        submission.state = transition(submission.state, Event.STANDARDISE)
        submission.standardised_at = utcnow()


@internal
def process_enrolment_photo(db: Database, store: PhotoStore, record_id: int, *, finish: Finish = _nothing) -> None:
    """Computes the enrolment embedding once; every later submission compares against it."""
    with db.session() as session:
        record = session.get(RosterRecord, record_id)
        if record is None or record.enrolment_photo_sha is None:
            raise NotFound("学籍照片不存在。", f"Record {record_id} has no enrolment photo.")
        photo_sha = record.enrolment_photo_sha
    try:
        reference, error = process_enrolment(store.get(photo_sha)), None
    except ImagingError as refusal:
        reference, error = None, refusal.message_zh
    with db.session() as session:
        finish(session)
        record = get_or_raise(session, RosterRecord, record_id, "学籍记录不存在。", f"Record {record_id} not found.")
        if record.enrolment_photo_sha != photo_sha:
            return  # a newer photo arrived meanwhile; its own job computes it
        record.enrolment_embedding = (
            np.asarray(reference.embedding, dtype=np.float64).tobytes() if reference else None)
        record.enrolment_phash = f"{reference.phash:016x}" if reference else None
        record.enrolment_error = error


@internal
def execute(db: Database, store: PhotoStore, held: jobs.Claim, *, retry_delay: timedelta) -> JobStatus | None:
    """One claimed attempt: the result and "done" commit together under the lease; an error is
    recorded (queued again or failed for good). None when the lease was lost meanwhile."""
    finished = False

    def finish(session: Session) -> None:
        nonlocal finished
        jobs.complete(session, held)
        finished = True

    try:
        run(db, store, held.kind, held.subject_id, finish=finish)
        if not finished:  # nothing left to write (already processed): only the job row changes
            with db.session() as session:
                jobs.complete(session, held)
        log.info("job %s done (attempt %s, fence %s)", held.job_id, held.attempt, held.fence)
        return JobStatus.DONE
    except jobs.LeaseLost:
        log.warning("job %s: lease lost, result discarded", held.job_id)
        return None
    except Exception as exc:  # any failure is recorded on the row, never lost
        error = "".join(traceback.format_exception_only(exc)).strip()
        log.warning("job %s attempt %s failed: %s", held.job_id, held.attempt, error)
        try:
            with db.session() as session:
                return jobs.record_failure(session, held, error, retry_delay=retry_delay)
        except jobs.LeaseLost:
            return None


class InlineQueue:
    """Runs a job inside the call that sends it, with all its attempts at once (tests, the demo
    command): the same claim, lease and result transaction as the worker."""

    def __init__(self, db: Database, store: PhotoStore) -> None:
        self.db, self.store = db, store

    def send(self, job_id: int) -> None:
        while True:
            with self.db.session() as session:
                held = jobs.claim(session, "inline", job_id, respect_delay=False, only=True)
            if held is None:
                return
            if execute(self.db, self.store, held, retry_delay=timedelta(0)) is not JobStatus.QUEUED:
                return

    def backlog(self) -> int | None:
        return 0
