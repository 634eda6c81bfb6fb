"""The bodies of background jobs: run the imaging pipeline and record its results.

They run in the worker (or inline in the demo command and tests), never in a Streamlit page.
Each is idempotent: a retried job that already finished changes nothing.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from core.domain.enums import SubmissionState
from core.domain.states import Event, transition
from core.errors import NotFound
from core.imaging.errors import ImagingError
from core.imaging.pipeline import EnrolmentReference, process_capture, process_enrolment
from core.models import RosterRecord, Submission, utcnow
from core.services import jobs
from core.services.policy import face_thresholds
from core.storage.photos import PhotoStore


def run(session: Session, store: PhotoStore, kind: str, subject_id: int) -> None:
    if kind == jobs.PROCESS_SUBMISSION:
        process_submission(session, store, subject_id)
    elif kind == jobs.PROCESS_ENROLMENT:
        process_enrolment_photo(session, store, subject_id)
    else:
        raise ValueError(f"unknown job kind {kind}")


def enrolment_reference(record: RosterRecord) -> EnrolmentReference | None:
    if record.enrolment_embedding is None or record.enrolment_phash is None:
        return None
    return EnrolmentReference(
        embedding=np.frombuffer(record.enrolment_embedding, dtype=np.float64),
        phash=int(record.enrolment_phash, 16),
    )


def process_submission(session: Session, store: PhotoStore, submission_id: int) -> Submission:
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("照片不存在。", f"Submission {submission_id} not found.")
    if submission.state is not SubmissionState.CAPTURED:
        return submission
    record = submission.roster_record
    result = process_capture(
        store.get(submission.raw_sha),
        background=submission.task.background,
        enrolment=enrolment_reference(record),
        thresholds=face_thresholds(session),
    )
    submission.quality_report = result.report.to_list()
    submission.quality_ok = result.ok
    submission.quality_flags = ",".join(c.code for c in result.report.failed)[:255]
    if result.comparison is not None:
        submission.face_distance = result.comparison.distance
        submission.face_similarity = result.comparison.similarity
        submission.face_verdict = result.comparison.verdict.value
    if result.standardised_jpeg is None:
        submission.processing_error = result.error
        session.flush()
        return submission
    submission.standardised_sha = store.put(result.standardised_jpeg)
    if result.thumbnail_jpeg is not None:
        submission.thumbnail_sha = store.put(result.thumbnail_jpeg)
    submission.processing_error = None
    submission.state = transition(submission.state, Event.STANDARDISE)
    submission.standardised_at = utcnow()
    session.flush()
    return submission


def process_enrolment_photo(session: Session, store: PhotoStore, record_id: int) -> RosterRecord:
    """Computes the enrolment embedding once; every later submission compares against it."""
    record = session.get(RosterRecord, record_id)
    if record is None or record.enrolment_photo_sha is None:
        raise NotFound("学籍照片不存在。", f"Record {record_id} has no enrolment photo.")
    try:
        reference = process_enrolment(store.get(record.enrolment_photo_sha))
    except ImagingError as refusal:
        record.enrolment_embedding = None
        record.enrolment_phash = None
        record.enrolment_error = refusal.message_zh
        session.flush()
        return record
    record.enrolment_embedding = np.asarray(reference.embedding, dtype=np.float64).tobytes()
    record.enrolment_phash = f"{reference.phash:016x}"
    record.enrolment_error = None
    session.flush()
    return record
